"""Wall-clock cost of rendering the template, and of checking every combination.

1. The default project, rendered --runs times each way: cookiecutter's Python API
   (in this process) and its CLI (a new process each time), beside the CLI's
   start-up alone (`cookiecutter --version`).
2. The matrix: every database x session_strategy x upload_strategy choice in
   cookiecutter.json (27 projects), each rendered and then checked in its own
   directory with `ruff check`, `ruff format --check` and `mypy` (the project's
   strict config in pyproject.toml; a cold cache, as on a fresh CI runner).
3. With --compare REV (repeatable), instead: the template at each git revision REV
   beside the working tree, all exported to plain folders, in interleaved rounds (the
   order rotates every round): `cookiecutter --version`, then for each tree a CLI render
   of the default project and a `copier copy --trust --defaults` of it. Each render is
   reported as a ratio to `cookiecutter --version` of the same round, each Copier copy as
   a ratio to the Cookiecutter render of the same tree and round (wall-clock and CPU
   time); medians, every round, and a plot (docs/benchmarks/render.png).

    .venv/bin/python bench/render.py              # about 3 minutes
    .venv/bin/python bench/render.py --skip-matrix --runs 20
    .venv/bin/python bench/render.py --compare HEAD~1 --runs 15   # about 3 minutes
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cookiecutter.main import cookiecutter  # type: ignore[import-untyped]
from machine import cookiecutter_config, describe, median, template_state, wait_for_quiet
from plot import RatioRow, ratio_plot

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
MATRIX_QUESTIONS = ("database", "session_strategy", "upload_strategy")
VENV_BIN = Path(sys.executable).parent


@dataclass
class Timings:
    """Seconds per run of one measured action."""

    name: str
    seconds: list[float]

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runs": len(self.seconds),
            "median_ms": median(self.seconds) * 1000,
            "min_ms": min(self.seconds) * 1000,
            "max_ms": max(self.seconds) * 1000,
        }


@dataclass
class Check:
    """One command run on one rendered project."""

    seconds: float
    returncode: int
    last_line: str


@dataclass
class Combination:
    answers: dict[str, str]
    render_s: float
    checks: dict[str, Check]

    @property
    def passed(self) -> bool:
        return all(check.returncode == 0 for check in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        checks = {name: asdict(check) for name, check in self.checks.items()}
        return {"answers": self.answers, "render_s": self.render_s, **checks}


def tool(name: str) -> str:
    """A console script of this virtualenv (or PATH); exits when it is missing."""
    found = shutil.which(name, path=str(VENV_BIN)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed; install requirements/test.txt first")
    return found


class Renderer:
    """Renders into fresh numbered directories under workdir."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.config = cookiecutter_config(workdir)
        self.env = {**os.environ, "COOKIECUTTER_CONFIG": str(self.config)}
        self.counter = itertools.count()

    def fresh_dir(self) -> Path:
        path = self.workdir / f"out{next(self.counter)}"
        path.mkdir()
        return path

    def api(self, answers: dict[str, str] | None = None) -> Path:
        return Path(
            cookiecutter(
                str(REPO),
                no_input=True,
                output_dir=str(self.fresh_dir()),
                extra_context=answers or {},
                config_file=str(self.config),
            )
        )

    def cli(self, template: Path = REPO) -> None:
        command = [tool("cookiecutter"), "--no-input", "-o", str(self.fresh_dir()), str(template)]
        run_checked(command, env=self.env)

    def copier(self, template: Path = REPO) -> None:
        destination = self.fresh_dir() / "project"
        command = [tool("copier"), "copy", "--trust", "--defaults", "--quiet"]
        run_checked([*command, str(template), str(destination)], env=self.env)

    def cli_version(self) -> None:
        run_checked([tool("cookiecutter"), "--version"], env=self.env)


def run_checked(command: list[str], **kwargs: Any) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(name: str, action: Callable[[], object], runs: int) -> Timings:
    timings = Timings(name, [timed(action) for _ in range(runs)])
    print(f"{name}: median {median(timings.seconds) * 1000:.1f} ms", file=sys.stderr)
    return timings


def default_project(renderer: Renderer, runs: int, mypy_runs: int) -> list[Timings]:
    timings = [
        repeat("cookiecutter --version (CLI start-up)", renderer.cli_version, runs),
        repeat("render, Python API", renderer.api, runs),
        repeat("render, CLI", renderer.cli, runs),
    ]
    if mypy_runs:
        timings += mypy_cold_and_warm(renderer.api(), mypy_runs)
    return timings


def mypy_cold_and_warm(project: Path, runs: int) -> list[Timings]:
    """mypy on one project with no cache (as in the matrix), and again with its cache."""
    cache = project / ".mypy_cache"

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        run_checked([tool("mypy")], cwd=project)

    def warm() -> None:
        run_checked([tool("mypy")], cwd=project)

    return [repeat("mypy, no cache", cold, runs), repeat("mypy, warm cache", warm, runs)]


# --- matrix -------------------------------------------------------------------------


