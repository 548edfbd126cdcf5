"""What each session strategy costs: GET /api/v1/users/me against unauthenticated routes.

Renders three PostgreSQL projects, one per session strategy (jwt, hybrid, redis),
migrates one throwaway database (their schemas are the same), registers one user and
starts one single-worker uvicorn server per project side by side. Each server logs
that user in once; bench/loadgen.py (a separate process) then drives, with that
session's credentials, GET /api/v1/users/me and GET /api/v1/accounts/{id} (the
user's account: the session's check and one primary-key read, where /users/me
reads the user; item reads are cached), and without credentials the bare
GET /health/live; and each round bench/bare_app.py (GET /ping, a small JSON object,
nothing in front) in its own process with the same interpreter and uvicorn flags,
the baseline. Rounds alternate the server order; each row reports the median over
rounds, and the ratios are taken within the same round (then the median).

    .venv/bin/python bench/sessions.py                # about 6 minutes
    .venv/bin/python bench/sessions.py --rounds 5 --duration 10 --no-plot
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness import (
    BARE,
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    HEALTH,
    REPO,
    ROW_HEADER,
    STUB,
    LoadConfig,
    Server,
    add_load_arguments,
    bare_server,
    http,
    markdown_row,
    measure,
    migrate,
    postgres_version,
    render_project,
    run_benchmark,
    service,
    service_env,
    stub_server,
    summarise_rows,
    throwaway_database,
)
from machine import describe, median, template_state
from plot import RatioRow, ratio_plot
from redis.asyncio import Redis

STRATEGIES = ("jwt", "hybrid", "redis")
ME, ACCOUNT = "me", "account"
EMAIL = "bench@example.com"
PASSWORD = "a long benchmark passphrase"  # noqa: S105  # a throwaway user's
STUB_LABEL = "load generator alone (stub server)"
BARE_LABEL = "bare FastAPI `GET /ping`, own process (baseline)"
LABELS = {
    ME: "`GET /api/v1/users/me`",
    ACCOUNT: "`GET /api/v1/accounts/{id}`",
    HEALTH: "`GET /health/live`",
}


def log_in(server: Server) -> list[str]:
    """Log the benchmark user in on server; the headers that authenticate as that session."""
    body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    request = urllib.request.Request(  # noqa: S310  # http to 127.0.0.1 only
        server.base_url + "/api/v1/auth/login", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer = json.loads(response.read())
        cookies = response.headers.get_all("Set-Cookie") or []
    if "access_token" in answer:
        return [f"Authorization: Bearer {answer['access_token']}"]
    session = next(c.split(";")[0] for c in cookies if c.startswith("session="))
    return [f"Cookie: {session}"]  # GET is a safe method: no CSRF token needed


async def delete_keys(redis_url: str, namespaces: list[str]) -> None:
    redis = Redis.from_url(redis_url)
    try:
        for namespace in namespaces:
            async for key in redis.scan_iter(match=f"{namespace}:*", count=500):
                await redis.unlink(key)
    finally:
        await redis.aclose()


@contextlib.contextmanager
def redis_namespaces(redis_url: str) -> Iterator[dict[str, str]]:
    """A Redis key namespace per strategy for this run; their keys are deleted on exit."""
    run = secrets.token_hex(4)
    namespaces = {strategy: f"bench-sessions-{run}-{strategy}" for strategy in STRATEGIES}
    try:
        yield namespaces
    finally:
        asyncio.run(delete_keys(redis_url, list(namespaces.values())))


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per (server, endpoint); per strategy, /users/me over the others, per round."""
    rows = summarise_rows(runs)
    by_round: dict[tuple[int, str], dict[str, float]] = {}
    for run in runs:
        by_round.setdefault((run["round"], run["server"]), {})[run["endpoint"]] = run["rps"]
    bare = {number: values[BARE] for (number, name), values in by_round.items() if name == BARE}
    ratios: dict[str, Any] = {}
    over_bare: dict[str, Any] = {}
    for strategy in STRATEGIES:
        mine = sorted((n, values) for (n, name), values in by_round.items() if name == strategy)
        over_health = [values[ME] / values[HEALTH] for _, values in mine]
        over_account = [values[ME] / values[ACCOUNT] for _, values in mine]
        ratios[strategy] = {
            "me_over_health_median": median(over_health),
            "me_over_health_each": [round(value, 3) for value in over_health],
            "me_over_account_median": median(over_account),
            "me_over_account_each": [round(value, 3) for value in over_account],
        }
        for endpoint in LABELS:
            each = [round(values[endpoint] / bare[n], 3) for n, values in mine]
            over_bare[f"{strategy}/{endpoint}"] = {"median": median(each), "each": each}
    return {"rows": rows, "ratios": ratios, "over_bare": over_bare}


