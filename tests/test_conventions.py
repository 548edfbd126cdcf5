"""The tooling a team expects in a generated project: pre-commit hooks that run the project's own
linters, a dev container on the compose services, and compose watch rules that point at
what the image really holds."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import BIN, render, run, tool
from .test_update import GIT_ENV, git


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_devcontainer_runs_on_the_compose_services(output_dir: Path, database: str) -> None:
    project = render(output_dir, database=database)
    config = json.loads((project / ".devcontainer" / "devcontainer.json").read_text())
    files = [project / ".devcontainer" / name for name in config["dockerComposeFile"]]
    services: dict[str, dict[str, object]] = {}
    for file in files:
        services.update(yaml.safe_load(file.read_text())["services"])

    assert files[0].resolve() == project / "compose.yaml"
    dev = services[config["service"]]
    # Relative paths of later compose files resolve from the first file's folder.
    assert f".:{config['workspaceFolder']}:cached" in dev["volumes"]  # type: ignore[operator]
    assert (project / str(dev["env_file"])).is_file()
    assert set(dev["depends_on"]) <= set(services)  # type: ignore[arg-type]
    assert ("db" in dev["depends_on"]) is (database != "sqlite")  # type: ignore[operator]
    assert config["runServices"] == [config["service"]]


@pytest.mark.parametrize("python_version", ["3.12", "3.11"])
def test_compose_watch_syncs_code_where_the_image_installs_it(
    output_dir: Path, python_version: str
) -> None:
    project = render(output_dir, python_version=python_version)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    dockerfile = (project / "Dockerfile").read_text()

    rules = compose["services"]["app"]["develop"]["watch"]
    (sync,) = [rule for rule in rules if rule["action"] == "sync+restart"]
    assert sync["path"] == "./src/orders_service"
    # The runtime image copies the build stage's /app/.venv; the wheel puts the package
    # in site-packages of the image's Python.
    assert sync["target"] == (f"/app/.venv/lib/python{python_version}/site-packages/orders_service")
    assert f"ARG PYTHON_VERSION={python_version}" in dockerfile
    assert "COPY --from=build --chown=10001:10001 /app/.venv /app/.venv" in dockerfile
    assert "uv sync --no-dev --no-editable" in dockerfile
    rebuilt = {rule["path"] for rule in rules if rule["action"] == "rebuild"}
    assert rebuilt == {"pyproject.toml", "uv.lock"}


def test_pre_commit_runs_the_projects_own_linters(output_dir: Path) -> None:
    # Needs PyPI for uv sync (as tests/test_serve.py does), nothing else.
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    project = render(output_dir, database="sqlite", python_version=python_version)
    env = {
        **GIT_ENV,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "UV_PYTHON": str(Path(sys.base_prefix) / "bin" / f"python{python_version}"),
        "UV_PYTHON_DOWNLOADS": "never",
        "VIRTUAL_ENV": "",
        "PRE_COMMIT_HOME": str(output_dir.parent / "pre-commit-home"),
    }
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    git("add", "--all", cwd=project)
    pre_commit = [tool("pre-commit"), "run", "--all-files", "--color=never"]

    clean = run(pre_commit, project, env=env, timeout=900)
    (project / "src" / "orders_service" / "late.py").write_text(
        "import os\ndef late(x):\n    return x\n"
    )
    git("add", "--all", cwd=project)
    dirty = run(pre_commit, project, env=env, timeout=900)

    assert clean.returncode == 0, clean.stdout + clean.stderr
    for hook in ("ruff check", "ruff format", "mypy --strict"):
        assert any(
            line.startswith(hook) and line.endswith("Passed") for line in clean.stdout.splitlines()
        ), clean.stdout
    assert dirty.returncode == 1
    # ruff removed the unused import and reformatted; mypy refused the untyped function.
    assert "files were modified by this hook" in dirty.stdout, dirty.stdout
    assert (project / "src" / "orders_service" / "late.py").read_text() == (
        "def late(x):\n    return x\n"
    )
    assert "Function is missing a type annotation" in dirty.stdout, dirty.stdout
    # The hooks ran the versions uv installed into the project's own environment.
    assert (project / ".venv" / "bin" / "ruff").is_file()
    assert (project / "uv.lock").is_file()


def test_no_file_holds_an_unresolved_merge_conflict() -> None:
    """A line that starts a conflict block (as git writes it) would ship to every project."""
    repository = Path(__file__).resolve().parent.parent
    markers = ("<<<<<<< ", ">>>>>>> ")
    tracked = run(["git", "ls-files", "-z"], repository).stdout.split("\0")
    conflicted = []
    for name in filter(None, tracked):
        path = repository / name
        if not path.is_file():
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue  # binary
        conflicted += [f"{name}:{n}" for n, line in enumerate(lines, 1) if line.startswith(markers)]
    assert conflicted == []
