"""Webhook delivery against a local HTTP server on 127.0.0.1: success, 500 then success, timeout;
payloads validated per format; failed alerts stay in the log marked undelivered."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crmlens.config import Webhook
from crmlens.monitor.notify import channel_label, notify, payload
from crmlens.monitor.rules import Alert


class Server:
    def __init__(self):
        self.bodies: dict[str, list] = {}
        self.hits: dict[str, int] = {}
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(n).decode("utf-8"))
                outer.bodies.setdefault(self.path, []).append(body)
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path == "/flaky" and outer.hits[self.path] == 1:
                    self.send_response(500)
                elif self.path == "/slow":
                    time.sleep(1.0)
                    self.send_response(200)
                elif self.path == "/down":
                    self.send_response(503)
                else:
                    self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


@pytest.fixture()
def server():
    s = Server()
    yield s
    s.close()


def alert(sev="critical"):
    return Alert(
        "r1",
        "entity",
        "contact_coverage",
        sev,
        "account_executive",
        "run1",
        "2026-01-01",
        metric="new_zero_contacts",
        count=1,
        entities=["Acme (A1)"],
        message={
            "en": "1 key account newly has zero contacts: Acme",
            "zh": "1 个重要客户新出现零联系人：Acme",
        },
    )


def test_payload_formats():
    a = [alert()]
    g = payload("generic", a, "en", "T")
    assert g["alerts"][0]["rule_id"] == "r1" and g["title"] == "T"
    s = payload("slack", a, "en", "T")
    assert "Acme" in s["text"] and s["blocks"][0]["type"] == "header"
    w = payload("wecom", a, "zh", "T")
    assert w["msgtype"] == "markdown" and "零联系人" in w["markdown"]["content"]
    d = payload("dingtalk", a, "zh", "T")
    assert (
        d["msgtype"] == "markdown"
        and d["markdown"]["title"] == "T"
        and "Acme" in d["markdown"]["text"]
    )
    f = payload("feishu", a, "en", "T")
    assert f["msg_type"] == "text" and "Acme" in f["content"]["text"]


def test_success_retry_and_timeout(server, tmp_path):
    hooks = [
        Webhook(url=server.url + "/ok", format="slack", retries=2, backoff=0.01),
        Webhook(url=server.url + "/flaky", format="wecom", retries=2, backoff=0.01),
        Webhook(url=server.url + "/slow", format="feishu", timeout=0.2, retries=1, backoff=0.01),
        Webhook(url=server.url + "/down", format="dingtalk", retries=1, backoff=0.01),
    ]
    log = tmp_path / "alerts.jsonl"
    res = notify([alert(), alert("warning")], hooks, log, "en", "crmlens")
    name = {
        channel_label(h.url): h.url.rsplit("/", 1)[1] for h in hooks
    }  # channels are shown redacted
    by = {name[d.channel]: d for d in res}
    assert by["ok"].delivered and by["ok"].attempts == 1
    assert by["flaky"].delivered and by["flaky"].attempts == 2  # 500, then success
    assert (
        not by["slow"].delivered
        and by["slow"].attempts == 2
        and "timeout" in by["slow"].error.lower()
    )
    assert not by["down"].delivered and by["down"].error == "HTTP 503"
    assert server.bodies["/ok"][0]["text"].startswith("*crmlens*")
    assert server.bodies["/flaky"][1]["msgtype"] == "markdown"
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(entries) == 2 and all(
        not e["delivered"] for e in entries
    )  # kept, marked undelivered
    assert {name[d["channel"]]: d["delivered"] for d in entries[0]["deliveries"]} == {
        "ok": True,
        "flaky": True,
        "slow": False,
        "down": False,
    }


def test_no_alerts_no_traffic(server, tmp_path):
    assert notify([], [Webhook(url=server.url + "/ok")], tmp_path / "a.jsonl", "en", "t") == []
    assert not server.hits and not (tmp_path / "a.jsonl").exists()
