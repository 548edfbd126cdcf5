"""A local stand-in for Sentry's ingest: the envelopes a service sends to its DSN."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Item = tuple[dict[str, Any], bytes]  # an envelope item's header and payload


def envelope_items(body: bytes) -> list[Item]:
    """The items of an envelope: a header line, then per item a header line and a payload
    of the header's length (or up to the next newline)."""
    _envelope_header, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


class SentryIngest:
    """Envelopes posted to http://public@127.0.0.1:<port>/1, as the bytes the SDK sent."""

    def __init__(self, port: int, bodies: list[bytes]) -> None:
        self.dsn = f"http://public@127.0.0.1:{port}/1"
        self.bodies = bodies  # decompressed, in the order they arrived

    def items(self) -> list[Item]:
        return [item for body in self.bodies for item in envelope_items(body)]

    def events(self) -> list[dict[str, Any]]:
        """The error events among the items."""
        items = self.items()
        return [json.loads(payload) for header, payload in items if header["type"] == "event"]

    def wait_for_event(self, timeout: float = 30) -> None:
        """Return once an event has arrived: the SDK sends from a thread of its own."""
        deadline = time.monotonic() + timeout
        while not self.events():
            if time.monotonic() > deadline:
                pytest.fail(f"no event reached the ingest within {timeout} s")
            time.sleep(0.05)


@contextmanager
def sentry_ingest() -> Iterator[SentryIngest]:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding")
            assert encoding in (None, "gzip"), f"cannot decode a {encoding} envelope"
            bodies.append(gzip.decompress(body) if encoding == "gzip" else body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads what arrived."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SentryIngest(server.server_address[1], bodies)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
