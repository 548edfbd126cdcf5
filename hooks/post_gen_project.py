"""Finish a newly generated project: tidy what the engine left and write .env with fresh secrets.

Both engines run this file once, right after a project is generated: Cookiecutter (and cruft)
as its post-generation hook, Copier as a task on `copier copy` with `--engine=copier`. Updates
never run it, so `.env` is written once and a team's later changes are theirs. Running it again
changes nothing.

Files that belong to some answers of an option have a conditional name (an `if` block
around the file name, see "Adding a strategy-specific file" in README.md) that both engines
skip when it renders empty; this script only removes the folders that leaves empty. The
file holds no Jinja, so Copier runs it as it is and Cookiecutter's rendering leaves it as is.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

# Keys of .env.example whose value is replaced with a fresh secret in .env; other
# values may use them as ${KEY} (the database and Redis URLs, their passwords).
SECRET_KEYS = ("SECRET_KEY", "POSTGRES_PASSWORD", "MYSQL_PASSWORD", "REDIS_PASSWORD")
# Copier writes its answers here; Cookiecutter copies the file unrendered, so it goes.
COPIER_ANSWERS_FILE = ".copier-answers.yml"


def remove_empty_folders(project_dir: Path) -> list[Path]:
    """Remove folders with nothing in them (deepest first), never inside .git."""
    removed = []
    for root, folders, _ in os.walk(project_dir, topdown=False):
        for name in folders:
            folder = Path(root, name)
            if ".git" in folder.relative_to(project_dir).parts or folder.is_symlink():
                continue
            if not any(folder.iterdir()):
                folder.rmdir()
                removed.append(folder)
    return removed


def write_env_file(project_dir: Path, secret_keys: tuple[str, ...] | list[str]) -> bool:
    """Write .env from .env.example with fresh secrets; never replace an existing one."""
    env_file = project_dir / ".env"
    if env_file.exists():
        return False
    lines = []
    fresh: dict[str, str] = {}
    for line in (project_dir / ".env.example").read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in secret_keys:
            # URL-safe: the secret may go into a URL as a password.
            fresh[key.strip()] = secrets.token_urlsafe(48)
            line = f"{key}={fresh[key.strip()]}"
        elif sep and not key.lstrip().startswith("#"):
            for name, secret in fresh.items():
                value = value.replace("${" + name + "}", secret)
            line = f"{key}={value}"
        lines.append(line)
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)
    return True


def next_steps(project_dir: Path) -> str:
    """Where the project is and what to run first, as its README.md says."""
    return "\n".join(
        [
            f"Created {project_dir}",
            "Next:",
            f"  cd {project_dir} && uv sync",
            '  uv run scripts/test  # with the services of README.md, "Run it locally"',
        ]
    )


def is_cruft_comparison(project_dir: Path) -> bool:
    """cruft update and cruft diff render releases into a fresh temporary folder to compare."""
    output_dir = project_dir.parent
    in_temp = output_dir.parent == Path(tempfile.gettempdir()).resolve()
    return in_temp and output_dir.name.startswith("tmp")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("cookiecutter", "copier"), default="cookiecutter")
    args = parser.parse_args(argv)
    project_dir = Path.cwd()
    if args.engine == "cookiecutter":
        (project_dir / COPIER_ANSWERS_FILE).unlink(missing_ok=True)
    remove_empty_folders(project_dir)
    write_env_file(project_dir, SECRET_KEYS)
    # Copier prints its own message after this task (_message_after_copy in copier.yml).
    if args.engine == "cookiecutter" and not is_cruft_comparison(project_dir):
        print(next_steps(project_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
