"""Alerts after runs: what failed, said once, through the configured channels (log, SMTP, chat webhooks).

`collect` gathers what finished runs judged (the years they validated, the parse, their checks and steps)
and what failed in it: contract errors of quarantined reports, files that failed to parse, failed checks,
failed steps. `State` remembers per channel the failures already sent (`<warehouse>/_alerts/state.json`),
so the same failures are never sent twice, a failure that was resolved and comes back is sent again, and a
channel that was down gets the open failures with the next run. `render` writes the message; `deliver`
sends it with retries and logs, never raises: every try runs in a daemon thread cut off after the attempt
timeout (its sockets are shut so a trickling or silent endpoint cannot hold it), and all tries of one
message fit in a total deadline. A message no try delivered is appended to the dead letters
(`<warehouse>/_alerts/dead_letter.jsonl`). Webhook URLs carry tokens: channels are named, logged and
recorded by a redacted URL (`redact_url`) plus a short digest of the full one, never the URL itself.
The `Alerts` resource holds the configuration; the sensors in pipeline/sensors.py and `nianbao run` call
`Alerts.send_after`.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import polars as pl
from dagster import ConfigurableResource, DagsterEventType, DagsterInstance, DagsterRunStatus, EnvVar, RunsFilter

from assets.checks import FAMILIES, REPORTED_OTHERWISE
from assets.warehouse import Warehouse
from nianbao import template as T
from nianbao.atomic import write_text_atomic

LOGGER = logging.getLogger("nianbao.alerts")
# The per-family contract checks summarise the contract errors, which the alert lists report by report.
FAMILY_CHECKS = {("violations", f + "_rules") for f in FAMILIES} | REPORTED_OTHERWISE  # and parse failures, warnings
# A blocking check that fails also fails its step with this error: the check itself is reported.
CHECK_STEP_ERROR = "DagsterAssetCheckFailedError"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
BACKLOG = 50  # runs looked at per sensor evaluation
EVENTS = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION,
          DagsterEventType.STEP_START, DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}


# --- what failed ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Failure:
    """One thing that failed. `scope` is what a run must judge again for it to be found again or resolved:
    year=<Y> (contract errors), parse (parse failures), check:<asset>:<name>, step:<key>, job:<name>."""

    kind: str  # contract | parse | check | step | run
    scope: str
    subject: str  # the report's source file, the check (asset:name), the step or the job
    report_id: str | None = None
    rule: str = ""  # the rule id; a check's severity; a step's error class
    cell: str = ""  # table / row / column of a contract error
    expected: int | None = None
    actual: int | None = None
    message: str = ""
    content: str = ""  # sha256 of a file that failed to parse: a changed file that still fails is new
    # a contract error said like a person (`culprit_line`): body, year, cell, printed, expected, line. Not part
    # of the failure's identity (nor of `key`): wording, like the message
    said: str = field(default="", compare=False)

    @cached_property
    def key(self) -> str:
        """A stable identity: the same failure found by a later run has the same key. A report's failure is
        its cell and numbers (or its file's content), not the wording, which may change between versions."""
        ident = asdict(self)
        del ident["said"]
        if self.kind in ("contract", "parse"):
            del ident["message"]
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    job: str
    status: str


@dataclass
class Findings:
    """What some runs judged (`scopes`), what failed in it, and where the warehouse is."""

    runs: list[RunInfo]
    scopes: set[str]
    failures: list[Failure]
    warehouse: str


def collect(instance: DagsterInstance, run_ids: list[str], warehouse: Warehouse) -> Findings:
    """The failures found by the given runs: events of each run, then the datasets of what they judged."""
    runs, scopes, failures = [], set(), []
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        runs.append(RunInfo(run_id, run.job_name, run.status.value))
        s, f = judged(instance, run_id, run.job_name)
        scopes |= s
        failures += f
    for scope in sorted(scopes):
        if scope == "parse":
            failures += parse_failures(warehouse)
        elif scope.startswith("year="):
            failures += contract_errors(warehouse, scope.removeprefix("year="))
    return Findings(runs, scopes, list(dict.fromkeys(failures)), warehouse.root)


def judged(instance: DagsterInstance, run_id: str, job: str) -> tuple[set[str], list[Failure]]:
    """(scopes, failures) from a run's events: the years it validated, its checks, its steps."""
    scopes, failures, run_failure = {f"job:{job}"}, [], None
    for entry in instance.all_logs(run_id, of_type=EVENTS):
        e = entry.dagster_event
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            name = e.asset_key.path[-1]
            if name == "parse_failures":
                scopes.add("parse")
            elif name == "violations" and e.partition:
                scopes.add(f"year={e.partition}")
        elif e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = e.event_specific_data
            asset = ev.asset_key.to_user_string()
            if (asset, ev.check_name) in FAMILY_CHECKS:
                continue
            scope = f"check:{asset}:{ev.check_name}"
            scopes.add(scope)
            if not ev.passed:
                failures.append(Failure("check", scope, f"{asset}:{ev.check_name}", rule=ev.severity.value,
                                        message=metadata_summary(ev.metadata)))
        elif e.event_type == DagsterEventType.STEP_START:
            scopes.add(f"step:{e.step_key}")
        elif e.event_type == DagsterEventType.STEP_FAILURE:
            err = e.event_specific_data.error
            cause = user_error(err)
            if err is not None and CHECK_STEP_ERROR not in (err.cls_name, cause.cls_name):
                failures.append(Failure("step", f"step:{e.step_key}", e.step_key, rule=cause.cls_name or "",
                                        message=error_line(cause)))
        elif e.event_type == DagsterEventType.RUN_FAILURE:
            run_failure = e.message or "run failed"
    if run_failure and not failures:  # failed outside any step (e.g. the run worker died)
        failures.append(Failure("run", f"job:{job}", job, message=first_line(run_failure)))
    return scopes, failures


def contract_errors(warehouse: Warehouse, key: str) -> list[Failure]:
    """The error-severity violations of one year: the reports quarantined."""
    path = warehouse.year_path("violations", key)
    if not path.exists():
        return []
    v = pl.read_parquet(path).filter(pl.col("severity") == "error")
    return [Failure("contract", f"year={key}", r["source"] or r["report_id"], r["report_id"], r["rule"],
                    " / ".join(x for x in (r["table"], r["row"], r["column"]) if x), r["expected"], r["actual"],
                    r["message"], said=culprit_line(r)) for r in v.iter_rows(named=True)]


def parse_failures(warehouse: Warehouse) -> list[Failure]:
    """The files that could not be read as reports."""
    df = warehouse.read("parse_failures")
    if df is None:
        return []
    return [Failure("parse", "parse", r["source"], r["report_id"], message=r["error"] or "", content=r["sha256"] or "")
            for r in df.iter_rows(named=True)]


def metadata_summary(metadata: dict) -> str:
    """A check's scalar metadata as 'name value' pairs (tables and long text left out)."""
    pairs = []
    for k, v in sorted(metadata.items()):
        value = getattr(v, "value", v)
        if isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 40 and "\n" not in value):
            pairs.append(f"{k} {value}")
    return ", ".join(pairs)


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0][:300] if lines else ""


