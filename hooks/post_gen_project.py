"""Prune the files of unchosen options and write .env with fresh secrets."""

from __future__ import annotations

import json
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Any

# Rendered as JSON inside a raw string, so no answer can break this file's syntax.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""
# Rendered into the project with the other files, and removed once read.
MANIFEST_NAME = ".template-options.toml"


def load_manifest(path: Path) -> dict[str, Any]:
    with path.open("rb") as manifest:
        return tomllib.load(manifest)


def unchosen_files(options: dict[str, dict[str, Any]], answers: dict[str, str]) -> list[str]:
    """Files owned by answers that were not chosen and by none that was.

    options maps each question to its answers and the files each answer owns.
    """
    kept: set[str] = set()
    dropped: set[str] = set()
    for question, owners in options.items():
        for answer, owned in owners.items():
            (kept if answer == answers[question] else dropped).update(owned["files"])
    return sorted(dropped - kept)


def prune(project_dir: Path, paths: list[str]) -> None:
    for relative in paths:
        path = project_dir / relative
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == project_dir or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def write_env_file(project_dir: Path, secret_keys: list[str]) -> bool:
    """Write .env from .env.example with fresh secrets; never replace an existing one."""
    env_file = project_dir / ".env"
    if env_file.exists():
        return False
    lines = []
    for line in (project_dir / ".env.example").read_text(encoding="utf-8").splitlines():
        key, sep, _ = line.partition("=")
        if sep and key.strip() in secret_keys:
            line = f"{key}={secrets.token_urlsafe(48)}"
        lines.append(line)
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)
    return True


def main() -> int:
    project_dir = Path.cwd()
    manifest = load_manifest(project_dir / MANIFEST_NAME)
    answers = json.loads(ANSWERS_JSON)
    prune(project_dir, [*unchosen_files(manifest["options"], answers), MANIFEST_NAME])
    write_env_file(project_dir, manifest["env"]["secret_keys"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
