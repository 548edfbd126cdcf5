"""The service with a route that fails with a bug: python -m tests.helpers.crashing_service

Tests of what a programming error sets off (the 500 answer, error tracking) run it
as its users run the service, in a process of its own.
"""

from __future__ import annotations

import os

import uvicorn

from {{ cookiecutter.package_name }}.main import create_app

CRASH_PATH = "/test/crash"
CRASH_MESSAGE = "a broken invariant, on purpose"


def main() -> None:
    app = create_app()

    @app.post(CRASH_PATH)
    async def crash(credentials: dict[str, str]) -> None:
        # The body is parsed and held in a local variable, which error tracking leaves out.
        raise RuntimeError(f"{CRASH_MESSAGE} ({len(credentials)} fields)")

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None)


if __name__ == "__main__":
    main()
