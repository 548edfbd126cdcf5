"""Replicas behind haproxy: requests/s of an authenticated read on 1, 2 and 3 processes.

Renders the default PostgreSQL project (hybrid sessions, chunked uploads), migrates one
throwaway database, starts an S3 server of its own (scripts/s3 with a random key:
production refuses the local one, and /health/ready checks the bucket), registers one
user, seeds one item, and starts three single-worker uvicorn processes of it with
APP_ENV=prod, sharing that database, one Redis namespace, the bucket and one secret key
(so a session made on one is valid on all). One haproxy process (Debian's,
`scripts/haproxy`; its defaults otherwise, so one thread per core) has three frontends,
each round robin over its own backend with `option httpchk GET /health/ready` every
second: lb-1 reaches replica 1, lb-2 replicas 1 and 2, lb-3 all three. Connections are
HTTP/1.1 keep-alive end to end (haproxy's default `http-reuse safe` keeps those to the
replicas).

Each round: the load generator alone against the stub server, a fresh login, then for
`GET /api/v1/users/me` (the session's check and one primary-key read of the user) and
`GET /api/v1/items/{id}` (an L1 hit in each replica once warm) the rows direct-1
(replica 1 with no haproxy in front), lb-1, lb-2 and lb-3, in an order that reverses
every round; 32 connections, 2 s warm-up, 6 s measured. Each row's requests/s is divided
by lb-1's of the same round and endpoint; the median of those ratios is reported with
their spread. During every run the CPU seconds of each replica, of haproxy and of the
load generator are read from /proc, beside the machine's busy time, so the table shows
where the cores went: on a 2-core machine the load generator, haproxy, PostgreSQL and
Redis take theirs from the same two cores as the replicas, so 3 replicas cannot give 3x.

    .venv/bin/python bench/replicas.py                 # 6 rounds x 6 s, about 9 minutes
    .venv/bin/python bench/replicas.py --rounds 1 --duration 2 --no-plot

About 9 minutes on a quiet machine (9 runs of about 9 s per round, plus 30 s to start);
each run waits up to --quiet-wait seconds (30) for other work on the machine first.
At its peak the replicas hold up to 3 x (DB_POOL_SIZE + DB_MAX_OVERFLOW) = 60
PostgreSQL connections.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    LOADGEN_CPU,
    REPO,
    STARTUP_TIMEOUT_S,
    STUB,
    LoadConfig,
    Server,
    add_load_arguments,
    describe_run,
    drive,
    free_port,
    http,
    migrate,
    postgres_version,
    render_project,
    run_benchmark,
    running,
    service_env,
    stub_server,
    throwaway_database,
    uvicorn_command,
    wait_until_live,
)
from machine import describe, median, template_state
from plot import RatioRow, ratio_plot
from sessions import EMAIL, PASSWORD, log_in, redis_namespaces

REPLICAS = ("replica-1", "replica-2", "replica-3")
HAPROXY = "haproxy"
S3_SCRIPT = REPO / "scripts" / "s3"
# weed mini listens on its S3 port, the next four and each of those + 10000 (gRPC); all
# below the ephemeral range, as scripts/s3 keeps them.
S3_PORTS = range(20_000, 22_000, 10)
BASELINE = "lb-1"
# Keep-alive to the replicas outlives haproxy's idle timeouts (the generated README's
# advice behind a balancer), so haproxy never reuses a connection a replica is closing.
KEEP_ALIVE_SECONDS = "60"
ENDPOINTS = {"me": "`GET /api/v1/users/me`", "item": "`GET /api/v1/items/{id}`, L1 hit"}
OTHER = "other"  # machine busy minus the processes above: PostgreSQL, Redis, anyone else

HAPROXY_GLOBAL = """\
global
    maxconn 1024

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    timeout check 3s
    # A request goes to one replica, once: what the client sees is what it answered.
    retries 0
    no option redispatch

listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
"""

HAPROXY_BALANCER = """
frontend {name}
    bind 127.0.0.1:{port}
    default_backend {name}-replicas

