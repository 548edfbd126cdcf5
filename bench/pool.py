"""Pooled connections against one connection per request, on a real PostgreSQL.

Renders a PostgreSQL project, migrates a throwaway database, seeds one account and
starts two single-worker uvicorn servers of that project side by side:

* pooled:   DB_POOL_ENABLED=true, DB_POOL_SIZE=32, DB_MAX_OVERFLOW=10 (the default)
* nullpool: DB_POOL_ENABLED=false (SQLAlchemy NullPool: connect per request)

Everything else is the service's default (pre-ping of connections idle over
DB_POOL_PING_AFTER_IDLE=10 s included), with
APP_ENV=prod and LOG_LEVEL=WARNING so the access log does not flood stdout.

bench/loadgen.py (a separate process) then drives GET /api/v1/accounts/{id} (a
primary-key read that always queries the database; item reads are cached) and the
bare GET /health/live of each server with 32 keep-alive connections, in rounds
whose order alternates (A B, then B A, ...) so machine noise hits both; each row
reports the median over rounds. Each round also measures the load generator
alone against bench/stub_server.py, so the client's ceiling is on record.

    .venv/bin/python bench/pool.py                 # about 6 minutes
    .venv/bin/python bench/pool.py --rounds 3 --duration 15 --ping-always-variant
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from harness import (
    DEFAULT_POSTGRES_URL,
    HEALTH,
    REPO,
    ROW_HEADER,
    STUB,
    LoadConfig,
    Server,
    header_lines,
    http,
    markdown_row,
    measure,
    migrate,
    postgres_version,
    render_project,
    run_benchmark,
    service,
    service_env,
    sign_in,
    stub_server,
    summarise_rows,
    throwaway_database,
)
from machine import describe, template_state

READ = "read"
POOLED = "pooled"
NULLPOOL = "nullpool"
PING_ALWAYS = "pooled_ping_always"  # optional diagnostic: pre-ping on every checkout


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per (server, endpoint) and the ratios the benchmark is about."""
    rows = summarise_rows(runs)

    def rps(name: str) -> float:
        return float(rows[name]["rps_median"])

    def ratio(top: float, bottom: float) -> float:
        return top / bottom if bottom else float("nan")  # a server that answered nothing

    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[f"{run['server']}/{run['endpoint']}"] = run["rps"]
    paired = [ratio(r[f"{POOLED}/{READ}"], r[f"{NULLPOOL}/{READ}"]) for r in by_round.values()]
    fastest = max(rps(name) for name in rows if not name.startswith(STUB))
    ratios = {
        "pooled_over_nullpool": ratio(rps(f"{POOLED}/{READ}"), rps(f"{NULLPOOL}/{READ}")),
        "pooled_over_nullpool_per_round": [round(value, 2) for value in paired],
        "pooled_read_over_health": ratio(rps(f"{POOLED}/{READ}"), rps(f"{POOLED}/{HEALTH}")),
        "nullpool_read_over_health": ratio(rps(f"{NULLPOOL}/{READ}"), rps(f"{NULLPOOL}/{HEALTH}")),
        "ping_always_over_nullpool": ratio(rps(f"{PING_ALWAYS}/{READ}"), rps(f"{NULLPOOL}/{READ}"))
        if f"{PING_ALWAYS}/{READ}" in rows
        else None,
        "client_ceiling_over_fastest_server": ratio(rps(f"{STUB}/{STUB}"), fastest),
    }
    return {"rows": rows, "ratios": ratios}


