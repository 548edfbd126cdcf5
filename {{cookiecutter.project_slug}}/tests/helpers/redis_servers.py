"""Real Redis deployments started from the redis-server binary, for the tests of
REDIS_MODE=cluster (3 masters, 3 replicas) and REDIS_MODE=sentinel (a master, a
replica, 3 sentinels), each on spare ports in a directory of its own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis

from .network import free_port

# How long a deployment may take to come up or to fail over; generous, as on a busy
# machine. Failover itself waits for node-timeout / down-after-milliseconds below.
READY_SECONDS = 60.0
FAILURE_DETECTION_MS = 1000
CLUSTER_BUS_OFFSET = 10000
# A replica for each master.
CLUSTER_REPLICAS = ("--cluster-replicas", "1", "--cluster-yes")
MAX_PORT = 65535


MODES = ("single", "cluster", "sentinel")


def redis_mode() -> str:
    """REDIS_MODE: which Redis deployment the tests run against (single by default)."""
    mode = os.environ.get("REDIS_MODE") or "single"
    if mode not in MODES:
        msg = f"REDIS_MODE={mode!r}: use one of {', '.join(MODES)}"
        raise ValueError(msg)
    return mode


@dataclass
class RedisNode:
    port: int
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """Gone at once, as a crashed machine: no shutdown, no last words to replicas."""
        self.process.kill()
        self.process.wait()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


@dataclass
class RedisDeployment:
    """Servers of one deployment, and the settings that point the service at them."""

    settings: dict[str, Any]
    data_nodes: list[RedisNode]
    sentinels: list[RedisNode] = field(default_factory=list)

    def stop(self) -> None:
        for node in [*self.data_nodes, *self.sentinels]:
            if node.process.poll() is None:
                node.process.terminate()
                node.process.wait()


def _cluster_port() -> int:
    """A spare port whose cluster bus port (10000 higher, at most 65535) is spare too."""
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


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed: the cluster and sentinel tests start their own servers"
        raise RuntimeError(msg)
    return path


def _start(directory: Path, port: int, *options: str, sentinel: bool = False) -> RedisNode:
    node_dir = directory / str(port)
    node_dir.mkdir()
    config = node_dir / ("sentinel.conf" if sentinel else "redis.conf")
    config.write_text(f"port {port}\nbind 127.0.0.1\ndir {node_dir}\n{''.join(options)}")
    command = [_binary("redis-server"), str(config), *(["--sentinel"] if sentinel else [])]
    with (node_dir / "server.log").open("wb") as log:  # the server keeps its own copy
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    node = RedisNode(port, process)
    _wait_until(lambda: _answers(node), f"redis-server on port {port} did not start")
    return node


def _answers(node: RedisNode) -> bool:
    if node.process.poll() is not None:
        msg = f"redis-server on port {node.port} exited"
        raise RuntimeError(msg)
    try:
        return bool(node.client().ping())
    except redis.RedisError:
        return False


def _wait_until(condition: Any, failure: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        time.sleep(0.1)


@contextmanager
def redis_cluster(directory: Path) -> Iterator[RedisDeployment]:
    """3 masters and a replica of each, made a cluster by redis-cli --cluster create."""
    nodes: list[RedisNode] = []
    deployment = RedisDeployment({}, nodes)
    try:
        for _ in range(6):
            nodes.append(
                _start(
                    directory,
                    _cluster_port(),
                    "cluster-enabled yes\n",
                    f"cluster-node-timeout {FAILURE_DETECTION_MS}\n",
                    "appendonly no\nsave ''\n",
                )
            )
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(  # noqa: S603
            [_binary("redis-cli"), "--cluster", "create", *addresses, *CLUSTER_REPLICAS],
            check=True,
            capture_output=True,
        )
        _wait_until(lambda: _cluster_ok(nodes), "the cluster did not become ready")
        deployment.settings = {
            "redis_url": f"redis://127.0.0.1:{nodes[0].port}/0",
            "redis_cluster": True,
        }
        yield deployment
    finally:
        deployment.stop()


def _cluster_ok(nodes: list[RedisNode]) -> bool:
    for node in nodes:
        if node.process.poll() is not None:
            continue
        info = node.client().execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
        if b"cluster_state:ok" not in info:
            return False
    return True


def cluster_master_of(deployment: RedisDeployment, key: str) -> RedisNode:
    """The node that serves key's slot now."""
    client = next(node for node in deployment.data_nodes if node.process.poll() is None).client()
    slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))  # type: ignore[no-untyped-call]
    slots = client.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
    for start, end, master, *_ in slots:
        if start <= slot <= end:
            port = int(master[1])
            return next(node for node in deployment.data_nodes if node.port == port)
    msg = f"no node serves slot {slot}"
    raise LookupError(msg)