backend {name}-replicas
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    # haproxy's fall and rise: a replica slow to answer one check under load stays in.
    default-server inter 1s fall 3 rise 2
{servers}
"""


@dataclass(frozen=True)
class Row:
    """One measured line: direct-1 is replica 1 alone, lb-N is haproxy over N replicas."""

    key: str
    label: str
    replicas: int
    balanced: bool


ROWS = [
    Row("direct-1", "1 replica, no haproxy", 1, False),
    Row("lb-1", "haproxy, 1 replica (baseline)", 1, True),
    Row("lb-2", "haproxy, 2 replicas", 2, True),
    Row("lb-3", "haproxy, 3 replicas", 3, True),
]


def haproxy_config(replicas: dict[str, Server], ports: dict[str, int], stats_port: int) -> str:
    text = HAPROXY_GLOBAL.format(stats_port=stats_port)
    for row in ROWS:
        if not row.balanced:
            continue
        servers = [
            f"    server {name} 127.0.0.1:{replicas[name].port} check"
            for name in REPLICAS[: row.replicas]
        ]
        text += HAPROXY_BALANCER.format(
            name=row.key, port=ports[row.key], servers="\n".join(servers)
        )
    return text


def backend_states(stats_url: str) -> dict[str, str]:
    """haproxy's view of every server: "backend/server" -> UP, DOWN, ..."""
    with urllib.request.urlopen(stats_url + ";csv", timeout=5) as answer:  # noqa: S310
        text = answer.read().decode()
    rows = csv.DictReader(io.StringIO(text.removeprefix("# ")))
    return {
        f"{row['pxname']}/{row['svname']}": row["status"]
        for row in rows
        if row["pxname"].endswith("-replicas") and row["svname"] != "BACKEND"
    }


