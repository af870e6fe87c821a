"""Notifications: stdout, a JSONL alert log, and webhooks (generic JSON, Slack, WeCom/企业微信 bot,
DingTalk, Feishu).

Alerts are queued in the history store's outbox in the same transaction as their run, then
delivered here and marked; what a run could not deliver (a channel down, the process killed) is
delivered by the next run.  Each delivery to a webhook has an overall ``deadline`` (all attempts
and backoff included) that a slow server cannot stretch.  Webhook URLs are never shown or stored:
:func:`channel_label` keeps the scheme, the host and a short hash.  Text from the CRM is escaped
for each chat format so it cannot mention everyone or smuggle links.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from crmlens.monitor.rules import Alert
from crmlens.report.i18n import t, tr_value

FORMATS = ("generic", "slack", "wecom", "dingtalk", "feishu")


def channel_label(url: str) -> str:
    """What may be shown of a webhook URL: scheme and host (no user info, path or query) and a
    short hash that tells two channels on one host apart."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{parts.scheme or '?'}://{host}{port}/…#{digest}"


def redact(text: str, url: str) -> str:
    """``text`` with ``url`` (or any secret-bearing part of it) replaced by its label."""
    parts = urllib.parse.urlsplit(url)
    secrets = [url, parts.path, parts.query, parts.username or "", parts.password or ""]
    for secret in sorted((s for s in secrets if len(s) > 1), key=len, reverse=True):
        text = text.replace(secret, channel_label(url))
    return text


# ---- escaping per chat format -------------------------------------------------------------------
_FULLWIDTH = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "@": "＠"})


def _escape_slack(text: str) -> str:  # Slack mrkdwn: the three characters Slack says to escape
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_chat(text: str) -> str:
    """WeCom/DingTalk markdown and Feishu text: no @all/@所有人, no <@user>/<at> tags, no
    [text](url) links — ``@ < > [ ]`` are replaced by their full-width look-alikes."""
    return text.translate(_FULLWIDTH)


ESCAPE: dict[str, Callable[[str], str]] = {
    "generic": str,
    "slack": _escape_slack,
    "wecom": _escape_chat,
    "dingtalk": _escape_chat,
    "feishu": _escape_chat,
}


def _lines(alerts: list[Alert], lang: str, escape: Callable[[str], str] = str) -> list[str]:
    icon = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
    return [
        f"{icon.get(a.severity, '')} [{tr_value(a.severity, lang)}] "
        f"{escape(a.message.get(lang, a.rule_id))} (@{escape(tr_value(a.owner, lang))})"
        for a in alerts
    ]


def payload(fmt: str, alerts: list[Alert], lang: str, title: str) -> dict[str, Any]:
    if fmt not in ESCAPE:
        raise ValueError(fmt)
    if fmt == "generic":
        return {"title": title, "alerts": [a.to_dict() for a in alerts]}
    lines = _lines(alerts, lang, ESCAPE[fmt])
    text = "\n".join(lines)
    title = ESCAPE[fmt](title)
    if fmt == "slack":
        return {
            "text": f"*{title}*\n{text}",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title}},
                {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            ],
        }
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    if fmt == "dingtalk":
        body = f"### {title}\n\n" + "\n\n".join(lines)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": body}}
    return {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}


# ---- delivery -----------------------------------------------------------------------------------
@dataclass
class Delivery:
    channel: str  # the redacted label, never the URL
    delivered: bool
    attempts: int
    error: str | None = None
    alerts: int = 0  # alerts in this delivery
    earlier: int = 0  # of which queued by earlier runs (retried now)


def _attempt(url: str, data: bytes, timeout: float) -> str | None:
    """One POST; None on success, else the error."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured URL
            resp.read()
            return None if 200 <= resp.status < 300 else f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return type(exc).__name__ + ": " + str(getattr(exc, "reason", exc))


def _attempt_within(url: str, data: bytes, timeout: float, seconds: float) -> str | None:
    """One POST that returns after at most ``seconds`` whatever the server does (``timeout`` applies
    per socket read, so a server sending a byte a second would defeat it alone).  The worker
    thread is a daemon: an abandoned request never keeps the process alive."""
    box: list[str | None] = []
    worker = threading.Thread(target=lambda: box.append(_attempt(url, data, timeout)), daemon=True)
    worker.start()
    worker.join(max(seconds, 0.0))
    return box[0] if box else "deadline"


def post(
    url: str, body: dict, timeout: float, retries: int, backoff: float, deadline: float = 30.0
) -> Delivery:
    """Post with retries and exponential backoff, all within ``deadline`` seconds."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    end = time.monotonic() + deadline
    err, attempts = None, 0
    for attempt in range(1, retries + 2):
        attempts = attempt
        err = _attempt_within(url, data, timeout, end - time.monotonic())
        if err is None:
            return Delivery(channel_label(url), True, attempt)
        pause = backoff * 2 ** (attempt - 1)
        if err == "deadline" or attempt > retries or time.monotonic() + pause >= end:
            break
        time.sleep(pause)
    if err == "deadline":
        err = f"deadline of {deadline:g} s exceeded"
    return Delivery(channel_label(url), False, attempts, redact(err or "", url))


