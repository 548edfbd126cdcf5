"""The same endpoints of two template revisions side by side: what a change costs, in one run.

Renders the default project (PostgreSQL, hybrid sessions) from a git revision of the
template (--base, e.g. the commit before a change) and from the working tree (or
--head), migrates a throwaway database for each and starts one single-worker server of
each, with a Redis namespace of its own. A user signs in and creates an item and an
account on each; then bench/loadgen.py drives, in rounds whose order alternates,
GET /api/v1/items/{id} (an L1 cache hit after the first read: the session check, then the
process's own cache), GET /api/v1/users/me and GET /api/v1/accounts/{id} (the session
check, then one primary-key read), and the bare GET /health/live of both, and the load
generator alone against bench/stub_server.py. Each row is the median over rounds; the
ratio is head / base.

    .venv/bin/python bench/revisions.py --base ef209ad            # about 7 minutes
    .venv/bin/python bench/revisions.py --base ef209ad --head 3801272 --rounds 6
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    BENCH,
    DEFAULT_POSTGRES_URL,
    HEALTH,
    REDIS_NAMESPACE,
    REPO,
    ROW_HEADER,
    LoadConfig,
    Server,
    header_lines,
    http,
    markdown_row,
    measure,
    migrate,
    postgres_version,
    render_project,
    service,
    service_env,
    sign_in,
    stub_server,
    summarise_rows,
    throwaway_database,
)
from machine import describe, template_state

L1 = "l1"
ME = "users-me"
ACCOUNT = "account"
BASE, HEAD = "base", "head"


def template_at(revision: str, directory: Path) -> Path:
    """The template's files at a git revision, unpacked into directory."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as files:
        files.extractall(directory, filter="data")
    return directory


def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    config = LoadConfig(
        args.connections, args.duration, args.warmup, args.quiet_threshold, args.quiet_wait
    )
    head = template_at(args.head, workdir / "head-template") if args.head else REPO
    templates = {BASE: template_at(args.base, workdir / "base-template"), HEAD: head}
    logs = workdir / "logs"
    logs.mkdir()
    servers: dict[str, Server] = {}
    sessions: dict[str, dict[str, str]] = {}
    item_ids: dict[str, int] = {}
    account_ids: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        for name, template in templates.items():
            (workdir / name).mkdir()
            project, package = render_project(workdir / name, template=template)
            database_url = stack.enter_context(throwaway_database(args.postgres_url))
            migrate(project, database_url)
            env = service_env(database_url, {"REDIS_NAMESPACE": f"{REDIS_NAMESPACE}-{name}"})
            servers[name] = stack.enter_context(service(name, project, package, env, logs))
            sessions[name] = sign_in(servers[name].base_url, register=True)
            status, item = http(
                "POST",
                servers[name].base_url + "/api/v1/items",
                {"name": "bench", "price": "1.00"},
                sessions[name],
            )
            if status != 201:
                raise SystemExit(f"seeding an item on {name} failed: {status} {item}")
            item_ids[name] = item["id"]
            url = servers[name].base_url + "/api/v1/accounts"
            status, account = http("POST", url, {}, sessions[name])
            if status != 201:
                raise SystemExit(f"seeding an account on {name} failed: {status} {account}")
            account_ids[name] = account["id"]
        if len(set(item_ids.values())) != 1 or len(set(account_ids.values())) != 1:
            raise SystemExit(f"the servers' rows got different ids: {item_ids} {account_ids}")
        credentials = {name: header_lines(headers) for name, headers in sessions.items()}
        stub = stack.enter_context(stub_server(logs))
        paths = {
            L1: f"/api/v1/items/{item_ids[HEAD]}",
            ME: "/api/v1/users/me",
            ACCOUNT: f"/api/v1/accounts/{account_ids[HEAD]}",
            HEALTH: "/health/live",
        }
        runs = measure(servers, credentials, stub, paths, config, args.rounds)
    rows = summarise_rows(runs)
    rps = {key: row["rps_median"] for key, row in rows.items()}
    ratios = {endpoint: rps[f"{HEAD}/{endpoint}"] / rps[f"{BASE}/{endpoint}"] for endpoint in paths}
    return {
        "machine": {**describe(), **template_state(REPO)},
        "postgresql": postgres_version(args.postgres_url),
        "base": args.base,
        "head": args.head or "working tree",
        "load": vars(config),
        "rounds": args.rounds,
        "runs": runs,
        "rows": rows,
        "ratios": ratios,
    }


def markdown(result: dict[str, Any]) -> str:
    rows = result["rows"]
    lines = [*ROW_HEADER]
    lines += [markdown_row(f"{key.replace('/', ', ')}", rows[key]) for key in sorted(rows)]
    lines += ["", "| endpoint | head / base (median req/s) |", "| --- | ---: |"]
    lines += [f"| {endpoint} | {ratio:.3f} |" for endpoint, ratio in result["ratios"].items()]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--head", help="a git revision to compare (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quiet-threshold", type=float, default=0.3)
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-revisions-") as tmp:
        result = benchmark(args, Path(tmp))
    out = BENCH / "results" / f"revisions-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    print(f"\nraw numbers: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
