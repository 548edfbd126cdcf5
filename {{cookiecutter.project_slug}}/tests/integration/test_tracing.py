"""Traces: the service exports the spans of each request over OTLP/HTTP, joined to its logs.

One service process for every check: starting one is the slow part.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from ..helpers.clients import user_session
from ..helpers.logs import json_lines
from ..helpers.otlp import TRACES_PATH, ExportedSpan, OtlpCollector
from ..helpers.processes import ServiceProcess, service_main
from ..helpers.settings import SettingsFactory

pytestmark = pytest.mark.processes

SQL_SCOPE = "opentelemetry.instrumentation.sqlalchemy"
REDIS_SCOPE = "opentelemetry.instrumentation.redis"
S3_SCOPE = "opentelemetry.instrumentation.botocore"
# What Prometheus sends; only OpenMetrics shows exemplars.
OPENMETRICS_SCRAPE = {"Accept": "application/openmetrics-text; version=1.0.0"}


def logged(service: ServiceProcess, request_id: str) -> list[dict[str, Any]]:
    lines = json_lines(service.log_file.read_text())
    return [line for line in lines if line.get("request_id") == request_id]


def access_line(service: ServiceProcess, request_id: str) -> dict[str, Any]:
    (line,) = [line for line in logged(service, request_id) if line["event"] == "request"]
    return line


def the_server_span(spans: list[ExportedSpan], trace_id: str) -> ExportedSpan:
    servers = [
        exported
        for exported in spans
        if exported.trace_id == trace_id and exported.span.kind == Span.SPAN_KIND_SERVER
    ]
    assert len(servers) == 1, servers
    return servers[0]


def ancestors(exported: ExportedSpan, spans: list[ExportedSpan]) -> list[str]:
    """The ids of the span's parent, its parent's parent, ..., within its trace."""
    by_id = {other.span_id: other for other in spans if other.trace_id == exported.trace_id}
    chain = []
    parent = exported.parent_span_id
    while parent in by_id:
        chain.append(parent)
        parent = by_id[parent].parent_span_id
    return chain


async def test_a_request_is_one_trace_with_its_logs_and_exemplar_and_a_traceparent_is_continued(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    with (
        OtlpCollector() as collector,
        service_main(
            make_settings(),
            tmp_path / "service.log",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
            OTEL_SERVICE_NAME="traced-service",
        ) as service,
    ):
        async with AsyncClient(base_url=service.url, timeout=30) as client:
            session = await user_session(client)
            created = await client.post(
                "/api/v1/items", json={"name": "Lamp", "price": "3"}, headers=session
            )
            item = f"/api/v1/items/{created.json()['id']}"
            # A cache miss: it asks Redis, then the database.
            read = await client.get(item, headers={**session, "X-Request-ID": "traced-read"})
            scrape = await client.get("/metrics", headers=OPENMETRICS_SCRAPE)
            continued = await client.get(
                item,
                headers={
                    **session,
                    "X-Request-ID": "continued",
                    "traceparent": f"00-{caller_trace}-{caller_span}-01",
                },
            )
            probe = await client.get("/health/ready", headers={"X-Request-ID": "traced-ready"})
    # The service has exited: its lifespan exported what was still waiting.
    assert [answer.status_code for answer in (created, read, scrape, continued, probe)] == [
        201,
        200,
        200,
        200,
        200,
    ]
    lines = logged(service, "traced-read")
    access = access_line(service, "traced-read")
    server = the_server_span(collector.spans, access["trace_id"])
    in_trace = [exported for exported in collector.spans if exported.trace_id == server.trace_id]
    sql = [exported for exported in in_trace if exported.scope == SQL_SCOPE]
    redis = [exported for exported in in_trace if exported.scope == REDIS_SCOPE]

    assert set(collector.paths) == {TRACES_PATH}
    assert server.resource["service.name"] == "traced-service"
    assert server.parent_span_id == ""  # no traceparent came in: the trace starts here
    assert server.span.name == "GET /api/v1/items/{item_id:int}"  # the route, not the path
    assert sql, "no span for the SQL statements of the request"
    assert redis, "no span for the Redis commands of the request"
    for exported in in_trace:
        if exported is not server:
            # Every other span descends from the request's, within its trace.
            assert server.span_id in ancestors(exported, collector.spans), exported.span.name
    assert {line["trace_id"] for line in lines} == {server.trace_id}
    assert access["span_id"] == server.span_id
    assert access["trace_sampled"] is True
    # The latency histogram's bucket that counted the read names its trace.
    assert [
        line
        for line in scrape.text.splitlines()
        if line.startswith("http_request_duration_seconds_bucket{")
        and "/api/v1/items/" in line
        and f'trace_id="{server.trace_id}"' in line  # the exemplar, after the count
    ]
    # The caller's trace goes on: the request's span is a child of the caller's.
    continued_server = the_server_span(collector.spans, caller_trace)
    assert continued_server.parent_span_id == caller_span
    assert access_line(service, "continued")["span_id"] == continued_server.span_id
    # The readiness probe's bucket check is an S3 span of its request.
    ready = access_line(service, "traced-ready")
    ready_server = the_server_span(collector.spans, ready["trace_id"])
    s3 = [exported for exported in collector.spans if exported.scope == S3_SCOPE]
    assert [(exported.span.name, exported.parent_span_id) for exported in s3] == [
        ("S3.HeadBucket", ready_server.span_id)
    ]
    # Every instrumentation took: one that refuses (say, a version range) logs an error.
    errors = [line for line in json_lines(service.log_file.read_text()) if line["level"] == "error"]
    assert errors == []


async def test_a_request_the_sampler_drops_starts_no_span_and_one_its_caller_sampled_is_traced(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    # Only what a caller sampled is traced: the sampler decides on the traceparent alone.
    dropped_trace, sampled_trace = secrets.token_hex(16), secrets.token_hex(16)
    caller_span = secrets.token_hex(8)
    with (
        OtlpCollector() as collector,
        service_main(
            make_settings(),
            tmp_path / "service.log",
            module="tests.helpers.sampler_asked",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
            OTEL_TRACES_SAMPLER="parentbased_always_off",
        ) as service,
    ):
        async with AsyncClient(base_url=service.url, timeout=30) as client:
            session = await user_session(client)
            items = [
                await client.post(
                    "/api/v1/items", json={"name": name, "price": "3"}, headers=session
                )
                for name in ("Lamp", "Desk")
            ]
            # Each a cache miss of its own item: it asks Redis, then the database.
            dropped, sampled = [
                await client.get(
                    f"/api/v1/items/{item.json()['id']}",
                    headers={
                        **session,
                        "X-Request-ID": request_id,
                        "traceparent": f"00-{trace_id}-{caller_span}-{flags}",
                    },
                )
                for item, request_id, trace_id, flags in (
                    (items[0], "dropped", dropped_trace, "00"),
                    (items[1], "sampled", sampled_trace, "01"),
                )
            ]
            asked = {
                trace_id: (await client.get(f"/test/sampler-asked/{trace_id}")).json()
                for trace_id in (dropped_trace, sampled_trace)
            }
    assert [dropped.status_code, sampled.status_code] == [200, 200]

    # Dropped: the sampler was asked once, about the request, and never about a span of
    # its statements or commands; nothing of it is exported, yet its log lines name the
    # caller's trace, in a span of the request's own.
    assert asked[dropped_trace] == ["GET"]
    assert [exported for exported in collector.spans if exported.trace_id == dropped_trace] == []
    lines = logged(service, "dropped")
    assert {line["trace_id"] for line in lines} == {dropped_trace}
    assert {line["trace_sampled"] for line in lines} == {False}
    assert access_line(service, "dropped")["span_id"] not in ("", caller_span)

    # Sampled by the caller: the request's span continues its trace, with a span for
    # each SQL statement and Redis command below it.
    server = the_server_span(collector.spans, sampled_trace)
    in_trace = [exported for exported in collector.spans if exported.trace_id == sampled_trace]
    assert server.parent_span_id == caller_span
    assert [exported for exported in in_trace if exported.scope == SQL_SCOPE]
    assert [exported for exported in in_trace if exported.scope == REDIS_SCOPE]
    for exported in in_trace:
        if exported is not server:
            assert server.span_id in ancestors(exported, collector.spans), exported.span.name
    assert len(asked[sampled_trace]) == len(in_trace) + 1  # and the request, once before
    assert access_line(service, "sampled")["span_id"] == server.span_id