def _deliver(hook, alerts: list[Alert], lang: str, title: str) -> Delivery:
    body = payload(hook.format, alerts, lang, title)
    return post(hook.url, body, hook.timeout, hook.retries, hook.backoff, hook.deadline)


def _log_lines(alerts: list[dict], status: dict[str, list[dict]]) -> str:
    lines = []
    for a in alerts:
        deliveries = status.get(a["_key"], [])
        entry = {k: v for k, v in a.items() if k != "_key"}
        entry |= {"deliveries": deliveries, "delivered": all(d["delivered"] for d in deliveries)}
        lines.append(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
    return "".join(lines)


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:  # one write; O_APPEND keeps lines whole
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def append_log(path: Path, alerts: list[Alert], deliveries: list[Delivery]) -> None:
    """Append one JSON line per alert with its delivery status (written even when webhooks fail)."""
    status = [
        {"channel": d.channel, "delivered": d.delivered, "attempts": d.attempts, "error": d.error}
        for d in deliveries
    ]
    dicts = [a.to_dict() | {"_key": str(i)} for i, a in enumerate(alerts)]
    _append(path, _log_lines(dicts, {str(i): status for i in range(len(alerts))}))


def notify(
    alerts: list[Alert], webhooks: list, log_path: Path, lang: str, title: str
) -> list[Delivery]:
    """Deliver ``alerts`` straight away (no history store): every webhook, then the log."""
    deliveries: list[Delivery] = []
    if alerts:
        deliveries = [_deliver(hook, alerts, lang, title) for hook in webhooks]
        append_log(log_path, alerts, deliveries)
    return deliveries


def deliver_outbox(
    store, webhooks: list, log_path: Path, lang: str, current_run: str | None = None
) -> list[Delivery]:
    """Deliver every undelivered alert of the store's outbox (this run's and earlier runs'): one
    message per channel and date, each marked delivered or failed; then append the alert log for
    the alerts whose state changed.  Rows of channels no longer configured stay queued."""
    from crmlens.monitor.history import LOG_CHANNEL, claimer_id

    hooks = {channel_label(h.url): h for h in webhooks}
    deadlines = {label: hook.deadline for label, hook in hooks.items()} | {LOG_CHANNEL: 0.0}
    rows = store.claim_pending(deadlines, claimer_id())
    if rows.empty:
        return []
    deliveries, outcomes = [], []
    webhook_rows = rows[rows["channel"] != LOG_CHANNEL]
    for (channel, as_of), batch in webhook_rows.groupby(["channel", "as_of"], sort=False):
        alerts = [Alert(**json.loads(blob)) for blob in batch["alert"]]
        day = pd.Timestamp(as_of).date().isoformat()
        title = t("monitor.title", lang, as_of=day, count=len(alerts))
        d = _deliver(hooks[channel], alerts, lang, title)
        d.alerts, d.earlier = len(alerts), int((batch["run_id"] != current_run).sum())
        deliveries.append(d)
        outcomes += [(k, channel, d.delivered, d.attempts, d.error) for k in batch["alert_key"]]
    store.mark(outcomes)
    logged = rows[rows["channel"] == LOG_CHANNEL]
    touched = set(logged["alert_key"]) | {o[0] for o in outcomes}
    if touched:
        _write_log(store, rows, touched, log_path)
    store.mark([(k, LOG_CHANNEL, True, 1, None) for k in logged["alert_key"]])
    return deliveries


def _write_log(store, rows: pd.DataFrame, keys: set[str], log_path: Path) -> None:
    status: dict[str, list[dict]] = {}
    for r in store.delivery_status(sorted(keys)).itertuples(index=False):
        state = {
            "channel": r.channel,
            "delivered": bool(pd.notna(r.delivered_at)),
            "attempts": int(r.attempts),
            "error": r.error,
        }
        status.setdefault(r.alert_key, []).append(state)
    first = rows[rows["alert_key"].isin(keys)].drop_duplicates("alert_key")
    alerts = [
        json.loads(blob) | {"_key": key} for key, blob in zip(first["alert_key"], first["alert"])
    ]
    _append(log_path, _log_lines(alerts, status))
