"""Projects follow template releases with `cruft update` and `copier update`, keeping their own
edits and their .env, and never gaining an unchosen option's files.

Each test generates a project from release v0.1.0 of a template repository made here (this
working tree, committed and tagged, then changed as a next release would and tagged v0.2.0),
commits it as a team would, changes it, and updates it to v0.2.0. No network is used.
"""

from __future__ import annotations

import abc
import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .conftest import TEMPLATE_DIR, cookiecutter_config, run, tool
from .test_hooks import load_hook

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "template-tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "template-tests@example.com",
    # Nothing from the machine's git configuration (signing, hooks, default branch).
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
PROJECT = "{{cookiecutter.project_slug}}"
SQLITE_BACKEND = (
    "src/{{cookiecutter.package_name}}/db/backends/"
    "{% if cookiecutter.database == 'sqlite' %}sqlite.py{% endif %}"
)
# In a new folder that holds nothing else: no project that chose another database gets it.
NEW_SQLITE_FILE = "ops/{% if cookiecutter.database == 'sqlite' %}sqlite-backups.md{% endif %}"
UNRELEASED_FILE = "UNRELEASED.md"
TEAM_ENV = "SECRET_KEY=the-team-secret-kept-across-updates\nLOCAL_ONLY=1\n"


def git(*args: str, cwd: Path) -> str:
    result = run(["git", *args], cwd, env=GIT_ENV)
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def copy_working_tree(destination: Path) -> None:
    """The template as a clean clone of this working tree would have it (local changes in)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=TEMPLATE_DIR)
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def next_release(template: Path) -> None:
    """What v0.2.0 changes: one part of a file, new files, an unchosen option's file."""
    root = template / PROJECT
    edit(
        root / "README.md",
        "# pytest against a throwaway database",
        "# pytest against a throwaway database, in parallel",
    )
    edit(root / ".dockerignore", "tests/\n", "tests/\ndocs/\n")
    edit(root / ".env.example", "LOG_LEVEL=INFO\n", "LOG_LEVEL=INFO\nFEATURE_FLAGS=\n")
    (root / "docs").mkdir()
    (root / "docs" / "operations.md").write_text("# Operating {{ cookiecutter.project_name }}\n")
    (root / "ops").mkdir()
    (root / NEW_SQLITE_FILE).write_text("# Backing up the SQLite file\n")
    with (root / SQLITE_BACKEND).open("a") as backend:
        backend.write("# Tuned in 0.2.0.\n")


def make_template_repo(
    directory: Path,
    next_change: Callable[[Path], None] = next_release,
    first_change: Callable[[Path], None] | None = None,
) -> Path:
    """A template repository with releases v0.1.0 (this tree, or it changed by first_change)
    and v0.2.0 (v0.1.0 changed by next_change)."""
    template = directory / "template"
    copy_working_tree(template)
    git("init", "--quiet", "--initial-branch=main", cwd=template)
    for version, change in (("v0.1.0", first_change), ("v0.2.0", next_change)):
        if change is not None:
            change(template)
        git("add", "--all", cwd=template)
        git("commit", "--quiet", "-m", f"Release {version}", cwd=template)
        git("tag", version, cwd=template)
    # Work on main after the latest release: updates take releases, never this.
    (template / PROJECT / UNRELEASED_FILE).write_text("Not released yet.\n")
    git("add", "--all", cwd=template)
    git("commit", "--quiet", "-m", "Work towards the next release", cwd=template)
    return template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_repo(tmp_path_factory.mktemp("releases"))


