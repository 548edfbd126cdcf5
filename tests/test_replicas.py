"""Replicas as one service: three processes of one generated service behind haproxy.

One combination (PostgreSQL, hybrid sessions, resumable uploads) is rendered, migrated
and started three times as users start it (`python -m <package>`), on ports of their
own, sharing one database, Redis and S3 bucket. Debian's haproxy (scripts/haproxy)
balances them round robin, checks /health/ready every 500 ms and takes a replica out
at its first failed check. It never retries a request on another replica (`retries 0`,
no `option redispatch`): what a client sees is what the replica answered. Its
X-Served-By response header names the replica that did.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import REDIS_URL, S3_ENV, STARTUP_SECONDS, free_port, render, run
from .test_browser import (
    PASSWORD,
    delete_redis_keys,
    empty_and_delete,
    migrate_and_prepare_bucket,
    png,
    s3_client,
    throwaway_database,
)

pytestmark = pytest.mark.xdist_group("replicas")

ANSWERS = {"database": "postgresql", "session_strategy": "hybrid", "upload_strategy": "chunked"}
REPLICAS = 3
NAMES = [f"replica-{index}" for index in range(REPLICAS)]
# Seconds a stopping replica keeps serving while /health/ready answers 503: haproxy
# checks every 0.5 s and takes it out at the first 503 (the rest is margin for a busy machine).
DRAIN_SECONDS = 3
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
LOAD_WORKERS = 6

HAPROXY_CONFIG = """\
global
    maxconn 512

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 30s
    timeout check 3s
    # A request goes to one replica, once: no retry, no second replica.
    retries 0
    no option redispatch

frontend api
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    http-response set-header X-Served-By %[srv_name]
    default-server inter 500ms fall 1 rise 2
{servers}

listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
"""


@dataclass
class Replica:
    """One process of the service, on a port it keeps across restarts."""

    name: str
    port: int
    project: Path
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        with self.log.with_suffix(f".{self.starts}.log").open("wb") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.project,
                env={**os.environ, **self.env, "PORT": str(self.port)},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} exited during start-up"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        pytest.fail(f"{self.name} was not ready within {STARTUP_SECONDS} s")

    def stop(self) -> int:
        """SIGTERM (the drain, then a graceful stop); the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=DRAIN_SECONDS + 30)

    def output(self) -> str:
        return "".join(
            self.log.with_suffix(f".{start}.log").read_text(errors="replace")
            for start in range(1, self.starts + 1)
        )


