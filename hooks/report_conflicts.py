"""Say which files an update left with conflicts, so none goes unnoticed.

Copier runs this after `copier update` has merged the new release into the project (the
last step of `_migrations` in copier.yml); Copier itself reports nothing about conflicts.
It lists the files git records as unmerged and exits 0, as cruft does. No Jinja inside.
"""

from __future__ import annotations

import subprocess
import sys


def unmerged_files() -> list[str]:
    result = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def main() -> int:
    files = unmerged_files()
    if files:
        print(
            "The update conflicts with local changes in these files; resolve the parts "
            "between <<<<<<< and >>>>>>> in each, then `git add` it:",
            *(f"  {name}" for name in files),
            sep="\n",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