def wait_for_cluster(deployment: RedisDeployment, old: RedisNode) -> None:
    """Return once a replica serves the slots of old, a killed master, and the cluster is ok."""

    def healed() -> bool:
        alive = next(node for node in deployment.data_nodes if node.process.poll() is None)
        slots = alive.client().execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
        masters = {int(master[1]) for _, _, master, *_ in slots}
        return old.port not in masters and _cluster_ok(deployment.data_nodes)

    _wait_until(healed, "the cluster did not fail over")


MASTER_NAME = "service-master"


@contextmanager
def redis_sentinel(directory: Path) -> Iterator[RedisDeployment]:
    """A master, its replica and 3 sentinels watching them (a quorum of 2)."""
    master = _start(directory, free_port(), "appendonly no\nsave ''\n")
    replica = _start(
        directory, free_port(), "appendonly no\nsave ''\n", f"replicaof 127.0.0.1 {master.port}\n"
    )
    deployment = RedisDeployment({}, [master, replica])
    try:
        for _ in range(3):
            deployment.sentinels.append(
                _start(
                    directory,
                    free_port(),
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master.port} 2\n",
                    f"sentinel down-after-milliseconds {MASTER_NAME} {FAILURE_DETECTION_MS}\n",
                    f"sentinel failover-timeout {MASTER_NAME} 10000\n",
                    sentinel=True,
                )
            )
        _wait_until(lambda: _replica_synced(master), "the replica did not sync")
        _wait_until(lambda: _sentinels_see_all(deployment), "the sentinels did not meet")
        deployment.settings = {
            "redis_url": None,
            "redis_sentinels": ",".join(f"127.0.0.1:{s.port}" for s in deployment.sentinels),
            "redis_sentinel_master": MASTER_NAME,
        }
        yield deployment
    finally:
        deployment.stop()


def _replica_synced(master: RedisNode) -> bool:
    info = master.client().info("replication")
    return int(info.get("connected_slaves", 0)) == 1 and "online" in str(info.get("slave0", ""))


def _sentinels_see_all(deployment: RedisDeployment) -> bool:
    for sentinel in deployment.sentinels:
        state = cast("dict[str, Any]", sentinel.client().sentinel_master(MASTER_NAME))
        if state["num-other-sentinels"] < 2 or state["num-slaves"] < 1:
            return False
    return True


def sentinel_master(deployment: RedisDeployment) -> RedisNode:
    """The data node the sentinels name master now."""
    client = next(s for s in deployment.sentinels if s.process.poll() is None).client()
    _, port = cast("tuple[str, int]", client.sentinel_get_master_addr_by_name(MASTER_NAME))
    return next(node for node in deployment.data_nodes if node.port == int(port))


def wait_for_new_master(deployment: RedisDeployment, old: RedisNode) -> RedisNode:
    """Return the master the sentinels promoted in old's place, once it takes writes."""

    def promoted() -> bool:
        new = sentinel_master(deployment)
        return new is not old and new.client().info("replication")["role"] == "master"

    _wait_until(promoted, "the sentinels did not fail over")
    return sentinel_master(deployment)
