"""The hooks: refusals leave nothing on disk, empty folders go, .env is written once."""

from __future__ import annotations

import importlib.util
import json
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.utils import create_env_with_context  # type: ignore[import-untyped]
from jinja2 import Template

from .conftest import QUESTIONS, TEMPLATE_DIR, cookiecutter_config, render, run, tool


def load_hook(name: str) -> ModuleType:
    """Import a hook as plain Python (its Jinja placeholders sit inside strings)."""
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_DIR / "hooks" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")

REFUSED_ANSWERS = [
    ({"project_slug": "My Service", "package_name": "my_service"}, "project_slug"),
    ({"project_slug": "-service", "package_name": "service"}, "project_slug"),
    ({"project_slug": "service--api", "package_name": "service_api"}, "project_slug"),
    ({"project_slug": "a" * 41, "package_name": "service"}, "longer than 40"),
    ({"package_name": "a" * 41}, "longer than 40"),
    ({"package_name": "1service"}, "package_name"),
    ({"package_name": "my-service"}, "package_name"),
    ({"package_name": "class"}, "keyword"),
    ({"package_name": "match"}, "keyword"),
    ({"package_name": "type"}, "keyword"),
    ({"package_name": "distutils"}, "standard library"),
    ({"package_name": "logging"}, "standard library"),
    ({"package_name": "json"}, "standard library"),
    ({"package_name": "fastapi"}, "dependency"),
    ({"package_name": "tests"}, "dependency"),
    ({"author_email": "not-an-email"}, "author_email"),
    ({"author_email": "a@b"}, "author_email"),
    ({"author_email": "two@@example.com"}, "author_email"),
]


def cookiecutter_cli(
    tmp_path: Path, *arguments: str, command: list[str] | None = None
) -> tuple[int, list[str]]:
    """Run the cookiecutter command on this template; its exit status and every output line."""
    env = {"COOKIECUTTER_CONFIG": str(cookiecutter_config(tmp_path))}
    base = command or [tool("cookiecutter"), str(TEMPLATE_DIR)]
    result = run([*base, "--no-input", "--output-dir=out", *arguments], tmp_path, env=env)
    return result.returncode, (result.stdout + result.stderr).splitlines()


@pytest.mark.parametrize(("answers", "reason"), REFUSED_ANSWERS)
def test_refused_answers_print_one_line_and_leave_nothing(
    tmp_path: Path, answers: dict[str, str], reason: str
) -> None:
    status, lines = cookiecutter_cli(tmp_path, *(f"{q}={a}" for q, a in answers.items()))

    assert status == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: ")
    assert reason in lines[0]
    assert not (tmp_path / "out").exists()


def test_the_refusal_names_the_answer_and_the_rule(tmp_path: Path) -> None:
    status, lines = cookiecutter_cli(tmp_path, "package_name=class")

    assert (status, lines) == (1, ["ERROR: package_name 'class' is a Python keyword"])


def test_new_project_script_refuses_with_one_line(tmp_path: Path) -> None:
    script = [str(TEMPLATE_DIR / "scripts" / "new-project")]

    status, lines = cookiecutter_cli(tmp_path, "author_email=a@b", command=script)

    assert (status, lines) == (1, ["ERROR: author_email 'a@b' is not an email address"])
    assert not (tmp_path / "out").exists()


def test_the_hook_still_refuses_answers_given_by_replay(tmp_path: Path) -> None:
    # A replay file holds rendered answers, so only the pre-generation hook sees them.
    replay = tmp_path / "replay.json"
    context = {
        key: value[0] if isinstance(value, list) and not key.startswith("_") else value
        for key, value in QUESTIONS.items()
        if key != "__prompts__"
    }
    answers = {**context, "project_slug": "orders", "package_name": "json"}
    replay.write_text(json.dumps({"cookiecutter": {**answers, "__refused_answers": ""}}))
    env = {"COOKIECUTTER_CONFIG": str(cookiecutter_config(tmp_path))}
    command = [tool("cookiecutter"), f"--replay-file={replay}", "-o", "out", str(TEMPLATE_DIR)]

    result = run(command, tmp_path, env=env)

    assert result.returncode == 1
    assert "ERROR: package_name 'json' would shadow the standard library module 'json'" in (
        result.stderr
    )
    assert not any((tmp_path / "out").iterdir())


