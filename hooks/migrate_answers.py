"""Carry a project's recorded answers across options renamed or removed in later releases.

Copier runs this before `copier update` renders the new release (`_migrations` in copier.yml):

    migrate_answers.py --from=0.1.0 --to=0.2.0 .copier-answers.yml

It applies, in release order, the entries of hooks/renamed-options.yml whose `since` release
is after --from and no later than --to, and rewrites the answers file. Running it twice
changes nothing. The file holds no Jinja (Cookiecutter ignores it: it is not a hook).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version

TABLE = Path(__file__).with_name("renamed-options.yml")
HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


def applicable(
    table: dict[str, Any], since: Version, until: Version
) -> list[tuple[str, dict[str, str]]]:
    """The table's entries released after `since` and up to `until`, oldest first."""
    entries = [
        (kind, entry)
        for kind in ("renamed", "renamed_answers", "removed")
        for entry in table.get(kind, [])
        if since < Version(str(entry["since"])) <= until
    ]
    return sorted(entries, key=lambda item: Version(str(item[1]["since"])))


def migrate(answers: dict[str, Any], entries: list[tuple[str, dict[str, str]]]) -> list[str]:
    """Apply entries to answers in place; return one line per change made."""
    changes = []
    for kind, entry in entries:
        question = entry["question"]
        if question not in answers:
            continue
        if kind == "renamed":
            answers[entry["to"]] = answers.pop(question)
            changes.append(f"{question} is now {entry['to']}")
        elif kind == "renamed_answers" and answers[question] == entry["answer"]:
            answers[question] = entry["to"]
            changes.append(f"{question}: {entry['answer']} is now {entry['to']}")
        elif kind == "removed":
            del answers[question]
            changes.append(f"{question} was removed")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="since", type=Version, required=True)
    parser.add_argument("--to", dest="until", type=Version, required=True)
    parser.add_argument("answers_file", type=Path)
    args = parser.parse_args(argv)

    table = yaml.safe_load(TABLE.read_text(encoding="utf-8")) or {}
    answers = yaml.safe_load(args.answers_file.read_text(encoding="utf-8")) or {}
    changes = migrate(answers, applicable(table, args.since, args.until))
    if changes:
        dumped = yaml.safe_dump(answers, sort_keys=True, allow_unicode=True)
        args.answers_file.write_text(HEADER + dumped, encoding="utf-8")
    for change in changes:
        print(f"Recorded answer migrated: {change}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
