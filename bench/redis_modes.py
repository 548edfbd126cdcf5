"""Redis Cluster and Sentinel against one Redis node: session and cache latency.

Renders one PostgreSQL project with the redis session strategy, migrates one throwaway
database, and serves it with three single-worker uvicorn processes side by side, one
per Redis deployment:

* single:   the machine's Redis at --redis-url (REDIS_URL), a key namespace of its own
* cluster:  REDIS_CLUSTER=true, a Cluster of 3 masters and 3 replicas started here
* sentinel: REDIS_SENTINELS, a master, its replica and 3 sentinels started here

bench/redis_servers.py starts the Cluster and the Sentinel deployment from the
redis-server binary on spare ports, as the generated project's tests do, and stops
every node at the end, also after an error or Ctrl-C.

Two requests, both with one logged-in user's session cookie:

* GET /api/v1/users/me: the session read from Redis (one pipelined HGETALL + EXPIRE),
  then the user's row by primary key from PostgreSQL.
* GET /api/v1/items/{id}: the session read, then the item from the cache's L2 (one
  MGET in Redis), no database. The load generator reads 64 items of the user in turn
  (loadgen.py --cycle), each already in every deployment's L2: concurrent requests
  ask for different keys, so the cache's single flight, which lets concurrent reads
  of one key in a process share one Redis call, does not hide the Redis round trip
  of most of them. L1 (in the process) would answer without Redis, so
  every server runs with CACHE_L1_TTL=0.000001: the setting must be above 0 and
  CACHE_L1_MAX_ITEMS at least 1, so no setting turns L1 off, but an entry that
  expires a microsecond after it is stored is never read back, and every read goes
  to L2, as for bench/cache.py's L2 row. The servers' own cache counters (/metrics)
  are read around each item run: the last table says how many reads went to L2 (the
  rest shared another request's read), and any L1 hit, database load or Redis error.

Every round drives the load generator alone against the stub server, then each
request on each server with bench/loadgen.py (8 connections by default, so latency
is not mostly queueing), in an order that reverses every round. Each mode's p50,
p99 and requests/s are divided by the single node's for the same request in the
same round; the table gives the median over rounds and the spread (min to max).
docs/benchmarks/redis_modes.png plots the same ratios.

The cache keeps every key in one hash slot ({cache}) and a user's session keys
share one ({user:<id>}): on the Cluster both live on one master, so the Cluster
rows show the cluster client's routing, not load spread over masters. Sentinel is
asked for the master when a pooled connection opens, then the client talks to the
master alone. The single node is the machine's shared Redis, which other work may
use; the Cluster and the Sentinel deployment serve this run alone.

    .venv/bin/python bench/redis_modes.py                 # 6 rounds x 6 s, about 7 minutes
    .venv/bin/python bench/redis_modes.py --rounds 1 --duration 2 --no-plot
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
import redis_servers
from harness import (
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    REPO,
    ROW_HEADER,
    STUB,
    LoadConfig,
    Server,
    add_load_arguments,
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
from sessions import EMAIL, PASSWORD, delete_keys, log_in

SINGLE, CLUSTER, SENTINEL = "single", "cluster", "sentinel"
MODES = (SINGLE, CLUSTER, SENTINEL)
ME, ITEM = "me", "item"
REQUESTS = {ME: "`GET /api/v1/users/me`", ITEM: "`GET /api/v1/items/{id}`, L2 hit"}
# loadgen.py's figures, as ratios to the single node; for latency lower is better.
FIGURES = {"p50_ms": "p50", "p99_ms": "p99", "rps": "req/s"}
# The cache's counters on /metrics that say where the item reads went.
COUNTERS = {
    'cache_lookups_total{level="l1",result="hit"}': "l1_hits",
    'cache_lookups_total{level="l1",result="miss"}': "l1_misses",
    'cache_lookups_total{level="l2",result="hit"}': "l2_hits",
    "cache_loads_total": "loads",
    "cache_redis_errors_total": "redis_errors",
}
L1_TTL = "0.000001"  # seconds: see the module's docstring
ITEMS = 64  # read in turn; far more than the connections


@contextlib.contextmanager
def namespaces(redis_url: str) -> Iterator[dict[str, str]]:
    """A key namespace per mode; the single node's keys are deleted on exit (the
    Cluster and the Sentinel deployment go away with their servers)."""
    run = secrets.token_hex(4)
    names = {mode: f"bench-redis-modes-{run}-{mode}" for mode in MODES}
    try:
        yield names
    finally:
        asyncio.run(delete_keys(redis_url, [names[SINGLE]]))


def log_in_for_writes(server: Server) -> dict[str, str]:
    """A session of its own for a POST: its cookies and the CSRF header the redis
    strategy asks of unsafe methods (sessions.log_in keeps the session cookie alone)."""
    body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
    request = urllib.request.Request(  # noqa: S310  # http to 127.0.0.1 only
        server.base_url + "/api/v1/auth/login", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        pairs = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    cookies = dict(pair.split("=", 1) for pair in pairs)
    return {
        "Cookie": "; ".join(pairs),
        "X-CSRF-Token": cookies["csrf_token"],
    }


def cache_counters(server: Server) -> dict[str, float]:
    """The cache's counters of server, from its /metrics."""
    request = urllib.request.Request(server.base_url + "/metrics")  # noqa: S310  # 127.0.0.1
    request.add_header("Authorization", f"Bearer {server.settings['METRICS_TOKEN']}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    counters = dict.fromkeys(COUNTERS.values(), 0.0)
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in COUNTERS:
            counters[COUNTERS[name]] = float(value)
    return counters


def seed_items(server: Server) -> int:
    """ITEMS items of the benchmark user, with consecutive ids; returns the first id."""
    writer = log_in_for_writes(server)
    ids = []
    for number in range(ITEMS):
        body = {"name": f"cached-{number}", "price": "1.00"}
        status, item = http("POST", server.base_url + "/api/v1/items", body, writer)
        if status != 201:
            raise SystemExit(f"seeding an item failed: {status} {item}")
        ids.append(item["id"])
    if ids != list(range(ids[0], ids[0] + ITEMS)):
        raise SystemExit(f"seeded item ids are not consecutive: {ids}")
    first: int = ids[0]
    return first


def fill_l2(server: Server, credentials: list[str], first: int) -> None:
    """Read every item once: the first read loads it into that deployment's L2."""
    header, value = credentials[0].split(": ", 1)
    for item_id in range(first, first + ITEMS):
        url = f"{server.base_url}/api/v1/items/{item_id}"
        status, body = http("GET", url, None, {header: value})
        if status != 200:
            raise SystemExit(f"{server.name}: reading item {item_id} failed: {status} {body}")


def measure(
    servers: dict[str, Server],
    credentials: dict[str, list[str]],
    first_item: int,
    config: LoadConfig,
    rounds: int,
) -> list[dict[str, Any]]:
    """Each round: the stub, then every request on every server, reversed every round."""
    paths = {ME: "/api/v1/users/me", ITEM: "/api/v1/items/{n}"}
    schedule = [(mode, request) for request in REQUESTS for mode in MODES]
    runs: list[dict[str, Any]] = []
    for number in range(rounds):
        run = drive(servers[STUB], "/", config)
        run.update({"round": number + 1, "server": STUB, "endpoint": STUB})
        runs.append(run)
        for mode, request in schedule if number % 2 == 0 else schedule[::-1]:
            server = servers[mode]
            before = cache_counters(server) if request == ITEM else {}
            if request == ITEM:
                run = drive(server, paths[ITEM], config, credentials[mode], first_item, cycle=ITEMS)
            else:
                run = drive(server, paths[ME], config, credentials[mode])
            if request == ITEM:
                after = cache_counters(server)
                run["cache"] = {name: after[name] - before[name] for name in after}
            run.update({"round": number + 1, "server": mode, "endpoint": request})
            runs.append(run)
            print(f"round {number + 1}: {describe_run(mode, request, run)}", file=sys.stderr)
    return runs


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per mode and request, each figure over the single node's of the same round."""
    by_round: dict[int, dict[tuple[str, str], dict[str, Any]]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[(run["server"], run["endpoint"])] = run
    ratios: dict[str, Any] = {}
    for mode in MODES[1:]:
        for request in REQUESTS:
            figures: dict[str, Any] = {}
            for figure in FIGURES:
                each = [
                    values[(mode, request)][figure] / values[(SINGLE, request)][figure]
                    for _, values in sorted(by_round.items())
                ]
                figures[figure] = {
                    "median": median(each),
                    "each": [round(value, 3) for value in each],
                }
            ratios[f"{mode}/{request}"] = figures
    cache: dict[str, dict[str, float]] = {}
    for mode in MODES:
        items = [run for run in runs if (run["server"], run["endpoint"]) == (mode, ITEM)]
        totals = {name: sum(run["cache"][name] for run in items) for name in COUNTERS.values()}
        totals["reads"] = totals["l1_hits"] + totals["l1_misses"]
        cache[mode] = totals
    return {"rows": summarise_rows(runs), "ratios": ratios, "cache": cache}


def spread(ratio: dict[str, Any]) -> str:
    return f"{ratio['median']:.3f} ({min(ratio['each']):.3f} to {max(ratio['each']):.3f})"


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| request | Redis | p50 / single | p99 / single | req/s / single |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for request, label in REQUESTS.items():
        for mode in MODES[1:]:
            ratio = summary["ratios"][f"{mode}/{request}"]
            cells = " | ".join(spread(ratio[figure]) for figure in FIGURES)
            lines.append(f"| {label} | {mode} | {cells} |")
    lines += ["", "Median over rounds (min to max); each ratio is taken within one round.", ""]
    lines += ROW_HEADER
    for request, label in REQUESTS.items():
        for mode in MODES:
            lines.append(markdown_row(f"{mode}: {label}", summary["rows"][f"{mode}/{request}"]))
    lines.append(markdown_row("load generator alone (stub server)", summary["rows"]["stub/stub"]))
    lines += [
        "",
        "| Redis | item reads (warm-up included) | L2 hits | L1 hits | database loads "
        "| Redis errors (hidden by the cache) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, counts in summary["cache"].items():
        share = counts["l2_hits"] / counts["reads"] if counts["reads"] else 0.0
        lines.append(
            f"| {mode} | {counts['reads']:.0f} | {counts['l2_hits']:.0f} ({share:.1%}) "
            f"| {counts['l1_hits']:.0f} | {counts['loads']:.0f} | {counts['redis_errors']:.0f} |"
        )
    lines += ["", "Reads that are no L2 hit shared another request's Redis call (single flight)."]
    return "\n".join(lines)


def plot(summary: dict[str, Any]) -> Path:
    rows = []
    for figure, name in FIGURES.items():
        for request, label in REQUESTS.items():
            for mode in MODES[1:]:
                ratio = summary["ratios"][f"{mode}/{request}"][figure]
                text = f"{mode}, {label.replace('`', '')}: {name}"
                rows.append(RatioRow(text, ratio["each"], ratio["median"]))
    return ratio_plot(
        rows,
        "Redis Cluster and Sentinel against one node, one uvicorn worker each",
        "one Redis node",
        "redis_modes",
        "ratio to one Redis node, same request and round (latency: lower is better)",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="the single node")
    add_load_arguments(parser, connections=8)
    parser.add_argument(
        "--no-plot", action="store_true", help="skip docs/benchmarks/redis_modes.png"
    )
    parser.add_argument(
        "--json", type=Path, help="raw results (default: bench/results/redis-modes-*.json)"
    )
    return parser.parse_args(argv)


def single_node_version(redis_url: str) -> str:
    try:
        info = redis.Redis.from_url(redis_url, socket_timeout=5).info("server")
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {redis_url}: {exc}") from exc
    return str(info["redis_version"])


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    info["redis_single_node"] = single_node_version(args.redis_url)
    info["redis_server"] = redis_servers.version()
    config = LoadConfig.from_args(args)
    project, package = render_project(workdir, session_strategy="redis")
    logs = workdir / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        names = stack.enter_context(namespaces(args.redis_url))
        migrate(project, database_url)
        deployments = {
            SINGLE: {"REDIS_URL": args.redis_url},
            CLUSTER: stack.enter_context(redis_servers.redis_cluster(workdir / "cluster")),
            SENTINEL: stack.enter_context(redis_servers.redis_sentinel(workdir / "sentinel")),
        }
        servers: dict[str, Server] = {STUB: stack.enter_context(stub_server(logs))}
        for mode in MODES:
            env = service_env(
                database_url,
                {**deployments[mode], "REDIS_NAMESPACE": names[mode], "CACHE_L1_TTL": L1_TTL},
            )
            servers[mode] = stack.enter_context(service(mode, project, package, env, logs))
            servers[mode].settings = {"METRICS_TOKEN": env["METRICS_TOKEN"], **deployments[mode]}
        base = servers[SINGLE].base_url
        status, body = http(
            "POST", base + "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD}
        )
        if status != 201:
            raise SystemExit(f"registering the user failed: {status} {body}")
        credentials = {mode: log_in(servers[mode]) for mode in MODES}
        first_item = seed_items(servers[SINGLE])
        for mode in MODES:
            fill_l2(servers[mode], credentials[mode], first_item)
        runs = measure(servers, credentials, first_item, config, args.rounds)
    errors = {f"{run['server']}/{run['endpoint']}": run["error_kinds"] for run in runs}
    errors = {key: kinds for key, kinds in errors.items() if kinds}
    if errors:
        print(f"errors: {errors}", file=sys.stderr)
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "cache_l1_ttl": float(L1_TTL),
        "runs": runs,
        "summary": summarise(runs),
        "server_log_tails": {name: server.log_tail(30) for name, server in servers.items()},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "redis-modes", lambda directory: benchmark(args, directory), args.json
    )
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"]))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'])}")
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
