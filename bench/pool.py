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
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]
from machine import (
    cookiecutter_config,
    cores_busy,
    describe,
    machine_ticks,
    median,
    process_cpu_seconds,
    template_state,
    wait_for_quiet,
)

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
LOADGEN = BENCH / "loadgen.py"
STUB_SERVER = BENCH / "stub_server.py"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_TIMEOUT_S = 30.0
READ = "read"
HEALTH = "health"
STUB = "stub"
POOLED = "pooled"
NULLPOOL = "nullpool"
PING_ALWAYS = "pooled_ping_always"  # optional diagnostic: pre-ping on every checkout


@dataclass
class Server:
    """A process serving HTTP on 127.0.0.1:port, with its output in log."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# --- PostgreSQL ---------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    """url with its path (the database name) replaced."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _admin(url: str, statement: str | None = None) -> str:
    """Run statement (if any) on the maintenance database; return the server version."""
    connection = await asyncpg.connect(url, timeout=5)
    try:
        if statement is not None:
            await connection.execute(statement)
        version: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version


def postgres_version(admin_url: str) -> str:
    """The server's version; exits with a clear message when it cannot be reached."""
    try:
        return asyncio.run(_admin(admin_url))
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise SystemExit(
            f"PostgreSQL is not reachable at {admin_url}: {type(exc).__name__}: {exc}\n"
            "Start it, or point --postgres-url (or BENCH_POSTGRES_URL) at a server where "
            "this user may CREATE DATABASE."
        ) from exc


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A fresh empty database for this run, dropped on exit; yields its URL."""
    name = f"bench_pool_{secrets.token_hex(4)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    print(f"created database {name}", file=sys.stderr)
    try:
        yield with_database(admin_url, name)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}", file=sys.stderr)


# --- the project --------------------------------------------------------------------


def render_project(directory: Path, **answers: str) -> tuple[Path, str]:
    """Render a PostgreSQL project; return its directory and package name.

    Answers other than the default go in answers; each set renders to its own folder.
    """
    answers = {"database": "postgresql", **answers}
    project = Path(
        cookiecutter(
            str(REPO),
            no_input=True,
            output_dir=str(directory / "-".join(["out", *answers.values()])),
            extra_context=answers,
            config_file=str(cookiecutter_config(directory)),
        )
    )
    packages = [path.name for path in (project / "src").iterdir() if path.is_dir()]
    if len(packages) != 1:
        raise SystemExit(f"expected one package under {project / 'src'}, found {packages}")
    return project, packages[0]


# Every service process of one run shares this Redis namespace, and no other run's.
REDIS_NAMESPACE = f"bench-{secrets.token_hex(4)}"


def service_env(database_url: str, overrides: dict[str, str]) -> dict[str, str]:
    """The environment for the service's processes: quiet logs, production mode."""
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "prod",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
            "REDIS_NAMESPACE": REDIS_NAMESPACE,
            # Production refuses .env's local S3 key; these benchmarks store nothing.
            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(overrides)
    return env


