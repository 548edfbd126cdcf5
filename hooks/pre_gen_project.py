"""Refuse answers the template cannot build, before any file is written.

Copier runs no script before rendering: the validators in copier.yml refuse the same answers
with the same rules and messages, and the same reserved names (hooks/reserved-names.yml).
tests/test_copier.py feeds the same bad answers to both engines, so change the rules in both
places.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

# Rendered as JSON inside raw strings, so no answer can break this file's syntax.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""
QUESTIONS_JSON = r"""{{ _cookiecutter | default({}) | tojson }}"""  # with their choices

# Longer names would push generated import lines past the 100-column lint limit.
MAX_NAME_LENGTH = 40
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
# The names a package must not take, in every version a generated project may run on
# (3.11 to 3.13), whichever Python runs this: the keywords (soft ones too, `type` since
# 3.12), the standard library's modules (Python 3.11's sys.stdlib_module_names, which also
# holds the modules 3.12 and 3.13 dropped; they added no public ones) and the service's
# own dependencies. One list, reserved-names.yml, which copier.yml's validators read too.
RESERVED_NAMES_FILE = "reserved-names.yml"
# Run as a hook, this file is a rendered copy in a temporary folder, holding the lists as
# local_extensions.py read them in Cookiecutter's (or cruft's) process: the hook then
# parses no YAML (importing PyYAML would take more time than the rest of the hook). Where
# the file is imported as it is (local_extensions.py, the tests) it reads the YAML file;
# so does a hook rendered without the extension (an old replay file), from the template's
# folder that Cookiecutter names.
RESERVED_JSON = r"""{{ reserved_names | default({}) | tojson }}"""
TEMPLATE_DIR = r"""{{ cookiecutter._repo_dir | default('') }}"""


def parse_yaml(text: str) -> Any:
    """Safe YAML, with libyaml's parser where PyYAML has it (far faster than pure Python)."""
    import yaml  # only where the lists are not rendered into this file

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def reserved_names() -> dict[str, frozenset[str]]:
    """The reserved names by list, empty when no copy of them is at hand."""
    try:
        rendered = json.loads(RESERVED_JSON)
    except json.JSONDecodeError:  # imported as it is: the Jinja expression, not JSON
        rendered = {}
    if rendered:
        return {name: frozenset(names) for name, names in rendered.items()}
    for folder in (Path(__file__).resolve().parent, Path(TEMPLATE_DIR) / "hooks"):
        path = folder / RESERVED_NAMES_FILE
        if path.is_file():
            lists = parse_yaml(path.read_text(encoding="utf-8"))
            # Each default is a list's YAML text (see reserved-names.yml).
            return {name: frozenset(parse_yaml(entry["default"])) for name, entry in lists.items()}
    return {}


RESERVED = reserved_names()
PYTHON_KEYWORDS = RESERVED.get("python_keywords", frozenset())
STDLIB_MODULES = RESERVED.get("python_stdlib_modules", frozenset())
DEPENDENCY_PACKAGES = RESERVED.get("service_dependencies", frozenset())


def check_slug(slug: str) -> str | None:
    if len(slug) > MAX_NAME_LENGTH:
        return f"project_slug {slug!r} is longer than {MAX_NAME_LENGTH} characters"
    if SLUG_PATTERN.match(slug):
        return None
    return (
        f"project_slug {slug!r} is not a valid distribution name: use lowercase "
        "letters, digits and single hyphens, starting with a letter"
    )


def check_package_name(name: str) -> str | None:
    if len(name) > MAX_NAME_LENGTH:
        return f"package_name {name!r} is longer than {MAX_NAME_LENGTH} characters"
    if not PACKAGE_PATTERN.match(name):
        return (
            f"package_name {name!r} is not a lowercase Python identifier "
            "(letters, digits, '_'; not starting with a digit)"
        )
    if name in PYTHON_KEYWORDS:
        return f"package_name {name!r} is a Python keyword"
    if name in STDLIB_MODULES:
        return f"package_name {name!r} would shadow the standard library module {name!r}"
    if name in DEPENDENCY_PACKAGES:
        return f"package_name {name!r} would shadow the dependency {name!r}"
    return None


def check_email(email: str) -> str | None:
    if EMAIL_PATTERN.match(email):
        return None
    return f"author_email {email!r} is not an email address"


def check_choices(answers: dict[str, str], choices: dict[str, list[str]]) -> str | None:
    for question, allowed in choices.items():
        answer = answers.get(question)
        if answer is not None and answer not in allowed:
            return f"{question} {answer!r} is not supported; choose one of: {', '.join(allowed)}"
    return None


def template_choices(questions: dict[str, object]) -> dict[str, list[str]]:
    """The multiple-choice questions and their allowed answers."""
    return {name: value for name, value in questions.items() if isinstance(value, list)}


def problems(answers: dict[str, str], choices: dict[str, list[str]]) -> list[str]:
    """Every reason to refuse these answers, one line each."""
    found = [
        check_slug(answers["project_slug"]),
        check_package_name(answers["package_name"]),
        check_email(answers["author_email"]),
        check_choices(answers, choices),
    ]
    return [problem for problem in found if problem is not None]


def main() -> int:
    found = problems(json.loads(ANSWERS_JSON), template_choices(json.loads(QUESTIONS_JSON)))
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
