"""Redis deployments for the benchmarks, started from the redis-server binary.

A Cluster of 3 masters and a replica of each (made one by `redis-cli --cluster
create`) and a master, its replica and 3 sentinels, each node on a spare port in a
directory of its own, as the generated project's tests start them. Each context
manager yields the service's environment variables for that deployment and stops
every node it started on exit, also after an error.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import redis
from harness import free_port, stop

READY_SECONDS = 60.0  # generous: the machine may be busy
CLUSTER_BUS_OFFSET = 10_000
MAX_PORT = 65_535
MASTER_NAME = "bench-master"
NO_PERSISTENCE = "appendonly no\nsave ''\n"


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is not installed: this benchmark starts its own Redis servers")
    return path


def version() -> str:
    result = subprocess.run(
        [binary("redis-server"), "--version"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def client(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=5)


def wait_until(condition: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(0.1)


def answers(port: int, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise SystemExit(f"redis-server on port {port} exited at start-up")
    try:
        return bool(client(port).ping())
    except redis.RedisError:
        return False


def start(
    directory: Path,
    port: int,
    processes: list[subprocess.Popen[bytes]],
    config: str,
    *,
    sentinel: bool = False,
) -> int:
    """One redis-server (or sentinel) on port, appended to processes once started."""
    node_dir = directory / str(port)
    node_dir.mkdir(parents=True)
    conf = node_dir / ("sentinel.conf" if sentinel else "redis.conf")
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {node_dir}\n{config}", encoding="utf-8")
    command = [binary("redis-server"), str(conf), *(["--sentinel"] if sentinel else [])]
    with (node_dir / "server.log").open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the script, which stops it
        )
    processes.append(process)
    wait_until(lambda: answers(port, process), f"redis-server on port {port} did not start")
    return port


def cluster_port() -> int:
    """A spare port whose cluster bus port (10000 higher) is spare too."""
    while True:
        port = free_port()
        if port + CLUSTER_BUS_OFFSET > MAX_PORT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + CLUSTER_BUS_OFFSET))
            except OSError:
                continue
        return port


def cluster_ok(ports: list[int]) -> bool:
    for port in ports:
        info = client(port).execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
        if b"cluster_state:ok" not in info:
            return False
    return True


@contextlib.contextmanager
def redis_cluster(directory: Path) -> Iterator[dict[str, str]]:
    """3 masters and a replica of each; yields REDIS_CLUSTER and REDIS_URL (a node)."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # 5 s, not the tests' 1 s: a busy machine must not set off a failover mid-run.
        config = f"cluster-enabled yes\ncluster-node-timeout 5000\n{NO_PERSISTENCE}"
        ports = [start(directory, cluster_port(), processes, config) for _ in range(6)]
        create = subprocess.run(
            [
                binary("redis-cli"),
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if create.returncode != 0:
            raise SystemExit(f"redis-cli --cluster create failed:\n{create.stdout}{create.stderr}")
        wait_until(lambda: cluster_ok(ports), "the Redis Cluster did not become ready")
        yield {"REDIS_CLUSTER": "true", "REDIS_URL": f"redis://127.0.0.1:{ports[0]}/0"}
    finally:
        for process in processes:
            stop(process)


def replica_synced(master: int) -> bool:
    info = client(master).info("replication")
    return int(info.get("connected_slaves", 0)) == 1 and "online" in str(info.get("slave0", ""))


def sentinels_met(ports: list[int]) -> bool:
    for port in ports:
        state = cast("dict[str, Any]", client(port).sentinel_master(MASTER_NAME))
        if state["num-other-sentinels"] < 2 or state["num-slaves"] < 1:
            return False
    return True


@contextlib.contextmanager
def redis_sentinel(directory: Path) -> Iterator[dict[str, str]]:
    """A master, its replica and 3 sentinels (quorum 2); yields REDIS_SENTINELS and the
    master's name, with REDIS_URL and REDIS_PASSWORD emptied (the rendered project's .env
    sets both, and these servers take no password)."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        master = start(directory, free_port(), processes, NO_PERSISTENCE)
        replica_config = f"{NO_PERSISTENCE}replicaof 127.0.0.1 {master}\n"
        start(directory, free_port(), processes, replica_config)
        sentinel_config = (
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 5000\n"  # as the cluster's
            f"sentinel failover-timeout {MASTER_NAME} 10000\n"
        )
        sentinels = [
            start(directory, free_port(), processes, sentinel_config, sentinel=True)
            for _ in range(3)
        ]
        wait_until(lambda: replica_synced(master), "the Redis replica did not sync")
        wait_until(lambda: sentinels_met(sentinels), "the sentinels did not find each other")
        yield {
            "REDIS_URL": "",
            "REDIS_PASSWORD": "",
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in sentinels),
            "REDIS_SENTINEL_MASTER": MASTER_NAME,
        }
    finally:
        for process in processes:
            stop(process)
