"""Files that belong to some answers are generated exactly when one of those is chosen."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import (
    COMBINATIONS,
    QUESTIONS,
    TEMPLATE_ROOT,
    combination_id,
    expected_option_files,
    option_files,
    render,
)
from .test_hooks import post_gen


def test_every_conditional_name_follows_the_convention() -> None:
    templated = [
        path.relative_to(TEMPLATE_ROOT).as_posix()
        for path in TEMPLATE_ROOT.rglob("*")
        if "{%" in path.name
    ]
    owned = option_files()

    assert len(owned) == len(templated), (
        "a name with {% that is not `{% if cookiecutter.<question> == '<answer>' %}<name>"
        "{% endif %}` (or `in ['<answer>', ...]`) around a file's whole name; folders "
        f"cannot be conditional: {templated}"
    )
    for path in templated:
        assert (TEMPLATE_ROOT / path).is_file(), f"{path}: only files may be conditional"


def test_conditional_files_name_real_questions_and_answers() -> None:
    for owned in option_files():
        choices = QUESTIONS.get(owned.question)
        assert isinstance(choices, list), f"{owned.path}: {owned.question} is not a choice"
        assert owned.answers <= set(choices), f"{owned.path}: {owned.answers - set(choices)}"


def test_no_manifest_of_owned_files_is_left() -> None:
    # Older branches listed owned files in this manifest, pruned after rendering; updates
    # would bring them back. Rename each listed file instead (README: "Adding a
    # strategy-specific file").
    assert not (TEMPLATE_ROOT / ".template-options.toml").exists()


@pytest.mark.parametrize("answers", COMBINATIONS, ids=combination_id)
def test_option_files_present_exactly_when_chosen(answers: dict[str, str], tmp_path: Path) -> None:
    project = render(tmp_path / "out", **answers)
    kept, dropped = expected_option_files(answers, "orders_service")

    assert sorted(path for path in kept if not (project / path).is_file()) == []
    assert sorted(path for path in dropped if (project / path).exists()) == []
    assert [p for p in project.rglob("*") if p.is_dir() and not any(p.iterdir())] == []


def test_secret_keys_exist_in_env_example() -> None:
    example = (TEMPLATE_ROOT / ".env.example").read_text()

    for key in post_gen.SECRET_KEYS:
        assert f"\n{key}=" in example
