"""The OpenTelemetry SDK and the instrumentations its project maintains, wired to the service.

The SDK reads its own settings from the environment: where to export (OTEL_EXPORTER_OTLP_*,
OTLP over HTTP with protobuf), the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG),
the resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES), the batching (OTEL_BSP_*) and
the propagators (OTEL_PROPAGATORS, W3C trace context and baggage by default).

A request the sampler leaves out costs little: SampledRequests decides first, and such a
request skips the instrumentations altogether (see there).
"""

from __future__ import annotations

import asyncio
import os
from contextvars import ContextVar
from typing import Any, cast

import structlog
from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import (
    OpenTelemetryMiddleware,
    asgi_getter,
    get_host_port_url_tuple,
)
from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.propagators import get_global_response_propagator
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import (
    is_http_instrumentation_enabled,
    suppress_instrumentation,
)
from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    StaticSampler,
    TraceIdRatioBased,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

# The trace id SampledRequests decided a new trace's sampling on, until its span takes it.
_DECIDED_TRACE_ID: ContextVar[int | None] = ContextVar("decided_trace_id", default=None)
# What OpenTelemetryMiddleware reads to leave URLs out (instrumentation-specific first).
EXCLUDED_URLS_VARIABLES = ("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS", "OTEL_PYTHON_EXCLUDED_URLS")


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


class RequestIdGenerator(RandomIdGenerator):
    """Random ids, as the SDK's own; the span of a request SampledRequests let through
    starts its trace with the id the sampler already said yes to."""

    def generate_trace_id(self) -> int:
        decided = _DECIDED_TRACE_ID.get()
        if decided is None:
            return super().generate_trace_id()
        _DECIDED_TRACE_ID.set(None)  # once: its child spans keep it from their parent
        return decided

    def draw_trace_id(self) -> int:
        return super().generate_trace_id()


class SampledRequests:
    """In front of OpenTelemetry's ASGI middleware (app): asks the sampler about each HTTP
    request first, the way the SDK would for its span, and lets through only those it
    records. A request it drops goes straight to the application (untraced) with what the
    SDK would have made current, a span that records nothing (the caller's trace id or a
    new one, a new span id, not sampled: log lines still name them, and the caller's
    baggage stays), and with the instrumentations suppressed: no span, recording or not,
    is started for its statements, Redis commands or S3 calls, nor attributes built for
    them, nor the request's own (route, URL, method, response).

    The sampler decides on the parent and the trace id alone (the SDK's samplers, which
    are what the environment can choose): the one made here is the span's. Whatever would
    make the middleware do something else (a suppressed context, an active span, an
    excluded URL, a response propagator) leaves the request to it as before.
    """

    def __init__(
        self,
        app: OpenTelemetryMiddleware,
        provider: TracerProvider,
        ids: RequestIdGenerator,
    ) -> None:
        self.app = app  # the name FastAPI's own telemetry follows to find the middleware
        self.untraced: ASGIApp = app.app
        self.sampler = provider.sampler
        self.ids = ids
        self.excluded_urls = (
            app.excluded_urls
            if any(os.environ.get(name, "").strip() for name in EXCLUDED_URLS_VARIABLES)
            else None
        )

    def as_before(self, scope: Scope) -> bool:
        """Requests the middleware would not trace as a server span of its own."""
        return bool(
            scope["type"] != "http"
            or not is_http_instrumentation_enabled()
            or trace.get_current_span() is not trace.INVALID_SPAN
            or get_global_response_propagator() is not None  # type: ignore[no-untyped-call]
            or (
                self.excluded_urls is not None
                and self.excluded_urls.url_disabled(
                    get_host_port_url_tuple(scope)[2]  # type: ignore[no-untyped-call]
                )
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.as_before(scope):
            await self.app(scope, receive, send)
            return
        parent = propagate.extract(cast("dict[str, Any]", scope), getter=asgi_getter)
        caller = trace.get_current_span(parent).get_span_context()
        new_trace = not caller.is_valid
        trace_id = self.ids.draw_trace_id() if new_trace else caller.trace_id
        decision = self.sampler.should_sample(
            parent, trace_id, scope["method"], trace.SpanKind.SERVER
        )
        if decision.decision is not Decision.DROP:
            decided = _DECIDED_TRACE_ID.set(trace_id) if new_trace else None
            try:
                await self.app(scope, receive, send)
            finally:
                if decided is not None:
                    _DECIDED_TRACE_ID.reset(decided)
            return
        random_id = (
            self.ids.is_trace_id_random() if new_trace else caller.trace_flags.random_trace_id
        )
        span = trace.NonRecordingSpan(
            trace.SpanContext(
                trace_id,
                self.ids.generate_span_id(),
                is_remote=False,
                trace_flags=trace.TraceFlags(
                    trace.TraceFlags.RANDOM_TRACE_ID if random_id else trace.TraceFlags.DEFAULT
                ),
                trace_state=decision.trace_state,
            )
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            with suppress_instrumentation():
                await self.untraced(scope, receive, send)
        finally:
            otel_context.detach(token)


def samples_on_parent_and_trace_id(sampler: object) -> bool:
    """The SDK's samplers (of OTEL_TRACES_SAMPLER): they read neither name nor attributes."""
    return isinstance(sampler, StaticSampler | TraceIdRatioBased | ParentBased)


class Tracing:
    """The process's tracer provider, which exports in batches, off the request path."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider

    # What every log line gets while a span is active.
    log_processors: tuple[structlog.typing.Processor, ...] = (add_trace_context,)

    @classmethod
    def start(cls, *, service_name: str, version: str) -> Tracing:
        """The global tracer provider; the Redis commands and S3 calls of any client traced."""
        provider = TracerProvider(
            resource=service_resource(service_name, version), id_generator=RequestIdGenerator()
        )
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        RedisInstrumentor().instrument(tracer_provider=provider)
        AiobotocoreInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        return cls(provider)

    def instrument_app(self, app: FastAPI) -> None:
        """A span per request, continuing the caller's trace (traceparent), outermost:
        whatever the middleware logs happens inside it. No span per body chunk.

        FastAPI's own telemetry finds this middleware in the stack and stands aside, so
        a request has one server span, not two. SampledRequests goes in front of it: a
        request the sampler drops skips it and every instrumentation.
        """
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )
        ids = self.provider.id_generator
        if not isinstance(ids, RequestIdGenerator) or not samples_on_parent_and_trace_id(
            self.provider.sampler
        ):
            return
        instrumented = app.build_middleware_stack

        def build_middleware_stack() -> ASGIApp:
            # The instrumented stack: a ServerErrorMiddleware around OpenTelemetry's.
            stack = instrumented()
            traced = getattr(stack, "app", None)
            if isinstance(traced, OpenTelemetryMiddleware):
                stack.app = SampledRequests(traced, self.provider, ids)  # type: ignore[attr-defined]
            else:
                structlog.get_logger(__name__).warning(
                    "tracing_unsampled_requests_instrumented",
                    reason=f"no OpenTelemetryMiddleware under {type(stack).__name__}",
                )
            return stack

        app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]

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
