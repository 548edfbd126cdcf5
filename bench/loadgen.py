"""A small closed-loop HTTP/1.1 load generator, run as its own process.

N keep-alive connections each send one GET, wait for the whole response, and send
the next, for a fixed duration after a warm-up. Raw asyncio protocols (on uvloop
when it is installed) keep the client's cost per request far below the server's.
Prints one JSON object on stdout:

    python bench/loadgen.py http://127.0.0.1:8000/health/live -c 32 -d 10 -w 2

A `{n}` in the URL's path is replaced by a new integer for every request, counting up
from --first (a key nothing has read yet, each time: cold-cache reads); with --cycle N,
it takes N numbers from --first and starts over (N keys read in turn, so concurrent
requests ask for different ones).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterator, Sequence

HEADER_END = b"\r\n\r\n"
# Responses still missing this long after the deadline count as timeouts.
DRAIN_GRACE_S = 5.0


@dataclass
class Target:
    """Where to send, and the request bytes; with numbers, the path's {n} counts up."""

    host: str
    port: int
    request: bytes
    numbers: Iterator[int] | None = None

    def next_request(self) -> bytes:
        if self.numbers is None:
            return self.request
        return self.request.replace(b"{n}", str(next(self.numbers)).encode(), 1)


@dataclass
class Tally:
    """What the measured phase saw; latencies of every completed response, in seconds."""

    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class ResponseError(Exception):
    """The connection ended or sent something that is not an HTTP/1.1 response."""


class HttpConnection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # TCP: a stream transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            self._complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ResponseError("connection closed mid-response"))

    def _complete(self) -> None:
        """Resolve the waiter once the buffer holds a whole response."""
        if self.waiter is None:
            return
        end = self.buffer.find(HEADER_END)
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        body_start = end + len(HEADER_END)
        length_at = head.find(b"\r\ncontent-length:")
        if length_at >= 0:
            line_end = head.find(b"\r\n", length_at + 2)
            value = head[length_at + 17 : line_end if line_end >= 0 else None]
            total = body_start + int(value)
        elif b"transfer-encoding: chunked" in head:
            last = self.buffer.find(b"\r\n0\r\n\r\n", body_start - 2)
            if last < 0:
                return
            total = last + 7
        else:
            self.waiter.set_exception(ResponseError("response without a length"))
            return
        if len(self.buffer) < total:
            return
        try:
            status = int(head[9:12])
        except ValueError:
            self.waiter.set_exception(ResponseError("not an HTTP response"))
            return
        del self.buffer[:total]
        self.waiter.set_result((status, b"\r\nconnection: close" not in head))

    async def request(self, payload: bytes) -> tuple[int, bool]:
        """Send payload; return the status and whether the connection stays open."""
        if self.closed or self.transport is None:
            raise ResponseError("connection is closed")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(payload)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def parse_target(
    url: str, headers: Sequence[str] = (), first: int = 1, cycle: int | None = None
) -> Target:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"loadgen: only http:// URLs are supported, not {url!r}")
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    extra = "".join(f"{header}\r\n" for header in headers)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}:{port}\r\n"
        f"User-Agent: bench-loadgen\r\nAccept: application/json\r\n{extra}\r\n"
    ).encode("ascii")
    numbers: Iterator[int] | None = None
    if "{n}" in path:
        numbers = itertools.cycle(range(first, first + cycle)) if cycle else itertools.count(first)
    return Target(parts.hostname, port, request, numbers)


async def connect(target: Target) -> HttpConnection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(HttpConnection, target.host, target.port)
    return protocol


class Slot:
    """One of the N concurrent clients: its current connection, if any."""

    def __init__(self, connection: HttpConnection | None) -> None:
        self.connection = connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None


async def drive(target: Target, slot: Slot, deadline: float, tally: Tally | None) -> None:
    """Send requests through slot until deadline, reconnecting when the server closes."""
    clock = time.perf_counter
    while clock() < deadline:
        started = clock()
        try:
            if slot.connection is None or slot.connection.closed:
                slot.connection = await connect(target)
            status, keep_alive = await slot.connection.request(target.next_request())
        except (OSError, ResponseError) as exc:
            if tally is not None:
                tally.errors[type(exc).__name__] += 1
            slot.close()
            await asyncio.sleep(0.01)  # a refused connect must not spin
            continue
        if tally is not None:
            tally.latencies.append(clock() - started)
            if 200 <= status < 300:
                tally.ok += 1
            else:
                tally.errors[f"http_{status}"] += 1
        if not keep_alive:
            slot.close()


async def run_phase(
    target: Target, slots: list[Slot], duration: float, tally: Tally | None
) -> float:
    """Run every connection for duration seconds; return the elapsed wall time."""
    started = time.perf_counter()
    deadline = started + duration
    tasks = [asyncio.ensure_future(drive(target, slot, deadline, tally)) for slot in slots]
    _, pending = await asyncio.wait(tasks, timeout=duration + DRAIN_GRACE_S)
    for task in pending:
        task.cancel()
        if tally is not None:
            tally.errors["timeout"] += 1
    if pending:
        await asyncio.wait(pending)
    return time.perf_counter() - started


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load(
    url: str,
    connections: int,
    duration: float,
    warmup: float,
    headers: Sequence[str] = (),
    first: int = 1,
    cycle: int | None = None,
) -> dict[str, Any]:
    target = parse_target(url, headers, first, cycle)
    try:
        opened = await asyncio.gather(*(connect(target) for _ in range(connections)))
    except OSError as exc:
        raise SystemExit(f"loadgen: cannot connect to {url}: {exc}") from exc
    slots = [Slot(connection) for connection in opened]
    try:
        if warmup > 0:
            await run_phase(target, slots, warmup, None)
        tally = Tally()
        cpu_before = cpu_seconds()
        elapsed = await run_phase(target, slots, duration, tally)
        cpu_used = cpu_seconds() - cpu_before
    finally:
        for slot in slots:
            slot.close()
    ordered = sorted(tally.latencies)
    ms = 1000.0
    return {
        "url": url,
        "connections": connections,
        "duration_s": round(elapsed, 3),
        "requests_ok": tally.ok,
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "rps": tally.ok / elapsed,
        "p50_ms": percentile(ordered, 0.50) * ms,
        "p90_ms": percentile(ordered, 0.90) * ms,
        "p99_ms": percentile(ordered, 0.99) * ms,
        "max_ms": (ordered[-1] if ordered else float("nan")) * ms,
        "client_cpu_percent": 100.0 * cpu_used / elapsed,
        "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
    }


def run(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    try:
        import uvloop  # optional; plain asyncio works too
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="http://host:port/path to GET")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("-w", "--warmup", type=float, default=2.0, help="unmeasured seconds")
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        help="'Name: value' sent with every request (repeatable), e.g. credentials",
    )
    parser.add_argument(
        "--first", type=int, default=1, help="the first number a {n} in the URL takes"
    )
    parser.add_argument(
        "--cycle", type=int, help="a {n} takes this many numbers from --first, then again"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(
        load(
            args.url,
            args.connections,
            args.duration,
            args.warmup,
            args.header,
            args.first,
            args.cycle,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
