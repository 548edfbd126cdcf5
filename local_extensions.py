"""Refuse bad answers in Cookiecutter's own process, with one line saying why.

Cookiecutter (and cruft) print a traceback for a failed hook, whatever the hook prints.
So the rules of hooks/pre_gen_project.py also run here, while the answers are rendered:
`__refused_answers` in cookiecutter.json, after the questions, renders through the filter
below, which stops generation before anything is written, as `sys.exit(message)` does.
The hook still runs its checks for answers that never pass through here (`--replay`).
Cookiecutter imports this file by its documented name from the template's folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

HOOKS = Path(__file__).resolve().parent / "hooks"
# The rules, and the reserved names they read when loaded.
RULE_FILES = ("pre_gen_project.py", "reserved-names.yml")
# Loaded rules by the digest of RULE_FILES: Cookiecutter builds four Jinja environments per
# project, each loads the rules, and loading them (parsing the YAML) costs more than the
# rest of this extension. `cruft update` renders two releases from one clone, and Python
# keeps this module from the first, so the key is what the files hold now, not their path.
_LOADED: dict[str, Any] = {}


def load_rules() -> Any:
    """hooks/pre_gen_project.py as a module, as this template's folder holds it now."""
    digest = hashlib.sha256()
    for name in RULE_FILES:
        digest.update((HOOKS / name).read_bytes())
    key = digest.hexdigest()
    if key not in _LOADED:
        path = HOOKS / "pre_gen_project.py"
        spec = importlib.util.spec_from_file_location("_template_answer_rules", path)
        if spec is None or spec.loader is None:
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _LOADED[key] = module
    return _LOADED[key]


class AnswersRefused(SystemExit):
    """Ends the process with the reasons, one per line, and exit status 1."""


class AnswerChecks(Extension):
    """The `refuse_bad_answers` filter: renders as nothing, or stops with the reasons."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        rules = load_rules()

        def refuse_bad_answers(answers: dict[str, Any]) -> str:
            found = rules.problems(answers, {})
            if found:
                raise AnswersRefused("\n".join(f"ERROR: {problem}" for problem in found))
            return ""

        environment.filters["refuse_bad_answers"] = refuse_bad_answers
        # For the pre-generation hook, rendered in this environment: the lists as read here.
        environment.globals["reserved_names"] = {
            name: sorted(names) for name, names in rules.RESERVED.items()
        }
