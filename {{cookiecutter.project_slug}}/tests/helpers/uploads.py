"""Files for upload tests: real magic numbers, and bytes that are no known type."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import zlib
from collections.abc import AsyncIterator

import httpx

from {{ cookiecutter.package_name }}.uploads.storage import Storage

from .bucket import multipart_uploads, object_keys
from .network import free_port


def png(size: int = 1024) -> bytes:
    """A valid PNG (1x1 pixel) padded with a private chunk to size bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    end = chunk(b"IEND", b"")
    fixed = 8 + len(header) + len(pixels) + len(end) + 12
    padding = chunk(b"prVt", b"\x00" * max(size - fixed, 0))
    return b"\x89PNG\r\n\x1a\n" + header + padding + pixels + end


def png_html_polyglot(size: int = 1024) -> bytes:
    """Bytes that sniff as PNG and also hold an HTML page: served as text/html, it would run."""
    page = b"<html><body><script>alert(document.domain)</script></body></html>"
    image = png(size - len(page))
    return image[:-12] + page + image[-12:]  # before IEND: size bytes in all


def not_an_image(size: int = 1024) -> bytes:
    """Plain text, whatever name or Content-Type it is sent with."""
    line = b"#!/bin/sh\necho this is not an image\n"
    return (line * (size // len(line) + 1))[:size]


async def put_object(storage: Storage, key: str, data: bytes) -> None:
    """Store data under key, as a client of the bucket would."""
    await storage.client.put_object(Bucket=storage.bucket, Key=key, Body=data)


async def stored_headers(storage: Storage, key: str) -> tuple[str, str]:
    """The Content-Type and Content-Disposition S3 serves the object with."""
    answer = await storage.client.head_object(Bucket=storage.bucket, Key=key)
    return answer["ContentType"], answer.get("ContentDisposition", "")


async def bucket_contents(storage: Storage) -> tuple[list[str], list[tuple[str, str]]]:
    """Every object key and every unfinished multipart upload in the test bucket."""
    return await object_keys(storage), await multipart_uploads(storage)


@contextlib.asynccontextmanager
async def second_address(url: str) -> AsyncIterator[str]:
    """The server at url also under another address (a local port forwarded to it),
    as a public endpoint is the same S3 server under the name clients reach."""
    target = httpx.URL(url)
    tasks: set[asyncio.Task[None]] = set()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            target.host, target.port or 80
        )
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(forward(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    port = free_port()
    server = await asyncio.start_server(connected, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