# Dagster wraps what the step's code raised in this error ("Error occurred while executing op …").
STEP_WRAPPER = "DagsterExecutionStepExecutionError"


def user_error(err):
    """The error the step's own code raised: Dagster's step wrapper unwrapped to its cause."""
    while err is not None and err.cls_name == STEP_WRAPPER and err.cause is not None:
        err = err.cause
    return err


def error_line(err) -> str:
    """The first line of an error's message without its "ClassName: " prefix (the class is told apart)."""
    line = first_line(err.message)
    return line.removeprefix(f"{err.cls_name}: ") if err.cls_name else line


# --- what was already sent -----------------------------------------------------------------------

class State:
    """Per channel and scope, the keys of the failures already sent (a small JSON file, written atomically).

    Judging a scope again replaces its keys: a failure no longer found drops out, so if it comes back it is
    sent again; scopes a run did not judge (other years) keep theirs."""

    def __init__(self, path: Path):
        self.path = path
        self.sent: dict[str, dict[str, list[str]]] = {}
        if path.exists():
            try:
                self.sent = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError) as e:
                LOGGER.warning("alert state %s unreadable (%s): starting afresh", path, e)

    @classmethod
    def of(cls, warehouse_root: str) -> State:
        return cls(Warehouse(root=str(warehouse_root)).beside("_alerts", "state.json"))

    def new(self, channel: str, findings: Findings) -> list[Failure]:
        """The failures `channel` has not been sent yet."""
        seen = {s: set(keys) for s, keys in self.sent.get(channel, {}).items()}
        return [f for f in findings.failures if f.key not in seen.get(f.scope, ())]

    def record(self, channel: str, findings: Findings) -> None:
        """`channel` now knows every failure of the scopes the runs judged."""
        by_scope: dict[str, set[str]] = {s: set() for s in findings.scopes}
        for f in findings.failures:
            by_scope.setdefault(f.scope, set()).add(f.key)
        seen = self.sent.setdefault(channel, {})
        for scope, keys in by_scope.items():
            if keys:
                seen[scope] = sorted(keys)
            else:
                seen.pop(scope, None)

    def save(self) -> None:
        write_text_atomic(json.dumps(self.sent, indent=1, sort_keys=True), self.path)

    def adopt_legacy(self, channels: list) -> None:
        """Rename the webhook keys of the old naming (`webhook:kind:host:port/path:digest`, which put Feishu
        and Slack hook secrets in this file in clear) to today's redacted names. A key whose kind and URL
        digest match a configured channel becomes that channel's (what it was sent is kept); one matching
        no channel is dropped: were that channel configured again, it gets the open failures once more."""
        names = {(ch.kind, ch.digest): ch.name for ch in channels if isinstance(ch, WebhookChannel)}
        for key in [k for k in self.sent if LEGACY_WEBHOOK.fullmatch(k)]:
            m, entry = LEGACY_WEBHOOK.fullmatch(key), self.sent.pop(key)
            if (m["kind"], m["digest"]) in names:
                self.sent.setdefault(names[m["kind"], m["digest"]], entry)


# A webhook channel's state key before redaction (no scheme, the path in clear, the URL digest last).
LEGACY_WEBHOOK = re.compile(r"webhook:(?P<kind>[a-z]+):(?!.*://).*:(?P<digest>[0-9a-f]{8})")


