"""Alerts: the sensor after real runs sends one message per new set of failures to a real SMTP server and
real webhook bots (local), never twice, and survives a channel that is down; rendering and state alone."""
from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import logging
import shutil
import socket
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from aiosmtpd.controller import Controller
from dagster import DagsterInstance, build_sensor_context

from conftest import DATA, SEEDS
from pipeline.alerts import Alerts, Failure, Findings, RunInfo, State, WebhookChannel, deliver, render
from pipeline.definitions import resources
from pipeline.runner import materialize_all
from pipeline.sensors import alerts_sensor

DINGTALK_SECRET, FEISHU_SECRET = "SEC-dingtalk-test", "feishu-test-secret"
DAGSTER_URL = "http://dagster.example:3000"
# What each bot answers, as the real ones do (DingTalk/WeCom errcode, Feishu code, Slack plain "ok").
REPLIES = {"/dingtalk": b'{"errcode":0,"errmsg":"ok"}', "/wecom": b'{"errcode":0,"errmsg":"ok"}',
           "/feishu": b'{"code":0,"msg":"success"}', "/slack": b"ok", "/generic": b"{}",
           "/refuse": b'{"errcode":310000,"errmsg":"keywords not in content"}'}


# --- real local servers ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class Bots(BaseHTTPRequestHandler):
    """Records every POST (path, query, JSON body) and answers like the bot at that path."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        url = urlsplit(self.path)
        self.server.posts.append({"path": url.path, "query": parse_qs(url.query), "json": json.loads(body),
                                  "content_type": self.headers["Content-Type"]})
        reply = REPLIES.get(url.path, b"{}")
        self.send_response(200)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def smtp():
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=free_port())
    server.start()
    yield server, box
    server.stop()


@pytest.fixture(scope="module")
def bots():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Bots)
    server.posts = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.posts
    server.shutdown()
    server.server_close()


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record):
        self.lines.append((record.levelname, record.getMessage()))


def evaluate(instance, cursor, alerts, warehouse):
    """One evaluation of the alerts sensor: (its new cursor, its skip message, what it logged)."""
    ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"alerts": alerts, "warehouse": warehouse})
    logged = Records()
    ctx.log.addHandler(logged)
    result = alerts_sensor(ctx)
    return ctx.cursor, result.skip_message, logged.lines


def line_of(seed: Path, start: str) -> int:
    """The 1-based line of the seed that starts with `start` (its only one)."""
    (n,) = [i for i, x in enumerate(seed.read_text(encoding="utf-8").splitlines(), 1) if x.startswith(start)]
    return n


def broken_copy(seed: Path, before: str, after: str) -> str:
    text = seed.read_text(encoding="utf-8")
    assert text.count(before) == 1
    return text.replace(before, after)


# --- the story of a deployment ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def story(tmp_path_factory, smtp, bots):
    """Run the pipeline on two seeds, a broken report and a garbage file, then: evaluate again; run again
    with the same files; add a second broken report; damage a published file so conservation fails. The
    sensor is evaluated after each step; what the servers and the log received is kept per step."""
    tmp = tmp_path_factory.mktemp("alerts")
    raw, home = tmp / "raw", tmp / "home"
    raw.mkdir()
    home.mkdir()
    for p in SEEDS[:2]:
        shutil.copy(p, raw / p.name)
    (raw / "broken.txt").write_text(broken_copy(SEEDS[2], "一、本年新收政府信息公开申请数量\t\t9",
                                                "一、本年新收政府信息公开申请数量\t\t19"), encoding="utf-8")
    (raw / "noise.txt").write_bytes(bytes(range(256)) * 50)
    url, posts = bots
    controller, box = smtp
    dead = free_port()  # nothing listens there
    alerts = Alerts(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_sender="nianbao@example.org",
                    smtp_recipients=["ops@example.org", "data@example.org"],
                    webhooks=[f"dingtalk={url}/dingtalk?access_token=t0k3n", f"slack={url}/slack",
                              f"wecom={url}/wecom?key=k", f"feishu={url}/feishu", f"{url}/generic",
                              f"slack=http://127.0.0.1:{dead}/down"],
                    dagster_url=DAGSTER_URL, attempts=3, backoff_seconds=0.01, timeout_seconds=5)
    instance = DagsterInstance.local_temp(str(home))
    res = resources(str(raw), str(tmp / "wh"), workers=1)
    steps, cursor = {}, None

    def step(name, run=True):
        nonlocal cursor
        mails, n_posts = len(box.messages), len(posts)
        summary = materialize_all(res, instance) if run else None
        cursor, said, logged = evaluate(instance, cursor, alerts, res["warehouse"])
        steps[name] = {"summary": summary, "said": said, "logged": logged, "mails": box.messages[mails:],
                       "posts": {p["path"]: p for p in posts[n_posts:]}, "n_posts": len(posts) - n_posts}

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NIANBAO_ALERT_DINGTALK_SECRET", DINGTALK_SECRET)
        mp.setenv("NIANBAO_ALERT_FEISHU_SECRET", FEISHU_SECRET)
        step("first")
        step("again", run=False)
        step("same failures")
        (raw / "broken2.txt").write_text(broken_copy(SEEDS[3], "\t一、本年新收政府信息公开申请数量\n\t0\n",
                                                     "\t一、本年新收政府信息公开申请数量\n\t3\n"), encoding="utf-8")
        step("second broken")
        published = res["warehouse"].year_path("reports", "2023")
        df = pl.read_parquet(published)
        df.filter(pl.col("source") != SEEDS[0].name).write_parquet(published)  # a damaged published file
        step("damaged")
    return steps, res["warehouse"].root, dead


def test_first_run_emails_the_failures_with_where_to_look(story):
    steps, wh, _ = story
    first = steps["first"]
    assert first["summary"].counts == {"inputs": 4, "validated": 2, "quarantined": 1, "failed": 1}
    (mail,) = first["mails"]
    run_id = first["summary"].run_ids[-1]  # the year run; the parse run is named beside it
    assert mail["Subject"] == f"[nianbao] run {run_id[:8]}: 1 report quarantined, 1 parse failure, 0 failed checks (2 new)"
    assert mail["To"] == "ops@example.org, data@example.org" and mail["From"] == "nianbao@example.org"
    body = mail.get_content()
    assert f"New failures after run {run_id} (job nianbao_full, SUCCESS; with run " \
           f"{first['summary'].run_ids[0]}" in body
    assert "Reports affected: 2 (1 quarantined, 1 failed to parse)" in body
    assert "- broken.txt (year 2023, new): 2 errors: applications.balance, applications.row_total" in body
    # the row total and the balance both fail because of one cell: one line for that culprit, said like a person
    said = (f"  - 修武县人民政府 2023 表三 本年新收政府信息公开申请数量/自然人: printed 19, 9 would make the row and the "
            f"column add up, line {line_of(SEEDS[2], '一、本年新收政府信息公开申请数量')}")
    assert said in body.splitlines() and body.count("本年新收政府信息公开申请数量/自然人") == 1
    assert "- noise.txt (new): binary content" in body
    assert f"{wh}/violations/2023/part-0.parquet" in body and f"{wh}/parse_failures/part-0.parquet" in body
    assert f"{DAGSTER_URL}/runs/{run_id}" in body and f"{DAGSTER_URL}/runs/{first['summary'].run_ids[0]}" in body
    assert SEEDS[0].name not in body  # valid reports are not mentioned


def test_first_run_posts_each_bot_its_shape(story):
    first = story[0]["first"]
    posts, title = first["posts"], first["mails"][0]["Subject"]
    assert set(posts) == {"/dingtalk", "/slack", "/wecom", "/feishu", "/generic"}
    ding = posts["/dingtalk"]
    assert ding["json"]["msgtype"] == "markdown" and ding["json"]["markdown"]["title"] == title
    assert ding["json"]["markdown"]["text"].startswith(f"### {title}\n\n")
    assert "applications.row_total" in ding["json"]["markdown"]["text"]
    ts, sign = ding["query"]["timestamp"][0], ding["query"]["sign"][0]  # 加签, checked as DingTalk does
    assert ding["query"]["access_token"] == ["t0k3n"]
    assert sign == base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{ts}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
    slack = posts["/slack"]["json"]
    assert list(slack) == ["text"] and slack["text"].startswith(f"*{title}*\n") and "broken.txt" in slack["text"]
    wecom = posts["/wecom"]["json"]
    assert wecom["msgtype"] == "markdown" and "broken.txt" in wecom["markdown"]["content"]
    assert len(wecom["markdown"]["content"].encode()) <= 4096
    feishu = posts["/feishu"]["json"]
    assert feishu["msg_type"] == "text" and feishu["content"]["text"].startswith(title)
    assert feishu["sign"] == base64.b64encode(hmac.new(f"{feishu['timestamp']}\n{FEISHU_SECRET}".encode(), b"",
                                                       hashlib.sha256).digest()).decode()
    generic = posts["/generic"]["json"]
    assert generic["counts"] == {"reports_quarantined": 1, "parse_failures": 1, "failed_checks": 0, "failed_steps": 0,
                                 "new": 2}
    (report,) = generic["reports"]
    assert report["source"] == "broken.txt" and report["rules"] == ["applications.balance", "applications.row_total"]
    assert {(e["cell"], e["expected"], e["actual"]) for e in report["errors"]} == {
        ("applications / natural_person", 19, 9), ("applications / new_received / total", 20, 10)}
    assert [p["subject"] for p in generic["parse_failures"]] == ["noise.txt"]
    assert all(p["content_type"].startswith("application/json") for p in posts.values())


def test_a_channel_that_is_down_is_retried_and_logged_and_the_others_deliver(story):
    steps, _, dead = story
    first = steps["first"]
    down = [m for lvl, m in first["logged"] if f"127.0.0.1:{dead}" in m]
    assert [m.split(": attempt ")[1][:6] for m in down if ": attempt " in m] == ["1 of 3", "2 of 3", "3 of 3"]
    assert any("not delivered after 3 attempts" in m and "Connection refused" in m for m in down)
    assert ("ERROR" in {lvl for lvl, m in first["logged"] if "not delivered" in m})
    assert f"127.0.0.1:{dead}/down" in first["said"] and "FAILED" in first["said"]
    assert first["said"].count(" sent") == 7  # log, smtp, five bots
    assert any(m.startswith(first["mails"][0]["Subject"]) for _, m in first["logged"])  # the log channel


def test_nothing_is_repeated_for_the_same_failures(story):
    steps = story[0]
    assert steps["again"]["said"] == "no run finished since the last look"
    same = steps["same failures"]
    assert same["summary"].counts == steps["first"]["summary"].counts
    assert same["mails"] == [] and same["n_posts"] == 0
    assert not any("[nianbao]" in m for _, m in same["logged"])
    # only the channel that never received them tries again
    assert [d for d in same["said"].split("; ")[1:] if "FAILED" not in d] == []


def test_a_new_broken_report_is_a_new_message(story):
    second = story[0]["second broken"]
    (mail,) = second["mails"]
    assert mail["Subject"].endswith(": 2 reports quarantined, 1 parse failure, 0 failed checks (1 new)")
    body = mail.get_content()
    new_at, old_at = body.index("- broken2.txt (year 2023, new)"), body.index("- broken.txt (year 2023):")
    assert new_at < old_at  # new ones first
    assert (f"四方台区 2023 表三 本年新收政府信息公开申请数量/自然人: printed 3, 0 would make the row and the column "
            f"add up, line {line_of(SEEDS[3], chr(9) + '一、本年新收政府信息公开申请数量') + 1}") in body
    assert "- noise.txt: binary content" in body  # still there, not new
    assert set(second["posts"]) == {"/dingtalk", "/slack", "/wecom", "/feishu", "/generic"}


def test_a_failed_conservation_check_is_sent_once_with_the_failed_run(story):
    damaged = story[0]["damaged"]
    assert not damaged["summary"].success
    (mail,) = damaged["mails"]
    run_id = damaged["summary"].run_ids[-1]
    assert mail["Subject"] == (f"[nianbao] run {run_id[:8]}: 2 reports quarantined, 1 parse failure, 1 failed check "
                               "(1 new)")
    body = mail.get_content()
    assert f"New failures after run {run_id} (job nianbao_full, FAILURE" in body
    assert "- check reports:conservation (ERROR, new): parsed 4, quarantined 2, unaccounted 1, validated 1, " \
           "year 2023" in body
    assert "step reports_conservation" not in body  # the check's own step failure is not a second item
    assert damaged["posts"]["/generic"]["json"]["counts"]["failed_checks"] == 1


# --- pieces alone -----------------------------------------------------------------------------------

def hand_made() -> Findings:
    """12 quarantined reports (report i has i+1 errors), two parse failures, a failed check."""
    fs = []
    for i in range(12):
        fs += [Failure("contract", "year=2022", f"r{i:02}.txt", f"id{i:02}", "applications.row_total",
                       f"applications / row{j} / total", 10 + j, j, "total printed j") for j in range(i + 1)]
    fs += [Failure("parse", "parse", "a.pdf", "pa", message="no table 三 found", content="aa"),
           Failure("parse", "parse", "b.txt", "pb", message="empty file", content="bb"),
           Failure("check", "check:reports:conservation", "reports:conservation", rule="ERROR",
                   message="parsed 5, unaccounted 1")]
    return Findings([RunInfo("p" * 36, "parse_job", "SUCCESS"), RunInfo("y" * 36, "year_job", "FAILURE")],
                    {"year=2022", "parse", "check:reports:conservation"}, fs, "/wh")


def test_render_a_hand_made_failure_set():
    findings = hand_made()
    new = {f.key for f in findings.failures if f.report_id in ("id03", "pb")}
    m = render(findings, new, "http://ui:3000/", worst=3, cells=2)
    assert m.title == "[nianbao] run yyyyyyyy: 12 reports quarantined, 2 parse failures, 1 failed check (2 new)"
    text = m.text()
    lines = text.splitlines()
    assert lines[0] == f"New failures after run {'y' * 36} (job year_job, FAILURE; with run {'p' * 36} (parse_job, SUCCESS))."
    assert lines[2:7] == ["- Reports affected: 14 (12 quarantined, 2 failed to parse)", "- Failed checks: 1; failed steps: 0",
                          "- New since the last alert: 2", "- Judged: years 2022; the parse", ""]
    worst = [x for x in lines if x.startswith("- r")]
    assert worst == ["- r03.txt (year 2022, new): 4 errors: applications.row_total",
                     "- r11.txt (year 2022): 12 errors: applications.row_total",
                     "- r10.txt (year 2022): 11 errors: applications.row_total"]
    assert "Worst reports (new first, then most errors; 3 of 12):" in text
    assert "  - `applications.row_total` at applications / row1 / total: expected 11, printed 1" in lines
    assert "  - … 2 more" in lines and "- b.txt (new): empty file" in lines and "- a.pdf: no table 三 found" in lines
    assert "- check reports:conservation (ERROR): parsed 5, unaccounted 1" in lines
    assert "- quarantine (violations): /wh/violations/2022/part-0.parquet (every year: " \
           "polars.scan_parquet('/wh/violations/**/*.parquet'))" in lines
    assert lines[-2:] == [f"- Dagster run yyyyyyyy: http://ui:3000/runs/{'y' * 36}",
                          f"- Dagster run pppppppp: http://ui:3000/runs/{'p' * 36}"]
    limit = len("\n".join(m.head + m.tail).encode()) + 200  # room for a few detail lines
    short = m.text(limit)  # a bot's size limit cuts details, never the head or where to look
    assert len(short.encode()) <= limit < len(text.encode()) and short.splitlines()[0] == lines[0] and short.endswith(lines[-1])
    assert "more lines: see the datasets below" in short


def test_state_forgets_resolved_failures_so_a_comeback_is_sent_again(tmp_path):
    findings = hand_made()
    state = State(tmp_path / "state.json")
    assert len(state.new("mail", findings)) == len(findings.failures)
    state.record("mail", findings)
    state.save()
    again = State(tmp_path / "state.json")
    assert again.new("mail", findings) == [] and len(again.new("chat", findings)) == len(findings.failures)
    fixed = Findings(findings.runs, {"parse"}, [f for f in findings.failures if f.subject != "b.txt"
                                                and f.scope == "parse"], "/wh")
    again.record("mail", fixed)  # b.txt fixed; the years were not judged, so their failures stay known
    assert [f.subject for f in again.new("mail", findings)] == ["b.txt"]


def test_a_bot_that_refuses_is_retried_and_the_reason_logged(bots):
    url, _ = bots
    logged = Records()
    log = logging.getLogger("test_alerts.refuse")
    log.addHandler(logged)
    d = deliver(WebhookChannel(f"{url}/refuse", "dingtalk"), render(hand_made(), set()), log, attempts=2, backoff=0)
    assert not d.ok and d.attempts == 2 and "310000 keywords not in content" in d.error
    assert [lvl for lvl, _ in logged.lines] == ["WARNING", "WARNING", "ERROR"]


def test_configuration_from_the_environment():
    a = Alerts.from_env({"NIANBAO_ALERT_SMTP_HOST": "mail.example.org", "NIANBAO_ALERT_SMTP_TO": "a@x.cn, b@x.cn",
                         "NIANBAO_ALERT_WEBHOOKS": "https://oapi.dingtalk.com/robot/send?access_token=1 "
                                                   "feishu=https://hooks.example.org/f https://x.example/h",
                         "NIANBAO_DAGSTER_URL": "http://dagster:3000"})
    channels = a.channels()
    assert [type(c).__name__ for c in channels] == ["LogChannel", "SmtpChannel", "WebhookChannel", "WebhookChannel",
                                                    "WebhookChannel"]
    assert channels[1].recipients == ("a@x.cn", "b@x.cn") and channels[1].port == 25
    assert [c.kind for c in channels[2:]] == ["dingtalk", "feishu", "generic"]
    assert Alerts.from_env({}).channels()[0].name == "log" and len(Alerts.from_env({}).channels()) == 1
    assert Alerts.from_env({"NIANBAO_ALERT_LOG": "off"}).channels() == []


def test_nianbao_run_logs_the_alert_and_the_sensor_is_registered(tmp_path, monkeypatch, caplog):
    from dagster import DefaultSensorStatus

    from pipeline.cli import main
    from pipeline.definitions import defs

    assert "alerts_sensor" in {s.name for s in defs.get_repository_def().sensor_defs}
    assert alerts_sensor.default_status == DefaultSensorStatus.RUNNING
    assert {"alerts", "warehouse"} <= alerts_sensor.required_resource_keys
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEEDS[0], raw / SEEDS[0].name)
    (raw / "empty.txt").write_bytes(b"")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for var in ("NIANBAO_ALERT_SMTP_HOST", "NIANBAO_ALERT_WEBHOOKS", "NIANBAO_ALERT_LOG"):
        monkeypatch.delenv(var, raising=False)
    with caplog.at_level(logging.WARNING, logger="nianbao.alerts"):
        assert main(["run", "--raw", str(raw), "--out", str(tmp_path / "wh"), "--workers", "1"]) == 0
    (alert,) = [r.getMessage() for r in caplog.records if r.name == "nianbao.alerts"]
    assert ": 0 reports quarantined, 1 parse failure, 0 failed checks (1 new)\n" in alert
    assert "- empty.txt (new): empty file" in alert
    state = json.loads((tmp_path / "wh" / "_alerts" / "state.json").read_text())
    assert list(state) == ["log"] and len(state["log"]["parse"]) == 1
