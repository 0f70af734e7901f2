"""The Dagster code location: assets (with their catalogue entries: assets/catalog.py), checks, jobs,
sensors and resources, wired (nothing else lives here).

Secrets never appear here: the alert channels' webhook URLs come from the environment through an `EnvVar`
and the SMTP login is read from the environment when sending (pipeline/alerts.py); the other resources
hold paths only."""
from __future__ import annotations

from dagster import Definitions

from assets import checks, comparisons, data_docs, inventory, parse, rollups, summary, validate
from assets.catalog import catalogued
from assets.resources import Progress, RawReports, raw_default, warehouse_default
from assets.warehouse import ParquetIOManager, Warehouse
from pipeline.alerts import Alerts
from pipeline.sensors import JOBS, SENSORS

ASSETS = [inventory.raw_inventory, parse.parse_reports, validate.violations, validate.validated_datasets,
          rollups.rollup_province, rollups.rollup_national, data_docs.data_docs, summary.year_summary,
          comparisons.comparisons, comparisons.coverage]
CHECKS = [*checks.contract_checks, *checks.published_checks, checks.parse_conservation, checks.conservation,
          *checks.warning_checks, checks.parse_failures_check, checks.no_year, checks.rollup_identity,
          comparisons.missing_bodies]
UNPARTITIONED = [inventory.raw_inventory, parse.parse_reports]
PARTITIONED = [validate.violations, validate.validated_datasets, rollups.rollup_province, rollups.rollup_national,
               data_docs.data_docs, summary.year_summary, comparisons.comparisons, comparisons.coverage]


def resources(raw: str | None = None, warehouse: str | None = None, progress: bool = False, workers: int = 0) -> dict:
    """The resources for one deployment; defaults: the bundled sample and data/warehouse."""
    wh = Warehouse(root=warehouse or warehouse_default())
    return {
        "raw": RawReports(root=raw or raw_default(), workers=workers),
        "warehouse": wh,
        "io_manager": ParquetIOManager(warehouse=wh),
        "progress": Progress(enabled=progress),
        "alerts": Alerts.from_env(),  # default: the log only (NIANBAO_ALERT_* add SMTP and webhooks)
    }


CATALOGUED = catalogued(ASSETS)  # what the UI and `nianbao run` load: the assets with their catalogue entries
defs = Definitions(assets=CATALOGUED, asset_checks=CHECKS, jobs=JOBS, sensors=SENSORS, resources=resources())
