"""Structured logs on stdout, secrets redacted, each line with its request id.

JSON lines by default; LOG_FORMAT=console gives aligned, coloured lines for a
developer's terminal. The redaction here also cleans error tracking's events.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Literal

import structlog
from asgi_correlation_id import correlation_id
from pydantic import BaseModel


class LoggingSettings(BaseModel):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"


REDACTED = "[REDACTED]"
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw(or)?d|secret|token|api[-_]?key|credential|signature",
    re.IGNORECASE,
)
BEARER_VALUE = re.compile(r"\b(Bearer|Basic)\s+[^\s\"']+", re.IGNORECASE)
# What makes a presigned URL (S3's query-string signing, v4 and v2) work for whoever holds it.
SIGNED_URL_PARAMETER = re.compile(
    r"([?&](?:X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId)=)"
    r"[^&\s\"'#]+",
    re.IGNORECASE,
)

# The password in a URL's user information (a DATABASE_URL or REDIS_URL in an error message).
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s/@]+(@)", re.IGNORECASE)


def _redact_text(text: str) -> str:
    text = BEARER_VALUE.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    text = URL_PASSWORD.sub(lambda match: f"{match.group(1)}{REDACTED}{match.group(2)}", text)
    return SIGNED_URL_PARAMETER.sub(lambda match: f"{match.group(1)}{REDACTED}", text)


def redact(value: Any) -> Any:
    """The value with credential-like keys' values replaced, at any depth, and bearer
    tokens, passwords in URLs and presigned URLs' signatures replaced inside text."""
    if isinstance(value, dict):
        return {
            key: REDACTED if SENSITIVE_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _redact_text(value)
    return value


def redact_sensitive(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Replace values of credential-like keys, at any depth, and secrets in text."""
    redacted: structlog.typing.EventDict = redact(event_dict)
    return redacted


def add_request_id(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    request_id = correlation_id.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def renderer(log_format: str) -> structlog.typing.Processor:
    """One JSON object per line, or (console) aligned text, coloured on a terminal."""
    if log_format == "console":
        return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    return structlog.processors.JSONRenderer()


def configure_logging(settings: LoggingSettings) -> None:
    """Route structlog and standard-library logs through one renderer on stdout."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_sensitive,
            renderer(settings.log_format),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    # The access line below replaces uvicorn's own.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
