"""The database backend this service was generated for."""

from .backends.{{ cookiecutter.database }} import (
    NAME,
    async_url,
    begin_write,
    check_production_url,
    configure_engine,
    connect_args,
    create_database,
    drop_database,
)

__all__ = [
    "NAME",
    "async_url",
    "begin_write",
    "check_production_url",
    "configure_engine",
    "connect_args",
    "create_database",
    "drop_database",
]
