"""1 GiB uploads through a generated service against boto3 straight to the same S3 server.

For each of the stream and chunked strategies: render a SQLite project, migrate it,
start one uvicorn worker, and upload one file of --size bytes (1 GiB by default;
a PNG header, then incompressible bytes) through it:

* stream:  httpx POSTs multipart/form-data, read from disk as it is sent
* chunked: tuspy (the tus reference client for Python), --tus-chunk bytes a PATCH

and, in the same round, the same file with boto3's upload_fileobj (its defaults:
8 MiB parts, 10 threads) straight to the S3 server (baseline). Rounds alternate the
order (service, baseline / baseline, service) and each row reports the median.

Measured per upload through the service: throughput as a ratio of the baseline's
(target >= 0.8), and the service process's peak RSS growth (VmHWM after the upload
minus VmRSS before it, after a small warm-up upload; target < 64 MiB). Also recorded:
the CPU seconds the service process used for its upload, and those the S3 server used
for each of the two uploads (when scripts/s3 left its pid file), since on a busy
machine CPU time is what the two paths compete for.

Needs the S3 server of scripts/s3 (started if it is not running).

    .venv/bin/python bench/uploads.py                  # 3 rounds, about 3 minutes
    .venv/bin/python bench/uploads.py --rounds 1 --size 268435456
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
from harness import free_port, render_project, sign_in
from machine import (
    describe,
    median,
    process_cpu_seconds,
    template_state,
)
from tusclient.client import TusClient

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
S3_ENDPOINT = os.environ.get("TEST_S3_ENDPOINT_URL", "http://127.0.0.1:8333")
S3_KEY = os.environ.get("AWS_ACCESS_KEY_ID", "local-dev-key")
S3_SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "local-dev-secret")
PNG_HEADER = b"\x89PNG\r\n\x1a\n" + bytes(25)  # the signature is what sniffing reads
MIB = 1024 * 1024
STARTUP_TIMEOUT_S = 30.0


def kib_field(pid: int, name: str) -> int:
    """A VmRSS/VmHWM-style field of /proc/<pid>/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{name} missing for pid {pid}")


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh (Linux >= 4.0: writing 5 to clear_refs resets it)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def s3_server_pid() -> int | None:
    """The pid scripts/s3 recorded for the S3 server it started, if any."""
    port = S3_ENDPOINT.rsplit(":", 1)[-1].strip("/")
    default = Path(tempfile.gettempdir()) / f"cookiecutter-fastapi-service-s3-{port}"
    state = Path(os.environ.get("S3_STATE_DIR") or default)
    try:
        return int((state / "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def cpu_used(pid: int | None, before: float | None) -> float | None:
    now = process_cpu_seconds(pid) if pid else None
    return None if now is None or before is None else now - before


def seconds_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * MIB)
    with path.open("wb") as out:
        out.write(PNG_HEADER)
        left = size - len(PNG_HEADER)
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)


def s3_client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )


def render(directory: Path, strategy: str) -> tuple[Path, str]:
    project, package = render_project(directory, database="sqlite", upload_strategy=strategy)
    (project / "var").mkdir()
    return project, package


@contextlib.contextmanager
def service(project: Path, package: str, bucket: str) -> Iterator[tuple[str, int, dict[str, str]]]:
    """The project under one uvicorn worker; yields its URL, its pid and the headers of
    a signed-in user's session (uploads belong to users)."""
    env = {
        **os.environ,
        "APP_ENV": "test",  # prod refuses a SQLite file in a temporary directory
        "SECRET_KEY": secrets.token_urlsafe(48),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"sqlite:///{project}/var/bench.db",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "S3_ENDPOINT_URL": S3_ENDPOINT,
        "S3_BUCKET": bucket,
        "AWS_ACCESS_KEY_ID": S3_KEY,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "MAX_UPLOAD_BYTES": str(8 * 1024 * MIB),
        "PYTHONPATH": str(project / "src"),
    }
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"], cwd=project, env=env, check=True
    )
    port = free_port()
    log = (project / "var" / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", f"{package}.main:create_app", "--factory",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{base_url}/health/live", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"service did not start; see {log.name}") from None
                time.sleep(0.2)
        yield base_url, process.pid, sign_in(base_url, register=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def upload_stream(base_url: str, headers: dict[str, str], path: Path) -> None:
    with path.open("rb") as file:
        response = httpx.post(
            f"{base_url}/api/v1/uploads",
            files={"file": ("bench.png", file)},
            headers=headers,
            timeout=600,
        )
    response.raise_for_status()


def upload_chunked(base_url: str, headers: dict[str, str], path: Path, chunk: int) -> None:
    with path.open("rb") as file:
        uploader = TusClient(f"{base_url}/api/v1/uploads/tus/", headers=headers).uploader(
            file_stream=file, chunk_size=chunk, metadata={"filename": "bench.png"}
        )
        uploader.upload()


def upload_direct(path: Path, bucket: str) -> None:
    with path.open("rb") as file:
        s3_client().upload_fileobj(file, bucket, f"direct/{secrets.token_hex(8)}")


def empty(bucket: str) -> None:
    client = s3_client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=entry["Key"])


