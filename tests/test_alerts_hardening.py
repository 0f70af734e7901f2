"""Alerts you can trust: an endpoint that trickles its answer cannot hold a run (every message has a total
deadline, then a dead letter, and is sent again with the next run); no webhook token reaches a file of the
warehouse or a log line; a failed run is alerted once by the run failure sensor. Local servers only."""
from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from dagster import (DagsterEventType, DagsterInstance, DefaultSensorStatus, EnvVar, build_run_status_sensor_context,
                     build_sensor_context, job, op)

from assets.warehouse import Warehouse
from pipeline.alerts import (Alerts, Findings, RunInfo, SmtpChannel, State, WebhookChannel, collect, deliver,
                             redact_url, render)
from pipeline.sensors import alerts_sensor, run_failure_alert_sensor

DING_TOKEN = "d1ngt0ken5f3a9c0b7e2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5"
WECOM_KEY = "693a91f6-7a1b-4bc4-97a0-0ec2a1fa5aa1"
FEISHU_HOOK = "2d1e4c1f-9a8b-4c7d-8e6f-5a4b3c2d1e0f"
SLACK_PATH = "T0SLACK42/B0SLACK43/sl4cks3cretXXXXXXXXXXXX"
DOWN_TOKEN = "d0wnt0ken0123456789abcdef"
SLOW_TOKEN = "sl0wt0ken0123456789abcdef"
DING_SIGNING = "SECd1ngs1gn1ngs3cret0123456789"
TOKENS = [DING_TOKEN, WECOM_KEY, FEISHU_HOOK, SLACK_PATH, "sl4cks3cretXXXXXXXXXXXX", DOWN_TOKEN, SLOW_TOKEN,
          DING_SIGNING]
STEP_ERROR = "the table is gone"
SEND_THREAD = "nianbao-alert-send"  # the name of the thread each try at sending runs in


