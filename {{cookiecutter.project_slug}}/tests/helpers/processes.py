"""The service, and a Redis server, in processes of their own."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.settings import Settings

from . import PROJECT_DIR
from .logs import json_lines
from .network import free_port

SERVICE_MODULE = "{{ cookiecutter.package_name }}"  # python -m runs the service
# Generous: a first start after uv sync also compiles every module to bytecode.
START_TIMEOUT_SECONDS = 60


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Return once something accepts connections on port; fail if process exits first."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with status {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port} within {START_TIMEOUT_SECONDS} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=START_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A throwaway redis-server on a free port, which a test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not on PATH; these tests start their own")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self._process = subprocess.Popen(  # noqa: S603  # fixed arguments
            [self.binary, *arguments, "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self._process, "redis-server")

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None


def service_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes a service process use these settings."""
    values = settings.model_dump(mode="json")
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values[name] = value.get_secret_value()
        elif isinstance(value, frozenset):
            values[name] = ",".join(sorted(value))
        elif isinstance(value, tuple | list):  # the comma-separated form settings read
            values[name] = ",".join(value)
    return {name.upper(): str(value) for name, value in values.items() if value is not None}


class ServiceProcess:
    """The service as its users start it (python -m <package>), on a free port."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.log_file = log_file

    def resident_bytes(self, field: str = "VmRSS") -> int:
        """The process's resident memory now (VmRSS) or at its peak so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB$", status, re.MULTILINE)
        assert match, status
        return int(match.group(1)) * 1024

    def access_lines(self) -> list[dict[str, Any]]:
        lines = json_lines(self.log_file.read_text())
        return [line for line in lines if line["event"] == "request"]


def start_module(
    module: str, settings: Settings, log_file: Path, **environment: str
) -> tuple[subprocess.Popen[bytes], int]:
    """python -m module with these settings on a free port; output appended to log_file."""
    port = free_port()
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603  # a module of this project
            [sys.executable, "-m", module],
            cwd=PROJECT_DIR,
            env={
                **os.environ,
                **service_environment(settings),
                **environment,
                "HOST": "127.0.0.1",
                "PORT": str(port),
                # The package as the tests import it, installed or not.
                "PYTHONPATH": os.pathsep.join([str(PROJECT_DIR / "src"), *sys.path]),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, port


@contextlib.contextmanager
def service_main(
    settings: Settings, log_file: Path, module: str = SERVICE_MODULE, **environment: str
) -> Iterator[ServiceProcess]:
    """python -m <package> (or another module that runs the service) with these settings
    (and extra environment variables)."""
    process, port = start_module(module, settings, log_file, **environment)
    try:
        wait_for_port(port, process, f"the service (log: {log_file})")
        yield ServiceProcess(process, port, log_file)
    finally:
        stop_process(process)


@contextlib.contextmanager
def service_processes(settings: Settings, *log_files: Path) -> Iterator[list[str]]:
    """The service in processes of their own (helpers/item_query_counter.py), one per
    log file, started side by side; yields their URLs once every one is ready."""
    started = []
    try:
        for log_file in log_files:
            started.append(start_module("tests.helpers.item_query_counter", settings, log_file))
        urls = []
        for (process, port), log_file in zip(started, log_files, strict=True):
            wait_for_port(port, process, f"the service (log: {log_file})")
            urls.append(f"http://127.0.0.1:{port}")
        # Ready: the cache's invalidation subscription is up.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        for url in urls:
            while httpx.get(f"{url}/test/cache-subscribed").json() is not True:
                if time.monotonic() > deadline:
                    pytest.fail("the service's cache never subscribed to invalidations")
                time.sleep(0.05)
        yield urls
    finally:
        for process, _ in started:
            stop_process(process)