# --- the message ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    """A title, a Markdown body in three parts (the details are cut first when a channel has a size limit),
    and the structured alert (the generic webhook's payload)."""

    title: str
    head: list[str]
    details: list[str]
    tail: list[str]
    data: dict = field(default_factory=dict)

    def text(self, max_bytes: int | None = None) -> str:
        """The body; with `max_bytes` (UTF-8), detail lines are dropped from the end until it fits."""
        body, keep = "\n".join([*self.head, *self.details, *self.tail]), list(self.details)
        while max_bytes is not None and len(body.encode()) > max_bytes and keep:
            keep.pop()
            more = [f"… {len(self.details) - len(keep)} more lines: see the datasets below", ""]
            body = "\n".join([*self.head, *keep, *more, *self.tail])
        return body if max_bytes is None else body.encode()[:max_bytes].decode(errors="ignore")


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def render(findings: Findings, new: set[str], dagster_url: str = "http://localhost:3000", worst: int = 10,
           cells: int = 5) -> Message:
    """The alert for `findings`, `new` being the keys not sent before: run, counts, the worst reports with
    their rules and cells, files that failed to parse, failed checks and steps, and where to look."""
    fs = findings.failures
    g = Groups(quarantined(fs, new), [f for f in fs if f.kind == "parse"], [f for f in fs if f.kind == "check"],
               [f for f in fs if f.kind in ("step", "run")], len({f.report_id or f.key for f in fs if f.key in new}))
    main = findings.runs[-1] if findings.runs else RunInfo("?", "?", "?")
    counts = ", ".join([plural(len(g.reports), "report") + " quarantined", plural(len(g.failed), "parse failure"),
                        plural(len(g.checks), "failed check")] + [plural(len(g.steps), "failed step")] * bool(g.steps))
    title = f"[nianbao] run {main.run_id[:8]}: {counts} ({g.new} new)"
    where = places(findings, g.reports, dagster_url)
    tail = ["Where to look:", *[f"- {name}: {place}" for name, place in where.items()]]
    return Message(title, head_lines(findings, g), detail_lines(g, new, worst, cells), tail,
                   structured(title, findings, g, new, worst, where, dagster_url))


@dataclass(frozen=True)
class Groups:
    """The failures of an alert by kind; `new` counts the reports, files, checks and steps not sent before."""

    reports: list[dict]
    failed: list[Failure]
    checks: list[Failure]
    steps: list[Failure]
    new: int


def head_lines(findings: Findings, g: Groups) -> list[str]:
    """Which runs, how many reports affected, what was judged."""
    main = findings.runs[-1] if findings.runs else RunInfo("?", "?", "?")
    others = "".join(f"; with run {r.run_id} ({r.job}, {r.status})" for r in findings.runs[:-1])
    years = sorted(s.removeprefix("year=") for s in findings.scopes if s.startswith("year="))
    judged = [f"years {', '.join(years)}"] * bool(years) + ["the parse"] * ("parse" in findings.scopes)
    return [f"New failures after run {main.run_id} (job {main.job}, {main.status}{others}).", "",
            f"- Reports affected: {len(g.reports) + len(g.failed)} ({len(g.reports)} quarantined, "
            f"{len(g.failed)} failed to parse)",
            f"- Failed checks: {len(g.checks)}; failed steps: {len(g.steps)}",
            f"- New since the last alert: {g.new}",
            f"- Judged: {'; '.join(judged) or 'checks and steps only'}", ""]


def detail_lines(g: Groups, new: set[str], worst: int, cells: int) -> list[str]:
    """The worst reports with their rules and cells, the files that failed to parse, failed checks and steps."""
    out = []
    if g.reports:
        out.append(f"Worst reports (new first, then most errors; {min(worst, len(g.reports))} of {len(g.reports)}):")
        for r in g.reports[:worst]:
            out.append(f"- {r['source']} (year {r['year']}{', new' if r['new'] else ''}): "
                       f"{plural(len(r['errors']), 'error')}: {', '.join(r['rules'])}")
            said = list(dict.fromkeys(cell_line(f) for f in r["errors"]))  # one line per culprit
            out += [f"  - {line}" for line in said[:cells]]
            out += [f"  - … {len(said) - cells} more"] * (len(said) > cells)
        out.append("")
    if g.failed:
        out.append("Files that failed to parse:")
        out += [f"- {f.subject}{' (new)' if f.key in new else ''}: {f.message}" for f in g.failed[:worst]]
        out += [f"- … {len(g.failed) - worst} more"] * (len(g.failed) > worst)
        out.append("")
    if g.checks or g.steps:
        out.append("Failed checks and steps:")
        out += [f"- check {f.subject} ({f.rule}{', new' if f.key in new else ''}): {f.message}" for f in g.checks]
        out += [f"- {f.kind} {f.subject}{' (new)' if f.key in new else ''}: {f.rule + ': ' if f.rule else ''}"
                f"{f.message}" for f in g.steps]
        out.append("")
    return out


def structured(title: str, findings: Findings, g: Groups, new: set[str], worst: int, where: dict,
               dagster_url: str) -> dict:
    """The alert as data (the generic webhook's JSON)."""
    return {"title": title, "runs": [asdict(r) | {"url": run_url(dagster_url, r.run_id)} for r in findings.runs],
            "counts": {"reports_quarantined": len(g.reports), "parse_failures": len(g.failed),
                       "failed_checks": len(g.checks), "failed_steps": len(g.steps), "new": g.new},
            "reports": [{k: v for k, v in r.items() if k != "errors"} | {"errors": [asdict(f) for f in r["errors"]]}
                        for r in g.reports[:worst]],
            "parse_failures": [asdict(f) | {"new": f.key in new} for f in g.failed[:worst]],
            "checks": [asdict(f) | {"new": f.key in new} for f in g.checks + g.steps], "where": where}


def quarantined(failures: list[Failure], new: set[str]) -> list[dict]:
    """The quarantined reports with their errors: new ones first, then most errors, then by file."""
    by: dict[str, dict] = {}
    for f in failures:
        if f.kind == "contract":
            r = by.setdefault(f.report_id, {"source": f.subject, "report_id": f.report_id,
                                             "year": f.scope.removeprefix("year="), "new": False, "errors": []})
            r["errors"].append(f)
            r["new"] |= f.key in new
    for r in by.values():
        r["rules"] = sorted({f.rule for f in r["errors"]})
    return sorted(by.values(), key=lambda r: (not r["new"], -len(r["errors"]), r["source"]))


def cell_line(f: Failure) -> str:
    """A contract error said like a person (`culprit_line`), else `rule` at table / row / column: expected X,
    printed Y (or the rule's message)."""
    if f.said:
        return f.said
    where = f" at {f.cell}" if f.cell else ""
    what = f"expected {f.expected}, printed {f.actual}" if f.expected is not None else f.message
    return f"`{f.rule}`{where}: {what}"


TABLE_ZH = {"active_disclosure": "表二", "applications": "表三", "review_litigation": "表四"}
_ROW_LABELS = {r.code: r.label for t in (T.TEMPLATE_2021, T.TEMPLATE_2019) for r in (*t.active_items, *t.application_rows)}
_GROUP_LABELS = {g.code: g.label for g in T.REVIEW_GROUPS}  # kept whole: 行政诉讼 未经复议直接起诉
_COLUMN_LABELS = {c.code: c.label for c in (*T.ACTIVE_COLUMNS, *T.APPLICANT_COLUMNS, T.ORG_SUBTOTAL, *T.REVIEW_COLUMNS)}
_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)+")
# the expected value in the words of the rule kind ("the row adds to 15")
EXPECTED_WORDS = {
    "applications.row_total": "the row adds to {}",
    "applications.subtotals": "its items add to {}",
    "applications.outcomes_sum": "the outcome rows add to {}",
    "applications.balance": "新收 + 上年结转 = {}",
    "review_litigation.group_total": "the group adds to {}",
    "narrative.applications_count": "the text states {}",
    "narrative.review_litigation_count": "the text states {}",
    "history.carry_over": "last year's report carried forward {}",
    "history.stock": "last year's stock and this year's changes give {}",
}


