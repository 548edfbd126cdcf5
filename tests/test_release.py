"""scripts/release tags a release only when its CHANGELOG entry is written and the tree is clean,
and keeps the tag only if the update tests pass on it. Each test releases a throwaway
repository made from this working tree, with stand-in update tests (the real ones take
minutes and are run by tests/test_update.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import TEMPLATE_DIR, run
from .test_update import GIT_ENV, copy_working_tree, edit, git

# Passes only when run on the commit the release tagged: the script tests the tag.
TAGGED_TREE_TEST = """\
import subprocess


def test_runs_on_the_tagged_commit():
    described = subprocess.run(
        ["git", "describe", "--exact-match", "HEAD"], capture_output=True, text=True, check=True
    )
    assert described.stdout.strip() == "v0.2.0"
"""
FAILING_TEST = "def test_fails():\n    assert False\n"


def make_repository(directory: Path, update_tests: str = TAGGED_TREE_TEST) -> Path:
    """This working tree as the main branch of a new repository, with no tags, ready for 0.2.0."""
    repository = directory / "template"
    copy_working_tree(repository)
    changelog = repository / "CHANGELOG.md"
    text = changelog.read_text()
    if "## Unreleased\n" in text:
        changelog.write_text(text.replace("## Unreleased\n", "## v0.2.0\n", 1))
    else:
        edit(changelog, "## v0.1.0\n", "## v0.2.0\n\n- Changes.\n\n## v0.1.0\n")
    (repository / "tests" / "test_update.py").write_text(update_tests)
    git("init", "--quiet", "--initial-branch=main", cwd=repository)
    git("add", "--all", cwd=repository)
    git("commit", "--quiet", "-m", "Work for 0.2.0", cwd=repository)
    # The shared virtualenv, already installed (git ignores .venv, so the tree stays clean).
    (repository / ".venv").symlink_to(TEMPLATE_DIR / ".venv")
    return repository


def release(repository: Path, version: str) -> subprocess.CompletedProcess[str]:
    return run(["scripts/release", version], repository, env=GIT_ENV)


def tags(repository: Path) -> list[str]:
    return git("tag", "--list", cwd=repository).split()


def errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]


def test_release_tags_main_and_runs_the_update_tests_on_the_tag(tmp_path: Path) -> None:
    repository = make_repository(tmp_path)

    result = release(repository, "0.2.0")

    assert result.returncode == 0, result.stdout + result.stderr
    assert tags(repository) == ["v0.2.0"]
    assert git("cat-file", "-t", "v0.2.0", cwd=repository).strip() == "tag"  # annotated
    assert git("tag", "--list", "--format=%(contents)", "v0.2.0", cwd=repository).strip() == (
        "v0.2.0"
    )
    assert git("rev-parse", "v0.2.0^{commit}", cwd=repository) == git(
        "rev-parse", "HEAD", cwd=repository
    )
    assert "1 passed" in result.stdout
    assert (
        result.stdout.splitlines()[-1] == "Tagged v0.2.0. Publish it with: git push origin v0.2.0"
    )


def test_release_removes_the_tag_when_the_update_tests_fail(tmp_path: Path) -> None:
    repository = make_repository(tmp_path, update_tests=FAILING_TEST)

    result = release(repository, "0.2.0")

    assert result.returncode == 1
    assert errors(result) == ["ERROR: the update tests failed on v0.2.0; the tag is removed"]
    assert tags(repository) == []


@pytest.mark.parametrize("version", ["0.3.0", "1.0.0"])
def test_release_refuses_a_version_without_a_changelog_entry(tmp_path: Path, version: str) -> None:
    repository = make_repository(tmp_path)

    result = release(repository, version)

    assert result.returncode == 1
    assert errors(result) == [f"ERROR: CHANGELOG.md has no entry '## v{version}'"]
    assert tags(repository) == []


def test_release_refuses_while_the_changelog_has_an_unreleased_section(tmp_path: Path) -> None:
    repository = make_repository(tmp_path)
    edit(repository / "CHANGELOG.md", "## v0.2.0\n", "## Unreleased\n\n- More.\n\n## v0.2.0\n")
    git("commit", "--quiet", "--all", "-m", "More", cwd=repository)

    result = release(repository, "0.2.0")

    assert result.returncode == 1
    assert errors(result) == [
        "ERROR: CHANGELOG.md still has '## Unreleased': rename it to '## v0.2.0'"
    ]
    assert tags(repository) == []


@pytest.mark.parametrize("change", ["modified", "untracked", "staged"])
def test_release_refuses_a_dirty_work_tree(tmp_path: Path, change: str) -> None:
    repository = make_repository(tmp_path)
    if change == "modified":
        (repository / "README.md").write_text("edited\n")
    else:
        (repository / "notes.txt").write_text("draft\n")
        if change == "staged":
            git("add", "notes.txt", cwd=repository)

    result = release(repository, "0.2.0")

    assert result.returncode == 1
    assert errors(result) == [
        "ERROR: the work tree has uncommitted changes; commit or stash them first"
    ]
    assert tags(repository) == []


@pytest.mark.parametrize("version", ["banana", "0.2", "v0.2.0-rc1", "1.0.0+local", "01.2.0"])
def test_release_refuses_a_version_not_in_pep_440_normal_form(tmp_path: Path, version: str) -> None:
    repository = make_repository(tmp_path)

    result = release(repository, version)

    if version == "0.2":  # valid PEP 440, but it has no CHANGELOG entry
        assert errors(result) == ["ERROR: CHANGELOG.md has no entry '## v0.2'"]
    else:
        bare = version.removeprefix("v")
        assert errors(result) == [
            f"ERROR: '{bare}' is not a PEP 440 version in normal form (e.g. 0.2.0, 1.0.0rc1)"
        ]
    assert result.returncode == 1
    assert tags(repository) == []


def test_release_refuses_outside_main(tmp_path: Path) -> None:
    repository = make_repository(tmp_path)
    git("switch", "--quiet", "--create", "feature", cwd=repository)

    result = release(repository, "0.2.0")

    assert result.returncode == 1
    assert errors(result) == ["ERROR: releases are tagged on main; check out main first"]
    assert tags(repository) == []


def test_release_refuses_an_existing_tag(tmp_path: Path) -> None:
    repository = make_repository(tmp_path)
    git("tag", "-a", "v0.2.0", "-m", "v0.2.0", cwd=repository)

    result = release(repository, "v0.2.0")

    assert result.returncode == 1
    assert errors(result) == ["ERROR: v0.2.0 already exists"]
