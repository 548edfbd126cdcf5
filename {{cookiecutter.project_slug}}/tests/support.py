"""Helpers for tests that run the service against the real database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings


@contextlib.asynccontextmanager
async def running_client(
    settings: Settings, app: FastAPI | None = None
) -> AsyncIterator[AsyncClient]:
    """A client for an app whose lifespan (engine, pool) runs around the block."""
    app = app or create_app(settings)
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def database_read(client: AsyncClient) -> str:
    """The path of a read that queries the database on every request (no cache)."""
    created = await client.post("/api/v1/accounts", json={"owner": "probe", "balance": "1.00"})
    created.raise_for_status()
    return f"/api/v1/accounts/{created.json()['id']}"


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in captured stdout (other output is skipped)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def free_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def unreachable_url(url: str) -> str:
    """The same database at an address where nothing answers."""
    parsed = make_url(url)
    if backend.NAME == "sqlite":
        return parsed.set(database="/nonexistent-directory/service.db").render_as_string(False)
    return parsed.set(host="127.0.0.1", port=free_port()).render_as_string(False)


def unreachable_redis_url() -> str:
    """A Redis URL where nothing answers."""
    return f"redis://127.0.0.1:{free_port()}/0"


class TcpProxy:
    """Forwards a local port to the database; down() refuses and cuts connections.

    url is the database URL that goes through the proxy.
    """

    def __init__(self, database_url: str) -> None:
        target = make_url(database_url)
        self.target_host = target.host or "127.0.0.1"
        self.target_port = target.port or {"postgresql": 5432, "mysql": 3306}[backend.NAME]
        self.port = free_port()
        self.url = target.set(host="127.0.0.1", port=self.port).render_as_string(False)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
