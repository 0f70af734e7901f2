"""The Dagster code location: assets, checks and resources, wired (nothing else lives here)."""
from __future__ import annotations

from dagster import Definitions

from assets import checks, data_docs, inventory, parse, rollups, summary, validate
from assets.resources import Progress, RawReports, raw_default, warehouse_default
from assets.warehouse import ParquetIOManager, Warehouse
from pipeline.alerts import Alerts
from pipeline.sensors import PARSE_JOB, SENSORS, YEAR_JOB

ASSETS = [inventory.raw_inventory, parse.parse_reports, validate.violations, validate.validated_datasets,
          rollups.rollup_province, rollups.rollup_national, data_docs.data_docs, summary.year_summary]
CHECKS = [*checks.contract_checks, *checks.published_checks, checks.parse_conservation, checks.conservation]
UNPARTITIONED = [inventory.raw_inventory, parse.parse_reports]
PARTITIONED = [validate.violations, validate.validated_datasets, rollups.rollup_province, rollups.rollup_national,
               data_docs.data_docs, summary.year_summary]


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


defs = Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=[PARSE_JOB, YEAR_JOB],
                   sensors=SENSORS, resources=resources())
