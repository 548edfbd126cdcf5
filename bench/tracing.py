"""What OpenTelemetry tracing costs on an authenticated read, as ratios to the same service
without the instrumentation.

Renders the default PostgreSQL project (hybrid sessions) once, migrates a throwaway
database and serves, side by side, single-worker uvicorn processes with the same venv,
flags and settings (APP_ENV=prod, one secret, one Redis namespace), differing only here:

- uninstrumented: a copy of the project whose main.py no longer starts tracing: the bench
  replaces the one `start_tracing(...)` call with `None` (and stops if that text is not
  there exactly once, so it cannot measure the wrong thing). No logging processor, no
  metrics exemplar, no engine or app instrumentation: the baseline.
- off: the project as generated, OTEL_EXPORTER_OTLP_ENDPOINT unset.
- on, 10 %: OTEL_EXPORTER_OTLP_ENDPOINT at bench/otlp_collector.py (its own process, which
  answers every export at once and counts the spans), OTEL_TRACES_SAMPLER=
  parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1, its own OTEL_SERVICE_NAME.
- on, 100 %: the same, every request sampled (for context; no target).

One user logs in once (the servers share the secret and Redis namespace, so its bearer
token is valid on all of them) and creates one item. Every round drives, with
bench/loadgen.py (a separate process, 32 connections), GET /api/v1/users/me and
GET /api/v1/items/{id} (an L1 hit after the warm-up) on every server once, in an order that
reverses every round; each row's requests/s is divided by the uninstrumented server's on
the same endpoint in the same round, and the median of those ratios is reported with
their spread, against the targets (off >= 0.98, on at 10 % >= 0.90). At the end the traced
servers are stopped (which exports their last spans) and the collector's counts are
checked: a traced server that delivered no span fails the run.

A default run is 6 rounds of 9 runs (the stub and 8 rows) of 2 s warm-up and 6 s measured:
about 9 minutes on a quiet machine; each run waits up to --quiet-wait (30 s) for other
work to stop, so a busy machine can add up to half an hour.

    .venv/bin/python bench/tracing.py                 # 6 rounds x 6 s, about 9 minutes
    .venv/bin/python bench/tracing.py --rounds 1 --duration 2 --no-plot
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    BENCH,
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    REPO,
    ROW_HEADER,
    STUB,
    LoadConfig,
    Server,
    add_load_arguments,
    describe_run,
    drive,
    free_port,
    http,
    markdown_row,
    migrate,
    postgres_version,
    render_project,
    run_benchmark,
    running,
    service,
    service_env,
    stub_server,
    summarise_rows,
    throwaway_database,
    wait_until_live,
)
from machine import describe, median, process_cpu_seconds, template_state
from plot import RatioRow, ratio_plot
from sessions import EMAIL, PASSWORD, log_in, redis_namespaces

UNINSTRUMENTED = "uninstrumented"
OFF = "off"
ON_10 = "on-10"
ON_100 = "on-100"
# Variant: (label, sampling ratio when traced, target as a ratio to uninstrumented).
VARIANTS: dict[str, tuple[str, float | None, float | None]] = {
    UNINSTRUMENTED: ("without the instrumentation (baseline)", None, None),
    OFF: ("tracing off (no OTLP endpoint)", None, 0.98),
    ON_10: ("tracing on, 10 % sampled", 0.1, 0.90),
    ON_100: ("tracing on, 100 % sampled", 1.0, None),
}
COLLECTOR = "collector"
COLLECTOR_SCRIPT = BENCH / "otlp_collector.py"
# The call main.py makes; the uninstrumented copy gets None in its place.
START_TRACING_CALL = "start_tracing(service_name=settings.service_name, version=version)"


@dataclass(frozen=True)
class Row:
    """One measured line: an endpoint on one server, its target as a ratio to the
    uninstrumented server's same endpoint."""

    key: str
    label: str
    server: str
    endpoint: str
    path: str
    target: float | None


