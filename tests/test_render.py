"""Every option combination renders, passes the linters, and passes its own tests."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import (
    COMBINATIONS,
    DEFAULT_PYTHON,
    LINT_COMMAND,
    PYTHON_VERSIONS,
    QUESTIONS,
    REDIS_URL,
    S3_ENV,
    STRATEGY_QUESTIONS,
    TEMPLATE_DIR,
    TEMPLATE_ROOT,
    TEST_COMMAND,
    combination_id,
    database_url,
    expected_option_files,
    python_for,
    run,
    tool,
    uv_env,
)

# A different name per database, so naming goes through the checks as well.
PROJECT_NAMES = {"postgresql": "Orders Service", "mysql": "Billing API", "sqlite": "inventory"}
LEFTOVER_JINJA = re.compile(r"\{\{\s*cookiecutter|\{%|%\}|cookiecutter\.")
PASSED = re.compile(r"(\d+) passed")
JINJA_MARKUP = re.compile(r"\{[{%#]")
COPY_WITHOUT_RENDER = TEMPLATE_DIR / "scripts" / "copy-without-render"


def text_files(project: Path) -> list[Path]:
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and ".mypy_cache" not in path.parts and path.suffix != ".pyc"
    ]


def assert_ok(result: Any, step: str) -> None:
    assert result.returncode == 0, f"{step} failed:\n{result.stdout}\n{result.stderr}"


# Every combination on the default Python; one combination per database on each other one
# (every answer once), each linted and unit-tested there, and one of them run whole: the
# drivers and libraries are the Python-specific part, and the unit tests import them all.
OTHER_PYTHON_CASES = {
    "3.11": ["postgresql-jwt-stream", "mysql-redis-chunked", "sqlite-hybrid-presigned"],
    "3.13": ["postgresql-redis-chunked", "mysql-hybrid-presigned", "sqlite-jwt-stream"],
}
OTHER_PYTHON_WHOLE_SUITES = {"3.11": "mysql-redis-chunked", "3.13": "postgresql-redis-chunked"}
CASE_IDS = [(answers, DEFAULT_PYTHON, combination_id(answers)) for answers in COMBINATIONS] + [
    (answers, version, f"py{version}-{combination_id(answers)}")
    for version, ids in OTHER_PYTHON_CASES.items()
    for answers in COMBINATIONS
    if combination_id(answers) in ids
]
# Each case's tests share one render and one virtualenv, so they run on one worker.
CASES = [
    pytest.param((answers, version, case), id=case, marks=pytest.mark.xdist_group(case))
    for answers, version, case in CASE_IDS
]
WHOLE_SUITE_CASES = [
    param
    for param, (answers, version, _) in zip(CASES, CASE_IDS, strict=True)
    if version == DEFAULT_PYTHON or OTHER_PYTHON_WHOLE_SUITES[version] == combination_id(answers)
]
UNIT_SUITE_CASES = [param for param in CASES if param not in WHOLE_SUITE_CASES]
# The generated tests marked `processes` check the server and the process (drain, proxy
# headers, two instances sharing a cache, exported traces and error reports, imports), not
# one option: they run in full on three combinations that give every answer once, and on
# the whole suites of the other Pythons; elsewhere they are left out (half a suite's time).
PROCESS_CASES = ["postgresql-hybrid-chunked", "mysql-redis-stream", "sqlite-jwt-presigned"]
WITHOUT_PROCESSES = ["-m", "not processes"]
DEFAULT_PYTHON_CASES = [
    param
    for param, (_, version, _) in zip(CASES, CASE_IDS, strict=True)
    if version == DEFAULT_PYTHON
]


def test_other_python_cases_cover_every_answer() -> None:
    for version, ids in OTHER_PYTHON_CASES.items():
        chosen = [combination_id(answers).split("-") for answers in COMBINATIONS]
        covered = [answers for answers in chosen if "-".join(answers) in ids]
        for position, question in enumerate(STRATEGY_QUESTIONS):
            assert {answers[position] for answers in covered} == set(QUESTIONS[question]), version


def test_process_cases_cover_every_answer() -> None:
    chosen = [case.split("-") for case in PROCESS_CASES]
    for position, question in enumerate(STRATEGY_QUESTIONS):
        assert {answers[position] for answers in chosen} == set(QUESTIONS[question])
    assert set(PROCESS_CASES) <= {param.id for param in WHOLE_SUITE_CASES}


def test_other_python_cases_exist() -> None:
    assert set(OTHER_PYTHON_CASES) == set(PYTHON_VERSIONS) - {DEFAULT_PYTHON}
    assert len(CASES) == len(COMBINATIONS) + sum(map(len, OTHER_PYTHON_CASES.values()))
    for version, case in OTHER_PYTHON_WHOLE_SUITES.items():
        assert case in OTHER_PYTHON_CASES[version]
    assert len(WHOLE_SUITE_CASES) == len(COMBINATIONS) + len(OTHER_PYTHON_WHOLE_SUITES)


def test_copy_without_render_lists_exactly_the_files_without_jinja() -> None:
    listed = QUESTIONS["_copy_without_render"]
    # Cookiecutter matches the entries as fnmatch patterns: each must name one path.
    assert not [entry for entry in listed if re.search(r"[][*?]", entry)]
    assert not [entry for entry in listed if not (TEMPLATE_ROOT / entry).exists()]
    for path in TEMPLATE_ROOT.rglob("*"):
        if path.is_dir():
            continue
        relative = path.relative_to(TEMPLATE_ROOT)
        covered = any(part.as_posix() in listed for part in (relative, *relative.parents[:-1]))
        text = path.read_bytes().decode("utf-8", errors="replace")
        plain = not JINJA_MARKUP.search(text) and not JINJA_MARKUP.search(path.name)
        if relative.as_posix() == ".copier-answers.yml":
            assert covered
        else:
            assert covered is plain, f"{relative}: {'not ' if plain else ''}listed"


def test_copy_without_render_script_rewrites_a_stale_list(tmp_path: Path) -> None:
    copy = tmp_path / "template"
    shutil.copytree(TEMPLATE_ROOT, copy / TEMPLATE_ROOT.name)
    shutil.copy2(TEMPLATE_DIR / "cookiecutter.json", copy)
    (copy / "scripts").mkdir()
    shutil.copy2(COPY_WITHOUT_RENDER, copy / "scripts")
    script = [sys.executable, str(copy / "scripts" / "copy-without-render")]
    project = copy / TEMPLATE_ROOT.name
    (project / "docs").mkdir()
    (project / "docs" / "plain.md").write_text("No markup here.\n")
    (project / "src/{{cookiecutter.package_name}}/health.py").write_text("{{ cookiecutter }}\n")

    stale = run([*script, "--check"], copy)
    rewrite = run(script, copy)
    fresh = run([*script, "--check"], copy)

    assert stale.returncode == 1
    assert "missing from _copy_without_render: docs\n" in stale.stderr
    assert "not plain: src/{{cookiecutter.package_name}}/health.py\n" in stale.stderr
    assert rewrite.returncode == 0, rewrite.stderr
    assert (fresh.returncode, fresh.stderr) == (0, "")
    rewritten = (copy / "cookiecutter.json").read_text()
    assert '    "docs",\n' in rewritten
    assert "health.py" not in rewritten
    # Only the list changed.
    the_list = re.compile(r'  "_copy_without_render": \[.*?\n  \],?\n', re.DOTALL)
    original = (TEMPLATE_DIR / "cookiecutter.json").read_text()
    assert the_list.sub("", rewritten) == the_list.sub("", original)


@dataclass
class Rendered:
    """One case's project, rendered once; uv syncs it once, for the tests that run it."""

    answers: dict[str, str]
    python_version: str
    project: Path
    package_name: str
    uv: dict[str, str]
    synced: bool = False

    def sync(self) -> None:
        if not self.synced:
            assert_ok(run(["uv", "sync"], self.project, env=self.uv), "uv sync")
            self.synced = True


