"""The hooks: refusals leave nothing on disk, empty folders go, .env is written once."""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path
from types import ModuleType

import pytest
from cookiecutter.exceptions import FailedHookException

from .conftest import QUESTIONS, TEMPLATE_DIR, render


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


@pytest.mark.parametrize(("answers", "reason"), REFUSED_ANSWERS)
def test_refused_answers_stop_generation_and_leave_nothing(
    output_dir: Path, answers: dict[str, str], reason: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        render(output_dir, **answers)

    assert not output_dir.exists() or not any(output_dir.iterdir())
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1
    assert reason in errors[0]


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
