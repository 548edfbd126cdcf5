"""The database backend this service was generated for: the one place that names it."""

from .backends import {{ cookiecutter.database }} as _chosen
from .backends.base import DatabaseBackend
from .backends.{{ cookiecutter.database }} import (
    NAME,
    BackendSettings,
    async_url,
    begin_write,
    configure_engine,
    connect_args,
    create_database,
    drop_database,
    reads_only,
)

__all__ = [
    "NAME",
    "BackendSettings",
    "async_url",
    "begin_write",
    "configure_engine",
    "connect_args",
    "create_database",
    "drop_database",
    "reads_only",
]

# Type-checked: the backend provides everything the interface names.
_IMPLEMENTS_INTERFACE: DatabaseBackend = _chosen
