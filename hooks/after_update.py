"""Finish `copier update`: remove the empty folders it made, name the files with conflicts.

Copier runs this after it merged the new release into the project (the last step of
`_migrations` in copier.yml):

    after_update.py .copier-answers.yml

Copier creates every folder of the template, also one whose files all belong to options
the project did not choose (their conditional names render empty); those folders are
removed here when empty. Folders that are not the template's are left alone, empty or not.
Copier says nothing about conflicts, so the files git records as unmerged are listed; the
exit status is 0, as with cruft. Running it twice changes nothing. No Jinja is rendered in
this file by either engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jinja2
import yaml

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"


def template_folders(template: Path, answers: dict[str, object]) -> list[Path]:
    """The template's folders as named in the project, deepest first."""
    # Folder names, not HTML: nothing to escape.
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
    )
    folders = []
    for folder in template.rglob("*"):
        if not folder.is_dir():
            continue
        parts = folder.relative_to(template).parts
        rendered = [environment.from_string(part).render(cookiecutter=answers) for part in parts]
        if all(rendered):
            folders.append(Path(*rendered))
    return sorted(folders, key=lambda path: len(path.parts), reverse=True)


def remove_empty_template_folders(project: Path, folders: list[Path]) -> list[Path]:
    removed = []
    for folder in folders:
        path = project / folder
        if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
            path.rmdir()
            removed.append(folder)
    return removed


def unmerged_files() -> list[str]:
    result = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def main(argv: list[str] | None = None) -> int:
    (answers_file,) = argv if argv is not None else sys.argv[1:]
    answers = yaml.safe_load(Path(answers_file).read_text(encoding="utf-8")) or {}
    folders = template_folders(TEMPLATE_ROOT / PROJECT_FOLDER, answers)
    remove_empty_template_folders(Path.cwd(), folders)
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
