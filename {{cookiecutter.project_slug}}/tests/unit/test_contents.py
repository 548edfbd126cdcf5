"""The project holds no code its answers do not use: every function, class and method
of src/ is called by the service or its tests (vulture, configured in pyproject.toml),
and every setting is read by the service."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }}.settings import Settings

from ..helpers import PROJECT_DIR

# Data, not code: schema fields and columns are read by pydantic and SQLAlchemy, and
# attributes set on library objects are read by the library.
DECLARATIONS = re.compile(r"unused (variable|attribute) ")


def test_every_function_class_and_method_is_used() -> None:
    result = subprocess.run(  # this interpreter, fixed arguments
        [sys.executable, "-m", "vulture"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 3), result.stderr  # 3: unused code found
    unused = [line for line in result.stdout.splitlines() if not DECLARATIONS.search(line)]
    assert unused == [], "\n".join(unused)


def attributes_read(source: Path) -> set[str]:
    """Every name read as an attribute (obj.name) anywhere in the source tree."""
    names: set[str] = set()
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                names.add(node.attr)
    return names


def test_every_setting_is_read() -> None:
    """No setting is declared for nothing: each field of Settings (every group, the
    strategies' own included) is read somewhere in the service's code."""
    source = Path({{ cookiecutter.package_name }}.__file__).parent
    unread = set(Settings.model_fields) - attributes_read(source)
    assert unread == set()
