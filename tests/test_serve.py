"""A generated project runs as its README says: migrate with Alembic, start, answer."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import socket
import sys
import tomllib
import uuid
from pathlib import Path

import httpx
import pytest

from .conftest import (
    DEFAULT_PYTHON,
    LINT_COMMAND,
    REDIS_URL,
    SERVER_URLS,
    TEMPLATE_DIR,
    TEST_COMMAND,
    cookiecutter_config,
    free_port,
    python_for,
    render,
    run,
    start_service,
    stop_service,
    tool,
    uv_env,
    wait_until_ready,
)


@pytest.mark.parametrize("database", ["postgresql", "mysql", "sqlite"])
def test_migrate_start_and_serve(
    output_dir: Path, database: str, throwaway_database: str | None, bucket: str
) -> None:
    project = render(output_dir, database=database)
    package = "orders_service"
    # .env's Redis URL carries compose's password; the local stand-in has none.
    env = {"S3_BUCKET": bucket, "REDIS_URL": REDIS_URL}
    if throwaway_database:
        env["DATABASE_URL"] = throwaway_database
    if database == "sqlite":
        (project / "var").mkdir()  # the README's step before migrating

    migrate = run([tool("alembic"), "upgrade", "head"], project, env=env)
    assert migrate.returncode == 0, migrate.stderr

    # uv sync would install the package; here the shared venv imports it from src.
    env["PYTHONPATH"] = str(project / "src")
    server, base_url = start_service([sys.executable, "-m", package], project, env)
    try:
        ready = wait_until_ready(base_url, server)
        user = {"email": "ada@example.com", "password": "a long passphrase, 42"}
        httpx.post(f"{base_url}/api/v1/auth/register", json=user).raise_for_status()
        login = httpx.post(f"{base_url}/api/v1/auth/login", json=user)
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}  # hybrid: tokens
        created = httpx.post(
            f"{base_url}/api/v1/items",
            json={"name": "Lamp", "price": "9.99"},
            headers={**auth, "X-Request-ID": "serve-test-1"},
        )
        read = httpx.get(f"{base_url}/api/v1/items/{created.json()['id']}", headers=auth)
    finally:
        output = stop_service(server)

    assert ready.status_code == 200, ready.text
    assert created.status_code == 201, created.text
    assert read.json()["price"] == "9.99"
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in logged if line.get("request_id") == "serve-test-1"]
    assert access, output
    assert access[0]["path"] == "/api/v1/items"
    assert access[0]["status"] == 201
    # SIGTERM ends in a graceful shutdown: the lifespan disposed of the pool.
    assert any(line["event"] == "Application shutdown complete." for line in logged), output


def test_new_project_script_generates_without_prompting(tmp_path: Path) -> None:
    """The README's generate command, with cookiecutter's arguments passed through."""
    result = run(
        [
            str(TEMPLATE_DIR / "scripts" / "new-project"),
            "--no-input",
            "--output-dir",
            str(tmp_path),
            "project_name=Ledger API",
            "database=sqlite",
        ],
        tmp_path,
        # Keep cookiecutter's replay files out of the home directory.
        env={"COOKIECUTTER_CONFIG": str(cookiecutter_config(tmp_path))},
    )

    assert result.returncode == 0, result.stderr
    project = tmp_path / "ledger-api"
    assert (project / "src" / "ledger_api" / "db" / "backends" / "sqlite.py").is_file()
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    assert (project / ".env").is_file()


def shell_block(readme: str, heading: str) -> list[str]:
    """The commands of the first sh block under a README heading, comments removed."""
    section = readme.split(f"\n## {heading}\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [command for command in commands if command]


def test_readme_runs_as_written(output_dir: Path, bucket: str) -> None:
    """Every "Run it locally" command of a generated README, with uv, in order (SQLite:
    no server); its "Test and lint" commands are the ones test_render runs."""
    project = render(output_dir, database="sqlite", python_version=DEFAULT_PYTHON)
    readme = (project / "README.md").read_text()
    commands = shell_block(readme, "Run it locally")
    # test_render runs the whole suite and the linters in every combination, this one
    # included; the unit tests alone run below, with no server to reach.
    unit_command = [*TEST_COMMAND, "tests/unit"]
    assert [shlex.split(line) for line in shell_block(readme, "Test and lint")] == [
        TEST_COMMAND,
        unit_command,
        [*TEST_COMMAND, "-m", "not processes"],
        LINT_COMMAND,
    ]
    env = {
        **uv_env(python_for(DEFAULT_PYTHON)),
        "S3_BUCKET": bucket,
        "REDIS_URL": REDIS_URL,  # as above: the local Redis has no password
    }
    serve = [command for command in commands if re.fullmatch(r"uv run python -m \w+", command)]
    assert len(serve) == 1, commands
    # Containers stand in for servers on a developer's machine; here scripts/services
    # and scripts/s3 already run Redis and S3 where .env points (the bucket fixture
    # does what compose's S3 service does), and Docker may lack the compose plugin.
    compose = [command for command in commands if command.startswith("docker compose up")]
    assert compose == ["docker compose up -d redis s3"], commands

    for command in commands:
        if command in serve or command in compose:
            continue
        result = run(shlex.split(command), project, env=env)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"

    nothing_listens = f"127.0.0.1:{free_port()}"
    unit = run(
        unit_command,
        project,
        env={
            **env,
            "DATABASE_URL": "sqlite:////nonexistent-directory/service.db",
            "REDIS_URL": f"redis://{nothing_listens}/0",
            "S3_ENDPOINT_URL": f"http://{nothing_listens}",
        },
    )
    assert unit.returncode == 0, f"{unit.stdout}\n{unit.stderr}"
    assert re.search(r"\b[1-9]\d* passed", unit.stdout), unit.stdout

    server, base_url = start_service(shlex.split(serve[0]), project, env)
    try:
        ready = wait_until_ready(base_url, server)
        schema = httpx.get(f"{base_url}/openapi.json")
    finally:
        output = stop_service(server)
    assert ready.status_code == 200, output
    # uv sync installed the project: the API documents its version and description.
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert schema.json()["info"]["version"] == pyproject["version"]
    assert schema.json()["info"]["description"] == pyproject["description"]


def free_port_block(size: int) -> int:
    """A port p such that p..p+size-1 and the same + 10000 are free (weed mini's gRPC ports)."""
    for _ in range(100):
        port = free_port()
        if port > 55000 - size:
            continue
        wanted = [*range(port, port + size), *range(port + 10000, port + 10000 + size)]
        with contextlib.ExitStack() as probes:
            try:
                for candidate in wanted:
                    probe = probes.enter_context(socket.socket())
                    probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
        return port
    pytest.fail("no block of free ports")


@pytest.mark.parametrize("database", ["postgresql", "mysql", "sqlite"])
def test_readme_without_docker_runs_as_written(
    output_dir: Path, database: str, tmp_path: Path
) -> None:
    """The README's "Run it without Docker" commands, in order, on this machine's servers.

    The database does not exist yet (the README's first command creates it), and the
    S3 server is the project's own scripts/s3 on a port of its own.
    """
    project = render(output_dir, database=database, python_version=DEFAULT_PYTHON)
    package = "orders_service"
    readme = (project / "README.md").read_text()
    commands = shell_block(readme, "Run it without Docker")
    serve = f"uv run python -m {package}"
    assert commands[0] == "uv sync", commands
    assert commands[-1] == serve, commands

    name = f"nodocker_{uuid.uuid4().hex[:8]}"
    s3_port = free_port_block(5)
    env = {
        **uv_env(python_for(DEFAULT_PYTHON)),
        "REDIS_URL": REDIS_URL,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_BUCKET": f"nodocker-{uuid.uuid4().hex[:12]}",
        "AWS_ACCESS_KEY_ID": "local-dev-key",
        "AWS_SECRET_ACCESS_KEY": f"secret-{uuid.uuid4().hex}",
        "REDIS_NAMESPACE": name,
    }
    if database != "sqlite":
        env["DATABASE_URL"] = SERVER_URLS[database].rsplit("/", 1)[0] + f"/{name}"
    try:
        for command in commands[:-1]:
            result = run(shlex.split(command), project, env=env)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        server, base_url = start_service(shlex.split(serve), project, env)
        try:
            ready = wait_until_ready(base_url, server)
        finally:
            output = stop_service(server)
    finally:
        run(["uv", "run", "scripts/s3", "stop"], project, env=env)
        if database != "sqlite":
            run([str(TEMPLATE_DIR / "scripts" / "create-db"), database, name, "--drop"], project)
    # Ready means the database is migrated, Redis answers and the bucket exists.
    assert ready.status_code == 200, f"{ready.text}\n{output}"
    assert ready.json()["checks"] == {database: "ok", "redis": "ok", "storage": "ok"}, ready.text