def combinations() -> Iterator[dict[str, str]]:
    questions = json.loads((REPO / "cookiecutter.json").read_text(encoding="utf-8"))
    choices = [questions[name] for name in MATRIX_QUESTIONS]
    for values in itertools.product(*choices):
        yield dict(zip(MATRIX_QUESTIONS, values, strict=True))


def check_commands() -> dict[str, list[str]]:
    ruff = tool("ruff")
    return {
        "ruff check": [ruff, "check", "--no-cache", "."],
        "ruff format --check": [ruff, "format", "--check", "--no-cache", "."],
        "mypy": [tool("mypy")],
    }


def run_check(command: list[str], project: Path) -> Check:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    lines = (result.stdout + result.stderr).strip().splitlines()
    return Check(seconds, result.returncode, lines[-1] if lines else "")


def check_matrix(renderer: Renderer) -> tuple[list[Combination], float]:
    """Render and check every combination; return them and the total wall time."""
    commands = check_commands()
    results = []
    started = time.perf_counter()
    for answers in combinations():
        render_started = time.perf_counter()
        project = renderer.api(answers)
        render_s = time.perf_counter() - render_started
        checks = {name: run_check(command, project) for name, command in commands.items()}
        combination = Combination(answers, render_s, checks)
        results.append(combination)
        status = "ok" if combination.passed else "FAILED"
        print(f"{'/'.join(answers.values())}: {status}", file=sys.stderr)
    return results, time.perf_counter() - started


def matrix_summary(results: list[Combination], wall_s: float) -> dict[str, Any]:
    stages: dict[str, list[float]] = {"render": [r.render_s for r in results]}
    for result in results:
        for name, check in result.checks.items():
            stages.setdefault(name, []).append(check.seconds)
    return {
        "projects": len(results),
        "passed": sum(result.passed for result in results),
        "wall_s": wall_s,
        "stages": {
            name: {"total_s": sum(values), "median_s": median(values), "max_s": max(values)}
            for name, values in stages.items()
        },
        "failures": [
            {"answers": r.answers, **{n: asdict(c) for n, c in r.checks.items() if c.returncode}}
            for r in results
            if not r.passed
        ],
    }


# --- side by side: a revision of the template against the working tree --------------

# What issue targets the template holds itself to.
RENDER_TARGET = 1.3  # a render over `cookiecutter --version`
COPIER_TARGET = 1.5  # a Copier copy over the Cookiecutter render
# Wall-clock time, and the CPU time of the processes (steadier on a shared machine).
CLOCKS = ("wall", "cpu")


def export_tree(revision: str | None, destination: Path) -> Path:
    """The repository at a git revision (git archive), or its working tree's files (None)."""
    destination.mkdir()
    if revision is None:
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for name in filter(None, listed.split("\0")):
            source = REPO / name
            if source.is_file():  # a deleted but still tracked file is not
                (destination / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination / name)
        return destination
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True
    ).stdout
    # Permissions from the umask, as a checkout gets them (not git archive's 0664).
    subprocess.run(
        ["tar", "-x", "--no-same-permissions", "-C", str(destination)], input=archive, check=True
    )
    return destination


def children_cpu_s() -> float:
    """CPU seconds (user + system) of every finished child process, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_both(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock seconds of the action, and the CPU seconds its processes used."""
    cpu_before = children_cpu_s()
    wall = timed(action)
    return wall, children_cpu_s() - cpu_before


