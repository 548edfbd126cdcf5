"""Structured logs on stdout, secrets redacted, each line with its request id.

JSON lines by default; LOG_FORMAT=console gives aligned, coloured lines for a
developer's terminal. The redaction here also cleans error tracking's events.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from functools import cache
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
# Any of the three: most text holds none, and one search is cheaper than three substitutions.
SECRET_IN_TEXT = re.compile(
    "|".join(
        f"(?:{pattern.pattern})" for pattern in (BEARER_VALUE, SIGNED_URL_PARAMETER, URL_PASSWORD)
    ),
    re.IGNORECASE,
)
# Keys whose values this module or the access line write from a fixed vocabulary.
PLAIN_KEYS = frozenset(
    {"level", "logger", "timestamp", "request_id", "method", "trace_id", "span_id"}
)


@cache
def is_sensitive_key(key: str) -> bool:
    # A service logs a few dozen distinct keys: each is matched once.
    return SENSITIVE_KEY.search(key) is not None


def _redact_text(text: str) -> str:
    if SECRET_IN_TEXT.search(text) is None:
        return text
    text = BEARER_VALUE.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    text = URL_PASSWORD.sub(lambda match: f"{match.group(1)}{REDACTED}{match.group(2)}", text)
    return SIGNED_URL_PARAMETER.sub(lambda match: f"{match.group(1)}{REDACTED}", text)


def redact(value: Any) -> Any:
    """The value with credential-like keys' values replaced, at any depth, and bearer
    tokens, passwords in URLs and presigned URLs' signatures replaced inside text."""
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if is_sensitive_key(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def redact_sensitive(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Replace values of credential-like keys, at any depth, and secrets in text."""
    for key, value in event_dict.items():
        if key in PLAIN_KEYS:
            continue
        if is_sensitive_key(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str | dict | list | tuple):
            event_dict[key] = redact(value)
    return event_dict


def add_request_id(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    request_id = correlation_id.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


class StdoutLogger:
    """Writes each rendered line to stdout, as it is at that moment, and flushes it.

    Looking stdout up per line keeps a logger cached at first use writing where
    the process's stdout goes now (a test's capture, a redirected stream).
    """

    _lock = threading.Lock()

    def __init__(self, name: str = "") -> None:
        self.name = name

    def msg(self, message: str) -> None:
        with self._lock:
            sys.stdout.write(message + "\n")
            sys.stdout.flush()

    debug = info = warning = error = critical = exception = msg


def renderer(log_format: str) -> structlog.typing.Processor:
    """One JSON object per line, or (console) aligned text, coloured on a terminal."""
    if log_format == "console":
        return structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    return structlog.processors.JSONRenderer()


def configure_logging(
    settings: LoggingSettings, extra_processors: Iterable[structlog.typing.Processor] = ()
) -> None:
    """Render every log line on stdout in one pass (LOG_FORMAT: JSON or console text).

    structlog's loggers render straight to stdout; standard-library records
    (uvicorn, SQLAlchemy, asyncio) pass through the same processors in a formatter.
    extra_processors add fields to every line (tracing's trace and span ids).
    """
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        *extra_processors,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    render: list[structlog.typing.Processor] = [
        structlog.processors.format_exc_info,
        redact_sensitive,
        renderer(settings.log_format),
    ]
    structlog.configure(
        processors=[*shared, *render],
        logger_factory=StdoutLogger,
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level]
        ),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
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