# --- local servers ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot(BaseHTTPRequestHandler):
    """A chat bot: records every POST; `server.mode` says how it answers: "ok" (a bot's success reply at
    once), "trickle-body" (status and headers, then one byte every 0.5 s for ever) or "trickle-headers"
    (the status line, then a header one byte every 0.5 s for ever)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        url = urlsplit(self.path)
        self.server.posts.append({"path": url.path, "query": parse_qs(url.query), "json": json.loads(body)})
        mode = self.server.mode
        if mode == "ok":
            reply = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            return
        if mode == "trickle-body":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.flush()
        else:
            self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
        trickle(self.wfile, self.server)

    def log_message(self, *args):
        pass


def trickle(out, server) -> None:
    """One byte every 0.5 s until the client goes away or the server closes."""
    try:
        while not server.closing:
            out.write(b"a")
            out.flush()
            time.sleep(0.5)
    except OSError:  # the client shut its socket: what the deadline is for
        pass


@pytest.fixture()
def bot():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Bot)
    server.posts, server.mode, server.closing = [], "ok", False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server
    server.closing = True
    server.shutdown()
    server.server_close()


class SlowSmtp(socketserver.BaseRequestHandler):
    """An SMTP server that trickles its greeting one byte every 0.5 s for ever."""

    def handle(self):
        trickle(self.request.makefile("wb"), self.server)


@pytest.fixture()
def slow_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SlowSmtp)
    server.daemon_threads, server.closing = True, False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.closing = True
    server.shutdown()
    server.server_close()


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture()
def log():
    """A logger for send_after and what it logged (each line formatted, tracebacks included)."""
    logger, records = logging.getLogger(f"test_alerts_hardening.{time.monotonic_ns()}"), Records()
    logger.addHandler(records)
    logger.setLevel(logging.DEBUG)
    yield logger, records.lines
    logger.removeHandler(records)


# --- a failed run --------------------------------------------------------------------------------------

@op
def boom():
    raise ValueError(f"{STEP_ERROR}\nsecond line of the error")


@job
def broken_job():
    boom()


@pytest.fixture(scope="module")
def failed_run():
    """(instance, run id) of a run of `broken_job`, whose step `boom` failed."""
    instance = DagsterInstance.ephemeral()
    result = broken_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return instance, result.run_id


def dead_letters(wh: Warehouse) -> list[dict]:
    path = wh.beside("_alerts", "dead_letter.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def send_threads_end(seconds: float = 10.0) -> bool:
    """Whether every sending thread has ended (waiting up to `seconds`): a cut-off try must not linger."""
    end = time.monotonic() + seconds
    while any(t.name == SEND_THREAD for t in threading.enumerate()):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


# --- a total deadline, dead letters, sent again -------------------------------------------------------------

@pytest.mark.parametrize("mode", ["trickle-body", "trickle-headers"])
def test_a_trickling_bot_cannot_hold_the_run_and_gets_the_failures_later(failed_run, bot, tmp_path, log, mode):
    instance, run_id = failed_run
    url, server = bot
    logger, lines = log
    server.mode = mode
    deadline = 2.0  # a try is cut off after 1 s: every read gets a byte within its 1 s socket timeout
    alerts = Alerts(log=False, webhooks=[f"dingtalk={url}/robot/send?access_token={SLOW_TOKEN}"], attempts=3,
                    backoff_seconds=0.05, timeout_seconds=1.0, deadline_seconds=deadline)
    wh = Warehouse(root=str(tmp_path / "wh"))
    started = time.monotonic()
    (failed,) = alerts.send_after(instance, [run_id], wh, logger)
    assert time.monotonic() - started < deadline + 5  # without the deadline: for ever
    assert not failed.ok and failed.attempts >= 2 and "TimeoutError" in failed.error
    assert len(server.posts) == failed.attempts  # each try reached the bot
    (letter,) = dead_letters(wh)
    assert letter["channel"] == failed.channel and "access_token=***" in letter["channel"]
    assert letter["error"] == failed.error and letter["runs"] == [run_id] and letter["time"]
    keys = {f.key for f in collect(instance, [run_id], wh).failures}
    assert {f["key"] for f in letter["failures"]} == keys and [f["subject"] for f in letter["failures"]] == ["boom"]
    assert any("not delivered after" in line for line in lines)
    assert send_threads_end()  # the cut-off tries' sockets were shut, so their threads ended too

    server.mode = "ok"  # the bot is back: the next call sends the same failures, then never again
    (sent,) = alerts.send_after(instance, [run_id], wh, logger)
    assert sent.ok and sent.channel == failed.channel
    text = server.posts[-1]["json"]["markdown"]["text"]
    assert f"step boom (new): ValueError: {STEP_ERROR}" in text
    assert alerts.send_after(instance, [run_id], wh, logger) == []
    assert len(dead_letters(wh)) == 1


def test_an_smtp_server_that_trickles_its_greeting_is_cut_off(slow_smtp, log):
    logger, lines = log
    channel = SmtpChannel("127.0.0.1", slow_smtp, "nianbao@example.org", ("ops@example.org",), timeout=1.0)
    started = time.monotonic()
    d = deliver(channel, render(collect_nothing(), set()), logger, attempts=3, backoff=0.05, timeout=1.0,
                deadline=2.0)
    assert time.monotonic() - started < 2.0 + 5
    assert not d.ok and "TimeoutError" in d.error and d.channel == f"smtp:127.0.0.1:{slow_smtp}"
    assert send_threads_end()


def collect_nothing() -> Findings:
    """Findings with no failure: enough of a message to send."""
    return Findings([RunInfo("r" * 36, "job", "FAILURE")], set(), [], "/wh")


def test_the_deadline_bounds_the_tries_and_their_backoff(log):
    """A bot that refuses at once: the backoff would pass the deadline, so no further try is made."""
    logger, lines = log
    dead = free_port()
    started = time.monotonic()
    d = deliver(WebhookChannel(f"http://127.0.0.1:{dead}/x", "generic", timeout=0.5), render(collect_nothing(), set()),
                logger, attempts=5, backoff=10.0, timeout=0.5, deadline=2.0)
    assert time.monotonic() - started < 2.0 + 5  # not 10 + 20 + 40 + 80 s of backoff
    assert not d.ok and d.attempts == 1 and "no time left for attempt 2" in d.error
    assert "Connection refused" in d.error


# --- no token in files or logs ------------------------------------------------------------------------------

def test_no_token_reaches_a_file_of_the_warehouse_or_a_log_line(failed_run, bot, tmp_path, monkeypatch, caplog):
    instance, run_id = failed_run
    url, server = bot
    dead = free_port()
    specs = [f"dingtalk={url}/robot/send?access_token={DING_TOKEN}", f"wecom={url}/cgi-bin/webhook/send?key={WECOM_KEY}",
             f"feishu={url}/open-apis/bot/v2/hook/{FEISHU_HOOK}", f"slack={url}/services/{SLACK_PATH}",
             f"dingtalk=http://127.0.0.1:{dead}/robot/send?access_token={DOWN_TOKEN}"]
    monkeypatch.setenv("NIANBAO_ALERT_WEBHOOKS", " ".join(specs))
    monkeypatch.setenv("NIANBAO_ALERT_DINGTALK_SECRET", DING_SIGNING)
    # the tokens come from the environment through a dagster EnvVar, resolved by Dagster for the sensor
    alerts = Alerts(webhook_list=EnvVar("NIANBAO_ALERT_WEBHOOKS"), attempts=2, backoff_seconds=0.01,
                    timeout_seconds=2, deadline_seconds=4)
    wh = Warehouse(root=str(tmp_path / "wh"))
    ctx = build_sensor_context(instance=instance, cursor=None, resources={"alerts": alerts, "warehouse": wh})
    logged = Records()
    ctx.log.addHandler(logged)
    with caplog.at_level(logging.DEBUG):
        said = alerts_sensor(ctx).skip_message
    # delivered with the real tokens …
    posts = {p["path"]: p for p in server.posts}
    assert posts["/robot/send"]["query"]["access_token"] == [DING_TOKEN]
    assert posts["/cgi-bin/webhook/send"]["query"]["key"] == [WECOM_KEY]
    assert {f"/open-apis/bot/v2/hook/{FEISHU_HOOK}", f"/services/{SLACK_PATH}"} <= set(posts)
    # … and the one that is down is logged and dead-lettered under its redacted name
    (letter,) = dead_letters(wh)
    assert letter["channel"].startswith(f"webhook:dingtalk:http://127.0.0.1:{dead}/robot/send?access_token=*** #")
    state = json.loads(wh.beside("_alerts", "state.json").read_text(encoding="utf-8"))
    assert "webhook:feishu:" + url + "/open-apis/bot/v2/hook/*** #" in " ".join(state)
    assert "webhook:slack:" + url + "/services/*** #" in " ".join(state) and len(state) == 5  # log + four bots
    assert said.count(" sent") == 5 and "FAILED" in said
    texts = {"the sensor's log": "\n".join(logged.lines), "the captured log": caplog.text, "the sensor said": said}
    texts |= {str(p): p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "wh").rglob("*") if p.is_file()}
    assert any("not delivered after 2 attempts" in t for t in texts.values())
    for where, text in texts.items():
        for token in TOKENS:
            assert token not in text, f"a token in {where}"


def test_urls_are_redacted_in_the_documented_form():
    assert redact_url(f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}") == \
        "https://oapi.dingtalk.com/robot/send?access_token=***"
    assert redact_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}") == \
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    assert redact_url(f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}") == \
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    assert redact_url(f"https://hooks.slack.com/services/{SLACK_PATH}") == "https://hooks.slack.com/services/***"
    assert redact_url("https://u:pw@alerts.example.org/in/abcdef0123456789abcd?team=ops#x") == \
        "https://***@alerts.example.org/in/***?team=ops"
    one, other = (WebhookChannel.parse(f"https://oapi.dingtalk.com/robot/send?access_token={t}")
                  for t in (DING_TOKEN, DOWN_TOKEN))
    assert one.name != other.name and one.name == WebhookChannel.parse(one.url).name  # distinct and stable
    assert DING_TOKEN not in one.redact(f"urlopen error for {one.target()}: token {DING_TOKEN}")


def test_state_keys_of_the_old_naming_are_renamed_without_their_secret(tmp_path):
    url = f"https://hooks.slack.com/services/{SLACK_PATH}"
    channel = WebhookChannel.parse(url)
    gone = WebhookChannel.parse(f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}")
    legacy = {f"webhook:slack:hooks.slack.com:/services/{SLACK_PATH}:{channel.digest}": {"parse": ["k1"]},
              f"webhook:feishu:open.feishu.cn:/open-apis/bot/v2/hook/{FEISHU_HOOK}:{gone.digest}": {"parse": ["k2"]},
              "smtp:mail.example.org:25": {"parse": ["k3"]}}
    (tmp_path / "state.json").write_text(json.dumps(legacy), encoding="utf-8")
    state = State(tmp_path / "state.json")
    state.adopt_legacy([channel])
    state.save()
    assert state.sent == {channel.name: {"parse": ["k1"]}, "smtp:mail.example.org:25": {"parse": ["k3"]}}
    saved = (tmp_path / "state.json").read_text(encoding="utf-8")
    assert SLACK_PATH not in saved and FEISHU_HOOK not in saved


def test_webhooks_from_the_environment_stay_an_env_var(monkeypatch):
    monkeypatch.setenv("NIANBAO_ALERT_WEBHOOKS", f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}")
    alerts = Alerts.from_env()
    assert isinstance(alerts.webhook_list, EnvVar)  # the Dagster UI shows the variable, not the token
    (channel,) = alerts.channels()[1:]  # used directly (as `nianbao run` does), it is read from the environment
    assert channel.kind == "dingtalk" and channel.url.endswith(DING_TOKEN) and DING_TOKEN not in channel.name


# --- the run failure sensor -----------------------------------------------------------------------------------

def test_the_run_failure_sensor_alerts_a_failed_run_once(failed_run, bot, tmp_path):
    instance, run_id = failed_run
    url, server = bot
    alerts = Alerts(webhooks=[f"{url}/generic"], backoff_seconds=0.01, timeout_seconds=2, deadline_seconds=4)
    wh = Warehouse(root=str(tmp_path / "wh"))
    (failure,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)

    def evaluate() -> list[dict]:
        """One evaluation of the sensor for the failed run: what the bot received."""
        n = len(server.posts)
        ctx = build_run_status_sensor_context(sensor_name=run_failure_alert_sensor.name,
                                              dagster_event=failure.dagster_event, dagster_instance=instance,
                                              dagster_run=instance.get_run_by_id(run_id),
                                              resources={"alerts": alerts, "warehouse": wh}).for_run_failure()
        run_failure_alert_sensor(ctx)
        return server.posts[n:]

    (post,) = evaluate()
    alert = post["json"]
    assert alert["title"] == f"[nianbao] run {run_id[:8]}: 0 reports quarantined, 0 parse failures, 0 failed checks, " \
                             "1 failed step (1 new)"
    assert f"New failures after run {run_id} (job broken_job, FAILURE)." in alert["text"]
    assert f"- step boom (new): ValueError: {STEP_ERROR}" in alert["text"] and "second line" not in alert["text"]
    assert [(c["subject"], c["rule"], c["message"]) for c in alert["checks"]] == [("boom", "ValueError", STEP_ERROR)]
    assert evaluate() == []  # evaluated again: nothing
    # the alerts sensor looks at the same run with the same state: nothing new either
    ctx = build_sensor_context(instance=instance, cursor=None, resources={"alerts": alerts, "warehouse": wh})
    assert "nothing new to tell" in alerts_sensor(ctx).skip_message and len(server.posts) == 1


def test_the_run_failure_sensor_is_registered():
    from pipeline.definitions import defs

    assert "run_failure_alert_sensor" in {s.name for s in defs.get_repository_def().sensor_defs}
    assert run_failure_alert_sensor.default_status == DefaultSensorStatus.RUNNING
    assert {"alerts", "warehouse"} <= run_failure_alert_sensor.required_resource_keys
