"""compose.yaml keeps the local stack local: loopback ports, own variables, real passwords."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import render

# Published as "127.0.0.1:host:container": reachable from this machine only.
LOOPBACK_PORT = re.compile(r"^127\.0\.0\.1:\d+:\d+$")


@pytest.mark.parametrize("database", ["postgresql", "mysql", "sqlite"])
def test_compose_publishes_on_loopback_and_shares_no_env_file(
    output_dir: Path, database: str
) -> None:
    project = render(output_dir, database=database)
    source = (project / "compose.yaml").read_text()
    services = yaml.safe_load(source)["services"]

    for name, service in services.items():
        for port in service.get("ports", []):
            assert LOOPBACK_PORT.match(port), (name, port)
    app_steps = {"app", "migrate", "bucket"}
    for name in services.keys() - app_steps:
        assert "env_file" not in services[name], name
    assert services["s3"]["environment"].keys() == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "S3_BUCKET",
    }
    # Passwords come from .env; none is written in the file.
    assert "${REDIS_PASSWORD:?" in " ".join(services["redis"]["command"])
    assert "redis://:${REDIS_PASSWORD:?" in services["app"]["environment"]["REDIS_URL"]
    if database == "postgresql":
        assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")
    if database == "mysql":
        assert services["db"]["environment"]["MARIADB_PASSWORD"].startswith("${MYSQL_PASSWORD")
        assert "MARIADB_ROOT_PASSWORD" not in services["db"]["environment"]
    assert not re.search(r"(postgres|root):(postgres|root)@", source)
