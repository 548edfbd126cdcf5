"""The test database: its URL, throwaway databases, Alembic migrations."""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import URL

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.settings import Settings

from . import PROJECT_DIR

# Children first: the others refer to users.
TABLES = ("accounts", "items", "uploads", "users")


def configured_database_url() -> str:
    """DATABASE_URL from the environment, else from .env (the local default)."""
    return os.environ.get("DATABASE_URL") or Settings().database_url


def throwaway_url(tmp_dir: Path) -> URL:
    base = backend.async_url(configured_database_url())
    if backend.NAME == "sqlite":
        return base.set(database=str(tmp_dir / "test.db"))
    return base.set(database=f"{base.database or 'service'}_test_{uuid.uuid4().hex[:8]}")


def migrate(
    settings: Settings,
    revision: str = "head",
    *,
    down: bool = False,
    x_arguments: Sequence[str] = (),
) -> None:
    """Alembic upgrade (or downgrade) to revision; x_arguments as `alembic -x` gives them."""
    config = Config(PROJECT_DIR / "alembic.ini", cmd_opts=argparse.Namespace(x=list(x_arguments)))
    config.attributes["settings"] = settings
    config.attributes["configure_logger"] = False
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)
