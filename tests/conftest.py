"""Shared helpers: the template's questions, rendering, the local servers, generated services."""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import httpx
import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_ROOT = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
QUESTIONS: dict[str, Any] = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
STRATEGY_QUESTIONS = ("database", "session_strategy", "upload_strategy")
COMBINATIONS = [
    dict(zip(STRATEGY_QUESTIONS, answers, strict=True))
    for answers in itertools.product(*(QUESTIONS[q] for q in STRATEGY_QUESTIONS))
]
BIN = Path(sys.executable).parent
# Offered Python versions, the default first.
PYTHON_VERSIONS: list[str] = QUESTIONS["python_version"]
DEFAULT_PYTHON = PYTHON_VERSIONS[0]

# Database servers the generated tests create their throwaway databases on.
SERVER_URLS = {
    "postgresql": os.environ.get(
        "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    "mysql": os.environ.get("TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The generated README's "Test and lint" commands: test_render runs them in every
# combination, and test_serve checks that the README says these.
LINT_COMMAND = ["uv", "run", "scripts/lint"]
TEST_COMMAND = ["uv", "run", "scripts/test"]

# The S3 server scripts/s3 starts, with the key of a generated .env.example; generated
# tests create (and delete) a bucket of their own.
S3_ENV = {
    "S3_ENDPOINT_URL": os.environ.get("TEST_S3_ENDPOINT_URL", "http://127.0.0.1:8333"),
    "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local-dev-key"),
    "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local-dev-secret"),
}


# A file that belongs to some answers of one question: the whole name is one `if` block.
OPTION_FILE_NAME = re.compile(
    r"^\{% if cookiecutter\.(?P<question>\w+) (?P<test>==|in) (?P<answers>'\w+'|\[[^]]+\]) %\}"
    r"(?P<name>[^{}%]+)\{% endif %\}$"
)


class OptionFile(NamedTuple):
    """A template file generated only for some answers of one question."""

    path: str  # relative to the project, as generated; {{ package_name }} left in
    question: str
    answers: frozenset[str]

    def generated_path(self, package_name: str) -> str:
        return self.path.replace("{{cookiecutter.package_name}}", package_name)


def option_files() -> list[OptionFile]:
    """Every template file with a conditional name, and whose answers it belongs to."""
    found = []
    for path in sorted(TEMPLATE_ROOT.rglob("*")):
        match = OPTION_FILE_NAME.match(path.name)
        if path.is_file() and match:
            answers = ast.literal_eval(match["answers"])
            parent = path.parent.relative_to(TEMPLATE_ROOT).as_posix()
            found.append(
                OptionFile(
                    path=f"{parent}/{match['name']}" if parent != "." else match["name"],
                    question=match["question"],
                    answers=frozenset([answers] if isinstance(answers, str) else answers),
                )
            )
    return found


def expected_option_files(answers: dict[str, str], package_name: str) -> tuple[set[str], set[str]]:
    """The conditional files these answers generate, and those they must not."""
    kept: set[str] = set()
    dropped: set[str] = set()
    for owned in option_files():
        chosen = answers[owned.question] in owned.answers
        (kept if chosen else dropped).add(owned.generated_path(package_name))
    return kept, dropped


def combination_id(answers: dict[str, str]) -> str:
    return "-".join(answers[q] for q in STRATEGY_QUESTIONS)


def answer_pairs(answers: dict[str, str]) -> set[tuple[tuple[str, str], tuple[str, str]]]:
    """Each pair of (question, answer) that one combination puts together."""
    return set(itertools.combinations(sorted(answers.items()), 2))


def pairwise(combinations: list[dict[str, str]]) -> list[dict[str, str]]:
    """Combinations that together put every answer beside every answer of each other
    question (all pairs). Greedy: the one that adds the most pairs, and of those the one
    whose answers were chosen least so far (9 of 27 for three questions of three)."""
    uncovered = set().union(*(answer_pairs(answers) for answers in combinations))
    chosen: list[dict[str, str]] = []
    uses: Counter[tuple[str, str]] = Counter()
    while uncovered:
        best = max(
            combinations,
            key=lambda answers: (
                len(answer_pairs(answers) & uncovered),
                -sum(uses[answer] for answer in answers.items()),
            ),
        )
        chosen.append(best)
        uses.update(best.items())
        uncovered -= answer_pairs(best)
    return chosen


