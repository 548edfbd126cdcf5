"""The item cache: L1 hit against a bare FastAPI app, L1 against L2 against the database,
and a cold key under a stampede spread over two processes.

Renders a PostgreSQL project, migrates a throwaway database and starts three
single-worker servers of it with bench/cache_server.py (the service plus a bare
endpoint, an uncached read and a query counter), all sharing the local Redis
under a namespace of this run:

* main:     the service's defaults (L1 60 s, L2 600 s)
* l2-only:  CACHE_L1_TTL=1e-6, so every read misses L1 and hits Redis
* peer:     the defaults again, the second process of the stampede

Beside them, bench/bare_app.py in its own process (GET /ping, a small JSON object,
nothing in front), with the same interpreter and uvicorn flags: the baseline.

Throughput (bench/loadgen.py, 32 keep-alive connections, rounds whose order
alternates) on the same seeded item; each row's requests/s is divided by the bare
app's of the same round, and the median of those ratios is reported:

* bare     bare_app.py GET /ping
* in-app   main   GET /bench/bare: the item's JSON bytes behind the service's middleware
* l1       main   GET /api/v1/items/{id} by its owner: the session's check (one
                  Redis round trip with the default hybrid strategy), then the
                  process's own cache
* l2       l2-only GET /api/v1/items/{id} by its owner: the same, then Redis
* database main   GET /bench/uncached/{owner}/{id}: session, SELECT, pydantic, JSON

Stampede: a new (cold) item, then N concurrent GETs of it, half to main and half
to peer; the servers count their SELECTs on the items table. Target: 1.

    .venv/bin/python bench/cache.py                   # about 7 minutes
    .venv/bin/python bench/cache.py --rounds 3 --duration 5 --no-plot
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from harness import (
    BARE_PATH,
    BENCH,
    DEFAULT_POSTGRES_URL,
    REPO,
    LoadConfig,
    Server,
    bare_server,
    describe_run,
    drive,
    free_port,
    header_lines,
    http,
    migrate,
    postgres_version,
    render_project,
    run_benchmark,
    running,
    service_env,
    sign_in,
    throwaway_database,
    wait_until_live,
)
from machine import describe, median, template_state
from plot import RatioRow, ratio_plot

CACHE_SERVER = BENCH / "cache_server.py"
MAIN, L2_ONLY, PEER = "main", "l2-only", "peer"
BARE, IN_APP, L1, L2, DATABASE = "bare", "in-app", "l1", "l2", "database"
ROWS = (BARE, IN_APP, L1, L2, DATABASE)
LABELS = {
    BARE: "bare FastAPI `GET /ping`, own process (baseline)",
    IN_APP: "the item's JSON bytes, a route behind the service's middleware",
    L1: "`GET /api/v1/items/{id}`, L1 hit",
    L2: "`GET /api/v1/items/{id}`, L2 hit (Redis)",
    DATABASE: "item read from the database, no cache",
}


@contextlib.contextmanager
def cache_server(
    name: str, project: Path, package: str, env: dict[str, str], log_dir: Path
) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(CACHE_SERVER), "--package", package, "--port", str(port)]
    env = {**env, "PYTHONPATH": str(project / "src")}
    with running(name, command, cwd=project, env=env, log_dir=log_dir, port=port) as server:
        wait_until_live(server, "/health/live")
        yield server


def throughput(
    servers: dict[str, Server],
    sessions: dict[str, dict[str, str]],
    item: dict[str, Any],
    config: LoadConfig,
    rounds: int,
) -> list[dict[str, Any]]:
    """The item read by its owner (through the session check) and the bare rows without one."""
    item_path = f"/api/v1/items/{item['id']}"
    schedule = [
        (BARE, servers[BARE], BARE_PATH, []),
        (IN_APP, servers[MAIN], "/bench/bare", []),
        (L1, servers[MAIN], item_path, header_lines(sessions[MAIN])),
        (L2, servers[L2_ONLY], item_path, header_lines(sessions[L2_ONLY])),
        (DATABASE, servers[MAIN], f"/bench/uncached/{item['owner_id']}/{item['id']}", []),
    ]
    runs = []
    for number in range(rounds):
        for row, server, path, headers in schedule if number % 2 == 0 else schedule[::-1]:
            run = drive(server, path, config, headers)
            run.update({"round": number + 1, "row": row})
            runs.append(run)
            print(f"round {number + 1}: {describe_run(row, '', run)}", file=sys.stderr)
    return runs


async def stampede_round(
    urls: list[str], sessions: list[dict[str, str]], requests: int
) -> dict[str, Any]:
    """sessions[n]: the headers of the user's session on urls[n]."""
    limits = httpx.Limits(max_connections=requests, max_keepalive_connections=requests)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        created = await client.post(
            f"{urls[0]}/api/v1/items",
            json={"name": f"cold-{time.time_ns()}", "price": "1.00"},
            headers=sessions[0],
        )
        created.raise_for_status()
        path = f"/api/v1/items/{created.json()['id']}"
        before = [(await client.get(f"{url}/bench/item-queries")).json() for url in urls]
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.get(f"{urls[n % len(urls)]}{path}", headers=sessions[n % len(urls)])
                for n in range(requests)
            ),
            return_exceptions=True,
        )
        seconds = time.perf_counter() - started
        after = [(await client.get(f"{url}/bench/item-queries")).json() for url in urls]
    ok = sum(1 for r in responses if isinstance(r, httpx.Response) and r.status_code == 200)
    return {
        "requests": requests,
        "ok": ok,
        "failed": requests - ok,
        "database_loads": sum(after) - sum(before),
        "loads_per_process": [a - b for a, b in zip(after, before, strict=True)],
        "seconds": round(seconds, 3),
    }