def markdown(summary: dict[str, Any]) -> str:
    """The results as Markdown tables, ready for docs/benchmarks.md."""
    lines = list(ROW_HEADER)
    keys = [(s, e) for s in STRATEGIES for e in LABELS] + [(BARE, BARE), (STUB, STUB)]
    for server, endpoint in keys:
        row = summary["rows"].get(f"{server}/{endpoint}")
        if row is not None:
            special = {STUB: STUB_LABEL, BARE: BARE_LABEL}
            label = special.get(server) or f"{server}, {LABELS[endpoint]}"
            lines.append(markdown_row(label, row))
    lines += [
        "",
        "| strategy, endpoint | / bare, same round (median) | spread | each round |",
        "| --- | ---: | ---: | --- |",
    ]
    for key, ratio in summary["over_bare"].items():
        strategy, endpoint = key.split("/")
        lines.append(
            f"| {strategy}, {LABELS[endpoint]} | {ratio['median']:.3f} "
            f"| {min(ratio['each']):.3f} to {max(ratio['each']):.3f} "
            f"| {', '.join(map(str, ratio['each']))} |"
        )
    lines += [
        "",
        "| strategy | `/users/me` / `/health/live` (median of rounds) | each round "
        "| `/users/me` / `/accounts/{id}` (median of rounds) | each round |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for strategy, ratio in summary["ratios"].items():
        lines.append(
            f"| {strategy} | {ratio['me_over_health_median']:.3f} "
            f"| {', '.join(map(str, ratio['me_over_health_each']))} "
            f"| {ratio['me_over_account_median']:.3f} "
            f"| {', '.join(map(str, ratio['me_over_account_each']))} |"
        )
    return "\n".join(lines)


def plot(summary: dict[str, Any]) -> Path:
    return ratio_plot(
        [
            RatioRow(
                f"{key.split('/')[0]}, {LABELS[key.split('/')[1]]}".replace("`", ""),
                ratio["each"],
                ratio["median"],
            )
            for key, ratio in summary["over_bare"].items()
        ],
        "Session strategies, one uvicorn worker each, PostgreSQL + Redis",
        "a bare FastAPI app",
        "sessions",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a maintenance database URL whose user may CREATE DATABASE (default: %(default)s)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help="(default: %(default)s)",
    )
    add_load_arguments(parser, rounds=3, quiet_wait=60.0)
    parser.add_argument("--no-plot", action="store_true", help="skip docs/benchmarks/sessions.png")
    parser.add_argument(
        "--output", type=Path, help="JSON results (default: bench/results/sessions-<time>.json)"
    )
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    config = LoadConfig.from_args(args)
    projects = {s: render_project(workdir, session_strategy=s) for s in STRATEGIES}
    logs = workdir / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        namespaces = stack.enter_context(redis_namespaces(args.redis_url))
        migrate(projects["jwt"][0], database_url)
        servers: dict[str, Server] = {}
        for strategy, (project, package) in projects.items():
            # Production settings: default argon2id cost, Secure cookies.
            env = service_env(
                database_url,
                {"REDIS_URL": args.redis_url, "REDIS_NAMESPACE": namespaces[strategy]},
            )
            servers[strategy] = stack.enter_context(service(strategy, project, package, env, logs))
        first = servers[STRATEGIES[0]].base_url
        status, body = http(
            "POST", first + "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD}
        )
        if status != 201:
            raise SystemExit(f"registering the user failed: {status} {body}")
        credentials = {name: log_in(server) for name, server in servers.items()}
        # The jwt server's session is a bearer token: one header line.
        header, value = credentials[STRATEGIES[0]][0].split(": ", 1)
        status, account = http("POST", first + "/api/v1/accounts", {}, {header: value})
        if status != 201:
            raise SystemExit(f"seeding an account failed: {status} {account}")
        stub = stack.enter_context(stub_server(logs))
        bare = stack.enter_context(bare_server(logs))
        paths = {
            ME: "/api/v1/users/me",
            HEALTH: "/health/live",
            ACCOUNT: f"/api/v1/accounts/{account['id']}",
        }
        runs = measure(servers, credentials, stub, paths, config, args.rounds, bare)
    server_logs = {name: server.log_tail(50) for name, server in servers.items()}
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "runs": runs,
        "summary": summarise(runs),
        "server_log_tails": server_logs,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "sessions", lambda directory: benchmark(args, directory), args.output
    )
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"]))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'])}")
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