def rows_for(item_id: int) -> list[Row]:
    endpoints = {
        "me": ("`GET /api/v1/users/me`", "/api/v1/users/me"),
        "item": ("`GET /api/v1/items/{id}`, L1 hit", f"/api/v1/items/{item_id}"),
    }
    return [
        Row(f"{endpoint}-{variant}", f"{text}, {label}", variant, endpoint, path, target)
        for endpoint, (text, path) in endpoints.items()
        for variant, (label, _, target) in VARIANTS.items()
    ]


def service_name(variant: str) -> str:
    return f"bench-tracing-{variant}"


def without_tracing(project: Path, package: str, directory: Path) -> Path:
    """A copy of project whose main.py never starts tracing: the uninstrumented service."""
    copy = directory / project.name
    shutil.copytree(project, copy)
    main = copy / "src" / package / "main.py"
    text = main.read_text(encoding="utf-8")
    if text.count(START_TRACING_CALL) != 1:
        raise SystemExit(
            f"{main} does not call {START_TRACING_CALL} exactly once: bench/tracing.py "
            "cannot remove the tracing wiring, update START_TRACING_CALL"
        )
    main.write_text(text.replace(START_TRACING_CALL, "None"), encoding="utf-8")
    if "start_tracing(" in main.read_text(encoding="utf-8").replace("import start_tracing", ""):
        raise SystemExit(f"{main} still starts tracing after the edit")
    return copy


def variant_env(base: dict[str, str], variant: str, collector: Server) -> dict[str, str]:
    """base without any OTEL_ setting; a traced variant's exporter, sampler and name."""
    env = {
        name: value
        for name, value in base.items()
        if not name.startswith(("OTEL_", "FASTAPI_OTEL_"))
    }
    ratio = VARIANTS[variant][1]
    if ratio is not None:
        env.update(
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.base_url,
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": str(ratio),
                "OTEL_SERVICE_NAME": service_name(variant),
            }
        )
    return env


@contextlib.contextmanager
def collector_server(log_dir: Path) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(COLLECTOR_SCRIPT), "--port", str(port)]
    env = dict(os.environ)
    with running(COLLECTOR, command, cwd=BENCH, env=env, log_dir=log_dir, port=port) as server:
        wait_until_live(server, "/counts")
        yield server


def requests_answered(server: Server, metrics_token: str) -> int:
    """Every request the service counted in its http_requests metric, all routes."""
    request = urllib.request.Request(server.base_url + "/metrics")  # noqa: S310  # 127.0.0.1
    request.add_header("Authorization", f"Bearer {metrics_token}")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    return round(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("http_requests_total{")
        )
    )


def check_reads(servers: dict[str, Server], headers: dict[str, str], rows: list[Row]) -> None:
    """Every row answers 200 with the user's credentials before anything is measured."""
    for row in rows:
        status, body = http("GET", servers[row.server].base_url + row.path, headers=headers)
        if status != 200:
            raise SystemExit(f"{row.server} answered {row.path} with {status}: {body}")


def measure(
    rows: list[Row],
    servers: dict[str, Server],
    credentials: list[str],
    config: LoadConfig,
    rounds: int,
) -> list[dict[str, Any]]:
    """Each round: the stub, then every row, the order reversed every other round."""
    runs: list[dict[str, Any]] = []
    for number in range(rounds):
        order = rows if number % 2 == 0 else rows[::-1]
        run = drive(servers[STUB], "/", config)
        run.update({"round": number + 1, "server": STUB, "endpoint": STUB})
        runs.append(run)
        for row in order:
            run = drive(servers[row.server], row.path, config, credentials)
            run.update({"round": number + 1, "server": row.server, "endpoint": row.endpoint})
            runs.append(run)
            print(
                f"round {number + 1}: {describe_run(row.server, row.endpoint, run)}",
                file=sys.stderr,
            )
    return runs


