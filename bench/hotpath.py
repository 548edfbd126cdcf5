"""The hot path against a bare FastAPI app: the requests a service answers most.

Renders three PostgreSQL projects, one per session strategy (hybrid, the default, then
jwt and redis), migrates one throwaway database, registers one user, seeds one account
and items, and serves each project with one single-worker uvicorn process, beside
bench/bare_app.py (GET /ping, a small JSON object, nothing in front) with the same venv
and flags. A fourth process of the hybrid project answers the cold reads, so they do not
evict the hot item from the first one's L1 cache.

Every round drives each row once with bench/loadgen.py (a separate process), the bare
app included, in an order that reverses every round; each row's requests/s is divided
by the bare app's of the same round, and the median of those ratios is reported with
their spread.

    .venv/bin/python bench/hotpath.py                 # 6 rounds, about 9 minutes
    .venv/bin/python bench/hotpath.py --rounds 3 --duration 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from harness import (
    BARE,
    BARE_PATH,
    DEFAULT_POSTGRES_URL,
    REPO,
    ROW_HEADER,
    STUB,
    LoadConfig,
    Server,
    add_load_arguments,
    bare_server,
    describe_run,
    drive,
    http,
    markdown_row,
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
from sessions import EMAIL, PASSWORD, log_in, redis_namespaces

STRATEGIES = ("hybrid", "jwt", "redis")
COLD = "cold"
# Items seeded per round for the cold reads: more than one run reads at 32 connections.
COLD_ITEMS_PER_ROUND = 20_000


@dataclass(frozen=True)
class Row:
    """One measured line: a path on one server, and its target as a ratio to bare."""

    key: str
    label: str
    server: str
    path: str
    target: float | None
    authenticated: bool = True
    cold: bool = False


def rows_for(item_id: int, account_id: int) -> list[Row]:
    rows = [
        Row(BARE, "bare FastAPI `GET /ping` (baseline)", BARE, BARE_PATH, None, False),
        Row("live", "`GET /health/live`", "hybrid", "/health/live", 0.85, False),
        Row("item", "`GET /api/v1/items/{id}`, L1 hit", "hybrid", f"/api/v1/items/{item_id}", 0.8),
        Row(
            "account",
            "`GET /api/v1/accounts/{id}`, uncached primary-key read",
            "hybrid",
            f"/api/v1/accounts/{account_id}",
            0.25,
        ),
    ]
    rows += [
        Row(f"me-{s}", f"`GET /api/v1/users/me`, {s}", s, "/api/v1/users/me", 0.15)
        for s in STRATEGIES
    ]
    rows.append(
        Row(
            "cold",
            "`GET /api/v1/items/{id}`, cold miss",
            COLD,
            "/api/v1/items/{n}",
            0.12,
            cold=True,
        )
    )
    return rows


async def seed_items(database_url: str, count: int) -> int:
    """count items of the benchmark user, in one statement; returns the first one's id."""
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        owner = await connection.fetchval("SELECT id FROM users WHERE email = $1", EMAIL)
        first: int = await connection.fetchval(
            "INSERT INTO items (owner_id, name, description, price, created_at, updated_at) "
            "SELECT $1, 'cold-' || n, NULL, 1.00, now(), now() "
            "FROM generate_series(1, $2) AS n RETURNING id",
            owner,
            count,
        )
        ids = await connection.fetchrow(
            "SELECT min(id), max(id) FROM items WHERE name LIKE 'cold-%'"
        )
    finally:
        await connection.close()
    if ids[1] - ids[0] + 1 != count:
        raise SystemExit(f"seeded ids are not contiguous: {ids[0]}..{ids[1]} for {count}")
    return min(first, ids[0])


def measure(
    rows: list[Row],
    servers: dict[str, Server],
    credentials: dict[str, list[str]],
    config: LoadConfig,
    rounds: int,
    cold_first: int,
) -> list[dict[str, Any]]:
    """Each round: the stub, then every row, the order reversed every other round."""
    runs: list[dict[str, Any]] = []
    cold_runs = 0
    for number in range(rounds):
        order = rows if number % 2 == 0 else rows[::-1]
        run = drive(servers[STUB], "/", config)
        run.update({"round": number + 1, "server": STUB, "endpoint": STUB})
        runs.append(run)
        for row in order:
            first = None
            if row.cold:
                first = cold_first + cold_runs * COLD_ITEMS_PER_ROUND
                cold_runs += 1
            headers = credentials[row.server] if row.authenticated else []
            run = drive(servers[row.server], row.path, config, headers, first)
            run.update({"round": number + 1, "server": row.server, "endpoint": row.key})
            runs.append(run)
            print(f"round {number + 1}: {describe_run(row.server, row.key, run)}", file=sys.stderr)
    return runs