def cookiecutter_config(directory: Path) -> Path:
    """A cookiecutter config that keeps replay files in directory, not the home directory."""
    config = directory / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {directory / 'replay'}\n", encoding="utf-8")
    return config


def render(output_dir: Path, *, overwrite: bool = False, **answers: str) -> Path:
    """Render the template without prompting; returns the project directory."""
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            output_dir=str(output_dir),
            extra_context=answers,
            overwrite_if_exists=overwrite,
            config_file=str(cookiecutter_config(output_dir.parent)),
        )
    )


def database_url(database: str, project_dir: Path) -> str:
    if database == "sqlite":
        return f"sqlite:///{project_dir}/var/test.db"
    return SERVER_URLS[database]


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run a tool from the shared virtualenv; the result carries its output for asserts."""
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def tool(name: str) -> str:
    return str(BIN / name)


def python_for(version: str) -> Path:
    """An interpreter of that Python version, to generate and test projects for it.

    TEST_PYTHON_3_12 (and so on) if set, else the newest pyenv one, else python3.12 on PATH.
    """
    override = os.environ.get(f"TEST_PYTHON_{version.replace('.', '_')}")
    if override:
        return Path(override)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = [
        path
        for path in (pyenv_root / "versions").glob(f"{version}.*/bin/python{version}")
        if path.parent.parent.name.replace(".", "").isdigit()  # not 3.12.1-debug, say
    ]
    if installed:
        return max(installed, key=lambda path: tuple(map(int, path.parts[-3].split("."))))
    found = shutil.which(f"python{version}")
    if found is None:
        pytest.fail(
            f"no Python {version}: install it (pyenv install {version}) or set "
            f"TEST_PYTHON_{version.replace('.', '_')} to its interpreter"
        )
    return Path(found)


def uv_env(python: Path) -> dict[str, str]:
    """Environment for running a project's README commands with uv on that interpreter.

    uv finds it first on PATH (the project's .python-version names its version) and
    never downloads one; the shared virtualenv provides uv itself.
    """
    return {
        "PATH": os.pathsep.join([str(python.parent), str(BIN), os.environ["PATH"]]),
        "UV_PYTHON_DOWNLOADS": "never",
        # Where PYTHONDONTWRITEBYTECODE is set (as here and in many CI images), modules
        # uv leaves uncompiled are compiled anew by every process that imports them:
        # about 3 s of CPU per service process a generated test starts.
        "UV_COMPILE_BYTECODE": "1",
        "VIRTUAL_ENV": "",  # uv manages the project's own .venv
    }


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


# Generated services, started as their README says.
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def throwaway_database(database: str) -> Iterator[str | None]:
    """A fresh database on the local server (None for SQLite, which uses .env as written)."""
    if database == "sqlite":
        yield None
        return
    name = f"serve_{uuid.uuid4().hex[:8]}"
    create = run([str(TEMPLATE_DIR / "scripts" / "create-db"), database, name], TEMPLATE_DIR)
    assert create.returncode == 0, create.stderr
    yield create.stdout.strip()
    run([str(TEMPLATE_DIR / "scripts" / "create-db"), database, name, "--drop"], TEMPLATE_DIR)


@pytest.fixture
def bucket() -> Iterator[str]:
    """An empty bucket on the local S3 server, as compose.yaml's S3 service creates one.

    The generated .env points at that server; each test sets S3_BUCKET to a bucket
    of its own, since tests run side by side.
    """
    s3 = boto3.client(
        "s3",
        endpoint_url=S3_ENV["S3_ENDPOINT_URL"],
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    name = f"serve-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    s3.delete_bucket(Bucket=name)


def start_service(
    command: list[str], project: Path, env: dict[str, str], log: Path | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start the service on a free port; returns the process and its base URL.

    Its output is kept for stop_service, or written to log: a service that logs
    more than a pipe holds would block on a pipe read only at the end.
    """
    port = free_port()
    with contextlib.ExitStack() as files:
        output = files.enter_context(log.open("w")) if log else subprocess.PIPE
        server = subprocess.Popen(
            command,
            cwd=project,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return server, f"http://127.0.0.1:{port}"


def stop_service(server: subprocess.Popen[str]) -> str:
    """SIGTERM, wait for the exit, and return everything the service printed to its pipe."""
    server.terminate()
    output, _ = server.communicate(timeout=30)
    return output or ""


def wait_until_ready(base_url: str, server: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "the service exited during start-up"
        try:
            return httpx.get(f"{base_url}/health/ready", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"the service did not answer within {STARTUP_SECONDS} s")
