"""Render and update times of the default project with Cookiecutter, cruft and Copier.

Side by side in one run, from one template repository made here with two releases
(v0.1.0: this working tree; v0.2.0: one README line changed and one file added):

1. Rendering the default project, --runs times each, the tools in a rotating order:
   `cookiecutter --no-input` (reads the template folder), `cruft create` and `copier copy`
   (both clone the repository first, as they do from a URL), beside each tool's start-up
   alone (`--version`, or `--help` for cruft, which has no version flag) and a bare
   `git clone` of the repository.
2. Updating a committed default project from v0.1.0 to v0.2.0, --update-runs times each:
   `cruft update --skip-apply-ask --checkout=v0.2.0` and `copier update --trust --defaults`,
   alternating which goes first. Only the update command is timed; generating and
   committing are not.

    .venv/bin/python bench/update.py                 # about 2 minutes
    .venv/bin/python bench/update.py --runs 5 --update-runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from machine import cookiecutter_config, describe, median, template_state, wait_for_quiet

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
VENV_BIN = Path(sys.executable).parent
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Benchmark",
    "GIT_AUTHOR_EMAIL": "benchmark@example.com",
    "GIT_COMMITTER_NAME": "Benchmark",
    "GIT_COMMITTER_EMAIL": "benchmark@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def tool(name: str) -> str:
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed; install requirements/test.txt first")
    return found


class Bench:
    """Commands run in fresh directories under workdir, with git and cookiecutter isolated."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            **GIT_IDENTITY,
            "COOKIECUTTER_CONFIG": str(cookiecutter_config(workdir)),
        }
        self.count = 0

    def fresh_dir(self) -> Path:
        self.count += 1
        path = self.workdir / f"run{self.count}"
        path.mkdir()
        return path

    def run(self, command: list[str], cwd: Path | None = None) -> str:
        result = subprocess.run(
            command, cwd=cwd, env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def git(self, *args: str, cwd: Path | None) -> str:
        return self.run(["git", *args], cwd=cwd)


def make_releases(bench: Bench) -> Path:
    """A template repository with tags v0.1.0 (this working tree) and v0.2.0."""
    template = bench.workdir / "template"
    listed = bench.git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (template / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, template / name)
    bench.git("init", "--quiet", "--initial-branch=main", cwd=template)
    project = template / "{{cookiecutter.project_slug}}"
    for version in ("v0.1.0", "v0.2.0"):
        if version == "v0.2.0":
            readme = project / "README.md"
            readme.write_text(readme.read_text().replace("## Run it locally", "## Run locally"))
            (project / "CONTRIBUTING.md").write_text("# Contributing\n")
        bench.git("add", "--all", cwd=template)
        bench.git("commit", "--quiet", "-m", f"Release {version}", cwd=template)
        bench.git("tag", version, cwd=template)
    return template


def render_actions(bench: Bench, template: Path) -> dict[str, Callable[[], object]]:
    def cookiecutter() -> None:
        bench.run([tool("cookiecutter"), "--no-input", "-o", str(bench.fresh_dir()), str(template)])

    def cruft() -> None:
        output = str(bench.fresh_dir())
        bench.run([tool("cruft"), "create", "--no-input", f"--output-dir={output}", str(template)])

    def copier() -> None:
        destination = str(bench.fresh_dir() / "project")
        bench.run([tool("copier"), "copy", "--trust", "--defaults", str(template), destination])

    def clone() -> None:
        bench.git("clone", "--quiet", str(template), str(bench.fresh_dir() / "clone"), cwd=None)

    return {
        "render, `cookiecutter --no-input`": cookiecutter,
        "render, `cruft create --no-input`": cruft,
        "render, `copier copy --trust --defaults`": copier,
        "`cookiecutter --version` (start-up)": lambda: bench.run(
            [tool("cookiecutter"), "--version"]
        ),
        "`cruft --help` (start-up)": lambda: bench.run([tool("cruft"), "--help"]),
        "`copier --version` (start-up)": lambda: bench.run([tool("copier"), "--version"]),
        "`git clone` of the template repository": clone,
    }


def committed_project(bench: Bench, template: Path, engine: str) -> Path:
    """The default project generated from v0.1.0 with engine, committed."""
    output = bench.fresh_dir()
    if engine == "cruft":
        create = [tool("cruft"), "create", "--no-input", "--checkout=v0.1.0"]
        bench.run([*create, f"--output-dir={output}", str(template)])
        (project,) = output.iterdir()
    else:
        project = output / "project"
        copy = [tool("copier"), "copy", "--trust", "--defaults", "--vcs-ref=v0.1.0"]
        bench.run([*copy, str(template), str(project)])
    bench.git("init", "--quiet", "--initial-branch=main", cwd=project)
    bench.git("add", "--all", cwd=project)
    bench.git("commit", "--quiet", "-m", "Generated", cwd=project)
    return project


def timed_update(bench: Bench, template: Path, engine: str) -> float:
    project = committed_project(bench, template, engine)
    if engine == "cruft":
        command = [tool("cruft"), "update", "--skip-apply-ask", "--checkout=v0.2.0"]
    else:
        command = [tool("copier"), "update", "--trust", "--defaults"]
    started = time.perf_counter()
    bench.run(command, cwd=project)
    seconds = time.perf_counter() - started
    if "## Run locally" not in (project / "README.md").read_text():
        raise SystemExit(f"{engine} update did not bring v0.2.0's README change")
    return seconds


def rotated(names: list[str], round_number: int) -> list[str]:
    shift = round_number % len(names)
    return names[shift:] + names[:shift]


def measure(bench: Bench, template: Path, runs: int, update_runs: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {}
    actions = render_actions(bench, template)
    for round_number in range(runs):
        for name in rotated(list(actions), round_number):
            started = time.perf_counter()
            actions[name]()
            seconds.setdefault(name, []).append(time.perf_counter() - started)
        print(f"render round {round_number + 1}/{runs} done", file=sys.stderr)
    engines = ["cruft", "copier"]
    for round_number in range(update_runs):
        for engine in rotated(engines, round_number):
            name = f"update v0.1.0 → v0.2.0, `{engine} update`"
            seconds.setdefault(name, []).append(timed_update(bench, template, engine))
        print(f"update round {round_number + 1}/{update_runs} done", file=sys.stderr)
    return seconds


def markdown(seconds: dict[str, list[float]]) -> str:
    baseline = median(seconds["render, `cookiecutter --no-input`"])
    lines = [
        "| action | runs | median ms | min ms | max ms | median / cookiecutter render |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in seconds.items():
        lines.append(
            f"| {name} | {len(values)} | {median(values) * 1000:.1f} | {min(values) * 1000:.1f} "
            f"| {max(values) * 1000:.1f} | {median(values) / baseline:.2f}x |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="renders per tool (median)")
    parser.add_argument("--update-runs", type=int, default=5, help="updates per tool (median)")
    parser.add_argument("--quiet-threshold", type=float, default=0.25)
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    parser.add_argument(
        "--output", type=Path, help="JSON results (default: bench/results/update-<time>.json)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    with tempfile.TemporaryDirectory(prefix="bench-update-") as directory:
        bench = Bench(Path(directory))
        template = make_releases(bench)
        info["background_cores_before"], _ = wait_for_quiet(args.quiet_wait, args.quiet_threshold)
        seconds = measure(bench, template, args.runs, args.update_runs)
    versions = {name: metadata.version(name) for name in ("cookiecutter", "cruft", "copier")}
    results = {"machine": info, "versions": versions, "seconds": seconds}
    output = args.output or BENCH / "results" / time.strftime("update-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({**info, **versions}, indent=2))
    print(markdown(seconds))
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
