"""The dashboard, scrape configuration and alert rules a project ships (deploy/observability)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import render, run

OBSERVABILITY = Path("deploy") / "observability"
PROMETHEUS = OBSERVABILITY / "prometheus"
GRAFANA = OBSERVABILITY / "grafana"
PROFILE = "observability"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("observability") / "out")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ],
    ids=" ".join,
)
def test_promtool_accepts_the_configuration_the_rules_and_their_tests(
    project: Path, command: list[str]
) -> None:
    result = run(["promtool", *command], project / PROMETHEUS)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_ci_checks_the_rules_with_the_prometheus_compose_runs(project: Path) -> None:
    image = load_yaml(project / "compose.yaml")["services"]["prometheus"]["image"]
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()

    assert f"--entrypoint sh {image}" in ci
    assert "promtool test rules alerts.test.yml" in ci


def test_every_alert_has_a_unit_test_where_it_fires(project: Path) -> None:
    rules = load_yaml(project / PROMETHEUS / "alerts.yml")
    tests = load_yaml(project / PROMETHEUS / "alerts.test.yml")
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }

    assert alerts == {
        "DatabasePoolExhausted",
        "HighServerErrorRatio",
        "CacheBreakerOpen",
        "ReadinessFailing",
    }
    assert firing == alerts


def test_the_dashboard_reads_the_provisioned_datasource(project: Path) -> None:
    datasources = load_yaml(project / GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    dashboard = json.loads((project / GRAFANA / "dashboards" / "service.json").read_text())
    (datasource,) = datasources["datasources"]
    panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
    used = [panel["datasource"] for panel in panels]
    used += [target["datasource"] for panel in panels for target in panel["targets"]]
    used += [variable["datasource"] for variable in dashboard["templating"]["list"]]

    assert len(panels) >= 15
    assert {(source["type"], source["uid"]) for source in used} == {
        (datasource["type"], datasource["uid"])
    }


def test_the_observability_services_run_only_under_their_profile(project: Path) -> None:
    compose = load_yaml(project / "compose.yaml")
    services = compose["services"]
    profiled = {name for name, service in services.items() if "profiles" in service}
    providers = load_yaml(project / GRAFANA / "provisioning" / "dashboards" / "service.yml")

    assert profiled == {"prometheus", "grafana"}
    for name in profiled:
        service = services[name]
        assert service["profiles"] == [PROFILE]
        _, _, tag = service["image"].partition(":")
        assert tag, service["image"]
        assert tag != "latest", service["image"]
        for volume in service["volumes"]:
            source, _target, *mode = volume.split(":")
            if source.startswith("./"):  # the project's files, mounted read-only
                assert (project / source).is_dir(), volume
                assert mode == ["ro"], volume
            else:
                assert source in compose["volumes"], volume
    grafana = mounts(services["grafana"])
    dashboards = grafana[providers["providers"][0]["options"]["path"]]
    assert (project / dashboards / "service.json").is_file()
    assert (project / grafana["/etc/grafana/provisioning"]).samefile(
        project / GRAFANA / "provisioning"
    )
    prometheus_config = project / mounts(services["prometheus"])["/etc/prometheus"]
    assert (prometheus_config / "prometheus.yml").is_file()
    assert "deploy/" in (project / ".dockerignore").read_text().split()


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Each mount's path in the container, and what is mounted there."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
