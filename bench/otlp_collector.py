"""A stand-in OTLP/HTTP trace collector: answers every export at once and counts the spans.

POST /v1/traces (protobuf, as the OpenTelemetry SDK's OTLP/HTTP exporter sends it) gets
an empty 200 straight away; the body is decoded only to count, per service.name, the
export requests, the spans and the root spans (those without a parent: one per sampled
trace). GET /counts answers those counts as JSON. Nothing is stored, so a benchmark's
exporters never wait on it:

    python bench/otlp_collector.py --port 4318
    curl http://127.0.0.1:4318/counts
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import signal
import sys
import zlib
from collections import Counter
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACES_PATH = "/v1/traces"
UNKNOWN_SERVICE = "(no service.name)"


class Counts:
    """What every export so far carried."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()  # per path, every method
        self.exports: Counter[str] = Counter()  # per service.name
        self.spans: Counter[str] = Counter()
        self.root_spans: Counter[str] = Counter()
        self.bytes = 0
        self.decode_errors = 0

    def add_traces(self, body: bytes) -> None:
        try:
            export = ExportTraceServiceRequest.FromString(body)
        except Exception:  # a malformed body is counted, never answered with an error
            self.decode_errors += 1
            return
        for resource_spans in export.resource_spans:
            service = next(
                (
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == "service.name"
                ),
                UNKNOWN_SERVICE,
            )
            self.exports[service] += 1
            for scope_spans in resource_spans.scope_spans:
                self.spans[service] += len(scope_spans.spans)
                self.root_spans[service] += sum(
                    1 for span in scope_spans.spans if not span.parent_span_id
                )

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "bytes": self.bytes,
            "decode_errors": self.decode_errors,
            "services": {
                name: {
                    "exports": self.exports[name],
                    "spans": self.spans[name],
                    "root_spans": self.root_spans[name],
                }
                for name in sorted(self.exports)
            },
        }


def response(status: str, body: bytes = b"", content_type: str = "application/x-protobuf") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body


def decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        while (await reader.readline()) not in (b"\r\n", b""):  # trailers
            pass
        return b"".join(chunks)
    return await reader.readexactly(int(headers.get("content-length", "0")))


async def handle(
    counts: Counts, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """HTTP/1.1 keep-alive: one request at a time until the client closes."""
    try:
        while request_line := await reader.readline():
            method, path, _ = request_line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await read_body(reader, headers)
            counts.requests[path] += 1
            counts.bytes += len(body)
            if method == "GET" and path == "/counts":
                answer = json.dumps(counts.as_json()).encode()
                writer.write(response("200 OK", answer, "application/json"))
            else:
                # Answered before decoding: the exporter's wait is the round trip alone.
                writer.write(response("200 OK"))
                if method == "POST" and path == TRACES_PATH:
                    try:
                        counts.add_traces(decompress(body, headers.get("content-encoding", "")))
                    except (OSError, zlib.error, EOFError):
                        counts.decode_errors += 1
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    counts = Counts()
    server = await asyncio.start_server(
        lambda reader, writer: handle(counts, reader, writer), host, port
    )
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    async with server:
        await stopped.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
