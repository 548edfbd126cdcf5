"""The dashboard and the alert rules (deploy/observability) read metrics the service exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import promql_parser
import yaml
from prometheus_client.parser import text_string_to_metric_families

from ..helpers.clients import running_user_client
from ..helpers.settings import SettingsFactory

OBSERVABILITY = Path(__file__).parents[2] / "deploy" / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "service.json"
ALERTS = OBSERVABILITY / "prometheus" / "alerts.yml"
# The series each metric type is exposed as, besides those of its samples.
SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def dashboard_expressions() -> dict[str, str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return {
        f"{panel['title']} {target['refId']}": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }


def rule_expressions() -> dict[str, str]:
    rules: dict[str, Any] = yaml.safe_load(ALERTS.read_text())
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}


def metric_names(expression: str) -> set[str]:
    names: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expression), visit)
    return names


def exported_series(exposition: str) -> set[str]:
    """Every series name a scrape can hold, also of labelled metrics not yet used."""
    series: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        series.update(f"{family.name}{suffix}" for suffix in SERIES_SUFFIXES.get(family.type, ()))
        series.update(sample.name for sample in family.samples)
    return series


def test_the_dashboard_and_the_rules_have_expressions_for_what_they_show() -> None:
    dashboard, rules = dashboard_expressions(), rule_expressions()

    assert len(dashboard) >= 15
    assert rules.keys() == {
        "DatabasePoolExhausted",
        "HighServerErrorRatio",
        "CacheBreakerOpen",
        "ReadinessFailing",
    }


async def test_every_metric_the_dashboard_and_the_rules_read_is_exported(
    make_settings: SettingsFactory,
) -> None:
    async with running_user_client(make_settings()) as client:
        await client.get("/api/v1/items/1")
        await client.get("/health/ready")
        exposition = (await client.get("/metrics")).text
    exported = exported_series(exposition)
    expressions = {**dashboard_expressions(), **rule_expressions()}

    unknown = {
        where: sorted(metric_names(expression) - exported)
        for where, expression in expressions.items()
        if metric_names(expression) - exported
    }
    assert unknown == {}
    assert all(metric_names(expression) for expression in expressions.values())
