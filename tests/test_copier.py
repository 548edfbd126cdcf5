"""One template, two engines: Copier asks the same questions, refuses the same answers and
generates the same projects as Cookiecutter."""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from slugify import slugify

from .conftest import (
    COMBINATIONS,
    QUESTIONS,
    TEMPLATE_DIR,
    combination_id,
    render,
    run,
    tool,
)
from .test_hooks import REFUSED_ANSWERS, pre_gen

# A different name per database, so the derived slug and package name are compared too.
PROJECT_NAMES = {"postgresql": "Orders Service", "mysql": "Billing API", "sqlite": "inventory"}
ANSWERS_FILE = ".copier-answers.yml"
# Lines of .env holding a generated secret (which other lines, URLs, may repeat).
SECRET_LINE = re.compile(rb"^(?:SECRET_KEY|[A-Z]+_PASSWORD)=(\S+)$", re.MULTILINE)


class CopierConfigLoader(yaml.SafeLoader):
    """Reads copier.yml as Copier does, `!include` of files in the template included."""


def _include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
    assert isinstance(node, yaml.ScalarNode)
    path = TEMPLATE_DIR / str(loader.construct_scalar(node))
    return [yaml.load(path.read_text(), Loader=CopierConfigLoader)]  # noqa: S506


CopierConfigLoader.add_constructor("!include", _include)


def copier_config() -> dict[str, Any]:
    """copier.yml's documents and included files merged into one mapping."""
    merged: dict[str, Any] = {}
    for document in yaml.load_all((TEMPLATE_DIR / "copier.yml").read_text(), CopierConfigLoader):
        for part in document if isinstance(document, list) else [document]:
            merged.update(part)
    return merged


COPIER = copier_config()
COOKIECUTTER_QUESTIONS = [name for name in QUESTIONS if not name.startswith("_")]


def copier_copy(destination: Path, **answers: str) -> Any:
    """`copier copy` of this working tree (uncommitted changes included), without prompts."""
    data = [f"--data={name}={value}" for name, value in answers.items()]
    destination.parent.mkdir(parents=True, exist_ok=True)
    return run(
        [
            tool("copier"),
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "--vcs-ref=HEAD",
            *data,
            str(TEMPLATE_DIR),
            str(destination),
        ],
        cwd=destination.parent,
    )


def tree(project: Path) -> dict[str, tuple[int, bytes]]:
    """Every path with its mode and content (folders with none), secrets blanked."""
    found: dict[str, tuple[int, bytes]] = {}
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project).as_posix()
        if relative == ANSWERS_FILE:
            continue
        content = b"" if path.is_dir() else path.read_bytes()
        if relative == ".env":
            for secret in SECRET_LINE.findall(content):
                content = content.replace(secret, b"<secret>")
        found[relative] = (path.stat().st_mode, content)
    return found


def test_copier_asks_the_same_questions_in_the_same_order() -> None:
    asked = [name for name, spec in COPIER.items() if isinstance(spec, dict) and "help" in spec]

    assert asked == COOKIECUTTER_QUESTIONS


@pytest.mark.parametrize("question", COOKIECUTTER_QUESTIONS)
def test_copier_help_texts_choices_and_defaults_match(question: str) -> None:
    spec = COPIER[question]
    prompt = QUESTIONS["__prompts__"][question]
    default = QUESTIONS[question]

    if isinstance(default, list):
        if isinstance(prompt, str):  # choices without a label each
            prompt = {"__prompt__": prompt}
        labels = {answer: text for answer, text in prompt.items() if answer != "__prompt__"}
        assert spec["help"] == prompt["__prompt__"]
        choices = spec["choices"]
        if isinstance(choices, dict):
            assert list(choices.values()) == default
            assert {answer: label for label, answer in choices.items()} == labels
        else:
            assert choices == default
            assert labels == {}
        assert spec["default"] == default[0]
    else:
        assert spec["help"] == prompt
        if "{{" not in default:
            assert spec["default"] == default


def test_copier_computes_the_cookiecutter_variable_from_every_answer() -> None:
    spec = COPIER["cookiecutter"]
    keys = re.findall(r'"(\w+)": (\w+)', spec["default"])

    assert spec["when"] is False
    assert [key for key, _ in keys] == COOKIECUTTER_QUESTIONS
    assert all(key == value for key, value in keys)


def test_package_name_default_is_the_same_expression() -> None:
    assert QUESTIONS["package_name"] == "{{ cookiecutter.project_slug | replace('-', '_') }}"
    assert COPIER["package_name"]["default"] == "{{ project_slug | replace('-', '_') }}"


