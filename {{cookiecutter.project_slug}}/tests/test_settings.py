from __future__ import annotations

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.db import backend
from {{ cookiecutter.package_name }}.settings import PLACEHOLDER_SECRET, Settings

from .support import running_client


def production(database_url: str, secret: str) -> Settings:
    # The SQLite test database lives in a temporary directory, which prod refuses.
    if backend.NAME == "sqlite":
        database_url = "sqlite:////srv/service/service.db"
    return Settings(_env_file=None, app_env="prod", database_url=database_url, secret_key=secret)


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short-secret", "x" * 31])
def test_production_refuses_default_or_short_secret(database_url: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        production(database_url, secret)


def test_production_accepts_long_random_secret(database_url: str) -> None:
    settings = production(database_url, "k" * 48)

    assert settings.app_env == "prod"


async def test_production_hides_api_docs(database_url: str) -> None:
    settings = production(database_url, "k" * 48)

    async with running_client(settings) as client:
        docs = await client.get("/docs")
        schema = await client.get("/openapi.json")

    assert docs.status_code == 404
    assert schema.status_code == 404


def test_dev_allows_placeholder_secret(database_url: str) -> None:
    settings = Settings(_env_file=None, app_env="dev", database_url=database_url)

    assert settings.secret_key.get_secret_value() == PLACEHOLDER_SECRET


def test_unknown_app_env_is_refused(database_url: str) -> None:
    with pytest.raises(ValidationError, match="app_env"):
        Settings(_env_file=None, app_env="staging", database_url=database_url)


def test_database_url_of_another_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL must be"):
        Settings(_env_file=None, database_url="mongodb://localhost/db")