def test_the_rendered_hook_carries_the_reserved_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendered as Cookiecutter renders a hook, with the template's extensions, and run
    # where no reserved-names.yml can be found: the lists come inside the hook.
    monkeypatch.syspath_prepend(str(TEMPLATE_DIR))  # Cookiecutter imports local_extensions so
    answers = {
        "project_slug": "orders",
        "package_name": "json",
        "author_email": "you@example.com",
        "_extensions": QUESTIONS["_extensions"],
    }
    context = {"cookiecutter": answers}
    source = (TEMPLATE_DIR / "hooks" / "pre_gen_project.py").read_text()
    hook = tmp_path / "pre_gen_project.py"
    hook.write_text(create_env_with_context(context).from_string(source).render(**context))

    result = run([sys.executable, str(hook)], tmp_path)

    assert result.returncode == 1
    assert result.stderr == (
        "ERROR: package_name 'json' would shadow the standard library module 'json'\n"
    )
    assert "reserved-names.yml" not in result.stderr


@pytest.mark.parametrize(
    ("source", "compiled"),
    [
        ("src/orders/db/engine.py", False),
        ("{{cookiecutter.project_slug}}/README.md", True),
        ("{% if cookiecutter.database == 'sqlite' %}sqlite.py{% endif %}", True),
        ("{# a comment #}notes.md", True),
        ("two\nlines\n", True),
    ],
)
def test_only_text_with_jinja_is_compiled(
    source: str, compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(TEMPLATE_DIR))  # Cookiecutter imports local_extensions so
    answers = {
        "project_slug": "orders",
        "database": "sqlite",
        "_extensions": QUESTIONS["_extensions"],
    }
    context = {"cookiecutter": answers}
    environment = create_env_with_context(context)
    expected = Template(source, keep_trailing_newline=True).render(**context)

    template = environment.from_string(source)

    assert isinstance(template, Template) is compiled
    assert template.render(**context) == expected


def test_generation_says_where_the_project_is_and_what_to_run_first(tmp_path: Path) -> None:
    status, lines = cookiecutter_cli(tmp_path, "database=sqlite")

    project = tmp_path / "out" / "orders-service"
    assert status == 0
    assert lines == [
        f"Created {project}",
        "Next:",
        f"  cd {project} && uv sync",
        '  uv run scripts/test  # with the services of README.md, "Run it locally"',
    ]
    readme = (project / "README.md").read_text()
    assert readme.index("uv sync") < readme.index("uv run scripts/test")


def test_an_unknown_choice_stops_generation_and_leaves_nothing(output_dir: Path) -> None:
    with pytest.raises(ValueError, match="oracle"):
        render(output_dir, database="oracle")

    assert not output_dir.exists() or not any(output_dir.iterdir())


def test_pre_gen_refuses_an_answer_outside_the_choices() -> None:
    choices = pre_gen.template_choices(QUESTIONS)

    problem = pre_gen.check_choices({"database": "oracle"}, choices)

    assert problem is not None
    assert "database 'oracle' is not supported" in problem
    assert "postgresql" in problem


def test_pre_gen_accepts_the_defaults() -> None:
    answers = {
        "project_slug": "orders-service",
        "package_name": "orders_service",
        "author_email": "you@example.com",
    }

    assert pre_gen.problems(answers, pre_gen.template_choices(QUESTIONS)) == []


def test_post_gen_removes_folders_left_empty(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "kept.py").touch()
    (tmp_path / ".git" / "refs").mkdir(parents=True)

    removed = post_gen.remove_empty_folders(tmp_path)

    assert not (tmp_path / "a" / "b").exists()
    assert (tmp_path / "a" / "kept.py").exists()
    assert (tmp_path / ".git" / "refs").is_dir()
    assert removed == [tmp_path / "a" / "b" / "c", tmp_path / "a" / "b"]


