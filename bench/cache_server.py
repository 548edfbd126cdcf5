"""A generated service plus the routes the cache benchmark compares it with.

Run from a rendered project's directory (PYTHONPATH=src):

    python bench/cache_server.py --package orders_service --port 8001

Added to the service's own app, so they pass the same middleware:

* GET /bench/bare         the bytes in $BENCH_BARE_BODY_FILE, read once: what a
                          cached item read returns, with no path parameter,
                          dependency or cache lookup in front of it
* GET /bench/uncached/{owner_id}/{item_id}
                          the item read straight from the database, as the
                          items router read it before it was cached
* GET /bench/item-queries how many SELECTs on the items table this process ran
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Request, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine

ITEM_SELECT = re.compile(r"\s*SELECT\b.*\bFROM\s+[`\"]?items\b", re.IGNORECASE | re.DOTALL)


def build(package: str) -> Any:
    main = importlib.import_module(f"{package}.main")
    items = importlib.import_module(f"{package}.items.service")
    schemas = importlib.import_module(f"{package}.items.schemas")
    app = main.create_app()
    item_queries = 0

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal item_queries
        if ITEM_SELECT.match(statement):
            item_queries += 1

    event.listen(Engine, "before_cursor_execute", count)
    bare_body: list[bytes] = []

    @app.get("/bench/bare")
    async def bare() -> Response:
        if not bare_body:
            bare_body.append(Path(os.environ["BENCH_BARE_BODY_FILE"]).read_bytes())
        return Response(bare_body[0], media_type="application/json")

    @app.get("/bench/uncached/{owner_id}/{item_id}")
    async def uncached(owner_id: int, item_id: int, request: Request) -> Response:
        # What the service's cache miss runs (items/service.py, read), without the cache.
        parameters = {"item_id": item_id, "owner_id": owner_id}
        async with request.app.state.services.read_engine.connect() as connection:
            row = (await connection.execute(items.OWNED, parameters)).one()
        body = schemas.ItemRead.model_validate(row).model_dump_json()
        return Response(body, media_type="application/json")

    @app.get("/bench/item-queries")
    async def queries() -> int:
        return item_queries

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        build(args.package),
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        log_config=None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
