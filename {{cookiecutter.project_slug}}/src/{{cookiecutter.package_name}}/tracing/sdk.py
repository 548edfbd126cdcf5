"""The OpenTelemetry SDK and the instrumentations its project maintains, wired to the service.

The SDK reads its own settings from the environment: where to export (OTEL_EXPORTER_OTLP_*,
OTLP over HTTP with protobuf), the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG),
the resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES), the batching (OTEL_BSP_*) and
the propagators (OTEL_PROPAGATORS, W3C trace context and baggage by default).
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine


def add_trace_context(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """The ids of the span active where the line is logged, as trace backends write them."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", trace.format_trace_id(context.trace_id))
        event_dict.setdefault("span_id", trace.format_span_id(context.span_id))
        event_dict.setdefault("trace_sampled", context.trace_flags.sampled)
    return event_dict


def service_resource(service_name: str, version: str) -> Resource:
    """The SDK's resource; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the
    service's own name (SERVICE_NAME) and version."""
    own = Resource({SERVICE_NAME: service_name, SERVICE_VERSION: version})
    return Resource.create().merge(own).merge(OTELResourceDetector().detect())


class Tracing:
    """The process's tracer provider, which exports in batches, off the request path."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    # What every log line gets while a span is active.
    log_processors: tuple[structlog.typing.Processor, ...] = (add_trace_context,)

    @classmethod
    def start(cls, *, service_name: str, version: str) -> Tracing:
        """The global tracer provider; the Redis commands and S3 calls of any client traced."""
        provider = TracerProvider(resource=service_resource(service_name, version))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        RedisInstrumentor().instrument(tracer_provider=provider)
        AiobotocoreInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        return cls(provider)

    def instrument_app(self, app: FastAPI) -> None:
        """A span per request, continuing the caller's trace (traceparent), outermost:
        whatever the middleware logs happens inside it. No span per body chunk.

        FastAPI's own telemetry finds this middleware in the stack and stands aside, so
        a request has one server span, not two.
        """
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per statement the engine runs (its text, never its parameters)."""
        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine,
            tracer_provider=self.provider,
            # Its declared range ends below SQLAlchemy 2.1, whose engine events it listens
            # to are unchanged: without this it instruments nothing (the tests show spans).
            skip_dep_check=True,
        )

    def exemplar(self) -> dict[str, str] | None:
        """The trace of the request being observed, for metrics: when it is recorded."""
        context = trace.get_current_span().get_span_context()
        if not context.trace_flags.sampled:
            return None
        return {"trace_id": trace.format_trace_id(context.trace_id)}

    async def shutdown(self) -> None:
        """Export the spans still waiting; the exporter's own timeout bounds it."""
        await asyncio.to_thread(self.provider.shutdown)
