"""The service, counting the item queries it runs: python -m tests.helpers.item_query_counter

Tests that spread requests over several processes ask each one how often it
really read the items table.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import Request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from {{ cookiecutter.package_name }}.main import create_app

from .queries import ItemQueryCounter


def main() -> None:
    item_queries = ItemQueryCounter()
    event.listen(Engine, "before_cursor_execute", item_queries)
    app = create_app()

    @app.get("/test/item-queries")
    async def queries() -> int:
        return item_queries.count

    @app.get("/test/cache-subscribed")
    async def subscribed(request: Request) -> bool:
        return bool(request.app.state.services.cache.invalidations.subscribed)

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None)


if __name__ == "__main__":
    main()
