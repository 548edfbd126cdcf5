"""Ports, unreachable addresses and a TCP proxy that can stall or drop a link."""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.db import backend


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
    """Forwards a local port to a server (the database, Redis, S3); down() refuses
    and cuts connections, stall() keeps them open but forwards nothing until resume().

    url is the server's URL that goes through the proxy.
    """

    def __init__(self, server_url: str) -> None:
        target = make_url(server_url)
        self.target_host = target.host or "127.0.0.1"
        self.target_port = target.port or {"postgresql": 5432, "mysql": 3306}[backend.NAME]
        self.port = free_port()
        self.url = target.set(host="127.0.0.1", port=self.port).render_as_string(False)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._stalled = False  # whether new connections start held
        self._gates: set[asyncio.Event] = set()  # one per open connection: set = forwarding
        self._connections: set[asyncio.Task[None]] = set()

    def stall(self, *, new_connections: bool = True) -> None:
        """Hold every byte, both ways, of the connections open now and (unless told
        otherwise) of new ones."""
        self._stalled = new_connections
        for gate in self._gates:
            gate.clear()

    def resume(self) -> None:
        """Forward again, the bytes held first."""
        self._stalled = False
        for gate in self._gates:
            gate.set()

    async def connections_ended(self) -> None:
        """Return once every connection open now has ended, its held bytes forwarded."""
        await asyncio.gather(*self._connections)

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
        # Before wait_closed(): since Python 3.12.1 it waits for open connections too.
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        self.resume()  # held pipes go on, to find their connections closed
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self._connections.add(connection)
        connection.add_done_callback(self._connections.discard)
        self._writers.add(writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            self._writers.discard(writer)
            return
        if writer not in self._writers:  # down() cut it while the upstream connected
            upstream_writer.close()
            return
        self._writers.add(upstream_writer)
        gate = asyncio.Event()
        if not self._stalled:
            gate.set()
        self._gates.add(gate)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer, gate),
                self._pipe(upstream_reader, writer, gate),
            )
        finally:
            self._gates.discard(gate)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                await gate.wait()
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
