"""Structured JSON logs on stdout, secrets redacted, each line with its request id."""

from __future__ import annotations

import logging
import re
import sys
import threading
from functools import cache
from typing import Any, Literal

import structlog
from asgi_correlation_id import correlation_id
from pydantic import BaseModel


class LoggingSettings(BaseModel):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


REDACTED = "[REDACTED]"
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw(or)?d|secret|token|api[-_]?key|credential", re.IGNORECASE
)
BEARER_VALUE = re.compile(r"\b(Bearer|Basic)\s+[^\s\"']+", re.IGNORECASE)
# Keys whose values this module or the access line write from a fixed vocabulary.
PLAIN_KEYS = frozenset({"level", "logger", "timestamp", "request_id", "method"})


@cache
def is_sensitive_key(key: str) -> bool:
    # A service logs a few dozen distinct keys: each is matched once.
    return SENSITIVE_KEY.search(key) is not None


def _redact_text(text: str) -> str:
    return BEARER_VALUE.sub(lambda match: f"{match.group(1)} {REDACTED}", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if is_sensitive_key(str(key)) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


def redact_sensitive(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Replace values of credential-like keys, at any depth, and bearer tokens in text."""
    for key, value in event_dict.items():
        if key in PLAIN_KEYS:
            continue
        if is_sensitive_key(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str):
            # Most values are short plain text: the search is cheaper than a substitution.
            if BEARER_VALUE.search(value):
                event_dict[key] = _redact_text(value)
        elif isinstance(value, dict | list | tuple):
            event_dict[key] = _redact(value)
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


def configure_logging(level: str) -> None:
    """Render every log line as one JSON object on stdout, in one pass.

    structlog's loggers render straight to stdout; standard-library records
    (uvicorn, SQLAlchemy, asyncio) pass through the same processors in a formatter.
    """
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    render: list[structlog.typing.Processor] = [
        structlog.processors.format_exc_info,
        redact_sensitive,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=[*shared, *render],
        logger_factory=StdoutLogger,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
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
    root.setLevel(level)
    # The access line below replaces uvicorn's own.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