@dataclass
class Cluster:
    replicas: list[Replica]
    api: str
    stats: str
    s3: Any
    bucket: str

    def states(self) -> dict[str, str]:
        """haproxy's view of each replica: UP, DOWN, or on the way ("DOWN 1/2")."""
        answer = httpx.get(f"{self.stats};csv", timeout=5)
        rows = csv.DictReader(io.StringIO(answer.text.removeprefix("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "replicas" and row["svname"] != "BACKEND"
        }

    def wait_for(self, name: str, state: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.states().get(name) == state:
                return
            time.sleep(0.1)
        pytest.fail(f"haproxy did not see {name} {state}: {self.states()}")

    def user(self) -> dict[str, str]:
        login = {"email": f"user-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
        registered = httpx.post(f"{self.api}/api/v1/auth/register", json=login)
        assert registered.status_code == 201, registered.text
        return login

    def sign_in(self) -> dict[str, str]:
        login = httpx.post(f"{self.api}/api/v1/auth/login", json=self.user())
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}


def on_every_replica(
    request: Callable[[], httpx.Response], tries: int = 4 * REPLICAS
) -> dict[str, httpx.Response]:
    """Repeat a request through haproxy until each replica has answered it once."""
    answers: dict[str, httpx.Response] = {}
    for _ in range(tries):
        answer = request()
        answers.setdefault(answer.headers["X-Served-By"], answer)
        if len(answers) == REPLICAS:
            break
    assert sorted(answers) == NAMES, f"round robin reached only {sorted(answers)}"
    return answers


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not Path(HAPROXY).is_file():
        pytest.fail("haproxy is missing: run scripts/haproxy")
    base = tmp_path_factory.mktemp("replicas")
    project = render(base / "out", **ANSWERS)
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    bucket = f"replicas-{uuid.uuid4().hex[:12]}"
    namespace = f"replicas-{uuid.uuid4().hex[:12]}"
    s3 = s3_client()
    with throwaway_database(ANSWERS["database"], project) as url, contextlib.ExitStack() as stack:
        env = {
            **S3_ENV,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": namespace,
            "S3_BUCKET": bucket,
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
            "SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
            # Above haproxy's idle timeouts, as the README says for any balancer that
            # keeps connections: it never reuses one a replica is closing.
            "KEEP_ALIVE_SECONDS": "60",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "REGISTRATION_MAX_PER_IP": "1000",
            "LOG_LEVEL": "WARNING",
            # uv sync would install the package; here the shared venv imports it from src.
            "PYTHONPATH": str(project / "src"),
        }
        migrate_and_prepare_bucket(project, package, env)
        stack.callback(delete_redis_keys, namespace)
        stack.callback(empty_and_delete, s3, bucket)

        replicas = [
            Replica(name, free_port(), project, [sys.executable, "-m", package], env, base / name)
            for name in NAMES
        ]
        for replica in replicas:
            replica.start()
            stack.callback(stop_if_running, replica)
        for replica in replicas:
            replica.wait_until_ready()

        port, stats_port = free_port(), free_port()
        config = base / "haproxy.cfg"
        config.write_text(
            HAPROXY_CONFIG.format(
                port=port,
                stats_port=stats_port,
                servers="\n".join(
                    f"    server {replica.name} 127.0.0.1:{replica.port} check"
                    for replica in replicas
                ),
            )
        )
        checked = run([HAPROXY, "-c", "-f", str(config)], base)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with (base / "haproxy.log").open("wb") as output:
            haproxy = subprocess.Popen(
                [HAPROXY, "-db", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT
            )
        stack.callback(stop_haproxy, haproxy)
        cluster = Cluster(
            replicas=replicas,
            api=f"http://127.0.0.1:{port}",
            stats=f"http://127.0.0.1:{stats_port}/stats",
            s3=s3,
            bucket=bucket,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while _states_or_empty(cluster) != dict.fromkeys(NAMES, "UP"):
            assert haproxy.poll() is None, (base / "haproxy.log").read_text()
            assert time.monotonic() < deadline, f"haproxy: {_states_or_empty(cluster)}"
            time.sleep(0.1)
        yield cluster
        for replica in replicas:
            assert "Traceback" not in replica.output(), replica.output()


def _states_or_empty(cluster: Cluster) -> dict[str, str]:
    try:
        return cluster.states()
    except httpx.TransportError:
        return {}


def stop_if_running(replica: Replica) -> None:
    if replica.process is not None and replica.process.poll() is None:
        replica.process.terminate()  # a second signal skips the drain
        replica.process.send_signal(signal.SIGTERM)
        replica.process.wait(timeout=30)


def stop_haproxy(haproxy: subprocess.Popen[bytes]) -> None:
    haproxy.terminate()
    haproxy.wait(timeout=10)


def test_a_session_made_on_one_replica_works_on_all_and_logout_ends_it_everywhere(
    cluster: Cluster,
) -> None:
    auth = cluster.sign_in()
    me = on_every_replica(lambda: httpx.get(f"{cluster.api}/api/v1/users/me", headers=auth))
    assert {name: answer.status_code for name, answer in me.items()} == dict.fromkeys(NAMES, 200)

    logout = httpx.post(f"{cluster.api}/api/v1/auth/logout", headers=auth)
    assert logout.status_code == 204, logout.text
    # At once: the very next request, whichever replica answers it.
    after = on_every_replica(lambda: httpx.get(f"{cluster.api}/api/v1/users/me", headers=auth))
    assert {name: answer.status_code for name, answer in after.items()} == dict.fromkeys(NAMES, 401)


def test_failed_login_limits_are_shared_across_replicas(cluster: Cluster) -> None:
    login = cluster.user()
    wrong = {**login, "password": "not the passphrase at all"}
    failures = [httpx.post(f"{cluster.api}/api/v1/auth/login", json=wrong) for _ in range(5)]
    assert [answer.status_code for answer in failures] == [401] * 5
    # The default limit, 5 per email, counted across replicas: each saw fewer than 5.
    assert sorted({answer.headers["X-Served-By"] for answer in failures}) == NAMES

    refused = on_every_replica(lambda: httpx.post(f"{cluster.api}/api/v1/auth/login", json=login))
    for answer in refused.values():
        assert answer.status_code == 429, answer.text
        assert int(answer.headers["Retry-After"]) > 0


def test_a_write_through_one_replica_is_never_read_stale_through_another(
    cluster: Cluster,
) -> None:
    auth = cluster.sign_in()
    created = httpx.post(
        f"{cluster.api}/api/v1/items", json={"name": "Lamp", "price": "9.99"}, headers=auth
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/items/{created.json()['id']}"
    for reader in cluster.replicas:  # every replica's L1 holds the item
        assert httpx.get(f"{reader.url}{path}", headers=auth).json()["name"] == "Lamp"

    for round_, writer in enumerate(cluster.replicas):
        name = f"Lamp {round_}"
        changed = httpx.patch(f"{writer.url}{path}", json={"name": name}, headers=auth)
        assert changed.status_code == 200, changed.text
        reads = {
            reader.name: httpx.get(f"{reader.url}{path}", headers=auth).json()["name"]
            for reader in cluster.replicas
        }
        assert reads == dict.fromkeys(NAMES, name), f"written through {writer.name}"


def test_a_tus_upload_whose_patches_land_on_different_replicas_completes(
    cluster: Cluster,
) -> None:
    auth = cluster.sign_in()
    data = png(20 * MIB)
    created = httpx.post(
        f"{cluster.api}/api/v1/uploads/tus/",
        headers={**auth, **TUS, "Upload-Length": str(len(data))},
    )
    assert created.status_code == 201, created.text
    location = httpx.URL(created.headers["Location"]).path
    # 5 MiB PATCHes: most end between S3's 8 MiB parts, so the next replica carries
    # on from the bytes another one left short of a part.
    chunk = 5 * MIB
    patched_by = []
    for offset in range(0, len(data), chunk):
        answer = httpx.patch(
            f"{cluster.api}{location}",
            content=data[offset : offset + chunk],
            headers={
                **auth,
                **TUS,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=60,
        )
        assert answer.status_code == 204, answer.text
        assert answer.headers["Upload-Offset"] == str(min(offset + chunk, len(data)))
        patched_by.append(answer.headers["X-Served-By"])
    assert sorted(set(patched_by)) == NAMES, patched_by

    upload_id = location.rstrip("/").rsplit("/", 1)[-1]
    read = httpx.get(f"{cluster.api}/api/v1/uploads/{upload_id}", headers=auth)
    assert read.json()["status"] == "complete", read.text
    stored = cluster.s3.list_objects_v2(Bucket=cluster.bucket, Prefix="uploads/")["Contents"]
    assert len(stored) == 1, stored
    body = cluster.s3.get_object(Bucket=cluster.bucket, Key=stored[0]["Key"])["Body"].read()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_rolling_restart_under_load_answers_every_request(cluster: Cluster) -> None:
    auth = cluster.sign_in()
    created = httpx.post(
        f"{cluster.api}/api/v1/items", json={"name": "Desk", "price": "120.00"}, headers=auth
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/items/{created.json()['id']}"
    answered: list[tuple[int, str]] = []
    failed: list[str] = []

    async def load(client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                answer = await client.get(path, headers=auth)
            except httpx.HTTPError as error:
                failed.append(repr(error))
                continue
            answered.append((answer.status_code, answer.headers.get("X-Served-By", "")))

    back_at: dict[str, int] = {}  # how many answers had come when a replica was back

    async def roll() -> list[int]:
        exits = []
        for replica in cluster.replicas:
            await asyncio.sleep(0.5)  # the load reaches every replica in between
            exits.append(await asyncio.to_thread(replica.stop))
            await asyncio.to_thread(replica.start)
            await asyncio.to_thread(replica.wait_until_ready)
            await asyncio.to_thread(cluster.wait_for, replica.name, "UP")
            back_at[replica.name] = len(answered)
        await asyncio.sleep(0.5)
        return exits

    async def main() -> list[int]:
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=cluster.api, timeout=30) as client:
            workers = [asyncio.create_task(load(client, stop)) for _ in range(LOAD_WORKERS)]
            try:
                return await roll()
            finally:
                stop.set()
                await asyncio.gather(*workers)

    exits = asyncio.run(main())

    assert exits == [0] * REPLICAS  # each drained and stopped cleanly
    assert failed == []
    statuses = Counter(status for status, _ in answered)
    assert set(statuses) == {200}, statuses
    # Each replica, started again, took its share of the load.
    for name, start in back_at.items():
        assert name in {served_by for _, served_by in answered[start:]}, name
