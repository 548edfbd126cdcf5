"""The manifest of option-owned files agrees with the questions and the template tree."""

from __future__ import annotations

import tomllib

from .conftest import QUESTIONS, STRATEGY_QUESTIONS, TEMPLATE_DIR

TEMPLATE_ROOT = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
MANIFEST = tomllib.loads((TEMPLATE_ROOT / ".template-options.toml").read_text())


def test_every_choice_has_a_manifest_table() -> None:
    options = MANIFEST["options"]

    assert set(options) == set(STRATEGY_QUESTIONS)
    for question in STRATEGY_QUESTIONS:
        assert list(options[question]) == QUESTIONS[question], question


def test_every_owned_file_exists_in_the_template() -> None:
    for owners in MANIFEST["options"].values():
        for owned in owners.values():
            for path in owned["files"]:
                template_path = path.replace(
                    "{{ cookiecutter.package_name }}", "{{cookiecutter.package_name}}"
                )
                assert (TEMPLATE_ROOT / template_path).is_file(), path


def test_secret_keys_exist_in_env_example() -> None:
    example = (TEMPLATE_ROOT / ".env.example").read_text()

    for key in MANIFEST["env"]["secret_keys"]:
        assert f"\n{key}=" in example
