"""The service, noting every span its tracer decides on: python -m tests.helpers.sampler_asked

The tracing SDK asks the sampler about each span it starts, recording or not, and tracing
asks it once about each request before OpenTelemetry's middleware does anything. Tests
ask, per trace, which spans it was asked about: what a request cost the tracing even
when nothing of it was recorded. Needs tracing on (OTEL_EXPORTER_OTLP_ENDPOINT).
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import SamplingResult

from {{ cookiecutter.package_name }}.main import create_app


def main() -> None:
    app = create_app()
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "tracing is off: no OTLP endpoint set"
    sampler = provider.sampler
    decide = sampler.should_sample
    asked: defaultdict[str, list[str]] = defaultdict(list)

    def noted(context: Any, trace_id: int, name: str, *args: Any, **kwargs: Any) -> SamplingResult:
        asked[trace.format_trace_id(trace_id)].append(name)
        return decide(context, trace_id, name, *args, **kwargs)

    # On the instance, the SDK's own sampler still: tracing recognises its kind.
    sampler.should_sample = noted  # type: ignore[method-assign,assignment]

    @app.get("/test/sampler-asked/{trace_id}")
    async def spans_asked(trace_id: str) -> list[str]:
        return asked.get(trace_id, [])

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_config=None)


if __name__ == "__main__":
    main()
