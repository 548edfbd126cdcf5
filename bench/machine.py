"""What the benchmarks ran on, and CPU-time counters read from /proc (Linux)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return "unknown"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    except OSError:
        return "unknown"


def describe() -> dict[str, str | int]:
    """Facts about this machine that a reader needs to weigh the numbers."""
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count() or 0,
        "cpu_model": cpu_model(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "load_average_at_start": load_average(),
    }


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of one process so far, or None off Linux."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    # Field 2 (comm) may hold spaces; the fields after its closing parenthesis are fixed.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class MachineTicks:
    busy: int
    total: int


def machine_ticks() -> MachineTicks | None:
    """Busy and total CPU ticks of all cores (first line of /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0]
    except OSError:
        return None
    values = [int(value) for value in first.split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return MachineTicks(busy=sum(values) - idle, total=sum(values))


def cores_busy(before: MachineTicks | None, after: MachineTicks | None) -> float | None:
    """How many cores were busy on average between two readings (any process)."""
    if before is None or after is None or after.total == before.total:
        return None
    share = (after.busy - before.busy) / (after.total - before.total)
    return share * (os.cpu_count() or 1)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def background_cores(sample_s: float = 0.5) -> float | None:
    """Cores busy over a short sample taken while this benchmark itself is idle."""
    before = machine_ticks()
    time.sleep(sample_s)
    return cores_busy(before, machine_ticks())


def wait_for_quiet(max_wait_s: float, threshold: float) -> tuple[float | None, float]:
    """Sample until other processes use at most threshold cores, or max_wait_s passes.

    Returns the last sample and the seconds spent waiting. Other work on a shared
    machine (test suites, builds) skews every number; this only lowers the odds.
    """
    started = time.monotonic()
    while True:
        busy = background_cores()
        waited = time.monotonic() - started
        if busy is None or busy <= threshold or waited >= max_wait_s:
            return busy, waited


def template_state(repo: Path) -> dict[str, str | int]:
    """The commit the template was rendered from, and how many of its files differ."""
    template_paths = ["{{cookiecutter.project_slug}}", "hooks", "cookiecutter.json", "copier.yml"]

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else "unknown"

    changed = git("status", "--porcelain", "--", *template_paths)
    return {
        "template_commit": git("rev-parse", "--short", "HEAD"),
        "template_files_uncommitted": len(changed.splitlines()) if changed != "unknown" else -1,
    }


def cookiecutter_config(directory: Path) -> Path:
    """A config that keeps cookiecutter's replay files out of the home directory."""
    config = directory / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {directory / 'cookiecutters'}\nreplay_dir: {directory / 'replay'}\n",
        encoding="utf-8",
    )
    return config
