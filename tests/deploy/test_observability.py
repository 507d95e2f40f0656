"""deploy/prometheus.yml scrapes every process on the metrics port scripts/run gives it, and
deploy/grafana/bellyfed.json plots only families the code defines (shared/metrics.py),
every one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from shared import metrics

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = {"gateway": 9100, "catalog": 9101, "rankings": 9102, "analytics": 9103,
             "orders": 9104}
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def defined_families() -> set[str]:
    """The names the code exposes: each Family's, and the scrape-time gauges'."""
    names = {family.metric._name for family in vars(metrics).values()
             if isinstance(family, metrics.Family)}
    return names | {family.name for family in metrics.ScrapeCollector().collect()}


def family_of(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def expressions() -> list[str]:
    dashboard = json.loads((ROOT / "deploy/grafana/bellyfed.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_prometheus_scrapes_every_process_on_its_metrics_port():
    config = yaml.safe_load((ROOT / "deploy/prometheus.yml").read_text())
    targets = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
               for job in config["scrape_configs"]}
    assert targets == {name: [f"{name}:{port}"] for name, port in PROCESSES.items()}
    run = (ROOT / "scripts/run").read_text()
    for name, port in PROCESSES.items():  # the same defaults as a local run's
        assert re.search(rf"\b{name}\) default={port}\b", run), name


def test_every_dashboard_expression_names_a_defined_family():
    defined = defined_families()
    assert all(name.startswith("bellyfed_") for name in defined)
    plotted = set()
    for expr in expressions():
        names = re.findall(r"\bbellyfed_[a-z0-9_]+", expr)
        assert names, f"no Bellyfed family in {expr!r}"
        unknown = {name for name in names if family_of(name) not in defined}
        assert not unknown, f"{expr!r} names {sorted(unknown)}, which no code defines"
        plotted |= {family_of(name) for name in names}
    assert plotted == defined, f"not plotted: {sorted(defined - plotted)}"