@contextlib.contextmanager
def balancer(replicas: dict[str, Server], workdir: Path, logs: Path) -> Iterator[dict[str, Server]]:
    """One haproxy with a frontend per balanced row; yields a Server per frontend, all
    of them the same haproxy process, once every health check has passed."""
    executable = shutil.which(HAPROXY) or "/usr/sbin/haproxy"
    if not Path(executable).is_file():
        raise SystemExit("haproxy is missing: run scripts/haproxy")
    ports = {row.key: free_port() for row in ROWS if row.balanced}
    stats_port = free_port()
    config = workdir / "haproxy.cfg"
    config.write_text(haproxy_config(replicas, ports, stats_port), encoding="utf-8")
    checked = subprocess.run(
        [executable, "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise SystemExit(f"haproxy refused its config:\n{checked.stdout}{checked.stderr}")
    command = [executable, "-db", "-f", str(config)]
    with running(HAPROXY, command, cwd=workdir, env={}, log_dir=logs, port=stats_port) as proxy:
        stats_url = f"{proxy.base_url}/stats"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        states: dict[str, str] = {}
        while not states or set(states.values()) != {"UP"}:
            if proxy.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"haproxy saw {states}:\n{proxy.log_tail()}")
            time.sleep(0.2)
            with contextlib.suppress(OSError):
                states = backend_states(stats_url)
        yield {
            key: Server(name=key, port=port, process=proxy.process, log=proxy.log)
            for key, port in ports.items()
        }


def s3_ports_free(port: int) -> bool:
    for candidate in [*range(port, port + 5), *range(port + 10_000, port + 10_005)]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


@contextlib.contextmanager
def storage(workdir: Path) -> Iterator[dict[str, str]]:
    """An S3 server of this run's own (scripts/s3: SeaweedFS), with a random key, since
    production refuses the local one and /health/ready checks the bucket; yields the
    service's S3 settings. Stopped and its files deleted on exit."""
    port = next((port for port in S3_PORTS if s3_ports_free(port)), None)
    if port is None:
        raise SystemExit(f"no free ports for an S3 server in {S3_PORTS}")
    settings = {
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "S3_BUCKET": "bench-replicas",
        "AWS_ACCESS_KEY_ID": f"bench-{secrets.token_hex(4)}",
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
    }
    env = {**os.environ, **settings, "S3_PORT": str(port), "S3_STATE_DIR": str(workdir / "s3")}
    started = subprocess.run(
        [S3_SCRIPT, "start"], env=env, capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            raise SystemExit(f"scripts/s3 start failed:\n{started.stdout}{started.stderr}")
        yield settings
    finally:
        subprocess.run([S3_SCRIPT, "stop"], env=env, check=False)


def prepare_bucket(project: Path, package: str, env: dict[str, str]) -> None:
    """What a generated project runs before its first start, after the migrations."""
    result = subprocess.run(
        [sys.executable, "-m", f"{package}.cli.prepare_bucket"],
        cwd=project,
        env={**env, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"preparing the bucket failed:\n{result.stdout}{result.stderr}")


@contextlib.contextmanager
def replica(
    name: str, project: Path, package: str, env: dict[str, str], logs: Path
) -> Iterator[Server]:
    """One uvicorn process of the project (harness.uvicorn_command), with a keep-alive
    longer than haproxy's, as the service's own `python -m` start sets it."""
    port = free_port()
    command = [
        *uvicorn_command(["--factory", f"{package}.main:create_app"], "src", port),
        "--timeout-keep-alive",
        KEEP_ALIVE_SECONDS,
    ]
    with running(name, command, cwd=project, env=env, log_dir=logs, port=port) as server:
        wait_until_live(server, "/health/ready")
        yield server


def measure(
    targets: dict[str, Server],
    pids: dict[str, int],
    paths: dict[str, str],
    config: LoadConfig,
    rounds: int,
) -> list[dict[str, Any]]:
    """Each round: the stub, a fresh login, then every (endpoint, row), the order reversed
    every other round. The login keeps the 15-minute access token fresh on long runs."""
    schedule = [(endpoint, row) for endpoint in ENDPOINTS for row in ROWS]
    runs: list[dict[str, Any]] = []
    for number in range(rounds):
        run = drive(targets[STUB], "/", config, watch=pids)
        run.update({"round": number + 1, "row": STUB, "endpoint": STUB})
        runs.append(run)
        headers = log_in(targets[REPLICAS[0]])
        for endpoint, row in schedule if number % 2 == 0 else schedule[::-1]:
            target = targets[row.key if row.balanced else REPLICAS[0]]
            run = drive(target, paths[endpoint], config, headers, watch=pids)
            run.update({"round": number + 1, "row": row.key, "endpoint": endpoint})
            runs.append(run)
            print(f"round {number + 1}: {describe_run(row.key, endpoint, run)}", file=sys.stderr)
    return runs


def cores(run: dict[str, Any]) -> dict[str, float]:
    """Cores each watched process used on average over one run, and the rest of the machine."""
    used = {name: (seconds or 0.0) / run["wall_s"] for name, seconds in run["cpu_seconds"].items()}
    used[OTHER] = max(0.0, (run.get("machine_cores_busy") or 0.0) - sum(used.values()))
    return used


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per (endpoint, row): median requests/s and cores; the ratio to lb-1 of the same round."""
    by_round: dict[tuple[int, str], dict[str, float]] = {}
    for run in runs:
        by_round.setdefault((run["round"], run["endpoint"]), {})[run["row"]] = run["rps"]
    summary: dict[str, Any] = {}
    for endpoint in [STUB, *ENDPOINTS]:
        keys = [STUB] if endpoint == STUB else [row.key for row in ROWS]
        for key in keys:
            mine = [run for run in runs if (run["endpoint"], run["row"]) == (endpoint, key)]
            each = [
                values[key] / values[BASELINE]
                for (_, name), values in sorted(by_round.items())
                if name == endpoint and endpoint != STUB
            ]
            used = [cores(run) for run in mine]
            summary[f"{endpoint}/{key}"] = {
                "rps_median": median([run["rps"] for run in mine]),
                "rps_each": [round(run["rps"], 1) for run in mine],
                "p99_ms_median": median([run["p99_ms"] for run in mine]),
                "errors_total": sum(run["errors"] for run in mine),
                "requests_total": sum(run["requests_ok"] + run["errors"] for run in mine),
                "ratio_median": median(each) if each else None,
                "ratio_each": [round(value, 3) for value in each],
                "cores_median": {name: median([u[name] for u in used]) for name in used[0]},
                "machine_cores_busy_median": median(
                    [run.get("machine_cores_busy") or 0.0 for run in mine]
                ),
            }
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines = [
        "| request | replicas | req/s (median) | ratio to haproxy + 1 replica (median) "
        "| spread (min to max) | each round | p99 ms | errors / requests |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for endpoint, text in ENDPOINTS.items():
        for row in ROWS:
            entry = summary[f"{endpoint}/{row.key}"]
            each = entry["ratio_each"]
            lines.append(
                f"| {text} | {row.label} | {entry['rps_median']:.1f} "
                f"| {entry['ratio_median']:.3f} | {min(each):.3f} to {max(each):.3f} "
                f"| {', '.join(map(str, each))} | {entry['p99_ms_median']:.2f} "
                f"| {entry['errors_total']} / {entry['requests_total']} |"
            )
    stub = summary[f"{STUB}/{STUB}"]
    lines.append(
        f"| load generator alone (stub server) | | {stub['rps_median']:.1f} | | | | "
        f"{stub['p99_ms_median']:.2f} | {stub['errors_total']} / {stub['requests_total']} |"
    )
    names = [*REPLICAS, HAPROXY, LOADGEN_CPU, OTHER]
    lines += [
        "",
        "CPU over each run (warm-up included), in cores, median over rounds; "
        f"`{OTHER}` is the machine's busy time less the processes before it "
        "(PostgreSQL, Redis, anything else running):",
        "",
        f"| request | replicas | {' | '.join(names)} | machine busy |",
        f"| --- | --- | {' | '.join('---:' for _ in names)} | ---: |",
    ]
    entries = [
        (text, row.label, f"{endpoint}/{row.key}")
        for endpoint, text in ENDPOINTS.items()
        for row in ROWS
    ]
    entries.append(("load generator alone (stub server)", "", f"{STUB}/{STUB}"))
    for text, label, key in entries:
        used = summary[key]["cores_median"]
        lines.append(
            f"| {text} | {label} | {' | '.join(f'{used[name]:.2f}' for name in names)} "
            f"| {summary[key]['machine_cores_busy_median']:.2f} |"
        )
    return "\n".join(lines)


def plot(summary: dict[str, Any]) -> Path:
    return ratio_plot(
        [
            RatioRow(
                f"{ENDPOINTS[endpoint].replace('`', '')}: {row.label}",
                summary[f"{endpoint}/{row.key}"]["ratio_each"],
                summary[f"{endpoint}/{row.key}"]["ratio_median"],
            )
            for endpoint in ENDPOINTS
            for row in ROWS
            if row.key != BASELINE
        ],
        "Replicas behind haproxy, one uvicorn worker each, PostgreSQL",
        "haproxy in front of 1 replica",
        "replicas",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    add_load_arguments(parser)
    parser.add_argument("--no-plot", action="store_true", help="skip docs/benchmarks/replicas.png")
    parser.add_argument(
        "--json", type=Path, help="results (default: bench/results/replicas-*.json)"
    )
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    version = subprocess.run(
        [shutil.which(HAPROXY) or "/usr/sbin/haproxy", "-v"],
        capture_output=True,
        text=True,
        check=False,
    )
    info["haproxy"] = version.stdout.splitlines()[0] if version.returncode == 0 else "missing"
    config = LoadConfig.from_args(args)
    project, package = render_project(workdir, session_strategy="hybrid", upload_strategy="chunked")
    logs = workdir / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        namespace = stack.enter_context(redis_namespaces(args.redis_url))["hybrid"]
        migrate(project, database_url)
        s3 = stack.enter_context(storage(workdir))
        # One environment for all three: the same secret key, database, namespace, bucket.
        env = service_env(
            database_url, {"REDIS_URL": args.redis_url, "REDIS_NAMESPACE": namespace, **s3}
        )
        prepare_bucket(project, package, env)
        targets: dict[str, Server] = {STUB: stack.enter_context(stub_server(logs))}
        for name in REPLICAS:
            targets[name] = stack.enter_context(replica(name, project, package, env, logs))
        replicas = {name: targets[name] for name in REPLICAS}
        balancers = stack.enter_context(balancer(replicas, workdir, logs))
        targets.update(balancers)
        base = targets[REPLICAS[0]].base_url
        status, body = http(
            "POST", base + "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD}
        )
        if status != 201:
            raise SystemExit(f"registering the user failed: {status} {body}")
        header, value = log_in(targets[REPLICAS[0]])[0].split(": ", 1)
        status, item = http(
            "POST", base + "/api/v1/items", {"name": "hot", "price": "1.00"}, {header: value}
        )
        if status != 201:
            raise SystemExit(f"seeding an item failed: {status} {item}")
        paths = {"me": "/api/v1/users/me", "item": f"/api/v1/items/{item['id']}"}
        for name, server in targets.items():  # the session is valid everywhere
            if (
                name != STUB
                and http("GET", server.base_url + paths["me"], None, {header: value})[0] != 200
            ):
                raise SystemExit(f"{name} refused the session made on {REPLICAS[0]}")
        pids = {name: targets[name].process.pid for name in REPLICAS}
        pids[HAPROXY] = balancers[BASELINE].process.pid
        runs = measure(targets, pids, paths, config, args.rounds)
        log_tails = {name: server.log_tail(30) for name, server in targets.items()}
    errors = {f"{r['endpoint']}/{r['row']}": r["error_kinds"] for r in runs if r["errors"]}
    if errors:
        print(f"errors: {errors}", file=sys.stderr)
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "runs": runs,
        "summary": summarise(runs),
        "server_log_tails": log_tails,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "replicas", lambda directory: benchmark(args, directory), args.json
    )
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"]))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'])}")
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