RENDERED: dict[str, Rendered] = {}


@pytest.fixture
def rendered(
    request: pytest.FixtureRequest,
    cookies_session: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Rendered:
    answers, python_version, case = request.param
    if case not in RENDERED:
        result = cookies_session.bake(
            extra_context={
                **answers,
                "project_name": PROJECT_NAMES[answers["database"]],
                "python_version": python_version,
            }
        )
        assert result.exception is None, result.exception
        assert result.exit_code == 0
        uv = {
            **uv_env(python_for(python_version)),
            "MYPY_CACHE_DIR": str(tmp_path_factory.getbasetemp() / f"mypy-cache-{python_version}"),
        }
        RENDERED[case] = Rendered(
            answers, python_version, result.project_path, result.context["package_name"], uv
        )
    return RENDERED[case]


@pytest.mark.parametrize("rendered", CASES, indirect=True)
def test_render_holds_the_chosen_files_and_no_template_text(rendered: Rendered) -> None:
    project = rendered.project

    for path in text_files(project):
        assert not LEFTOVER_JINJA.search(path.read_text()), f"unrendered Jinja in {path}"
    kept, dropped = expected_option_files(rendered.answers, rendered.package_name)
    assert all((project / path).is_file() for path in kept), kept
    assert not any((project / path).exists() for path in dropped), dropped
    assert not (project / ".copier-answers.yml").exists()
    env = (project / ".env").read_text()
    assert "SECRET_KEY=change-me" not in env
    assert re.search(r"^SECRET_KEY=\S{48,}$", env, re.MULTILINE)


@pytest.mark.parametrize("rendered", CASES, indirect=True)
def test_uv_the_image_and_the_type_checkers_agree_on_the_chosen_python(
    rendered: Rendered,
) -> None:
    project, version = rendered.project, rendered.python_version
    rendered.sync()
    venv_python = run(
        ["uv", "run", "python", "-c", "import sys; print(sys.version)"], project, rendered.uv
    )

    assert (project / ".python-version").read_text() == f"{version}\n"
    assert f'requires-python = ">={version}"' in (project / "pyproject.toml").read_text()
    assert f"ARG PYTHON_VERSION={version}\n" in (project / "Dockerfile").read_text()
    assert venv_python.stdout.startswith(f"{version}."), venv_python.stdout


@pytest.mark.parametrize("rendered", CASES, indirect=True)
def test_workflows_compose_dependabot_and_dockerfile_validate(rendered: Rendered) -> None:
    project = rendered.project
    checks = {
        "workflow schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, (project / ".github" / "workflows").glob("*.yml")),
        ],
        "compose schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "compose.yaml",
            ".devcontainer/compose.yaml",
        ],
        "dependabot schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.dependabot",
            ".github/dependabot.yml",
        ],
        "hadolint": [tool("hadolint"), "Dockerfile"],
    }
    for step, command in checks.items():
        assert_ok(run(command, project), step)