def summarise(runs: list[dict[str, Any]], rows: list[Row]) -> dict[str, Any]:
    """Medians per row, and per row its ratio to the uninstrumented server's same endpoint
    in the same round."""
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run["round"], {})[f"{run['endpoint']}-{run['server']}"] = run["rps"]
    ratios: dict[str, Any] = {}
    for row in rows:
        baseline = f"{row.endpoint}-{UNINSTRUMENTED}"
        each = [values[row.key] / values[baseline] for _, values in sorted(by_round.items())]
        ratios[row.key] = {
            "label": row.label,
            "target": row.target,
            "median": median(each),
            "each": [round(value, 3) for value in each],
            "meets_target": row.target is None or median(each) >= row.target,
        }
    return {"rows": summarise_rows(runs), "ratios": ratios}


def spans_delivered(
    counts: dict[str, Any], answered: dict[str, int], collector_cpu: float | None
) -> dict[str, Any]:
    """Per traced server: spans and sampled traces (root spans) the collector received."""
    delivered: dict[str, Any] = {}
    for variant, requests in answered.items():
        mine = counts["services"].get(service_name(variant), {})
        spans, traces = mine.get("spans", 0), mine.get("root_spans", 0)
        delivered[variant] = {
            "sampler_arg": VARIANTS[variant][1],
            "requests_answered": requests,
            "exports": mine.get("exports", 0),
            "spans": spans,
            "sampled_traces": traces,
            "sampled_fraction": traces / requests if requests else 0.0,
            "spans_per_trace": spans / traces if traces else 0.0,
        }
    return {
        "servers": delivered,
        "decode_errors": counts["decode_errors"],
        "export_bytes": counts["bytes"],
        "collector_cpu_seconds": collector_cpu,
    }


