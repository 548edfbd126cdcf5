"""Database settings: the URL and the connection pool."""

from __future__ import annotations

from pydantic import Field

from ..environment import EnvironmentSettings


class DatabaseSettings(EnvironmentSettings):
    # Any URL form platforms hand out; the backend normalises it to its async driver.
    database_url: str
    db_pool_enabled: bool = True  # false: one connection per session (behind PgBouncer)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # How long a request waits for a free pooled connection before a 503.
    db_pool_timeout: float = Field(default=2.0, gt=0)
    # Below the idle cut-off of servers and proxies (MySQL wait_timeout, cloud NATs).
    db_pool_recycle: int = Field(default=1800, ge=-1)
    db_pool_pre_ping: bool = True
    # Test only connections idle longer than this (seconds); 0 tests every checkout.
    db_pool_ping_after_idle: float = Field(default=10.0, ge=0)
    db_connect_timeout: float = Field(default=5.0, gt=0)
    # Longest a statement may run: the server cancels it, and the client stops waiting
    # for an answer (a stalled link) shortly after. 0 = none.
    db_statement_timeout_ms: int = Field(default=30_000, ge=0)