def summarise(runs: list[dict[str, Any]], rows: list[Row]) -> dict[str, Any]:
    """Medians per row, and per row its ratio to the bare app of the same round."""
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["endpoint"]] = run["rps"]
    ratios: dict[str, Any] = {}
    for row in rows:
        each = [values[row.key] / values[BARE] for _, values in sorted(by_round.items())]
        ratios[row.key] = {
            "label": row.label,
            "target": row.target,
            "median": median(each),
            "each": [round(value, 3) for value in each],
        }
    stub_over_bare = [values[STUB] / values[BARE] for values in by_round.values()]
    return {
        "rows": summarise_rows(runs),
        "ratios": ratios,
        "stub_over_bare_median": median(stub_over_bare),
    }


def markdown(summary: dict[str, Any], rows: list[Row]) -> str:
    lines = [
        "| request | ratio to bare (median) | spread (min to max) | each round | target |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for row in rows[1:]:
        ratio = summary["ratios"][row.key]
        target = f"≥ {row.target}" if row.target is not None else ""
        lines.append(
            f"| {row.label} | {ratio['median']:.3f} | {min(ratio['each']):.3f} to "
            f"{max(ratio['each']):.3f} | {', '.join(map(str, ratio['each']))} | {target} |"
        )
    lines += ["", *ROW_HEADER]
    labels = {row.key: (row.server, row.label) for row in rows}
    for key, row in summary["rows"].items():
        _, endpoint = key.split("/", 1)
        if endpoint == STUB:
            label = "load generator alone (stub server)"
        else:
            server, text = labels[endpoint]
            label = text if server == BARE else f"{server}: {text}"
        lines.append(markdown_row(label, row))
    return "\n".join(lines)


def plot(summary: dict[str, Any], rows: list[Row]) -> Path:
    return ratio_plot(
        [
            RatioRow(
                row.label.replace("`", ""),
                summary["ratios"][row.key]["each"],
                summary["ratios"][row.key]["median"],
                row.target,
            )
            for row in rows[1:]
        ],
        "Hot path, one uvicorn worker each, PostgreSQL",
        "a bare FastAPI app",
        "hotpath",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    add_load_arguments(parser)
    parser.add_argument("--no-plot", action="store_true", help="skip docs/benchmarks/hotpath.png")
    parser.add_argument("--output", type=Path, help="JSON (default: bench/results/hotpath-*.json)")
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
        migrate(projects["hybrid"][0], database_url)
        servers: dict[str, Server] = {
            BARE: stack.enter_context(bare_server(logs)),
            STUB: stack.enter_context(stub_server(logs)),
        }
        envs = {
            s: service_env(
                database_url, {"REDIS_URL": args.redis_url, "REDIS_NAMESPACE": namespaces[s]}
            )
            for s in STRATEGIES
        }
        for strategy, (project, package) in projects.items():
            servers[strategy] = stack.enter_context(
                service(strategy, project, package, envs[strategy], logs)
            )
        # The same settings as the hybrid server (secret, Redis namespace): its sessions.
        project, package = projects["hybrid"]
        servers[COLD] = stack.enter_context(service(COLD, project, package, envs["hybrid"], logs))
        base = servers["hybrid"].base_url
        status, body = http(
            "POST", base + "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD}
        )
        if status != 201:
            raise SystemExit(f"registering the user failed: {status} {body}")
        credentials = {s: log_in(servers[s]) for s in STRATEGIES}
        credentials[COLD] = credentials["hybrid"]
        header, value = credentials["hybrid"][0].split(": ", 1)
        status, account = http("POST", base + "/api/v1/accounts", {}, {header: value})
        if status != 201:
            raise SystemExit(f"seeding an account failed: {status} {account}")
        item_body = {"name": "hot", "price": "1.00"}
        status, item = http("POST", base + "/api/v1/items", item_body, {header: value})
        if status != 201:
            raise SystemExit(f"seeding an item failed: {status} {item}")
        cold_first = asyncio.run(seed_items(database_url, COLD_ITEMS_PER_ROUND * args.rounds))
        rows = rows_for(item["id"], account["id"])
        runs = measure(rows, servers, credentials, config, args.rounds, cold_first)
    errors = {run["endpoint"]: run["error_kinds"] for run in runs if run["errors"]}
    if errors:
        print(f"errors: {errors}", file=sys.stderr)
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "runs": runs,
        "summary": summarise(runs, rows),
        "rows": [vars(row) for row in rows],
        "server_log_tails": {name: server.log_tail(30) for name, server in servers.items()},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "hotpath", lambda directory: benchmark(args, directory), args.output
    )
    rows = [Row(**row) for row in results["rows"]]
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"], rows))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'], rows)}")
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