def test_env_file_gets_fresh_secrets_and_is_private(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("APP_ENV=dev\nSECRET_KEY=change-me\n# SECRET_KEY=x\n")

    assert post_gen.write_env_file(tmp_path, ["SECRET_KEY"])
    first = (tmp_path / ".env").read_text()
    (tmp_path / ".env").unlink()
    post_gen.write_env_file(tmp_path, ["SECRET_KEY"])
    second = (tmp_path / ".env").read_text()

    key = dict(line.split("=", 1) for line in first.splitlines() if line.startswith("SECRET"))
    assert len(key["SECRET_KEY"]) >= 48
    assert "APP_ENV=dev" in first
    assert "# SECRET_KEY=x" in first
    assert first != second
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_existing_env_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("SECRET_KEY=change-me\n")
    (tmp_path / ".env").write_text("SECRET_KEY=the-team-secret\n")

    assert not post_gen.write_env_file(tmp_path, ["SECRET_KEY"])
    assert (tmp_path / ".env").read_text() == "SECRET_KEY=the-team-secret\n"


def test_regenerating_over_a_project_keeps_its_env(output_dir: Path) -> None:
    project = render(output_dir)
    (project / ".env").write_text("SECRET_KEY=the-team-secret\n")

    render(output_dir, overwrite=True)

    assert (project / ".env").read_text() == "SECRET_KEY=the-team-secret\n"


def snapshot(project: Path) -> dict[str, tuple[int, bytes]]:
    return {
        path.relative_to(project).as_posix(): (path.stat().st_mode, path.read_bytes())
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("engine", ["cookiecutter", "copier"])
def test_post_gen_steps_are_idempotent(
    output_dir: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = render(output_dir)
    (project / ".copier-answers.yml").write_text("_commit: v0.1.0\n")
    monkeypatch.chdir(project)

    assert post_gen.main([f"--engine={engine}"]) == 0
    once = snapshot(project)
    assert post_gen.main([f"--engine={engine}"]) == 0

    assert snapshot(project) == once
    assert (".copier-answers.yml" in once) is (engine == "copier")


def test_the_post_gen_hook_holds_no_jinja() -> None:
    # Copier runs the file as it is; Cookiecutter renders it first. Both must run the same.
    source = (TEMPLATE_DIR / "hooks" / "post_gen_project.py").read_text()

    assert "{{" not in source
    assert "{%" not in source


def test_env_passwords_are_fresh_and_the_urls_use_them(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "POSTGRES_PASSWORD=change-me\n"
        "DATABASE_URL=postgresql://postgres:${POSTGRES_PASSWORD}@127.0.0.1:5432/app\n"
        "# REDIS_URL=redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0\n"
        "REDIS_PASSWORD=change-me\n"
        "REDIS_URL=redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0\n"
    )

    post_gen.write_env_file(tmp_path, post_gen.SECRET_KEYS)
    lines = (tmp_path / ".env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if not line.startswith("#"))

    assert len(env["POSTGRES_PASSWORD"]) >= 48
    assert env["DATABASE_URL"] == (
        f"postgresql://postgres:{env['POSTGRES_PASSWORD']}@127.0.0.1:5432/app"
    )
    assert env["REDIS_URL"] == f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:6379/0"
    assert env["REDIS_PASSWORD"] != env["POSTGRES_PASSWORD"]
    assert "# REDIS_URL=redis://:${REDIS_PASSWORD}@127.0.0.1:6379/0" in lines


@pytest.mark.parametrize("database", ["postgresql", "mysql", "sqlite"])
def test_generated_env_has_no_placeholder_secret_and_urls_with_its_passwords(
    output_dir: Path, database: str
) -> None:
    project = render(output_dir, database=database)
    lines = (project / ".env").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))

    assert "change-me" not in env.values()
    assert "${" not in "".join(env.values())
    assert env["REDIS_URL"] == f"redis://:{env['REDIS_PASSWORD']}@127.0.0.1:6379/0"
    password = {"postgresql": "POSTGRES_PASSWORD", "mysql": "MYSQL_PASSWORD"}.get(database)
    if password:
        assert f":{env[password]}@127.0.0.1:" in env["DATABASE_URL"]


def pins(requirements: Path) -> dict[str, str]:
    lines = requirements.read_text().splitlines()
    found = [line.split("#")[0].strip() for line in lines]
    return dict(line.lower().split("==", 1) for line in found if "==" in line)


def test_generation_pins_match_the_test_pins() -> None:
    # scripts/new-project installs them into the .venv the tests share.
    generate = pins(TEMPLATE_DIR / "requirements" / "generate.txt")
    test = pins(TEMPLATE_DIR / "requirements" / "test.txt")

    assert {name: test.get(name) for name in generate} == generate