def markdown(summary: dict[str, Any], target: float) -> str:
    """The results as Markdown tables, ready for docs/benchmarks.md."""
    labels = {
        f"{POOLED}/{READ}": "pooled, `GET /api/v1/accounts/{id}`",
        f"{NULLPOOL}/{READ}": "NullPool, `GET /api/v1/accounts/{id}`",
        f"{POOLED}/{HEALTH}": "pooled, `GET /health/live`",
        f"{NULLPOOL}/{HEALTH}": "NullPool, `GET /health/live`",
        f"{PING_ALWAYS}/{READ}": "pooled, ping on every checkout, `GET /api/v1/accounts/{id}`",
        f"{PING_ALWAYS}/{HEALTH}": "pooled, ping on every checkout, `GET /health/live`",
        f"{STUB}/{STUB}": "load generator alone (stub server)",
    }
    lines = list(ROW_HEADER)
    for key, label in labels.items():
        row = summary["rows"].get(key)
        if row is not None:
            lines.append(markdown_row(label, row))
    ratios = summary["ratios"]
    verdict = "meets" if ratios["pooled_over_nullpool"] >= target else "BELOW"
    lines += [
        "",
        "| ratio | value |",
        "| --- | ---: |",
        f"| pooled / NullPool, read req/s (medians) | {ratios['pooled_over_nullpool']:.2f}x "
        f"({verdict} the {target:g}x target) |",
        f"| pooled / NullPool, each round | "
        f"{', '.join(f'{v}x' for v in ratios['pooled_over_nullpool_per_round'])} |",
        f"| pooled: read / health | {ratios['pooled_read_over_health']:.3f} |",
        f"| NullPool: read / health | {ratios['nullpool_read_over_health']:.3f} |",
        *(
            [f"| ping each checkout / NullPool | {ratios['ping_always_over_nullpool']:.2f}x |"]
            if ratios["ping_always_over_nullpool"] is not None
            else []
        ),
        f"| load generator ceiling / fastest server row | "
        f"{ratios['client_ceiling_over_fastest_server']:.1f}x |",
        "",
        "Cores busy with other work just before a run (max per row): "
        + ", ".join(
            f"{key} {row['background_cores_before_max']:.2f}"
            for key, row in summary["rows"].items()
        ),
    ]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a maintenance database URL whose user may CREATE DATABASE (default: %(default)s)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per run")
    parser.add_argument("--rounds", type=int, default=5, help="median over this many")
    parser.add_argument("--pool-size", type=int, default=32)
    parser.add_argument(
        "--max-overflow", type=int, default=10, help="DB_MAX_OVERFLOW (the service default)"
    )
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=0.25,
        help="before each run, wait until other processes use at most this many cores",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, help="longest wait for that, in seconds"
    )
    parser.add_argument(
        "--ping-always-variant",
        action="store_true",
        help="also run a third server pinging on every checkout (DB_POOL_PING_AFTER_IDLE=0)",
    )
    parser.add_argument("--target", type=float, default=5.0, help="pooled/NullPool goal")
    parser.add_argument(
        "--output", type=Path, help="JSON results (default: bench/results/pool-<time>.json)"
    )
    return parser.parse_args(argv)


def server_settings(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    pooled = {
        "DB_POOL_ENABLED": "true",
        "DB_POOL_SIZE": str(args.pool_size),
        "DB_MAX_OVERFLOW": str(args.max_overflow),
        "DB_POOL_TIMEOUT": "2",
    }
    settings = {POOLED: pooled, NULLPOOL: {"DB_POOL_ENABLED": "false"}}
    if args.ping_always_variant:
        settings[PING_ALWAYS] = {**pooled, "DB_POOL_PING_AFTER_IDLE": "0"}
    return settings


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    config = LoadConfig.from_args(args)
    project, package = render_project(workdir)
    logs = workdir / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        migrate(project, database_url)
        servers: dict[str, Server] = {}
        for name, overrides in server_settings(args).items():
            env = service_env(database_url, overrides)
            servers[name] = stack.enter_context(service(name, project, package, env, logs))
            servers[name].settings = overrides
        # Each server signs its own tokens (SECRET_KEY): the user logs in on each.
        sessions = {POOLED: sign_in(servers[POOLED].base_url, register=True)}
        sessions |= {name: sign_in(server.base_url) for name, server in servers.items()}
        status, account = http(
            "POST",
            servers[POOLED].base_url + "/api/v1/accounts",
            {"balance": "1.00"},
            sessions[POOLED],
        )
        if status != 201:
            raise SystemExit(f"seeding an account failed: {status} {account}")
        credentials = {name: header_lines(headers) for name, headers in sessions.items()}
        stub = stack.enter_context(stub_server(logs))
        paths = {READ: f"/api/v1/accounts/{account['id']}", HEALTH: "/health/live"}
        runs = measure(servers, credentials, stub, paths, config, args.rounds)
    # Read after the servers stopped, so shutdown errors show too.
    server_logs = {name: server.log_tail(50) for name, server in servers.items()}
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "settings": {name: server.settings for name, server in servers.items()},
        "runs": runs,
        "summary": summarise(runs),
        "server_log_tails": server_logs,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain `kill` should clean up like Ctrl-C does.
    results, output = run_benchmark(
        "pool", lambda directory: benchmark(args, directory), args.output
    )
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"], args.target))
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
