"""The baseline of the HTTP benchmarks: a minimal FastAPI app, served in its own process.

    .venv/bin/python -m uvicorn bare_app:app --app-dir bench --port 8099

GET /ping answers a small JSON object with nothing in front of it: no middleware, no
dependencies, no logging. Every HTTP figure in docs/benchmarks.md is a ratio to this app
run with the same venv and the same uvicorn flags, in the same round.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}