def through_service(
    strategy: str, base_url: str, headers: dict[str, str], path: Path, tus_chunk: int
) -> None:
    if strategy == "stream":
        upload_stream(base_url, headers, path)
    else:
        upload_chunked(base_url, headers, path, tus_chunk)


def measure(
    strategy: str, directory: Path, files: tuple[Path, Path], bucket: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Rounds of one strategy's service against the direct baseline."""
    data, small = files
    project, package = render(directory, strategy)
    ratios, speeds, direct_speeds, growths = [], [], [], []
    cpu: dict[str, list[float | None]] = {"service": [], "s3_service": [], "s3_direct": []}
    s3_pid = s3_server_pid()
    with service(project, package, bucket) as (base_url, pid, headers):
        through_service(strategy, base_url, headers, small, args.tus_chunk)  # warm-up
        for round_number in range(args.rounds):
            empty(bucket)
            before = kib_field(pid, "VmRSS")
            reset_peak(pid)
            order = ("service", "direct") if round_number % 2 == 0 else ("direct", "service")
            seconds = {}
            for name in order:
                start = time.perf_counter()
                service_cpu = process_cpu_seconds(pid)
                s3_cpu = process_cpu_seconds(s3_pid) if s3_pid else None
                if name == "service":
                    through_service(strategy, base_url, headers, data, args.tus_chunk)
                    cpu["service"].append(cpu_used(pid, service_cpu))
                else:
                    upload_direct(data, bucket)
                seconds[name] = time.perf_counter() - start
                cpu[f"s3_{name}"].append(cpu_used(s3_pid, s3_cpu))
            growth = (kib_field(pid, "VmHWM") - before) / MIB
            speed = args.size / seconds["service"] / MIB
            direct = args.size / seconds["direct"] / MIB
            ratios.append(speed / direct)
            speeds.append(speed)
            direct_speeds.append(direct)
            growths.append(growth)
            print(
                f"{strategy} round {round_number + 1}: service {speed:.0f} MiB/s, "
                f"direct {direct:.0f} MiB/s, ratio {speed / direct:.2f}, "
                f"RSS growth {growth:.1f} MiB, CPU s: service {seconds_text(cpu['service'][-1])}, "
                f"S3 server {seconds_text(cpu['s3_service'][-1])} "
                f"(direct {seconds_text(cpu['s3_direct'][-1])})",
                flush=True,
            )
    return {
        "service_mib_s": median(speeds),
        "direct_mib_s": median(direct_speeds),
        "ratio": median(ratios),
        "rss_growth_mib": median(growths),
        "rss_growth_max_mib": max(growths),
        "rounds": {"ratio": ratios, "rss_growth_mib": growths, "cpu_s": cpu},
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    subprocess.run([REPO / "scripts" / "s3", "start"], check=True)
    bucket = f"bench-{secrets.token_hex(6)}"
    s3_client().create_bucket(Bucket=bucket)
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp:
        directory = Path(tmp)
        files = (directory / "upload.bin", directory / "small.bin")
        make_file(files[0], args.size)
        make_file(files[1], 2 * MIB)
        try:
            return {
                strategy: measure(strategy, directory, files, bucket, args)
                for strategy in args.strategies
            }
        finally:
            empty(bucket)
            s3_client().delete_bucket(Bucket=bucket)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024 * MIB, help="bytes per upload")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tus-chunk", type=int, default=64 * MIB, help="bytes per PATCH")
    parser.add_argument("--strategies", nargs="+", default=["stream", "chunked"])
    args = parser.parse_args()
    machine = describe()  # before the run, so the load average is not the run's own
    rows = run(args)
    print("\n| strategy | service MiB/s | direct boto3 MiB/s | ratio | peak RSS growth MiB |")
    print("|---|---|---|---|---|")
    for strategy, row in rows.items():
        growth = f"{row['rss_growth_mib']:.1f} (max {row['rss_growth_max_mib']:.1f})"
        print(
            f"| {strategy} | {row['service_mib_s']:.0f} | {row['direct_mib_s']:.0f} "
            f"| {row['ratio']:.2f} | {growth} |"
        )
    RESULTS.mkdir(exist_ok=True)
    result = {
        "machine": machine,
        "template": template_state(REPO),
        "args": vars(args),
        "rows": rows,
    }
    out = RESULTS / f"uploads-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\nraw numbers: {out}")


if __name__ == "__main__":
    main()