def row_label(code: str) -> str:
    """A row's label in the template, short: "（一）予以公开" → "予以公开" (list markers and glosses dropped)."""
    if code in _GROUP_LABELS:
        return _GROUP_LABELS[code]
    label = _ROW_LABELS.get(code)
    if label is None:
        return code
    short = _MARKER.sub("", label.split()[-1]).split("（")[0]
    return short or label


def culprit_line(v: dict) -> str:
    """One violation row (with the culprit columns of `contracts.violations`) said like a person:
    "巫山县人民政府 2023 表三 予以公开/自然人: printed 12, the row adds to 15, line 84" (page for a PDF)."""
    single = v.get("suspect_kind") == "single_cell"
    row, col = (v["suspect_row"], v["suspect_column"]) if single else (v.get("row"), v.get("column"))
    cell = "/".join([row_label(row)] * bool(row) + [_COLUMN_LABELS.get(col, col)] * bool(col))
    who = " ".join(str(x) for x in (v.get("body") or v.get("source") or v.get("report_id"),
                                    v.get("year") if v.get("year") is not None else "(year unknown)"))
    where = " ".join(x for x in (TABLE_ZH.get(v.get("table"), v.get("table") or ""), cell) if x)
    printed = v.get("printed")
    if printed is None and not single and v.get("actual") is not None:
        printed = v["actual"]
    if single:
        expected = f"{v['suspect_value']} would make the row and the column add up"
    elif v.get("suspect_kind") == "glued_split":
        expected = "two cells read as one (a reading error, not the report's)"
    elif v.get("expected") is not None:
        expected = EXPECTED_WORDS.get(v["rule"], "expected {}").format(v["expected"])
    else:
        expected = v.get("message") or v["rule"]
    if v["rule"] == "applications.balance" and not single:  # two sums of the column, no one cell
        bits = [expected, f"办理总计 + 结转下年度 = {v['actual']}"]
    else:
        bits = [f"printed {printed}"] * (printed is not None) + ["not printed"] * (printed is None and bool(cell))
        bits.append(expected)
    if v.get("page") is not None:
        bits.append(f"page {v['page']}")
    elif v.get("line") is not None:
        bits.append(f"line {v['line']}")
    return f"{who} {where}: {', '.join(bits)}" if where else f"{who}: {', '.join(bits)}"


def run_url(dagster_url: str, run_id: str) -> str:
    return f"{dagster_url.rstrip('/')}/runs/{run_id}"


def places(findings: Findings, reports: list[dict], dagster_url: str) -> dict[str, str]:
    """Where to look: the quarantine (violations) files of the years with errors, parse failures, the runs."""
    wh = Warehouse(root=str(findings.warehouse))
    years = sorted({r["year"] for r in reports})
    out = {}
    if years:
        files = ", ".join(str(wh.year_path("violations", y)) for y in years)
        out["quarantine (violations)"] = f"{files} (every year: polars.scan_parquet('{wh.pattern('violations')}'))"
    if any(f.kind == "parse" for f in findings.failures):
        out["parse failures"] = str(wh.path("parse_failures"))
    for r in reversed(findings.runs):
        out[f"Dagster run {r.run_id[:8]}"] = run_url(dagster_url, r.run_id)
    return out


# --- secrets: kept out of channel names, logs, state and dead letters --------------------------------

REDACTED = "***"
# Query parameters that carry a credential: DingTalk access_token, WeCom key, signatures, passwords, ….
SECRET_PARAM = re.compile(r"token|key|secret|sign|auth|pass|pwd|credential|code", re.I)
# The same parameters inside free text (an error message that quotes a URL).
SECRET_IN_TEXT = re.compile(r"([?&][^=&\s'\"]*(?:token|key|secret|sign|auth|pass|pwd|credential|code)"
                            r"[^=&\s'\"]*=)[^&\s'\"#]+", re.I)
# Path segments after which a hook's path is its secret: Feishu …/hook/<id>, Slack /services/T…/B…/<secret>,
# Slack workflows /triggers/…, Discord-like /webhooks/<id>/<token>.
HOOK_SEGMENTS = {"hook", "hooks", "services", "webhooks", "triggers"}
# Any other path segment that looks like a token: 16 or more characters, letters and digits.
TOKEN_LIKE = re.compile(r"(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_.~%-]{16,}")
MIN_SECRET = 4  # shorter secrets are not searched for in free text (they would cut ordinary words)


def url_secrets(url: str) -> tuple[str, list[str]]:
    """(the URL with its secrets replaced by ***, those secrets, raw and percent-decoded): the user info of
    user:password@, the values of credential-like query parameters, a hook's path after /hook/, /services/,
    /webhooks/ or /triggers/, any other path segment that looks like a token. The fragment is dropped."""
    u = urllib.parse.urlsplit(url)
    userinfo, at, host = u.netloc.rpartition("@")
    secrets = [userinfo, userinfo.partition(":")[2]] if at else []
    segments, path = u.path.split("/"), []
    for i, segment in enumerate(segments):
        rest = "/".join(segments[i:])
        if i > 0 and segments[i - 1].lower() in HOOK_SEGMENTS and rest:
            secrets += [rest, *segments[i:]]
            path.append(REDACTED)
            break
        secret = bool(TOKEN_LIKE.fullmatch(segment))
        secrets += [segment] * secret
        path.append(REDACTED if secret else segment)
    query = []
    for part in u.query.split("&") if u.query else []:
        name, eq, value = part.partition("=")
        secret = bool(eq and value and SECRET_PARAM.search(urllib.parse.unquote_plus(name)))
        secrets += [value] * secret
        query.append(f"{name}={REDACTED}" if secret else part)
    netloc = f"{REDACTED}@" * bool(at) + host
    redacted = urllib.parse.urlunsplit((u.scheme, netloc, "/".join(path), "&".join(query), ""))
    secrets += [urllib.parse.unquote_plus(x) for x in secrets]
    return redacted, list(dict.fromkeys(x for x in secrets if x))


