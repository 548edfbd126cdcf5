"""What the benchmarks share: render a project, run its servers, drive load, summarise.

Each benchmark (pool.py, cache.py, sessions.py, uploads.py) renders a project with
render_project, migrates a throwaway PostgreSQL database, starts single-worker uvicorn
servers with running/service, and drives them with bench/loadgen.py (a separate
process) through measure, in rounds whose order alternates so machine noise hits every
server alike; summarise_rows and markdown_row turn the runs into medians and table rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]
from machine import (
    cookiecutter_config,
    cores_busy,
    machine_ticks,
    median,
    process_cpu_seconds,
    wait_for_quiet,
)

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
LOADGEN = BENCH / "loadgen.py"
STUB_SERVER = BENCH / "stub_server.py"
BARE_PATH = "/ping"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STARTUP_TIMEOUT_S = 30.0
HEALTH = "health"
STUB = "stub"
BARE = "bare"
# The load generator's name in drive()'s run["cpu_seconds"].
LOADGEN_CPU = "loadgen"


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


def render_project(directory: Path, template: Path = REPO, **answers: str) -> tuple[Path, str]:
    """Render a PostgreSQL project from template (this repository's working tree unless
    given); return its directory and package name.

    Answers other than the default go in answers; each set renders to its own folder.
    """
    answers = {"database": "postgresql", **answers}
    project = Path(
        cookiecutter(
            str(template),
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
            "METRICS_TOKEN": secrets.token_urlsafe(48),  # production refuses /metrics without
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


def run_benchmark(
    name: str, benchmark: Callable[[Path], dict[str, Any]], output: Path | None
) -> tuple[dict[str, Any], Path]:
    """Run benchmark in a scratch directory (SIGTERM stops it cleanly) and save what it
    returns as JSON in output (default: bench/results/<name>-<time>.json)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as directory:
        results = benchmark(Path(directory))
    output = output or BENCH / "results" / time.strftime(f"{name}-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results, output


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


def uvicorn_command(app: list[str], app_dir: str, port: int) -> list[str]:
    """One uvicorn process (no --workers: a single worker); the same flags for every app."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        *app,
        "--app-dir",
        app_dir,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@contextlib.contextmanager
def service(
    name: str, project: Path, package: str, env: dict[str, str], log_dir: Path
) -> Iterator[Server]:
    """The project's app in one uvicorn process."""
    port = free_port()
    command = uvicorn_command(["--factory", f"{package}.main:create_app"], "src", port)
    with running(name, command, cwd=project, env=env, log_dir=log_dir, port=port) as server:
        wait_until_live(server, "/health/live")
        yield server


@contextlib.contextmanager
def bare_server(log_dir: Path) -> Iterator[Server]:
    """The baseline: bench/bare_app.py, a minimal FastAPI app, with the service's flags."""
    port = free_port()
    command = uvicorn_command(["bare_app:app"], str(BENCH), port)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with running(BARE, command, cwd=BENCH, env=env, log_dir=log_dir, port=port) as server:
        wait_until_live(server, BARE_PATH)
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

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LoadConfig:
        return cls(
            args.connections, args.duration, args.warmup, args.quiet_threshold, args.quiet_wait
        )


def add_load_arguments(
    parser: argparse.ArgumentParser,
    *,
    connections: int = 32,
    duration: float = 6.0,
    rounds: int = 6,
    quiet_wait: float = 30.0,
) -> None:
    """The load options every HTTP benchmark takes (LoadConfig.from_args reads them)."""
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--duration", type=float, default=duration, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds per run")
    parser.add_argument("--rounds", type=int, default=rounds, help="median over this many")
    parser.add_argument("--quiet-threshold", type=float, default=0.25)
    parser.add_argument("--quiet-wait", type=float, default=quiet_wait)


def drive(
    server: Server,
    path: str,
    config: LoadConfig,
    headers: Sequence[str] = (),
    first: int | None = None,
    watch: Mapping[str, int] | None = None,
    cycle: int | None = None,
) -> dict[str, Any]:
    """Run bench/loadgen.py against one server; add the CPU the server and machine used.

    first: where a {n} in path starts counting (one new number per request); cycle: how
    many numbers it takes before it starts over (unbounded without).
    watch: more processes (name -> pid) whose CPU seconds over the run go in
    run["cpu_seconds"], beside the load generator's own (every second of its process)."""
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
        *(["--first", str(first)] if first is not None else []),
        *(["--cycle", str(cycle)] if cycle is not None else []),
    ]
    background, waited = wait_for_quiet(config.quiet_wait, config.quiet_threshold)
    watched_before = {name: process_cpu_seconds(pid) for name, pid in (watch or {}).items()}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu_before = process_cpu_seconds(server.process.pid)
    ticks_before = machine_ticks()
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    ticks_after = machine_ticks()
    server_cpu_after = process_cpu_seconds(server.process.pid)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    watched_after = {name: process_cpu_seconds(pid) for name, pid in (watch or {}).items()}
    if result.returncode != 0:
        raise SystemExit(f"loadgen failed against {server.name}:\n{result.stderr}")
    run: dict[str, Any] = json.loads(result.stdout)
    # Both readings span the loadgen's start-up and warm-up too (about warmup + 0.3 s).
    if server_cpu_before is not None and server_cpu_after is not None:
        run["server_cores"] = (server_cpu_after - server_cpu_before) / wall
    run["machine_cores_busy"] = cores_busy(ticks_before, ticks_after)
    if watch is not None:
        cpu: dict[str, float | None] = {}
        for name in watch:
            before, after = watched_before[name], watched_after[name]
            cpu[name] = None if before is None or after is None else after - before
        cpu[LOADGEN_CPU] = (children_after.ru_utime + children_after.ru_stime) - (
            children_before.ru_utime + children_before.ru_stime
        )
        run["cpu_seconds"] = cpu
        run["wall_s"] = wall
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
    bare: Server | None = None,
) -> list[dict[str, Any]]:
    """Every run: the stub (and the bare app, if given), then each endpoint (paths: name ->
    path) on every server, the server order alternating between rounds. /health/live
    goes without credentials."""
    names = list(servers)
    runs: list[dict[str, Any]] = []
    for number in range(rounds):
        order = names if number % 2 == 0 else names[::-1]
        schedule = [(STUB, stub, "/", STUB)]
        if bare is not None:
            schedule.append((BARE, bare, BARE_PATH, BARE))
        schedule += [
            (endpoint, servers[n], paths[endpoint], n) for endpoint in paths for n in order
        ]
        for endpoint, server, path, name in schedule:
            headers = [] if endpoint in {HEALTH, STUB, BARE} else credentials[name]
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