def compare(renderer: Renderer, revisions: list[str], runs: int) -> dict[str, Any]:
    """Interleaved rounds of the start-up, and of every tree rendered by both engines."""
    trees = {
        revision: export_tree(revision, renderer.workdir / f"tree-{number}")
        for number, revision in enumerate(revisions)
    }
    trees["working tree"] = export_tree(None, renderer.workdir / "tree-working")
    actions: dict[str, Callable[[], object]] = {"cookiecutter --version": renderer.cli_version}
    for label, tree in trees.items():
        actions[f"cookiecutter render, {label}"] = lambda tree=tree: renderer.cli(tree)
        actions[f"copier copy, {label}"] = lambda tree=tree: renderer.copier(tree)
    names = list(actions)
    seconds: dict[str, dict[str, list[float]]] = {
        clock: {name: [] for name in names} for clock in CLOCKS
    }
    for round_number in range(runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu = timed_both(actions[name])
            seconds["wall"][name].append(wall)
            seconds["cpu"][name].append(cpu)
        print(f"round {round_number + 1}/{runs} done", file=sys.stderr)
    ratios: dict[str, dict[str, Any]] = {}
    for clock, by_name in seconds.items():
        version = by_name["cookiecutter --version"]
        for label in trees:
            render = by_name[f"cookiecutter render, {label}"]
            copier = by_name[f"copier copy, {label}"]
            ratios[f"render / `cookiecutter --version`, {label}, {clock}"] = {
                "each_round": [r / v for r, v in zip(render, version, strict=True)],
                "target": RENDER_TARGET,
            }
            ratios[f"`copier copy` / Cookiecutter render, {label}, {clock}"] = {
                "each_round": [c / r for c, r in zip(copier, render, strict=True)],
                "target": COPIER_TARGET,
            }
    for ratio in ratios.values():
        ratio["median"] = median(ratio["each_round"])
    return {"revisions": revisions, "seconds": seconds, "ratios": ratios}


def compare_markdown(result: dict[str, Any]) -> str:
    lines = [
        "| action | runs | median ms | min ms | max ms | median CPU ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in result["seconds"]["wall"].items():
        cpu = result["seconds"]["cpu"][name]
        lines.append(
            f"| {name} | {len(values)} | {median(values) * 1000:.1f} | {min(values) * 1000:.1f} "
            f"| {max(values) * 1000:.1f} | {median(cpu) * 1000:.1f} |"
        )
    lines += [
        "",
        "| ratio, same round | median | min | max | target |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, ratio in result["ratios"].items():
        rounds = ratio["each_round"]
        lines.append(
            f"| {name} | {ratio['median']:.2f} | {min(rounds):.2f} | {max(rounds):.2f} "
            f"| ≤ {ratio['target']} |"
        )
    return "\n".join(lines)


def compare_plot(result: dict[str, Any]) -> Path:
    rows = [
        RatioRow(name.replace("`", ""), ratio["each_round"], ratio["median"], ratio["target"])
        for name, ratio in result["ratios"].items()
    ]
    return ratio_plot(
        rows,
        f"Default project, {', '.join(result['revisions'])} and the working tree",
        "the row's baseline",
        "render",
        xlabel="wall-clock or CPU seconds as a ratio to the row's baseline, same round",
    )


# --- report -------------------------------------------------------------------------


def markdown(default: list[Timings], matrix: dict[str, Any] | None) -> str:
    lines = [
        "| action | runs | median ms | min ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for timing in default:
        s = timing.summary()
        lines.append(
            f"| {s['name']} | {s['runs']} | {s['median_ms']:.1f} | {s['min_ms']:.1f} "
            f"| {s['max_ms']:.1f} |"
        )
    if matrix is None:
        return "\n".join(lines)
    lines += [
        "",
        f"Matrix: {matrix['projects']} projects, {matrix['passed']} passed every check, "
        f"{matrix['wall_s']:.1f} s wall clock in all.",
        "",
        "| stage | total s | median s per project | max s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, stage in matrix["stages"].items():
        lines.append(
            f"| {name} | {stage['total_s']:.2f} | {stage['median_s']:.3f} | {stage['max_s']:.3f} |"
        )
    return "\n".join(lines)


def per_project_markdown(results: list[Combination]) -> str:
    names = list(results[0].checks) if results else []
    lines = [
        "| database | session | upload | render s | " + " | ".join(names) + " | result |",
        "| --- | --- | --- | ---: | " + " | ".join("---:" for _ in names) + " | --- |",
    ]
    for result in results:
        cells = " | ".join(f"{result.checks[name].seconds:.2f}" for name in names)
        lines.append(
            f"| {' | '.join(result.answers.values())} | {result.render_s:.3f} | {cells} "
            f"| {'pass' if result.passed else 'FAIL'} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10, help="renders per way (median)")
    parser.add_argument(
        "--mypy-runs", type=int, default=3, help="mypy cold/warm runs on the default project"
    )
    parser.add_argument("--skip-matrix", action="store_true")
    parser.add_argument(
        "--compare",
        metavar="REV",
        action="append",
        help="only the side-by-side rounds of these git revisions (repeat it) and the working tree",
    )
    parser.add_argument("--quiet-threshold", type=float, default=0.25)
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    parser.add_argument(
        "--output", type=Path, help="JSON results (default: bench/results/render-<time>.json)"
    )
    return parser.parse_args(argv)


def report_comparison(info: dict[str, Any], result: dict[str, Any], output: Path | None) -> int:
    output = output or BENCH / "results" / time.strftime("render-compare-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"machine": info, **result}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2))
    print(compare_markdown(result))
    print(f"\nplot: {compare_plot(result)}\nfull results: {output}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain `kill` should clean up like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    with tempfile.TemporaryDirectory(prefix="bench-render-") as directory:
        renderer = Renderer(Path(directory))
        info["background_cores_before"], _ = wait_for_quiet(args.quiet_wait, args.quiet_threshold)
        if args.compare:
            return report_comparison(info, compare(renderer, args.compare, args.runs), args.output)
        default = default_project(renderer, args.runs, args.mypy_runs)
        matrix_results: list[Combination] = []
        matrix = None
        if not args.skip_matrix:
            wait_for_quiet(args.quiet_wait, args.quiet_threshold)
            matrix_results, wall_s = check_matrix(renderer)
            matrix = matrix_summary(matrix_results, wall_s)
    results = {
        "machine": info,
        "default_project": [{**t.summary(), "seconds": t.seconds} for t in default],
        "matrix": matrix,
        "matrix_projects": [result.as_dict() for result in matrix_results],
    }
    output = args.output or BENCH / "results" / time.strftime("render-%Y%m%d-%H%M%S.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2))
    print(markdown(default, matrix))
    if matrix_results:
        print()
        print(per_project_markdown(matrix_results))
    print(f"\nfull results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