def summarise(runs: list[dict[str, Any]], stampedes: list[dict[str, Any]]) -> dict[str, Any]:
    rows = {}
    for row in ROWS:
        mine = [run for run in runs if run["row"] == row]
        rows[row] = {
            "rps_median": median([run["rps"] for run in mine]),
            "rps_each": [round(run["rps"], 1) for run in mine],
            "p50_ms_median": median([run["p50_ms"] for run in mine]),
            "p99_ms_median": median([run["p99_ms"] for run in mine]),
            "errors_total": sum(run["errors"] for run in mine),
            "server_cores_median": median([run.get("server_cores") or 0.0 for run in mine]),
            # Server CPU per answered request: steadier than req/s on a shared machine.
            "server_cpu_us_median": median(
                [1e6 * (run.get("server_cores") or 0.0) / run["rps"] for run in mine if run["rps"]]
            ),
        }
    # Each row against the bare app of the same round, then the median: drift between
    # rounds on a shared machine cancels out.
    by_round: dict[int, dict[str, dict[str, Any]]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[run["row"]] = run
    rounds = [by_round[number] for number in sorted(by_round)]
    ratios_each = {
        row: [round(each[row]["rps"] / each[BARE]["rps"], 3) for each in rounds] for row in ROWS
    }
    bare_cpu = rows[BARE]["server_cpu_us_median"]
    return {
        "rows": rows,
        "ratios": {row: median(each) for row, each in ratios_each.items()},
        "ratios_each": ratios_each,
        "cpu_ratios": {row: bare_cpu / rows[row]["server_cpu_us_median"] for row in ROWS},
        "stampedes": stampedes,
    }


def markdown(summary: dict[str, Any], target: float) -> str:
    lines = [
        "| read | req/s (median) | req/s each round | / bare, same round (median) "
        "| spread | p50 ms | p99 ms | errors "
        "| server CPU (cores) | server CPU per request | bare / this, by CPU |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row, label in LABELS.items():
        data = summary["rows"][row]
        each = summary["ratios_each"][row]
        lines.append(
            f"| {label} | {data['rps_median']:.1f} | {', '.join(map(str, data['rps_each']))} "
            f"| {summary['ratios'][row]:.3f}x | {min(each):.3f} to {max(each):.3f} "
            f"| {data['p50_ms_median']:.2f} | {data['p99_ms_median']:.2f} "
            f"| {data['errors_total']} | {data['server_cores_median']:.2f} "
            f"| {data['server_cpu_us_median']:.0f} µs | {summary['cpu_ratios'][row]:.2f}x |"
        )
    verdict = "meets" if summary["ratios"][L1] >= target else "BELOW"
    lines += [
        "",
        f"L1 hit / bare: {summary['ratios'][L1]:.2f}x by req/s ({verdict} the {target:g}x "
        f"target), {summary['cpu_ratios'][L1]:.2f}x by server CPU per request.",
        "",
        "| stampede round | requests | 200s | database loads | loads per process | seconds |",
        "| ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for number, stampede in enumerate(summary["stampedes"], 1):
        lines.append(
            f"| {number} | {stampede['requests']} | {stampede['ok']} "
            f"| {stampede['database_loads']} | {stampede['loads_per_process']} "
            f"| {stampede['seconds']} |"
        )
    return "\n".join(lines)


def plot(summary: dict[str, Any], target: float) -> Path:
    return ratio_plot(
        [
            RatioRow(
                LABELS[row].replace("`", ""),
                summary["ratios_each"][row],
                summary["ratios"][row],
                target if row == L1 else None,
            )
            for row in ROWS[1:]
        ],
        "Item reads, one uvicorn worker each, PostgreSQL + Redis",
        "a bare FastAPI app",
        "cache",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per run")
    parser.add_argument("--rounds", type=int, default=5, help="median over this many")
    parser.add_argument("--stampede-requests", type=int, default=1000)
    parser.add_argument("--stampede-rounds", type=int, default=5)
    parser.add_argument("--quiet-threshold", type=float, default=0.25)
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    parser.add_argument("--target", type=float, default=0.8, help="L1 hit / bare goal")
    parser.add_argument("--no-plot", action="store_true", help="skip docs/benchmarks/cache.png")
    parser.add_argument("--output", type=Path)
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    config = LoadConfig.from_args(args)
    project, package = render_project(workdir)
    logs = workdir / "logs"
    logs.mkdir()
    bare_body = workdir / "bare-body.json"
    settings = {MAIN: {}, L2_ONLY: {"CACHE_L1_TTL": "0.000001"}, PEER: {}}
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        migrate(project, database_url)
        servers = {
            name: stack.enter_context(
                cache_server(
                    name,
                    project,
                    package,
                    service_env(
                        database_url, {**overrides, "BENCH_BARE_BODY_FILE": str(bare_body)}
                    ),
                    logs,
                )
            )
            for name, overrides in settings.items()
        }
        main_url = servers[MAIN].base_url
        # Each server signs its own tokens (SECRET_KEY): the user logs in on each.
        sessions = {MAIN: sign_in(main_url, register=True)}
        sessions |= {name: sign_in(server.base_url) for name, server in servers.items()}
        servers[BARE] = stack.enter_context(bare_server(logs))
        status, item = http(
            "POST", main_url + "/api/v1/items", {"name": "bench", "price": "1.00"}, sessions[MAIN]
        )
        if status != 201:
            raise SystemExit(f"seeding an item failed: {status} {item}")
        with httpx.Client(headers=sessions[MAIN]) as client:
            bare_body.write_bytes(client.get(f"{main_url}/api/v1/items/{item['id']}").content)
            if client.get(f"{main_url}/bench/bare").content != bare_body.read_bytes():
                raise SystemExit("the bare endpoint does not serve the item's bytes")
        runs = throughput(servers, sessions, item, config, args.rounds)
        urls = [servers[MAIN].base_url, servers[PEER].base_url]
        url_sessions = [sessions[MAIN], sessions[PEER]]
        stampedes = []
        for number in range(args.stampede_rounds):
            stampede = asyncio.run(stampede_round(urls, url_sessions, args.stampede_requests))
            print(f"stampede {number + 1}: {stampede}", file=sys.stderr)
            stampedes.append(stampede)
    return {
        "machine": info,
        "load": vars(config),
        "settings": settings,
        "runs": runs,
        "summary": summarise(runs, stampedes),
        "server_log_tails": {name: server.log_tail(50) for name, server in servers.items()},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "cache", lambda directory: benchmark(args, directory), args.output
    )
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"], args.target))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'], args.target)}")
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
