"""The project holds no code its answers do not use: every function, class and method
of src/ is called by the service or its tests (vulture, configured in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
import sys

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