def redact_url(url: str) -> str:
    """The URL as it may be shown, logged and recorded, e.g. https://oapi.dingtalk.com/robot/send?access_token=***."""
    return url_secrets(url)[0]


def scrub(text: str, secrets: list[str], urls: dict[str, str] | None = None) -> str:
    """`text` with each URL of `urls` replaced by its redacted form, credential-like query values by ***,
    then every secret (the longest first; none shorter than MIN_SECRET characters) by ***."""
    for url, redacted in (urls or {}).items():
        text = text.replace(url, redacted)
    text = SECRET_IN_TEXT.sub(rf"\g<1>{REDACTED}", text)
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


# --- a try that cannot hang -----------------------------------------------------------------------

class Cutoff:
    """The sockets one delivery attempt opened. `expire` shuts them down, which ends a read that is blocked
    or trickling, so the thread of a try that ran out of time finishes too instead of hanging on."""

    def __init__(self):
        self.sockets: list[socket.socket] = []
        self.expired = False
        self.lock = threading.Lock()

    def hold(self, sock: socket.socket) -> socket.socket:
        """Keep `sock` to shut when time is up (at once if it already is); returns it."""
        with self.lock:
            self.sockets.append(sock)
            late = self.expired
        if late:
            shut(sock)
        return sock

    def expire(self) -> None:
        """Time is up: shut every socket held, and any held later."""
        with self.lock:
            self.expired = True
            held = list(self.sockets)
        for sock in held:
            shut(sock)


