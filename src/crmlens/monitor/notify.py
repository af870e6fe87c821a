"""Notifications: stdout, a JSONL alert log, and webhooks (generic JSON, Slack, WeCom/企业微信 bot,
DingTalk, Feishu).  Webhooks retry with exponential backoff and a timeout; a failed delivery is
reported and the alert stays in the log marked undelivered — an alert is never lost.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmlens.monitor.rules import Alert
from crmlens.report.i18n import tr_value

FORMATS = ("generic", "slack", "wecom", "dingtalk", "feishu")


def _lines(alerts: list[Alert], lang: str) -> list[str]:
    icon = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
    return [f"{icon.get(a.severity, '')} [{tr_value(a.severity, lang)}] {a.message.get(lang, a.rule_id)} (@{tr_value(a.owner, lang)})"
            for a in alerts]


def payload(fmt: str, alerts: list[Alert], lang: str, title: str) -> dict[str, Any]:
    text = "\n".join(_lines(alerts, lang))
    if fmt == "generic":
        return {"title": title, "alerts": [a.to_dict() for a in alerts]}
    if fmt == "slack":
        return {"text": f"*{title}*\n{text}",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": title}},
                           {"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n" + "\n\n".join(_lines(alerts, lang))}}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
    raise ValueError(fmt)


@dataclass
class Delivery:
    channel: str
    delivered: bool
    attempts: int
    error: str | None = None


def post(url: str, body: dict, timeout: float, retries: int, backoff: float) -> Delivery:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    err = None
    for attempt in range(1, retries + 2):
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL from the user's config
                if 200 <= resp.status < 300:
                    return Delivery(url, True, attempt)
                err = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            err = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            err = type(exc).__name__ + ": " + str(getattr(exc, "reason", exc))
        if attempt <= retries:
            time.sleep(backoff * 2 ** (attempt - 1))
    return Delivery(url, False, retries + 1, err)


def append_log(path: Path, alerts: list[Alert], deliveries: list[Delivery]) -> None:
    """Append one JSON line per alert with its delivery status (written even when webhooks fail)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    status = [{"channel": d.channel, "delivered": d.delivered, "attempts": d.attempts, "error": d.error} for d in deliveries]
    undelivered = any(not d.delivered for d in deliveries)
    lines = "".join(json.dumps(a.to_dict() | {"deliveries": status, "delivered": not undelivered}, ensure_ascii=False) + "\n" for a in alerts)
    with open(path, "a", encoding="utf-8") as fh:  # one write per run; O_APPEND keeps concurrent runs' lines whole
        fh.write(lines)
        fh.flush()
        os.fsync(fh.fileno())


def notify(alerts: list[Alert], webhooks: list, log_path: Path, lang: str, title: str) -> list[Delivery]:
    deliveries: list[Delivery] = []
    if alerts:
        for hook in webhooks:
            deliveries.append(post(hook.url, payload(hook.format, alerts, lang, title), hook.timeout, hook.retries, hook.backoff))
        append_log(log_path, alerts, deliveries)
    return deliveries
