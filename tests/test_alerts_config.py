"""The alert configuration is checked when a run starts, and `nianbao alerts test` proves each channel."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import DATA
from pipeline.alerts import AlertConfigError, Alerts
from test_alerts_hardening import bot  # noqa: F401 - the local chat bot fixture

REPO = DATA.parents[1]
TOKEN = "f00dfeedcafe1234"
EXE = [sys.executable, "-m", "pipeline.cli"]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NIANBAO_ALERT_")}
    return subprocess.run([*EXE, *args], cwd=REPO, env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("env, problem", [
    ({"NIANBAO_ALERT_SMTP_SECURITY": "tls"}, "NIANBAO_ALERT_SMTP_SECURITY: 'tls' is not one of none, starttls, ssl"),
    ({"NIANBAO_ALERT_SMTP_HOST": "mail.example.org"}, "NIANBAO_ALERT_SMTP_TO names no recipient"),
    ({"NIANBAO_ALERT_SMTP_TO": "a@example.org"}, "NIANBAO_ALERT_SMTP_HOST is not: no mail would be sent"),
    ({"NIANBAO_ALERT_SMTP_HOST": "m", "NIANBAO_ALERT_SMTP_TO": "auditor"}, "'auditor' is not an e-mail address"),
    ({"NIANBAO_ALERT_WEBHOOKS": f"dingding=https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"},
     "webhook kind 'dingding' is unknown"),
    ({"NIANBAO_ALERT_WEBHOOKS": "oapi.dingtalk.com/robot/send"}, "is not an http(s) URL with a host"),
    ({"NIANBAO_ALERT_TIMEOUT": "30", "NIANBAO_ALERT_DEADLINE": "5"}, "is shorter than one try"),
])
def test_a_configuration_that_cannot_work_is_named_without_its_secret(env, problem):
    found = Alerts.from_env(env).problems()
    assert len(found) == 1 and problem in found[0], found
    assert TOKEN not in found[0]


def test_a_usable_configuration_has_no_problem_and_a_number_that_is_not_one_is_named():
    ok = {"NIANBAO_ALERT_SMTP_HOST": "mail.example.org", "NIANBAO_ALERT_SMTP_TO": "a@example.org, b@example.org",
          "NIANBAO_ALERT_WEBHOOKS": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN} "
                                    "slack=https://hooks.slack.com/services/T0/B0/x"}
    assert Alerts.from_env(ok).problems() == []
    with pytest.raises(AlertConfigError, match="NIANBAO_ALERT_SMTP_PORT='25a' is not a number"):
        Alerts.from_env({"NIANBAO_ALERT_SMTP_PORT": "25a"})


def test_a_run_with_a_broken_alert_configuration_stops_before_it_starts(tmp_path):
    r = cli("run", "--out", str(tmp_path / "wh"),
            env={"NIANBAO_ALERT_WEBHOOKS": f"dingding=https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"})
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == ["nianbao: alert configuration: webhook kind 'dingding' is unknown "
                     "(kinds: dingtalk, wecom, feishu, slack, generic)"]
    assert not (tmp_path / "wh").exists()


def test_alerts_test_sends_one_message_to_each_channel(bot, tmp_path):
    url, server = bot
    env = {"NIANBAO_ALERT_WEBHOOKS": f"generic={url}/hook?access_token={TOKEN} dingtalk={url}/robot?access_token=x",
           "NIANBAO_ALERT_LOG": "0"}
    r = cli("alerts", "test", env=env)
    assert r.returncode == 0, r.stderr
    assert len(server.posts) == 2 and {p["path"] for p in server.posts} == {"/hook", "/robot"}
    assert "test" in str(server.posts[0]["json"]).lower()
    assert r.stdout.count("sent") == 2 and TOKEN not in r.stdout + r.stderr

    server.mode = "trickle-body"  # a bot that never answers: the channel fails within the deadline, named
    r = cli("alerts", "test", env={**env, "NIANBAO_ALERT_TIMEOUT": "1", "NIANBAO_ALERT_DEADLINE": "2"})
    assert r.returncode == 1
    assert r.stdout.count("FAILED") == 2 and TOKEN not in r.stdout + r.stderr


def test_alerts_test_without_a_channel_says_so():
    r = cli("alerts", "test", env={"NIANBAO_ALERT_LOG": "0"})
    assert r.returncode == 2 and "no alert channel is configured" in r.stderr