# The generated CI runs its suite a second time through PgBouncer (--pgbouncer starts
# Debian's pgbouncer, which its apt step installs) on PostgreSQL only, and every test path
# its steps name is in the render.
@pytest.mark.parametrize("rendered", CASES, indirect=True)
def test_ci_runs_the_suite_through_pgbouncer_on_postgresql_only(rendered: Rendered) -> None:
    project = rendered.project
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    steps = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    (install,) = [index for index, run in enumerate(steps) if "apt-get install" in run]
    through_pgbouncer = [index for index, run in enumerate(steps) if "--pgbouncer" in run]
    packages = steps[install].split("--no-install-recommends", 1)[1].split()

    if rendered.answers["database"] == "postgresql":
        assert packages == ["redis-server", "pgbouncer"]
        (index,) = through_pgbouncer
        assert steps[index] == "uv run scripts/test --pgbouncer"
        assert steps.index("uv run scripts/test") < index
        assert install < index
    else:
        assert packages == ["redis-server"]
        assert through_pgbouncer == []
    tests = [run for run in steps if "scripts/test" in run]
    paths = {path for run in tests for path in re.findall(r"\btests/[\w/.]*\w", run)}
    names = {name for run in tests for name in re.findall(r"\btest_\w+\.py\b", run)}
    assert [path for path in paths if not (project / path).exists()] == []
    assert [name for name in names if not any((project / "tests").rglob(name))] == []
    assert names  # the Redis deployments' step names its tests


