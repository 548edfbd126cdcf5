"""OpenTelemetry traces, configured by the standard OTEL_* environment variables alone.

Off unless an OTLP endpoint is set: then neither the tracing SDK, an exporter nor an
instrumentation is imported, nothing is patched and no tracer provider is set, so
tracing off costs nothing (FastAPI's own telemetry, which imports OpenTelemetry's API,
stays idle without a provider; so does redis-py's). On, sdk.py exports the spans of
every request the sampler keeps, with its database statements, Redis commands and S3
calls; a request it drops skips the instrumentations.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sdk import Tracing

# Either names where the spans go (the second one for traces alone, used as given).
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """An OTLP endpoint is set, and OTEL_SDK_DISABLED does not turn the SDK off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def start_tracing(*, service_name: str, version: str) -> Tracing | None:
    """The process's tracing when configured (see Tracing for what it traces), else None."""
    if not tracing_configured():
        return None
    from .sdk import Tracing  # only now: off, the tracing SDK is never imported

    return Tracing.start(service_name=service_name, version=version)
