from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.sessions.settings import PLACEHOLDER_SECRET
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.uploads.settings import LOCAL_S3_SECRET

from ..helpers import PROJECT_DIR
from ..helpers.clients import running_client
from ..helpers.settings import SettingsFactory, production_settings


def production(make_settings: SettingsFactory, secret: str, **overrides: Any) -> Settings:
    return production_settings(make_settings, secret_key=secret, **overrides)


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short-secret", "x" * 31])
def test_production_refuses_default_or_short_secret(
    make_settings: SettingsFactory, secret: str
) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        production(make_settings, secret)


def test_production_accepts_long_random_secret(make_settings: SettingsFactory) -> None:
    settings = production(make_settings, "k" * 48)

    assert settings.app_env == "prod"


async def test_production_hides_api_docs(make_settings: SettingsFactory) -> None:
    settings = production(make_settings, "k" * 48)

    async with running_client(settings) as client:
        docs = await client.get("/docs")
        schema = await client.get("/openapi.json")

    assert docs.status_code == 404
    assert schema.status_code == 404


def test_production_refuses_cookies_without_secure_flag(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="COOKIE_SECURE"):
        production(make_settings, "k" * 48, cookie_secure=False)


def test_production_refuses_the_local_s3_key(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="AWS_SECRET_ACCESS_KEY"):
        production(make_settings, "k" * 48, aws_secret_access_key=LOCAL_S3_SECRET)


def test_the_refused_s3_key_is_the_one_env_example_ships() -> None:
    env_example = (PROJECT_DIR / ".env.example").read_text().splitlines()

    assert f"AWS_SECRET_ACCESS_KEY={LOCAL_S3_SECRET}" in env_example


def test_production_may_leave_s3_keys_to_the_instance_role(make_settings: SettingsFactory) -> None:
    settings = production(
        make_settings, "k" * 48, aws_access_key_id=None, aws_secret_access_key=None
    )

    assert settings.aws_secret_access_key is None


@pytest.mark.parametrize(
    "hashing",
    [{"password_hash_memory_kib": 1024}, {"password_hash_time_cost": 1}],
    ids=["memory", "passes"],
)
def test_production_refuses_weak_password_hashing(
    make_settings: SettingsFactory, hashing: dict[str, int]
) -> None:
    with pytest.raises(ValidationError, match="PASSWORD_HASH"):
        production(make_settings, "k" * 48, **hashing)


def test_dev_allows_placeholder_secret(make_settings: SettingsFactory) -> None:
    settings = make_settings(app_env="dev")

    assert settings.secret_key.get_secret_value() == PLACEHOLDER_SECRET


def test_unknown_app_env_is_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="app_env"):
        make_settings(app_env="staging")


def test_database_url_of_another_kind_is_refused(make_settings: SettingsFactory) -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL must be"):
        make_settings(database_url="mongodb://localhost/db")


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    names = [name.upper() for name in Settings.model_fields]

    undocumented = [name for name in names if f"`{name}`" not in readme]
    assert undocumented == []
