"""Generated services, fuzzed over HTTP from their own OpenAPI schemas by Schemathesis.

Each generated project is migrated and started as a real process on the local database,
Redis and S3 server. Schemathesis then runs every check it has (no 5xx, only documented
status codes, content types and headers, responses that match the schema, bad input
refused, good input accepted, authentication enforced, one user never reading another's
objects, and in its stateful phase, sequences such as create item, then read, change and
delete it, following the links it infers from the schema and the Location headers).

By default the combinations fuzzed are the fewest that put every answer beside every
answer of each other question (9 of 27): what one database, session or upload strategy
does to the HTTP surface meets every choice of the others. FUZZ_COMBINATIONS=all fuzzes
every combination. FUZZ_MAX_EXAMPLES (cases per operation and phase) and FUZZ_SEED change
the run; the nightly CI job fuzzes every combination with more examples and a new seed
each night.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from .conftest import (
    COMBINATIONS,
    STRATEGY_QUESTIONS,
    answer_pairs,
    combination_id,
    pairwise,
    render,
    run,
    start_service,
    stop_service,
    tool,
    wait_until_ready,
)

CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))
FUZZED = COMBINATIONS if os.environ.get("FUZZ_COMBINATIONS") == "all" else pairwise(COMBINATIONS)
PACKAGE = "orders_service"
PASSWORD = uuid.uuid4().hex  # 32 characters: long enough, and never a common one

# Operations that end the session they are sent with (a password change: every session
# of the account). The main run leaves them out, so that its own session lasts; each is
# fuzzed in a run of its own, as a user of its own.
SESSION_ENDING = {
    "logout": "/api/v1/auth/logout",
    "logout-all": "/api/v1/auth/logout-all",
    "password-change": "/api/v1/users/me/password",
}
# The main run's user, the peer whose objects it must not read, and the session enders.
USERS = ("fuzzer", "peer", *SESSION_ENDING)


def log_in(base_url: str, name: str) -> dict[str, str]:
    """Register and log in a user; the headers its requests carry."""
    credentials = {"email": f"{name}@example.com", "password": PASSWORD}
    registered = httpx.post(f"{base_url}/api/v1/auth/register", json=credentials)
    assert registered.status_code == 201, registered.text
    login = httpx.post(f"{base_url}/api/v1/auth/login", json=credentials)
    assert login.status_code == 200, login.text
    body = login.json()
    if "access_token" in body:  # jwt, hybrid
        headers = {"Authorization": f"Bearer {body['access_token']}"}
    else:  # redis: the session cookie, and its CSRF token for unsafe methods
        headers = {
            "Cookie": f"session={login.cookies['session']}",
            "X-CSRF-Token": body["csrf_token"],
        }
    assert signed_in(base_url, headers), "the session's headers do not authenticate"
    return headers


def signed_in(base_url: str, headers: dict[str, str]) -> bool:
    return httpx.get(f"{base_url}/api/v1/users/me", headers=headers).status_code == 200


def write_users(path: Path, sessions: dict[str, dict[str, str]]) -> None:
    """The users as a Web Fuzzing Commons auth document: fixed headers per user."""
    entries = [
        {
            "name": name,
            "fixedHeaders": [{"name": key, "value": value} for key, value in headers.items()],
        }
        for name, headers in sessions.items()
    ]
    path.write_text(json.dumps({"auth": entries}), encoding="utf-8")


def schemathesis(
    base_url: str, users: Path, user: str, filters: list[str], workdir: Path
) -> tuple[bool, str]:
    """Fuzz the service as one user; whether it passed, and Schemathesis' report."""
    command = [
        tool("schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--auth-wfc-user",
        user,
        "--no-color",
        *filters,
    ]
    env = {"FUZZ_USERS": str(users), "SCHEMATHESIS_HOOKS": str(HOOKS)}
    result = run(command, workdir, env=env, timeout=300 + 20 * MAX_EXAMPLES)
    return result.returncode == 0, result.stdout + result.stderr


def service_errors(log: Path) -> list[str]:
    """What the service logged as errors: request id, path, the exception's last line.

    The request id is also in the body of the response Schemathesis reports.
    """
    errors = []
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("level") in {"error", "critical"}:
            traceback = [
                text
                for text in record.get("exception", "").splitlines()
                if text.strip() and not text.startswith("(Background on this error")
            ]
            cause = traceback[-1] if traceback else ""
            errors.append(f"{record.get('request_id')} {record.get('path')}: {cause}")
    return errors


def test_the_fuzzed_combinations_put_every_answer_beside_every_other_one() -> None:
    every_pair = set().union(*(answer_pairs(answers) for answers in COMBINATIONS))
    fuzzed_pairs = set().union(*(answer_pairs(answers) for answers in FUZZED))

    assert fuzzed_pairs == every_pair


@pytest.mark.parametrize(
    STRATEGY_QUESTIONS,
    [tuple(answers.values()) for answers in FUZZED],
    ids=[combination_id(answers) for answers in FUZZED],
)
def test_fuzz(
    output_dir: Path,
    tmp_path: Path,
    database: str,
    session_strategy: str,
    upload_strategy: str,
    throwaway_database: str | None,
    bucket: str,
) -> None:
    project = render(
        output_dir,
        database=database,
        session_strategy=session_strategy,
        upload_strategy=upload_strategy,
    )
    env = {
        "S3_BUCKET": bucket,
        "REDIS_NAMESPACE": f"fuzz-{uuid.uuid4().hex[:12]}",
        # Cheap hashing (as in the generated tests): the fuzzer registers many users.
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    if throwaway_database:
        env["DATABASE_URL"] = throwaway_database
    if database == "sqlite":
        (project / "var").mkdir()
    migrate = run([tool("alembic"), "upgrade", "head"], project, env=env)
    assert migrate.returncode == 0, migrate.stderr

    env["PYTHONPATH"] = str(project / "src")
    log = tmp_path / "service.log"
    server, base_url = start_service([sys.executable, "-m", PACKAGE], project, env, log=log)
    try:
        ready = wait_until_ready(base_url, server)
        assert ready.status_code == 200, ready.text
        # Every user logs in before fuzzing starts: the fuzzer's failed logins soon
        # reach the per-IP limit, after which logins answer 429.
        sessions = {name: log_in(base_url, name) for name in USERS}
        users = tmp_path / "users.json"
        write_users(users, sessions)
        excluded = [f"--exclude-path={path}" for path in SESSION_ENDING.values()]
        runs = {"authenticated": schemathesis(base_url, users, "fuzzer", excluded, tmp_path)}
        for name, path in SESSION_ENDING.items():
            runs[name] = schemathesis(base_url, users, name, [f"--include-path={path}"], tmp_path)
        session_lasted = signed_in(base_url, sessions["fuzzer"])
    finally:
        stop_service(server)

    problems = [f"--- {name} run ---\n{report}" for name, (ok, report) in runs.items() if not ok]
    if not session_lasted:  # else the authenticated run fuzzed as nobody from some point on
        problems.insert(0, "The authenticated run ended its own session.")
    errors = "\n".join(service_errors(log))
    assert not problems, (
        f"Schemathesis failed (FUZZ_SEED={SEED}, FUZZ_MAX_EXAMPLES={MAX_EXAMPLES}):\n"
        + "\n".join(problems)
        + (f"\n--- the service's errors ---\n{errors}" if errors else "")
    )
