"""Error tracking: the programming errors (the 500 answers) sent to Sentry.

Only with SENTRY_DSN set; unset, the SDK is never even imported. Operational errors
(4xx, a dependency's 503) are answered and logged, never reported: they are not bugs.
Events carry the request id (and the trace id, when a trace is on) and pass through
the logs' redaction; the SDK collects no user data, bodies, cookies, SQL or Redis
values, or local variables, and records no log lines.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from asgi_correlation_id import correlation_id
from opentelemetry import trace
from pydantic import SecretStr

from .environment import EnvironmentSettings
from .logs import redact

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint


class ErrorTrackingSettings(EnvironmentSettings):
    sentry_dsn: SecretStr | None = None


def configure_error_tracking(settings: ErrorTrackingSettings, *, release: str) -> None:
    """Start the Sentry SDK when SENTRY_DSN is set; APP_ENV is the environment."""
    dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else ""
    if not dsn:
        return
    # Here, not at the top: a service without a DSN never loads the SDK.
    import sentry_sdk
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.redis import RedisIntegration
    from sentry_sdk.integrations.sqlalchemy import SqlalchemyIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=settings.app_env,
        release=release,
        integrations=[
            # report_programming_error() sends the 500s. By status, the frameworks'
            # integrations would also send every HTTPException of a 5xx, such as a 503.
            StarletteIntegration(failed_request_status_codes=set()),
            FastApiIntegration(failed_request_status_codes=set()),
            SqlalchemyIntegration(),
            RedisIntegration(),
        ],
        auto_enabling_integrations=False,
        # Its records hold the log lines before redaction.
        disabled_integrations=[LoggingIntegration],
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        # Tracing is OpenTelemetry's; no sentry-trace headers on outgoing requests.
        traces_sample_rate=None,
        trace_propagation_targets=[],
        before_send=prepare_event,
        before_breadcrumb=redact_breadcrumb,
    )


def report_programming_error(exc: BaseException) -> None:
    """Send an error answered with a 500 to Sentry, if configure_error_tracking started it."""
    # Without a DSN the SDK was never imported, and there is nothing to send.
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)


def prepare_event(event: Event, _hint: Hint) -> Event:
    """Tag the event with its request's ids, then redact it as the logs are."""
    tags = event.setdefault("tags", {})
    request_id = correlation_id.get()
    if request_id is not None:
        tags["request_id"] = request_id
    # OpenTelemetry's API is always there (FastAPI uses it); without tracing on, no span.
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        tags["trace_id"] = trace.format_trace_id(span.trace_id)
    redacted: Event = redact(event)
    return redacted


def redact_breadcrumb(crumb: Breadcrumb, _hint: BreadcrumbHint) -> Breadcrumb:
    redacted: Breadcrumb = redact(crumb)
    return redacted