# The README's commands as written: uv sync on the chosen Python, then lint and test.
@pytest.mark.parametrize("rendered", CASES, indirect=True)
def test_lint_passes(rendered: Rendered) -> None:
    rendered.sync()

    assert_ok(run(LINT_COMMAND, rendered.project, env=rendered.uv), "uv run scripts/lint")


def run_generated_suite(rendered: Rendered, *paths: str, redis_mode: str = "single") -> None:
    rendered.sync()
    tests = run(
        [*TEST_COMMAND, "-q", "-p", "no:cacheprovider", *paths],
        rendered.project,
        env={
            **rendered.uv,
            "DATABASE_URL": database_url(rendered.answers["database"], rendered.project),
            "REDIS_URL": REDIS_URL,
            "REDIS_MODE": redis_mode,
            **S3_ENV,
        },
        timeout=1200,
    )

    assert_ok(tests, "generated tests (uv run scripts/test)")
    passed = PASSED.search(tests.stdout)
    assert passed, tests.stdout
    assert int(passed.group(1)) > 0, tests.stdout
    if redis_mode == "single":
        assert "skipped" not in tests.stdout, tests.stdout
    else:  # only the tests of one node (a proxy in front of it, a server restarted)
        skips = re.findall(r"^SKIPPED .*$", tests.stdout, re.MULTILINE)
        assert all(SINGLE_NODE_SKIP in skip for skip in skips), tests.stdout


@pytest.mark.parametrize("rendered", WHOLE_SUITE_CASES, indirect=True)
def test_generated_suite_passes(rendered: Rendered) -> None:
    case = combination_id(rendered.answers)
    in_full = case in PROCESS_CASES or rendered.python_version != DEFAULT_PYTHON
    run_generated_suite(rendered, *([] if in_full else WITHOUT_PROCESSES))


@pytest.mark.parametrize("rendered", UNIT_SUITE_CASES, indirect=True)
def test_generated_unit_tests_pass(rendered: Rendered) -> None:
    run_generated_suite(rendered, *WITHOUT_PROCESSES, "tests/unit")


# The database tests of one PostgreSQL combination once more, through a PgBouncer in
# transaction mode that the generated suite starts (pytest --pgbouncer; scripts/pgbouncer
# installs it): the backend is the same in every PostgreSQL combination.
PGBOUNCER_CASE = "postgresql-hybrid-presigned"
PGBOUNCER_TESTS = [
    "tests/integration/test_backend_postgresql.py",
    "tests/integration/test_pgbouncer.py",  # PgBouncer's own pool full
    "tests/integration/test_accounts.py",  # concurrent transfers, row locks
    "tests/integration/test_pool.py",  # pool exhaustion
    "tests/integration/test_connection_loss.py",
]


@pytest.mark.parametrize(
    "rendered", [param for param in CASES if param.id == PGBOUNCER_CASE], indirect=True
)
def test_generated_database_tests_pass_through_pgbouncer(rendered: Rendered) -> None:
    run_generated_suite(rendered, "--pgbouncer", *PGBOUNCER_TESTS)


# The generated Redis, cache and session tests against real Redis deployments the
# generated tests start (REDIS_MODE), a master failover included: a Cluster for one
# combination, Sentinel for another (each a strategy that reads Redis on every request).
REDIS_MODE_CASES = {"cluster": "mysql-redis-chunked", "sentinel": "postgresql-hybrid-stream"}
REDIS_MODE_TESTS = {
    "cluster": ["test_redis.py", "test_cache.py", "test_users.py", "test_redis_failover.py"],
    "sentinel": ["test_cache.py", "test_redis_failover.py"],
}


SINGLE_NODE_SKIP = "a test of one Redis node"
REDIS_MODE_PARAMS = [
    pytest.param(
        next(param.values[0] for param in CASES if param.id == case),
        mode,
        id=f"{mode}-{case}",
        marks=pytest.mark.xdist_group(case),  # the case's render and virtualenv
    )
    for mode, case in REDIS_MODE_CASES.items()
]