@pytest.mark.parametrize(
    "project_name",
    [
        "Orders Service",
        "inventory",
        "Billing API v2",
        "  Spaces  around  ",
        "it's_my-Service!",
        "ACME Corp. (EU) -- Payments",
        "3D Printing Queue",
        "a---b___c",
    ],
)
def test_copier_slug_default_matches_cookiecutters_slugify(project_name: str) -> None:
    # Copier's filters, and no autoescaping: Copier renders plain text, not HTML.
    environment = jinja2.Environment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        autoescape=False,  # noqa: S701
    )
    copier_slug = environment.from_string(COPIER["project_slug"]["default"]).render(
        project_name=project_name
    )

    assert copier_slug == slugify(project_name)


def test_copier_refuses_the_names_pre_gen_refuses() -> None:
    def reserved(name: str) -> set[str]:
        # A list's YAML text, which Copier (type: yaml) parses into the list.
        assert COPIER[name]["type"] == "yaml", name
        return set(yaml.safe_load(COPIER[name]["default"]))

    assert reserved("python_keywords") == pre_gen.PYTHON_KEYWORDS
    assert reserved("python_stdlib_modules") == pre_gen.STDLIB_MODULES
    assert reserved("service_dependencies") == pre_gen.DEPENDENCY_PACKAGES
    for name in ("python_keywords", "python_stdlib_modules", "service_dependencies"):
        assert COPIER[name]["when"] is False, name


def test_reserved_names_cover_the_python_running_the_tests() -> None:
    # Later Pythons may add private modules (_name); a public one would need adding.
    public_modules = {name for name in sys.stdlib_module_names if not name.startswith("_")}

    assert set(keyword.kwlist) | set(keyword.softkwlist) <= pre_gen.PYTHON_KEYWORDS
    assert public_modules <= pre_gen.STDLIB_MODULES


@pytest.mark.parametrize(("answers", "reason"), REFUSED_ANSWERS)
def test_copier_refuses_what_the_pre_gen_hook_refuses(
    tmp_path: Path, answers: dict[str, str], reason: str
) -> None:
    destination = tmp_path / "project"

    result = copier_copy(destination, **answers)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "Validation error" in line]
    assert len(errors) == 1, result.stderr
    assert reason in errors[0]
    assert not destination.exists()


def test_copier_refuses_an_answer_outside_the_choices(tmp_path: Path) -> None:
    destination = tmp_path / "project"

    result = copier_copy(destination, database="oracle")

    assert result.returncode != 0
    assert "Invalid choice for 'database': 'oracle'" in result.stderr
    assert not destination.exists()


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_cookiecutter_and_copier_generate_identical_projects(
    tmp_path: Path, answers: dict[str, str]
) -> None:
    given = {**answers, "project_name": PROJECT_NAMES[answers["database"]]}
    by_cookiecutter = render(tmp_path / "cookiecutter", **given)
    by_copier = tmp_path / "copier" / by_cookiecutter.name

    result = copier_copy(by_copier, **given)

    assert result.returncode == 0, result.stderr
    cookiecutter_tree, copier_tree = tree(by_cookiecutter), tree(by_copier)
    assert sorted(cookiecutter_tree) == sorted(copier_tree)
    differing = [path for path in cookiecutter_tree if cookiecutter_tree[path] != copier_tree[path]]
    assert differing == []
    env_files = [(project / ".env").read_text() for project in (by_cookiecutter, by_copier)]
    assert env_files[0] != env_files[1], "each project gets its own secret"
    recorded = yaml.safe_load((by_copier / ANSWERS_FILE).read_text())
    assert {key: value for key, value in recorded.items() if not key.startswith("_")} == {
        **{name: QUESTIONS[name] for name in ("description", "author_name", "author_email")},
        "python_version": QUESTIONS["python_version"][0],
        "project_slug": by_cookiecutter.name,
        "package_name": by_cookiecutter.name.replace("-", "_"),
        **given,
    }
    assert {"_commit", "_src_path"} <= set(recorded)


def test_copier_says_where_the_project_is_and_what_to_run_first(tmp_path: Path) -> None:
    destination = tmp_path / "project"
    data = ["--data=database=sqlite", str(TEMPLATE_DIR), str(destination)]
    command = [tool("copier"), "copy", "--trust", "--defaults", "--vcs-ref=HEAD", *data]

    result = run(command, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-4:] == [
        f"Created {destination}",
        "Next:",
        f"  cd {destination} && uv sync",
        '  uv run scripts/test  # with the services of README.md, "Run it locally"',
    ]


def test_copier_names_a_bad_answer_given_as_data_on_its_last_line(tmp_path: Path) -> None:
    # Copier 9.19 prints a traceback for a refused --data answer (asked interactively, it
    # says why and asks again); README.md, "The questions", says so.
    result = copier_copy(tmp_path / "project", package_name="class")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "ValueError: Validation error for question 'package_name': "
        "package_name 'class' is a Python keyword"
    )