def shut(sock: socket.socket) -> None:
    """Shut a socket down both ways (a reader blocked on it returns); one already closed is left alone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass


def guarded_http(connection_class: type, cutoff: Cutoff) -> type:
    """`connection_class` (http.client) whose sockets, the plain one and the TLS one over it, are held by `cutoff`."""

    class Guarded(connection_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection
            self._create_connection = lambda *a, **kw: cutoff.hold(create(*a, **kw))

        def connect(self):
            super().connect()
            cutoff.hold(self.sock)

    return Guarded


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    """urllib's http:// handler with sockets held by a Cutoff."""

    def __init__(self, cutoff: Cutoff):
        super().__init__()
        self.cutoff = cutoff

    def http_open(self, req):
        return self.do_open(guarded_http(http.client.HTTPConnection, self.cutoff), req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's https:// handler with sockets held by a Cutoff."""

    def __init__(self, cutoff: Cutoff):
        super().__init__()
        self.cutoff = cutoff

    def https_open(self, req):
        return self.do_open(guarded_http(http.client.HTTPSConnection, self.cutoff), req, context=self._context)


def guarded_smtp(smtp_class: type, cutoff: Cutoff) -> type:
    """`smtp_class` (smtplib.SMTP or SMTP_SSL) whose socket, also after STARTTLS, is held by `cutoff`."""

    class Guarded(smtp_class):
        def _get_socket(self, host, port, timeout):
            return cutoff.hold(super()._get_socket(host, port, timeout))

        def starttls(self, *args, **kwargs):
            reply = super().starttls(*args, **kwargs)
            cutoff.hold(self.sock)
            return reply

    return Guarded


def attempt(channel, message: Message, seconds: float) -> None:
    """One try at sending, cut off after `seconds`: the send runs in a daemon thread; when time is up, its
    sockets are shut (so that thread ends soon too) and TimeoutError is raised. The send's error is raised."""
    cutoff, raised = Cutoff(), []

    def send() -> None:
        try:
            channel.send(message, cutoff)
        except BaseException as e:  # noqa: BLE001 (handed over to the caller's thread)
            raised.append(e)

    worker = threading.Thread(target=send, name="nianbao-alert-send", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        cutoff.expire()
        raise TimeoutError(f"no complete answer within {seconds:.3g} s")
    if raised:
        raise raised[0] if isinstance(raised[0], Exception) else RuntimeError(repr(raised[0]))


# --- channels ------------------------------------------------------------------------------------
# A channel has a `name` (its state key, shown and logged: never a secret), `send(message, cutoff)` and
# `redact(text)`, which hides its secrets in an error or log text.

@dataclass(frozen=True)
class LogChannel:
    """Writes the alert to a logger (the Dagster log in a sensor, stderr in `nianbao run`)."""

    log: logging.Logger | None = None
    name: str = "log"

    def send(self, message: Message, cutoff: Cutoff | None = None) -> None:
        (self.log or LOGGER).warning("%s\n%s", message.title, message.text())

    def redact(self, text: str) -> str:
        return text


@dataclass(frozen=True)
class SmtpChannel:
    """Email over SMTP (security: none, starttls or ssl); the login is read from environment variables."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    security: str = "none"
    user_env: str = "NIANBAO_ALERT_SMTP_USER"
    password_env: str = "NIANBAO_ALERT_SMTP_PASSWORD"
    timeout: float = 10.0

    @property
    def name(self) -> str:
        return f"smtp:{self.host}:{self.port}"

    def email(self, message: Message) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = message.title, self.sender, ", ".join(self.recipients)
        msg["Date"], msg["Message-ID"] = formatdate(localtime=True), make_msgid(domain="nianbao")
        msg.set_content(message.text())
        return msg

    def send(self, message: Message, cutoff: Cutoff | None = None) -> None:
        """Connect, STARTTLS if asked, log in if a user is set, send; the sockets are held by `cutoff`."""
        if not self.recipients:
            raise ValueError("no recipients configured (NIANBAO_ALERT_SMTP_TO)")
        cls = guarded_smtp(smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP, cutoff or Cutoff())
        with cls(self.host, self.port, timeout=self.timeout) as smtp:
            if self.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            user = os.environ.get(self.user_env)
            if user:
                smtp.login(user, os.environ.get(self.password_env, ""))
            smtp.send_message(self.email(message))

    def redact(self, text: str) -> str:
        """`text` without the SMTP password."""
        return scrub(text, [os.environ.get(self.password_env, "")])


KINDS = ("dingtalk", "wecom", "feishu", "slack", "generic")
HOSTS = {"oapi.dingtalk.com": "dingtalk", "qyapi.weixin.qq.com": "wecom", "open.feishu.cn": "feishu",
         "open.larksuite.com": "feishu", "hooks.slack.com": "slack"}
# Message size limits of the bots (bytes of the text), with room for the JSON around it.
LIMITS = {"dingtalk": 19_000, "wecom": 4_000, "feishu": 19_000, "slack": 39_000}
REPLY_BYTES = 65_536  # a bot's answer is read up to this much


@dataclass(frozen=True)
class WebhookChannel:
    """An incoming-webhook bot: POSTs JSON in the shape its kind expects; DingTalk and Feishu messages are
    signed when NIANBAO_ALERT_<KIND>_SECRET is set (加签 / 签名校验). Its name is the kind, the redacted URL
    and a digest of the full URL: stable, distinct per URL, and free of the token."""

    url: str
    kind: str = "generic"
    timeout: float = 10.0

    @classmethod
    def parse(cls, spec: str, timeout: float = 10.0) -> WebhookChannel:
        """`[kind=]url`; without a kind, it is known from the bot's host, else generic."""
        kind, _, rest = spec.partition("=")
        if kind in KINDS and rest:
            return cls(rest, kind, timeout)
        return cls(spec, HOSTS.get(urllib.parse.urlsplit(spec).hostname or "", "generic"), timeout)

    @property
    def digest(self) -> str:
        """The first 8 hex digits of the full URL's sha256: tells apart URLs that redact alike."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:8]

    @property
    def name(self) -> str:
        # Before issue 14 the name held the URL's path in clear (Feishu and Slack hook secrets went into
        # state.json and the logs); State.adopt_legacy renames such keys, keeping what they were sent.
        return f"webhook:{self.kind}:{redact_url(self.url)} #{self.digest}"

    def secret(self) -> str:
        return os.environ.get(f"NIANBAO_ALERT_{self.kind.upper()}_SECRET", "")

    def redact(self, text: str) -> str:
        """`text` without this bot's URL secrets or signing secret."""
        redacted, secrets = url_secrets(self.url)
        return scrub(text, [*secrets, self.secret()], {self.url: redacted})

    def payload(self, message: Message, now: float | None = None) -> dict:
        """The JSON body for this kind of bot."""
        text = message.text(LIMITS.get(self.kind))
        if self.kind == "dingtalk":
            return {"msgtype": "markdown", "markdown": {"title": message.title, "text": f"### {message.title}\n\n{text}"}}
        if self.kind == "wecom":
            return {"msgtype": "markdown", "markdown": {"content": f"### {message.title}\n{text}"}}
        if self.kind == "feishu":
            body = {"msg_type": "text", "content": {"text": f"{message.title}\n{text}"}}
            if self.secret():
                ts = str(int(now or time.time()))
                body |= {"timestamp": ts, "sign": feishu_sign(ts, self.secret())}
            return body
        if self.kind == "slack":
            return {"text": f"*{message.title}*\n{text}"}
        return message.data | {"text": text}

    def target(self, now: float | None = None) -> str:
        """The URL to POST to (DingTalk's signature goes in the query)."""
        if self.kind != "dingtalk" or not self.secret():
            return self.url
        ts = str(int((now or time.time()) * 1000))
        sep = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return f"{self.url}{sep}timestamp={ts}&sign={urllib.parse.quote_plus(dingtalk_sign(ts, self.secret()))}"

    def send(self, message: Message, cutoff: Cutoff | None = None) -> None:
        """POST the message (through the environment's proxy, if any) and check the bot's answer; the
        sockets are held by `cutoff`."""
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {redact_url(self.url)!r} (a dagster EnvVar inside the "
                             "`webhooks` list is not resolved: give it as `webhook_list=EnvVar(...)`)")
        now, cutoff = time.time(), cutoff or Cutoff()
        req = urllib.request.Request(self.target(now), data=json.dumps(self.payload(message, now), ensure_ascii=False)
                                     .encode(), headers={"Content-Type": "application/json; charset=utf-8"})
        opener = urllib.request.build_opener(GuardedHTTPHandler(cutoff), GuardedHTTPSHandler(cutoff))
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                check_reply(self.kind, resp.read(REPLY_BYTES))
        except urllib.error.HTTPError as e:
            raise OSError(f"HTTP {e.code} {e.reason}: {e.read(200).decode(errors='replace')}") from None


def check_reply(kind: str, body: bytes) -> None:
    """Bots answer HTTP 200 with an error code when they refuse a message (bad keyword, signature, rate)."""
    try:
        reply = json.loads(body)
    except ValueError:
        return  # Slack answers "ok"
    if not isinstance(reply, dict):
        return
    code = reply.get("errcode", reply.get("code", reply.get("StatusCode", 0)))
    if code not in (0, None):
        raise OSError(f"{kind} refused the message: {code} {reply.get('errmsg') or reply.get('msg') or ''}".strip())


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(timestamp_s: str, secret: str) -> str:
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


# --- delivery ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    channel: str
    ok: bool
    attempts: int
    error: str = ""


def deliver(channel, message: Message, log: logging.Logger, attempts: int = 3, backoff: float = 1.0,
            timeout: float = 10.0, deadline: float = 45.0) -> Delivery:
    """Send through one channel: up to `attempts` tries, each cut off after `timeout` seconds, waiting
    backoff, 2×backoff, … between them, all within `deadline` seconds (a try gets at most what is left, and
    no wait runs past it). Every failure is logged with the channel's name and the reason, both free of
    secrets; never raises."""
    end, error, tries = time.monotonic() + deadline, "", 0
    while tries < attempts and (left := end - time.monotonic()) > 0:
        tries += 1
        try:
            attempt(channel, message, min(timeout, left))
            return Delivery(channel.name, True, tries)
        except Exception as e:  # noqa: BLE001 (a channel that is down must never crash the caller)
            error = channel.redact(f"{type(e).__name__}: {e}")
            log.warning("alert channel %s: attempt %d of %d failed: %s", channel.name, tries, attempts, error)
        pause = backoff * 2 ** (tries - 1)
        if tries < attempts and time.monotonic() + pause >= end:
            error += f"; no time left for attempt {tries + 1} within the {deadline:g} s deadline"
            break
        if tries < attempts:
            time.sleep(pause)
    log.error("alert channel %s: not delivered after %d attempts (%s); it gets these failures with the next run "
              "that still has them", channel.name, tries, error or f"the {deadline:g} s deadline passed")
    return Delivery(channel.name, False, tries, error or f"the {deadline:g} s deadline passed")


def dead_letter(path: Path, delivery: Delivery, findings: Findings, undelivered: list[Failure], title: str) -> None:
    """Append one JSON line for a message no try delivered: when, the channel (its redacted name), the error,
    the runs, and the failures it held (that channel gets them again with the next run that still has them)."""
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "channel": delivery.channel,
              "attempts": delivery.attempts, "error": delivery.error, "title": title,
              "runs": [r.run_id for r in findings.runs],
              "failures": [{"key": f.key, "kind": f.kind, "subject": f.subject} for f in undelivered]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def finished_runs(instance: DagsterInstance, after: str | None) -> list:
    """Run records finished (or otherwise updated) after the ISO time `after`, oldest first; without
    `after`, the latest few."""
    if after:
        return list(instance.get_run_records(RunsFilter(statuses=FINISHED, updated_after=datetime.fromisoformat(after)),
                                             limit=BACKLOG, order_by="update_timestamp", ascending=True))
    return list(reversed(instance.get_run_records(RunsFilter(statuses=FINISHED), limit=BACKLOG,
                                                  order_by="update_timestamp", ascending=False)))


# --- the resource --------------------------------------------------------------------------------

ENV = {"log": "NIANBAO_ALERT_LOG", "smtp_host": "NIANBAO_ALERT_SMTP_HOST", "smtp_port": "NIANBAO_ALERT_SMTP_PORT",
       "smtp_security": "NIANBAO_ALERT_SMTP_SECURITY", "smtp_sender": "NIANBAO_ALERT_SMTP_FROM",
       "smtp_recipients": "NIANBAO_ALERT_SMTP_TO", "webhook_list": "NIANBAO_ALERT_WEBHOOKS",
       "timeout_seconds": "NIANBAO_ALERT_TIMEOUT", "deadline_seconds": "NIANBAO_ALERT_DEADLINE",
       "dagster_url": "NIANBAO_DAGSTER_URL"}


def resolved(value: str) -> str:
    """A configuration string; a dagster EnvVar that Dagster has not resolved (the resource used outside a
    run, as `nianbao run` does) is read from the environment."""
    return (value.get_value() or "") if isinstance(value, EnvVar) else value


SMTP_SECURITY = ("none", "starttls", "ssl")
EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")


class AlertConfigError(ValueError):
    """An alert setting that cannot be used (the message names the variable, never a secret)."""


class Alerts(ConfigurableResource):
    """Where alerts about failed reports, checks and steps go: the log (default), email over SMTP, and
    chat webhooks (`[kind=]url`, kind one of dingtalk, wecom, feishu, slack, generic), given as the list
    `webhooks` or as one space-separated string `webhook_list`, which takes a secret from the environment:
    `webhook_list=EnvVar("NIANBAO_ALERT_WEBHOOKS")` (Dagster resolves an EnvVar in a string field, not in a
    list). `from_env` reads NIANBAO_ALERT_* variables; the SMTP login and bot secrets are read from the
    environment when sending.

    Each message gets `attempts` tries per channel, each cut off after `timeout_seconds` (default 10), with
    `backoff_seconds`, twice that, … between them, all within `deadline_seconds` (default 45, so that a
    sensor's evaluation stays under Dagster's 60 s limit). Channels are sent to in parallel, so `send_after`
    returns within about `deadline_seconds` whatever an endpoint does; a message not delivered is appended
    to `<warehouse>/_alerts/dead_letter.jsonl` and its failures are sent again with the next run."""

    log: bool = True
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_sender: str = "nianbao@localhost"
    smtp_recipients: list[str] = []
    smtp_user_env: str = "NIANBAO_ALERT_SMTP_USER"
    smtp_password_env: str = "NIANBAO_ALERT_SMTP_PASSWORD"
    webhooks: list[str] = []
    webhook_list: str = ""  # space-separated `[kind=]url` entries, e.g. EnvVar("NIANBAO_ALERT_WEBHOOKS")
    dagster_url: str = "http://localhost:3000"
    worst: int = 10
    attempts: int = 3
    backoff_seconds: float = 1.0
    timeout_seconds: float = 10.0
    deadline_seconds: float = 45.0

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Alerts:
        """The configuration from NIANBAO_ALERT_* (lists: separated by spaces or commas; webhooks by spaces).
        From the process environment the webhooks stay an EnvVar, so their tokens are not part of the
        resource's configuration (as the Dagster UI shows it). A number that is not one raises
        AlertConfigError naming the variable."""
        env = os.environ if environ is None else environ
        given = {k: env[v] for k, v in ENV.items() if env.get(v)}
        for k, kind in (("smtp_port", int), ("timeout_seconds", float), ("deadline_seconds", float)):
            if k in given:
                try:
                    kind(given[k])
                except ValueError:
                    raise AlertConfigError(f"{ENV[k]}={given[k]!r} is not a number") from None
        if "log" in given:
            given["log"] = given["log"].lower() not in ("0", "false", "no", "off")
        if "smtp_recipients" in given:
            given["smtp_recipients"] = given["smtp_recipients"].replace(",", " ").split()
        if "webhook_list" in given and environ is None:
            given["webhook_list"] = EnvVar(ENV["webhook_list"])
        return cls(**given)

    def problems(self) -> list[str]:
        """What is wrong with this configuration, one line each, free of secrets (empty when it is usable):
        checked when a run starts, so a typo is found then, not when the first alert is lost."""
        out = []
        if self.smtp_security not in SMTP_SECURITY:
            out.append(f"{ENV['smtp_security']}: {self.smtp_security!r} is not one of {', '.join(SMTP_SECURITY)}")
        if not 0 < self.smtp_port < 65536:
            out.append(f"{ENV['smtp_port']}: {self.smtp_port} is not a port number")
        if self.smtp_host and not self.smtp_recipients:
            out.append(f"{ENV['smtp_host']} is set but {ENV['smtp_recipients']} names no recipient")
        if self.smtp_recipients and not self.smtp_host:
            out.append(f"{ENV['smtp_recipients']} is set but {ENV['smtp_host']} is not: no mail would be sent")
        for r in [*self.smtp_recipients, self.smtp_sender] if self.smtp_host else []:
            if not EMAIL.fullmatch(r):
                out.append(f"{r!r} is not an e-mail address ({ENV['smtp_recipients']}/{ENV['smtp_sender']})")
        if self.smtp_host and bool(os.environ.get(self.smtp_user_env)) != bool(os.environ.get(self.smtp_password_env)):
            out.append(f"only one of {self.smtp_user_env} and {self.smtp_password_env} is set")
        for spec in self.webhook_specs():
            kind, _, rest = spec.partition("=")
            url = rest if kind in KINDS and rest else spec
            parts = urllib.parse.urlsplit(url)
            if re.fullmatch(r"[a-z]+", kind) and rest.startswith(("http://", "https://")) and kind not in KINDS:
                out.append(f"webhook kind {kind!r} is unknown (kinds: {', '.join(KINDS)})")
            elif parts.scheme not in ("http", "https") or not parts.hostname:
                out.append(f"webhook {redact_url(url) if parts.hostname else '…'!r} is not an http(s) URL with a host")
        if self.timeout_seconds <= 0 or self.deadline_seconds <= 0:
            out.append(f"{ENV['timeout_seconds']} and {ENV['deadline_seconds']} must be positive")
        elif self.deadline_seconds < self.timeout_seconds:
            out.append(f"{ENV['deadline_seconds']} ({self.deadline_seconds:g} s) is shorter than one try "
                       f"({ENV['timeout_seconds']}, {self.timeout_seconds:g} s)")
        return out

    def test(self, log: logging.Logger | None = None) -> list[Delivery]:
        """Send one test message to each configured channel (one try each, within the deadline) and say
        how each went; nothing is recorded in the warehouse."""
        log = log or LOGGER
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        msg = Message("nianbao: test alert", [f"A test message from `nianbao alerts test` at {now}."], [],
                      ["If you read this, alerts reach this channel."], {"test": True, "sent": now})
        channels = self.channels(log)
        with ThreadPoolExecutor(max(1, len(channels))) as pool:
            return list(pool.map(lambda ch: deliver(ch, msg, log, 1, self.backoff_seconds, self.timeout_seconds,
                                                    self.deadline_seconds), channels))

    def webhook_specs(self) -> list[str]:
        """The `[kind=]url` entries of `webhooks` and `webhook_list`."""
        return [resolved(w) for w in self.webhooks if resolved(w)] + resolved(self.webhook_list).split()

    def channels(self, log: logging.Logger | None = None) -> list:
        out = [LogChannel(log)] if self.log else []
        if self.smtp_host:
            out.append(SmtpChannel(self.smtp_host, self.smtp_port, self.smtp_sender, tuple(self.smtp_recipients),
                                   self.smtp_security, self.smtp_user_env, self.smtp_password_env, self.timeout_seconds))
        return out + [WebhookChannel.parse(w, self.timeout_seconds) for w in self.webhook_specs()]

    def redact(self, text: str) -> str:
        """`text` without the secrets of any configured channel."""
        for ch in self.channels():
            text = ch.redact(text)
        return text

    def send_after(self, instance: DagsterInstance, run_ids: list[str], warehouse: Warehouse,
                   log: logging.Logger | None = None) -> list[Delivery]:
        """Send what is new in the failures of these runs to each channel that has not had it (channels in
        parallel, within `deadline_seconds`); record what each channel received, and a dead letter for each
        message not delivered. Never raises: a problem is logged (without secrets)."""
        log = log or LOGGER
        try:
            findings = collect(instance, run_ids, warehouse)
            state = State.of(warehouse.root)
            channels, rendered = self.channels(log), {}
            state.adopt_legacy(channels)

            def message(new: list[Failure]) -> Message:  # channels with the same news share one rendering
                keys = frozenset(f.key for f in new)
                if keys not in rendered:
                    rendered[keys] = render(findings, set(keys), self.dagster_url, self.worst)
                return rendered[keys]

            sends = [(ch, new, message(new)) for ch in channels if (new := state.new(ch.name, findings))]
            with ThreadPoolExecutor(max(1, len(sends))) as pool:
                done = list(pool.map(lambda s: deliver(s[0], s[2], log, self.attempts, self.backoff_seconds,
                                                       self.timeout_seconds, self.deadline_seconds), sends))
            for (_, new, msg), d in zip(sends, done):
                if not d.ok:
                    dead_letter(warehouse.beside("_alerts", "dead_letter.jsonl"), d, findings, new, msg.title)
            failed = {d.channel for d in done if not d.ok}
            for ch in channels:
                if ch.name not in failed:
                    state.record(ch.name, findings)
            state.save()
            return done
        except Exception:  # noqa: BLE001 (alerting must never crash a run or the sensor)
            log.error("alerts: could not send the alert for runs %s:\n%s", ", ".join(run_ids),
                      self.safely_redacted(traceback.format_exc()))
            return []

    def safely_redacted(self, text: str) -> str:
        """`redact(text)`; should that fail, only the error's class (the last line's "Class:" part)."""
        try:
            return self.redact(text)
        except Exception:  # noqa: BLE001 (called while handling an error: must not raise)
            return (text.strip().splitlines() or [""])[-1].partition(":")[0]