def markdown(summary: dict[str, Any], rows: list[Row]) -> str:
    lines = [
        "| request | ratio to uninstrumented (median) | spread (min to max) | each round "
        "| target |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        if row.server == UNINSTRUMENTED:
            continue
        ratio = summary["ratios"][row.key]
        target = f"≥ {row.target}" if row.target is not None else ""
        if row.target is not None and not ratio["meets_target"]:
            target += " (missed)"
        lines.append(
            f"| {row.label} | {ratio['median']:.3f} | {min(ratio['each']):.3f} to "
            f"{max(ratio['each']):.3f} | {', '.join(map(str, ratio['each']))} | {target} |"
        )
    spans = summary["spans"]
    lines += [
        "",
        "| traced server | requests answered | sampled traces (fraction) | spans (per trace) "
        "| exports |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for variant, delivered in spans["servers"].items():
        lines.append(
            f"| {VARIANTS[variant][0]} | {delivered['requests_answered']} "
            f"| {delivered['sampled_traces']} ({delivered['sampled_fraction']:.3f}) "
            f"| {delivered['spans']} ({delivered['spans_per_trace']:.1f}) "
            f"| {delivered['exports']} |"
        )
    cpu = spans["collector_cpu_seconds"]
    lines += [
        "",
        f"The collector received {spans['export_bytes']} bytes of spans"
        + (f" and used {cpu:.1f} s of CPU" if cpu is not None else "")
        + f"; decode errors: {spans['decode_errors']}.",
        "",
        *ROW_HEADER,
    ]
    for row in rows:
        lines.append(markdown_row(row.label, summary["rows"][f"{row.server}/{row.endpoint}"]))
    stub = summary["rows"][f"{STUB}/{STUB}"]
    lines.append(markdown_row("load generator alone (stub server)", stub))
    return "\n".join(lines)


def plot(summary: dict[str, Any], rows: list[Row]) -> Path:
    return ratio_plot(
        [
            RatioRow(
                row.label.replace("`", ""),
                summary["ratios"][row.key]["each"],
                summary["ratios"][row.key]["median"],
                row.target,
            )
            for row in rows
            if row.server != UNINSTRUMENTED
        ],
        "OpenTelemetry tracing, one uvicorn worker each, PostgreSQL",
        "the same service without tracing",
        "tracing",
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    add_load_arguments(parser)
    parser.add_argument("--no-plot", action="store_true", help="skip docs/benchmarks/tracing.png")
    parser.add_argument("--json", type=Path, help="JSON (default: bench/results/tracing-*.json)")
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    info: dict[str, Any] = {**describe(), **template_state(REPO)}
    info["postgresql"] = postgres_version(args.postgres_url)
    config = LoadConfig.from_args(args)
    project, package = render_project(workdir)  # the default project: hybrid sessions
    uninstrumented = without_tracing(project, package, workdir / UNINSTRUMENTED)
    logs = workdir / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(throwaway_database(args.postgres_url))
        namespaces = stack.enter_context(redis_namespaces(args.redis_url))
        migrate(project, database_url)
        collector = stack.enter_context(collector_server(logs))
        servers: dict[str, Server] = {
            STUB: stack.enter_context(stub_server(logs)),
            COLLECTOR: collector,
        }
        # One secret and Redis namespace for all: a session of one is valid on every one.
        base = service_env(
            database_url, {"REDIS_URL": args.redis_url, "REDIS_NAMESPACE": namespaces["hybrid"]}
        )
        with contextlib.ExitStack() as services:
            for variant in VARIANTS:
                servers[variant] = services.enter_context(
                    service(
                        variant,
                        uninstrumented if variant == UNINSTRUMENTED else project,
                        package,
                        variant_env(base, variant, collector),
                        logs,
                    )
                )
            first = servers[UNINSTRUMENTED].base_url
            status, body = http(
                "POST", first + "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD}
            )
            if status != 201:
                raise SystemExit(f"registering the user failed: {status} {body}")
            credentials = log_in(servers[UNINSTRUMENTED])
            header, value = credentials[0].split(": ", 1)
            item_body = {"name": "hot", "price": "1.00"}
            status, item = http("POST", first + "/api/v1/items", item_body, {header: value})
            if status != 201:
                raise SystemExit(f"seeding an item failed: {status} {item}")
            rows = rows_for(item["id"])
            check_reads(servers, {header: value}, rows)
            runs = measure(rows, servers, credentials, config, args.rounds)
            answered = {
                variant: requests_answered(servers[variant], base["METRICS_TOKEN"])
                for variant, (_, ratio, _) in VARIANTS.items()
                if ratio is not None
            }
        # The traced servers have stopped: their last spans are exported.
        status, counts = http("GET", collector.base_url + "/counts")
        if status != 200:
            raise SystemExit(f"the collector answered /counts with {status}: {counts}")
        collector_cpu = process_cpu_seconds(collector.process.pid)
    errors = {
        f"{run['server']}/{run['endpoint']}": run["error_kinds"] for run in runs if run["errors"]
    }
    if errors:
        print(f"errors: {errors}", file=sys.stderr)
    summary = summarise(runs, rows)
    summary["spans"] = spans_delivered(counts, answered, collector_cpu)
    return {
        "machine": info,
        "load": vars(config),
        "rounds": args.rounds,
        "runs": runs,
        "summary": summary,
        "rows": [vars(row) for row in rows],
        "server_log_tails": {name: server.log_tail(30) for name, server in servers.items()},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results, output = run_benchmark(
        "tracing", lambda directory: benchmark(args, directory), args.json
    )
    rows = [Row(**row) for row in results["rows"]]
    print(json.dumps(results["machine"], indent=2))
    print(markdown(results["summary"], rows))
    if not args.no_plot:
        print(f"plot: {plot(results['summary'], rows)}")
    print(f"\nfull results: {output}")
    undelivered = [
        variant
        for variant, delivered in results["summary"]["spans"]["servers"].items()
        if delivered["spans"] == 0
    ]
    if undelivered:
        print(f"no spans reached the collector from: {', '.join(undelivered)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
