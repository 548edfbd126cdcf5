"""Helpers for tests that run the service against the real database."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from http.cookies import Morsel, SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
SERVICE_MODULE = "{{ cookiecutter.package_name }}"  # python -m runs the service
# Generous: a first start after uv sync also compiles every module to bytecode.
START_TIMEOUT_SECONDS = 60
# A read of the items table, however the dialect quotes it.
ITEM_SELECT = re.compile(r"\s*SELECT\b.*\bFROM\s+[`\"]?items\b", re.IGNORECASE | re.DOTALL)


class ItemQueryCounter:
    """A before_cursor_execute listener counting the statements that read items."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if ITEM_SELECT.match(statement):
            self.count += 1


@contextlib.asynccontextmanager
async def running_client(
    settings: Settings, app: FastAPI | None = None
) -> AsyncIterator[AsyncClient]:
    """A client for an app whose lifespan (engine, pool) runs around the block.

    Requests arrive as HTTPS, as behind a TLS-terminating proxy: Secure cookies
    come back like in production.
    """
    app = app or create_app(settings)
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield client


async def database_read(client: AsyncClient) -> str:
    """The path of a read that queries the database on every request (no cache).

    The client is signed in as a user (see signed_in) to open the account it reads.
    """
    await signed_in(client)
    created = await client.post("/api/v1/accounts", json={"balance": "1.00"})
    created.raise_for_status()
    return f"/api/v1/accounts/{created.json()['id']}"


PASSWORD = "a long passphrase, 42"  # a test user's
EMAIL = "ada@example.com"


async def register(client: AsyncClient, email: str = EMAIL, password: str = PASSWORD) -> Response:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert response.status_code == 201, response.text
    return response


async def log_in(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> dict[str, str]:
    """Log in; the headers that authenticate later requests as this session.

    Whatever the strategy: a bearer token, or the session cookie and its CSRF
    token. The client's cookie jar is emptied, so each session is used explicitly.
    """
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return session_headers(response)


async def user_session(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> dict[str, str]:
    """Log in as a user, registered unless an earlier client of the same test did;
    the headers that authenticate later requests (see log_in).
    """
    registered = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert registered.status_code in (201, 409), registered.text
    return await log_in(client, email, password)


async def signed_in(
    client: AsyncClient, email: str = EMAIL, password: str = PASSWORD
) -> AsyncClient:
    """The client, sending a user's session with every request from now on."""
    client.headers.update(await user_session(client, email, password))
    return client


@contextlib.asynccontextmanager
async def running_user_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    """running_client, signed in as a user (see signed_in)."""
    async with running_client(settings) as client:
        yield await signed_in(client)


def session_headers(login: Response) -> dict[str, str]:
    body = login.json()
    if "access_token" in body:
        return {"Authorization": f"Bearer {body['access_token']}"}
    return {"Cookie": f"session={login.cookies['session']}", "X-CSRF-Token": body["csrf_token"]}


def set_cookies(response: Response) -> dict[str, Morsel[str]]:
    """The cookies a response sets, by name, with their attributes."""
    cookies: dict[str, Morsel[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        cookies.update(parsed)
    return cookies


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


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Return once something accepts connections on port; fail if process exits first."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with status {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port} within {START_TIMEOUT_SECONDS} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=START_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A throwaway redis-server on a free port, which a test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not on PATH; these tests start their own")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self._process = subprocess.Popen(  # noqa: S603  # fixed arguments
            [self.binary, *arguments, "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self._process, "redis-server")

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes a service process use these settings."""
    values = settings.model_dump(mode="json")
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
        elif isinstance(value, frozenset):
            values[name] = ",".join(sorted(value))
        elif isinstance(value, tuple | list):  # the comma-separated form settings read
            values[name] = ",".join(value)
    return {name.upper(): str(value) for name, value in values.items() if value is not None}


class ServiceProcess:
    """The service as its users start it (python -m <package>), on a free port."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log_file = log_file

    def resident_bytes(self, field: str = "VmRSS") -> int:
        """The process's resident memory now (VmRSS) or at its peak so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
        assert match, status
        return int(match.group(1)) * 1024

    def access_lines(self) -> list[dict[str, Any]]:
        lines = json_lines(self.log_file.read_text())
        return [line for line in lines if line["event"] == "request"]


def start_module(
    module: str, settings: Settings, log_file: Path, **environment: str
) -> tuple[subprocess.Popen[bytes], int]:
    """python -m module with these settings on a free port; output appended to log_file."""
    port = free_port()
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603  # a module of this project
            [sys.executable, "-m", module],
            cwd=PROJECT_DIR,
            env={
                **os.environ,
                **service_environment(settings),
                **environment,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                # The package as the tests import it, installed or not.
                "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR / "src"), *sys.path]),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, port


@contextlib.contextmanager
def service_main(
    settings: Settings, log_file: Path, **environment: str
) -> Iterator[ServiceProcess]:
    """python -m <package> with these settings (and extra environment variables)."""
    process, port = start_module(SERVICE_MODULE, settings, log_file, **environment)
    try:
        wait_for_port(port, process, f"the service (log: {log_file})")
        yield ServiceProcess(process, port, log_file)
    finally:
        stop_process(process)


@contextlib.contextmanager
def service_process(settings: Settings, log_file: Path) -> Iterator[str]:
    """The service in a process of its own (tests/item_query_counter.py); yields its URL."""
    process, port = start_module("tests.item_query_counter", settings, log_file)
    try:
        wait_for_port(port, process, f"the service (log: {log_file})")
        url = f"http://127.0.0.1:{port}"
        # Ready: the cache's invalidation subscription is up.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while httpx.get(f"{url}/test/cache-subscribed").json() is not True:
            if time.monotonic() > deadline:
                pytest.fail("the service's cache never subscribed to invalidations")
            time.sleep(0.05)
        yield url
    finally:
        stop_process(process)