def migrate(project: Path, database_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=project,
        env=service_env(database_url, {}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"alembic upgrade head failed:\n{result.stdout}{result.stderr}")


# --- processes ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def http(
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One small HTTP request with the standard library; returns status and JSON."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310  # http only
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


BENCH_USER = {"email": "bench@example.com", "password": "a long benchmark passphrase"}


def sign_in(base_url: str, *, register: bool = False) -> dict[str, str]:
    """Log the benchmark user in (registered first if asked): the headers of its session.

    The benchmarks render the default session strategy, whose sessions are bearer
    tokens; the example routes answer only signed-in users.
    """
    if register:
        status, body = http("POST", base_url + "/api/v1/auth/register", BENCH_USER)
        if status != 201:
            raise SystemExit(f"registering the benchmark user failed: {status} {body}")
    status, body = http("POST", base_url + "/api/v1/auth/login", BENCH_USER)
    if status != 200 or "access_token" not in body:
        raise SystemExit(f"logging the benchmark user in failed: {status} {body}")
    return {"Authorization": f"Bearer {body['access_token']}"}


def header_lines(headers: dict[str, str]) -> list[str]:
    """Headers as the load generator takes them."""
    return [f"{name}: {value}" for name, value in headers.items()]


def wait_until_live(server: Server, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited at start-up:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            if http("GET", server.base_url + path)[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not answer {path} in time:\n{server.log_tail()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate one process this script started; kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running(
    name: str, command: list[str], *, cwd: Path, env: dict[str, str], log_dir: Path, port: int
) -> Iterator[Server]:
    log = log_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script, which stops it in order
        )
    server = Server(name=name, port=port, process=process, log=log)
    try:
        yield server
    finally:
        stop(process)


@contextlib.contextmanager
def service(
    name: str, project: Path, package: str, env: dict[str, str], log_dir: Path
) -> Iterator[Server]:
    """One uvicorn process (no --workers: a single worker) serving the project."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"{package}.main:create_app",
        "--app-dir",
        "src",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with running(name, command, cwd=project, env=env, log_dir=log_dir, port=port) as server:
        wait_until_live(server, "/health/live")
        yield server


@contextlib.contextmanager
def stub_server(log_dir: Path) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(STUB_SERVER), "--port", str(port)]
    with running(STUB, command, cwd=BENCH, env=dict(os.environ), log_dir=log_dir, port=port) as s:
        wait_until_live(s, "/")
        yield s


# --- load ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadConfig:
    connections: int
    duration: float
    warmup: float
    quiet_threshold: float  # cores other processes may use when a run starts
    quiet_wait: float  # seconds to wait for that before starting anyway


def drive(
    server: Server, path: str, config: LoadConfig, headers: Sequence[str] = ()
) -> dict[str, Any]:
    """Run bench/loadgen.py against one server; add the CPU the server and machine used."""
    command = [
        sys.executable,
        str(LOADGEN),
        server.base_url + path,
        "--connections",
        str(config.connections),
        "--duration",
        str(config.duration),
        "--warmup",
        str(config.warmup),
        *(argument for header in headers for argument in ("--header", header)),
    ]
    background, waited = wait_for_quiet(config.quiet_wait, config.quiet_threshold)
    server_cpu_before = process_cpu_seconds(server.process.pid)
    ticks_before = machine_ticks()
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    ticks_after = machine_ticks()
    server_cpu_after = process_cpu_seconds(server.process.pid)
    if result.returncode != 0:
        raise SystemExit(f"loadgen failed against {server.name}:\n{result.stderr}")
    run: dict[str, Any] = json.loads(result.stdout)
    # Both readings span the loadgen's start-up and warm-up too (about warmup + 0.3 s).
    if server_cpu_before is not None and server_cpu_after is not None:
        run["server_cores"] = (server_cpu_after - server_cpu_before) / wall
    run["machine_cores_busy"] = cores_busy(ticks_before, ticks_after)
    run["background_cores_before"] = background
    run["waited_for_quiet_s"] = round(waited, 1)
    return run


def describe_run(server: str, endpoint: str, run: dict[str, Any]) -> str:
    return (
        f"{server:>8} {endpoint:<6} {run['rps']:>9.1f} req/s  p50 {run['p50_ms']:6.2f} ms  "
        f"p99 {run['p99_ms']:7.2f} ms  errors {run['errors']}  "
        f"client {run['client_cpu_percent']:.0f}% cpu"
    )


def measure(
    servers: dict[str, Server],
    credentials: dict[str, list[str]],
    stub: Server,
    paths: dict[str, str],
    config: LoadConfig,
    rounds: int,
) -> list[dict[str, Any]]:
    """Every run: the stub, then each endpoint (paths: name -> path) on every server,
    the server order alternating between rounds. /health/live goes without credentials."""
    names = list(servers)
    runs: list[dict[str, Any]] = []
    for number in range(rounds):
        order = names if number % 2 == 0 else names[::-1]
        schedule = [(STUB, stub, "/", STUB)]
        schedule += [
            (endpoint, servers[n], paths[endpoint], n) for endpoint in paths for n in order
        ]
        for endpoint, server, path, name in schedule:
            headers = [] if endpoint in {HEALTH, STUB} else credentials[name]
            run = drive(server, path, config, headers)
            run.update({"round": number + 1, "server": name, "endpoint": endpoint})
            runs.append(run)
            print(f"round {number + 1}: {describe_run(name, endpoint, run)}", file=sys.stderr)
    return runs


# --- summary ------------------------------------------------------------------------


def summarise_rows(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Medians over rounds per "server/endpoint"."""
    rows: dict[str, dict[str, Any]] = {}
    for key in sorted({(run["server"], run["endpoint"]) for run in runs}):
        mine = [run for run in runs if (run["server"], run["endpoint"]) == key]
        rows[f"{key[0]}/{key[1]}"] = {
            "runs": len(mine),
            "rps_median": median([run["rps"] for run in mine]),
            "rps_each": [round(run["rps"], 1) for run in mine],
            "p50_ms_median": median([run["p50_ms"] for run in mine]),
            "p99_ms_median": median([run["p99_ms"] for run in mine]),
            "errors_total": sum(run["errors"] for run in mine),
            "requests_ok_total": sum(run["requests_ok"] for run in mine),
            "client_cpu_percent_median": median([run["client_cpu_percent"] for run in mine]),
            "server_cores_median": median([run.get("server_cores") or 0.0 for run in mine]),
            "machine_cores_busy_median": median(
                [run.get("machine_cores_busy") or 0.0 for run in mine]
            ),
            "background_cores_before_max": max(
                run.get("background_cores_before") or 0.0 for run in mine
            ),
        }
    return rows


ROW_HEADER = [
    "| server, endpoint | req/s (median) | req/s each round | p50 ms | p99 ms "
    "| errors / requests | server CPU (cores) | all CPU (cores) | client CPU |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
]


def markdown_row(label: str, row: dict[str, Any]) -> str:
    """One row of summarise_rows() under ROW_HEADER."""
    return (
        f"| {label} | {row['rps_median']:.1f} | {', '.join(map(str, row['rps_each']))} "
        f"| {row['p50_ms_median']:.2f} | {row['p99_ms_median']:.2f} "
        f"| {row['errors_total']} / {row['requests_ok_total'] + row['errors_total']} "
        f"| {row['server_cores_median']:.2f} | {row['machine_cores_busy_median']:.2f} "
        f"| {row['client_cpu_percent_median']:.0f}% |"
    )


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
    config = LoadConfig(
        args.connections, args.duration, args.warmup, args.quiet_threshold, args.quiet_wait
    )
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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as directory:
        results = benchmark(args, Path(directory))
    output = args.output or BENCH / "results" / time.strftime("pool-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"], args.target))
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