def session_tests(strategy: str) -> list[str]:
    return [f"test_sessions_{strategy}.py", *(["test_tokens.py"] if strategy != "redis" else [])]


@pytest.mark.parametrize(("rendered", "mode"), REDIS_MODE_PARAMS, indirect=["rendered"])
def test_generated_redis_tests_pass_on_a_cluster_and_with_sentinel(
    rendered: Rendered, mode: str
) -> None:
    paths = [*REDIS_MODE_TESTS[mode], *session_tests(rendered.answers["session_strategy"])]
    run_generated_suite(rendered, *(f"tests/integration/{path}" for path in paths), redis_mode=mode)


def test_free_text_answers_cannot_break_generated_files(
    cookies: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tricky = 'Says "hi" \\ and """triple""", it\'s <b>&</b> ${HOME}'
    result = cookies.bake(
        extra_context={
            "description": tricky,
            "author_name": 'Ada "The Countess" Lovelace',
            "database": "sqlite",
        }
    )
    assert result.exception is None, result.exception
    project: Path = result.project_path

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == tricky
    assert pyproject["project"]["authors"][0]["name"] == 'Ada "The Countess" Lovelace'
    assert_ok(run([tool("ruff"), "check", "."], project), "ruff check")
    mypy_cache = tmp_path_factory.getbasetemp() / "mypy-cache-tricky"
    assert_ok(run([tool("mypy"), "--cache-dir", str(mypy_cache)], project), "mypy")


# Every answer of every strategy question once: each option's files get the long name.
@pytest.mark.parametrize(
    ("database", "session_strategy", "upload_strategy"),
    [
        ("postgresql", "hybrid", "presigned"),
        ("mysql", "jwt", "stream"),
        ("sqlite", "redis", "chunked"),
    ],
)
def test_longest_allowed_names_stay_lint_clean(
    cookies: Any, database: str, session_strategy: str, upload_strategy: str
) -> None:
    result = cookies.bake(
        extra_context={
            "project_slug": "abcdefghij-abcdefghij-abcdefghij-abcdefg",
            "package_name": "abcdefghij_abcdefghij_abcdefghij_abcdefg",
            "database": database,
            "session_strategy": session_strategy,
            "upload_strategy": upload_strategy,
        }
    )
    assert result.exception is None, result.exception
    project: Path = result.project_path

    assert_ok(run([tool("ruff"), "check", "."], project), "ruff check")
    assert_ok(run([tool("ruff"), "format", "--check", "."], project), "ruff format")


# What a team applies: each overlay, and each overlay's migration job (README.md of a project).
KUSTOMIZATIONS = ("overlays/dev", "overlays/dev/migrate", "overlays/prod", "overlays/prod/migrate")
CHECKOV = TEMPLATE_DIR / ".venv-checkov" / "bin" / "checkov"  # scripts/checkov installs it
# Seconds uvicorn gives requests in flight after the drain (the package's __main__.py).
GRACEFUL_SHUTDOWN_SECONDS = 20
CHECKOV_SKIP = re.compile(r"CKV2?_K8S_\d+=\S")  # a check's id, then the reason


def kustomize_builds(project: Path, into: Path) -> dict[str, list[dict[str, Any]]]:
    """Every kustomization built with kubectl, written to into/, parsed per kustomization."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH (its built-in kustomize builds the manifests)"
    into.mkdir(exist_ok=True)
    built = {}
    for kustomization in KUSTOMIZATIONS:
        result = run([kubectl, "kustomize", kustomization], project / "deploy" / "kubernetes")
        assert_ok(result, f"kubectl kustomize {kustomization}")
        (into / f"{kustomization.replace('/', '-')}.yaml").write_text(result.stdout)
        built[kustomization] = list(yaml.safe_load_all(result.stdout))
    return built


def passes_policy_once(manifests: Path, shared: Path) -> None:
    """checkov over the built manifests, once per distinct content in this test run:
    they vary with the database alone, and checkov takes seconds to start."""
    digest = hashlib.sha256()
    for path in sorted(manifests.glob("*.yaml")):
        digest.update(path.read_bytes())
    passed = shared / f"checkov-passed-{digest.hexdigest()}"
    if passed.exists():
        return
    options = ["--framework", "kubernetes", "--quiet", "--compact", "--output", "cli"]
    result = run([str(CHECKOV), "--directory", str(manifests), *options], manifests, timeout=300)
    assert_ok(result, "checkov")
    counts = re.search(r"Passed checks: (\d+), Failed checks: (\d+)", result.stdout)
    assert counts, result.stdout
    assert int(counts.group(1)) > 0, result.stdout
    assert counts.group(2) == "0", result.stdout
    passed.touch()


def objects_of(built: list[dict[str, Any]], kind: str, name: str = "") -> list[dict[str, Any]]:
    """The objects of that kind whose name starts with name."""
    return [t for t in built if t["kind"] == kind and t["metadata"]["name"].startswith(name)]


def pod_spec(thing: dict[str, Any]) -> dict[str, Any]:
    if thing["kind"] == "CronJob":
        return thing["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return thing["spec"]["template"]["spec"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("rendered", DEFAULT_PYTHON_CASES, indirect=True)
def test_kubernetes_manifests_build_validate_and_pass_the_policy_checks(
    rendered: Rendered, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    built = kustomize_builds(rendered.project, tmp_path / "manifests")
    files = sorted(map(str, (tmp_path / "manifests").glob("*.yaml")))
    validated = run([tool("kubernetes-validate"), "--strict", "--quiet", *files], tmp_path)
    # Shared by this run's workers (pytest-xdist gives each a folder in one root).
    run_temp = tmp_path_factory.getbasetemp()
    passes_policy_once(
        tmp_path / "manifests", run_temp.parent if "PYTEST_XDIST_WORKER" in os.environ else run_temp
    )

    assert_ok(validated, "kubernetes-validate (the API's schemas, strict)")
    for kustomization, objects in built.items():
        for thing in objects:
            for name, value in thing["metadata"].get("annotations", {}).items():
                if name.startswith("checkov.io/skip"):
                    assert CHECKOV_SKIP.match(value), (kustomization, name, value)
        workloads = [t for t in objects if t["kind"] in {"Deployment", "Job", "CronJob"}]
        assert workloads, kustomization
        for workload in workloads:
            spec = pod_spec(workload)
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["automountServiceAccountToken"] is False
            for container in spec["containers"]:
                assert container["securityContext"]["readOnlyRootFilesystem"] is True
                assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
                assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    for overlay in ("overlays/dev", "overlays/prod"):
        app, job = built[overlay], built[f"{overlay}/migrate"]
        slug = rendered.project.name
        (deployment,) = [d for d in objects_of(app, "Deployment") if d["metadata"]["name"] == slug]
        (settings,) = objects_of(app, "ConfigMap", f"{slug}-settings-")
        # The job reads the app's settings: the same ConfigMap, content-hashed name and all.
        job_settings = pod_spec(objects_of(job, "Job")[0])["containers"][0]["envFrom"][0]
        assert job_settings["configMapRef"]["name"] == settings["metadata"]["name"]
        drain = float(settings["data"]["SHUTDOWN_DRAIN_SECONDS"])
        grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
        assert grace > drain + GRACEFUL_SHUTDOWN_SECONDS
        probes = pod_spec(deployment)["containers"][0]
        assert probes["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert probes["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert probes["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        autoscalers = objects_of(app, "HorizontalPodAutoscaler")
        if rendered.answers["database"] == "sqlite":
            # One file, one writer: one pod, replaced by stopping it first, never scaled.
            assert deployment["spec"]["replicas"] == 1
            assert deployment["spec"]["strategy"]["type"] == "Recreate"
            assert not autoscalers
            assert objects_of(job, "PersistentVolumeClaim")
        else:
            assert len(autoscalers) == 1
            assert objects_of(app, "PodDisruptionBudget")
    assert bool(objects_of(built["overlays/prod"], "Deployment")[1:]) == (
        rendered.answers["database"] == "postgresql"  # PgBouncer
    )