class Tool(abc.ABC):
    """Generating from a template release and updating to the latest, with one tool."""

    name: str
    answers_file: str

    def __init__(self, workdir: Path) -> None:
        self.env = {**GIT_ENV, "COOKIECUTTER_CONFIG": str(cookiecutter_config(workdir))}

    def run(self, command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        return run(command, cwd, env=self.env)

    @abc.abstractmethod
    def generate(self, template: Path, output_dir: Path, **answers: str) -> Path:
        """Generate from release v0.1.0 into output_dir; return the project."""

    @abc.abstractmethod
    def update(self, project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        """Update the project to release v0.2.0 as its README says."""

    @abc.abstractmethod
    def recorded_release(self, project: Path, template: Path) -> str:
        """The release tag the project's answers file records."""


class Cruft(Tool):
    name = "cruft"
    answers_file = ".cruft.json"

    def generate(self, template: Path, output_dir: Path, **answers: str) -> Path:
        output_dir.mkdir(parents=True)
        result = self.run(
            [
                tool("cruft"),
                "create",
                "--no-input",
                "--checkout=v0.1.0",
                f"--output-dir={output_dir}",
                f"--extra-context={json.dumps(answers)}",
                str(template),
            ],
            output_dir,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (project,) = output_dir.iterdir()
        return project

    def update(self, project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        # As the generated README says: the release to update to, not the tip of main.
        command = [tool("cruft"), "update", "--skip-apply-ask", "--checkout=v0.2.0", *extra]
        return self.run(command, project)

    def recorded_release(self, project: Path, template: Path) -> str:
        commit = json.loads((project / self.answers_file).read_text())["commit"]
        return git("describe", "--tags", "--exact-match", commit, cwd=template).strip()


class Copier(Tool):
    name = "copier"
    answers_file = ".copier-answers.yml"

    def generate(self, template: Path, output_dir: Path, **answers: str) -> Path:
        project = output_dir / "project"
        output_dir.mkdir(parents=True)
        data = [f"--data={name}={value}" for name, value in answers.items()]
        command = ["copy", "--trust", "--defaults", "--vcs-ref=v0.1.0", *data]
        result = self.run([tool("copier"), *command, str(template), str(project)], output_dir)
        assert result.returncode == 0, result.stdout + result.stderr
        return project

    def update(self, project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run([tool("copier"), "update", "--trust", "--defaults", *extra], project)

    def recorded_release(self, project: Path, template: Path) -> str:
        return str(yaml.safe_load((project / self.answers_file).read_text())["_commit"])


TOOLS = [Cruft, Copier]


def generate_committed(
    tool_class: type[Tool], template: Path, tmp_path: Path, **answers: str
) -> tuple[Tool, Path]:
    """A project generated from v0.1.0 and committed, with the team's own .env."""
    engine = tool_class(tmp_path)
    project = engine.generate(template, tmp_path / "out", **answers)
    assert (project / ".env").is_file(), "generation writes .env"
    (project / ".env").write_text(TEAM_ENV)
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "Generated from the template", cwd=project)
    return engine, project


def commit_all(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", message, cwd=project)


def rejects(project: Path) -> list[str]:
    return [path.relative_to(project).as_posix() for path in project.rglob("*.rej")]


def assert_updated(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("tool_class", TOOLS, ids=lambda tool_class: tool_class.name)
def test_update_keeps_local_edits_and_env_and_adds_new_files(
    tool_class: type[Tool], template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(tool_class, template, tmp_path, database="postgresql")
    edit(
        project / "README.md",
        "\n## Run it locally\n",
        "\nOwned by the payments team.\n\n## Run it locally\n",
    )
    commit_all(project, "Say who owns the service")

    result = engine.update(project)

    assert_updated(result)
    assert "Next:" not in result.stdout, "the releases rendered to compare are no new project"
    readme = (project / "README.md").read_text()
    assert "Owned by the payments team." in readme
    assert "# pytest against a throwaway database, in parallel" in readme
    assert (project / "docs" / "operations.md").read_text() == "# Operating Orders Service\n"
    assert "FEATURE_FLAGS=" in (project / ".env.example").read_text()
    assert (project / ".env").read_text() == TEAM_ENV
    assert rejects(project) == []
    assert engine.recorded_release(project, template) == "v0.2.0"
    assert not (project / UNRELEASED_FILE).exists()


@pytest.mark.parametrize("tool_class", TOOLS, ids=lambda tool_class: tool_class.name)
@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_update_adds_an_option_file_only_where_that_option_was_chosen(
    tool_class: type[Tool], database: str, template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(tool_class, template, tmp_path, database=database)

    assert_updated(engine.update(project))

    backends = project / "src" / "orders_service" / "db" / "backends"
    generated = {path.name for path in backends.iterdir() if path.suffix == ".py"}
    server = {"server.py"} if database in ("postgresql", "mysql") else set()
    assert generated == {"__init__.py", "base.py", "common.py", f"{database}.py", *server}
    assert ((project / "ops" / "sqlite-backups.md").exists()) is (database == "sqlite")
    assert (project / "ops").exists() is (database == "sqlite"), "no empty folder either"
    tuned = "# Tuned in 0.2.0." in (backends / f"{database}.py").read_text()
    assert tuned is (database == "sqlite")
    status = git("status", "--porcelain", "--ignored", "--", "src", cwd=project).splitlines()
    changed = [line[3:] for line in status]  # staged or not, added or modified, even ignored
    sqlite_backend = "src/orders_service/db/backends/sqlite.py"
    assert changed == ([sqlite_backend] if database == "sqlite" else [])
    assert rejects(project) == []


CONFLICT_MESSAGES = {"cruft": r"with conflicts", "copier": r"conflict"}


@pytest.mark.parametrize("tool_class", TOOLS, ids=lambda tool_class: tool_class.name)
def test_conflicting_edit_shows_conflict_markers_and_the_tool_says_so(
    tool_class: type[Tool], template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(tool_class, template, tmp_path)
    edit(project / ".dockerignore", "tests/\n", "tests/\nscripts/\n")
    commit_all(project, "Keep scripts out of the image")

    result = engine.update(project)

    dockerignore = (project / ".dockerignore").read_text()
    assert re.search(r"^<<<<<<< .*\n(.*\n)*=======\n(.*\n)*>>>>>>> ", dockerignore, re.M), (
        dockerignore
    )
    assert "scripts/" in dockerignore
    assert "docs/" in dockerignore
    output = result.stdout + result.stderr
    assert re.search(CONFLICT_MESSAGES[engine.name], output, re.IGNORECASE), output
    unmerged = git("diff", "--name-only", "--diff-filter=U", cwd=project).split()
    assert unmerged == [".dockerignore"]
    assert rejects(project) == []
    assert (project / ".env").read_text() == TEAM_ENV


def test_cruft_create_refuses_a_bad_answer_with_one_line(template: Path, tmp_path: Path) -> None:
    answers = json.dumps({"package_name": "class"})
    command = [tool("cruft"), "create", "--no-input", "--output-dir=out", "--checkout=v0.2.0"]

    result = Cruft(tmp_path).run([*command, f"--extra-context={answers}", str(template)], tmp_path)

    assert result.returncode == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert lines == ["ERROR: package_name 'class' is a Python keyword"]
    assert not (tmp_path / "out").exists()


def test_cruft_create_says_where_the_project_is(template: Path, tmp_path: Path) -> None:
    command = [tool("cruft"), "create", "--no-input", "--output-dir=out", "--checkout=v0.2.0"]

    result = Cruft(tmp_path).run([*command, str(template)], tmp_path)

    assert result.returncode == 0, result.stderr
    project = tmp_path / "out" / "orders-service"
    assert result.stdout.splitlines()[:3] == [
        f"Created {project}",
        "Next:",
        f"  cd {project} && uv sync",
    ]


def test_post_generation_runs_on_copy_only(template: Path, tmp_path: Path) -> None:
    engine, project = generate_committed(Copier, template, tmp_path)
    (project / ".env").unlink()  # the team keeps its settings elsewhere

    assert_updated(engine.update(project))

    assert not (project / ".env").exists()


# Release v0.1.0 of this fixture asked `contact_email`; v0.2.0 renamed it `author_email`.
OLD_NAME, NEW_NAME = "contact_email", "author_email"
TEAM_EMAIL = "payments@corp.example"


def ask_contact_email(template: Path) -> None:
    paths = [template / "cookiecutter.json", template / "copier.yml", template / "hooks"]
    for path in [*paths, template / PROJECT]:
        for file in [path] if path.is_file() else path.rglob("*"):
            if file.is_file() and NEW_NAME in file.read_text():
                file.write_text(file.read_text().replace(NEW_NAME, OLD_NAME))


def rename_contact_email(template: Path) -> None:
    copy_working_tree(template)
    table = template / "hooks" / "renamed-options.yml"
    edit(
        table,
        "renamed: []",
        f'renamed:\n  - {{since: "0.2.0", question: {OLD_NAME}, to: {NEW_NAME}}}',
    )


@pytest.fixture(scope="module")
def renaming_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template_repo(
        tmp_path_factory.mktemp("renaming"),
        next_change=rename_contact_email,
        first_change=ask_contact_email,
    )


def author_email(project: Path) -> str:
    authors = tomllib.loads((project / "pyproject.toml").read_text())["project"]["authors"]
    return str(authors[0]["email"])


def test_copier_update_carries_a_renamed_answer_over(
    renaming_template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(
        Copier, renaming_template, tmp_path, **{OLD_NAME: TEAM_EMAIL}
    )

    result = engine.update(project)

    assert_updated(result)
    assert f"Recorded answer migrated: {OLD_NAME} is now {NEW_NAME}" in result.stderr
    answers = yaml.safe_load((project / engine.answers_file).read_text())
    assert answers[NEW_NAME] == TEAM_EMAIL
    assert OLD_NAME not in answers
    assert author_email(project) == TEAM_EMAIL


NEW_EXTENSION = "plain_names.PlainNames"


def without_the_new_extension(template: Path) -> None:
    """The template as a release before plain_names.py came in."""
    questions = json.loads((template / "cookiecutter.json").read_text())
    questions["_extensions"].remove(NEW_EXTENSION)
    (template / "cookiecutter.json").write_text(json.dumps(questions, indent=2) + "\n")
    (template / "plain_names.py").unlink()


def with_the_new_extension(template: Path) -> None:
    for name in ("cookiecutter.json", "plain_names.py"):
        shutil.copyfile(TEMPLATE_DIR / name, template / name)


def test_cruft_update_to_a_release_with_a_new_jinja_extension(tmp_path: Path) -> None:
    # cruft renders both releases in one process, which keeps the extension modules it
    # imported for the first: a new extension must come in a module of its own.
    template = make_template_repo(
        tmp_path / "releases",
        next_change=with_the_new_extension,
        first_change=without_the_new_extension,
    )
    engine, project = generate_committed(Cruft, template, tmp_path)

    result = engine.update(project)

    assert_updated(result)
    assert engine.recorded_release(project, template) == "v0.2.0"


def test_cruft_update_takes_a_renamed_answer_as_readme_says(
    renaming_template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(
        Cruft, renaming_template, tmp_path, **{OLD_NAME: TEAM_EMAIL}
    )

    # README.md, "Renamed and removed options": pass the old answer under its new name.
    result = engine.update(project, f"--variables-to-update={json.dumps({NEW_NAME: TEAM_EMAIL})}")

    assert_updated(result)
    context = json.loads((project / engine.answers_file).read_text())["context"]["cookiecutter"]
    assert context[NEW_NAME] == TEAM_EMAIL
    assert author_email(project) == TEAM_EMAIL


def test_cruft_update_without_the_mapping_would_lose_a_renamed_answer(
    renaming_template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(
        Cruft, renaming_template, tmp_path, **{OLD_NAME: TEAM_EMAIL}
    )

    assert_updated(engine.update(project))

    assert author_email(project) == "you@example.com"


migrate_answers = load_hook("migrate_answers")
TABLE = {
    "renamed": [{"since": "0.2.0", "question": "db", "to": "database"}],
    "renamed_answers": [
        {"since": "0.3.0", "question": "database", "answer": "mariadb", "to": "mysql"}
    ],
    "removed": [{"since": "0.4.0", "question": "orm"}],
}


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("0.1.0", "0.4.0", {"database": "mysql"}),
        ("0.1.0", "0.2.0", {"database": "mariadb", "orm": "sqlalchemy"}),
        ("0.2.0", "0.4.0", {"db": "mariadb"}),  # the rename was already applied
        ("0.1.0", "0.1.5", {"db": "mariadb", "orm": "sqlalchemy"}),
    ],
)
def test_migrations_apply_the_releases_in_between_in_order(
    since: str, until: str, expected: dict[str, str]
) -> None:
    answers = {"db": "mariadb", "orm": "sqlalchemy"}
    entries = migrate_answers.applicable(
        TABLE, migrate_answers.Version(since), migrate_answers.Version(until)
    )

    migrate_answers.migrate(answers, entries)

    assert answers == expected


def test_migrating_an_answers_file_twice_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "renamed-options.yml"
    table.write_text(yaml.safe_dump(TABLE))
    monkeypatch.setattr(migrate_answers, "TABLE", table)
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text("_commit: v0.1.0\ndb: mariadb\norm: sqlalchemy\n")
    arguments = ["--from=0.1.0", "--to=0.4.0", str(answers)]

    assert migrate_answers.main(arguments) == 0
    once = answers.read_text()
    assert migrate_answers.main(arguments) == 0

    assert answers.read_text() == once
    assert yaml.safe_load(once) == {"_commit": "v0.1.0", "database": "mysql"}
    assert capsys.readouterr().err.splitlines() == [
        "Recorded answer migrated: db is now database",
        "Recorded answer migrated: database: mariadb is now mysql",
        "Recorded answer migrated: orm was removed",
    ]


def test_the_shipped_rename_table_is_well_formed() -> None:
    table = yaml.safe_load((TEMPLATE_DIR / "hooks" / "renamed-options.yml").read_text())

    assert set(table) == {"renamed", "renamed_answers", "removed"}
    for entry in migrate_answers.applicable(
        table, migrate_answers.Version("0"), migrate_answers.Version("9999")
    ):
        assert {"since", "question"} <= set(entry[1])


def check_template(project: Path, engine: Tool) -> subprocess.CompletedProcess[str]:
    """The generated scripts/check-template, as CI runs it (the tools on PATH)."""
    path = f"{Path(tool('copier')).parent}{os.pathsep}{os.environ['PATH']}"
    return run(["scripts/check-template"], project, env={**engine.env, "PATH": path})


NEWER_RELEASE_MESSAGES = {
    "cruft": "FAILURE: Project's cruft is out of date!",
    "copier": "Current version is 0.1.0, latest version is 0.2.0.",
}


@pytest.mark.parametrize("tool_class", TOOLS, ids=lambda tool_class: tool_class.name)
def test_check_template_reports_a_newer_release_until_the_project_is_updated(
    tool_class: type[Tool], template: Path, tmp_path: Path
) -> None:
    engine, project = generate_committed(tool_class, template, tmp_path)

    before = check_template(project, engine)
    assert_updated(engine.update(project))
    commit_all(project, "Update to the template's v0.2.0")
    after = check_template(project, engine)

    assert before.returncode == 1, before.stdout + before.stderr
    assert NEWER_RELEASE_MESSAGES[engine.name] in before.stdout + before.stderr
    assert after.returncode == 0, after.stdout + after.stderr


def test_a_cookiecutter_project_links_to_its_release_and_updates_with_cruft(
    template: Path, tmp_path: Path
) -> None:
    release = tmp_path / "v0.1.0"
    git("clone", "--quiet", "--branch=v0.1.0", str(template), str(release), cwd=tmp_path)
    engine = Cruft(tmp_path)
    generate = [tool("cookiecutter"), "--no-input", "--output-dir=out", str(release)]
    generated = engine.run([*generate, "database=sqlite"], tmp_path)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    project = tmp_path / "out" / "orders-service"
    (project / ".env").write_text(TEAM_ENV)
    assert "Not linked to the template" in check_template(project, engine).stdout
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "Generated with Cookiecutter")

    # README.md of the project: `cruft link --checkout v0.1.0 <template URL>`.
    answers = json.dumps({"database": "sqlite"})
    link_options = ["--no-input", "--checkout=v0.1.0", f"--extra-context={answers}"]
    link = engine.run([tool("cruft"), "link", *link_options, str(template)], project)
    assert link.returncode == 0, link.stdout + link.stderr
    commit_all(project, "Link to the template")
    assert_updated(engine.update(project))

    assert engine.recorded_release(project, template) == "v0.2.0"
    assert (project / "ops" / "sqlite-backups.md").is_file()
    assert (project / ".env").read_text() == TEAM_ENV
    assert rejects(project) == []


after_update = load_hook("after_update")


def test_after_update_removes_only_the_templates_empty_folders(tmp_path: Path) -> None:
    folders = after_update.template_folders(
        TEMPLATE_DIR / PROJECT, {"package_name": "orders_service"}
    )
    (tmp_path / "src" / "orders_service" / "db" / "backends").mkdir(parents=True)
    (tmp_path / "src" / "orders_service" / "db" / "engine.py").touch()
    (tmp_path / "var").mkdir()  # the team's own, empty until the database is created

    removed = after_update.remove_empty_template_folders(tmp_path, folders)

    assert Path("src/orders_service/db/backends") in folders
    assert removed == [Path("src/orders_service/db/backends")]
    assert (tmp_path / "var").is_dir()
    assert (tmp_path / "src" / "orders_service" / "db" / "engine.py").is_file()


def test_check_template_explains_a_template_without_release_tags(tmp_path: Path) -> None:
    template = tmp_path / "template"
    copy_working_tree(template)
    git("init", "--quiet", "--initial-branch=main", cwd=template)
    commit_all(template, "A clone without tags")
    engine = Cruft(tmp_path)
    # README.md: from a clone with no tags, create from its main branch.
    create = [tool("cruft"), "create", "--no-input", "--checkout=main", "--output-dir=out"]
    created = engine.run([*create, str(template)], tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr

    result = check_template(tmp_path / "out" / "orders-service", engine)

    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"ERROR: {template} has no release tags (vX.Y.Z), so there is no release to compare with.",
        "Fetch its tags (git fetch --tags), or compare with a branch: cruft check --checkout main",
    ]
