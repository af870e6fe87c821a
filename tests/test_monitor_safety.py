"""Monitoring that never hides a risk nor loses an alert (issue 11): same-date re-runs, consecutive
rules over distinct dates, concurrent runs, blocked runs, the alert outbox with a delivery deadline,
a kill during delivery, secrets in webhook URLs, chat escaping, history write failures."""

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from crmlens.cli import main
from crmlens.config import CrmlensConfig, Webhook
from crmlens.errors import CrmlensError
from crmlens.monitor.history import HistoryStore
from crmlens.monitor.notify import channel_label, payload, post
from crmlens.monitor.rules import Alert
from crmlens.monitor.service import monitor
from crmlens.report.i18n import t
from crmlens.runner import run as run_analyses
from helpers import account, contacts_for, write_duckdb

FULL = [
    ("CEO", "Finance"),
    ("VP Sales", "Sales"),
    ("Manager", "IT"),
    ("Manager", "HR"),
    ("Manager", "Operations"),
]
ALWAYS = (
    "rules:\n  - {id: always, type: threshold, analysis: contact_coverage, metric: key_accounts,"
    " op: '>', value: 0}\n"
)
D1, D2, D3 = dt.date(2026, 1, 7), dt.date(2026, 1, 14), dt.date(2026, 1, 21)


def accounts_db(path: Path, b_deleted: bool = False) -> Path:
    """A (full team), B (full team, or every contact deleted), C and D (one contact each)."""
    accs = [
        account("A", 400.0, 100),
        account("B", 300.0, 100),
        account("C", 200.0, 100),
        account("D", 100.0, 100),
    ]
    cons = (
        contacts_for("A", FULL)
        + contacts_for("B", [(ti, de, b_deleted) for ti, de in FULL])
        + contacts_for("C", [("CEO", "Sales")])
        + contacts_for("D", [("CEO", "Sales")])
    )
    return write_duckdb(path, accs, cons)


def value_tables(path: Path) -> Path:
    """Adds the two customer-360 tables so investment_mismatch runs next to contact coverage."""
    rows = [
        {
            "primary_email": f"c{i}@x.io",
            "investment_priority_score": float(i % 5 + 1),
            "product_adoption_rate": i / 10,
            "support_resolution_efficiency": 0.5,
            "customer_lifetime_value": 1000.0,
            "acquisition_cost": 100.0,
            "lifecycle_stage": "Growth",
            "industry_vertical": "Technology",
            "company_size_tier": "Small",
            "customer_onboarding_score": 2.0,
            "team_size": 10,
            "decision_maker_level": "Manager",
        }
        for i in range(10)
    ]
    customers = pd.DataFrame(
        {
            "customer360_id": [f"id{i}" for i in range(10)],
            "email": [f"c{i}@x.io" for i in range(10)],
            "total_sales_amount": [100.0] * 10,
        }
    )
    con = duckdb.connect(str(path))
    con.register("v", pd.DataFrame(rows))
    con.register("c", customers)
    con.execute("CREATE TABLE customer360__customer_value_analysis AS SELECT * FROM v")
    con.execute("CREATE TABLE customer360__customer AS SELECT * FROM c")
    con.close()
    return path


def settings(tmp_path: Path, **monitor_keys) -> dict:
    return {
        "contact_coverage": {"key_account_share": 1.0},
        "investment_mismatch": {"min_group_size": 2},
        "monitor": {
            "history": str(tmp_path / "history.duckdb"),
            "alert_log": str(tmp_path / "alerts.jsonl"),
            **monitor_keys,
        },
    }


@pytest.fixture()
def cfg(tmp_path):
    return CrmlensConfig.model_validate(settings(tmp_path))


def write_config(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "crmlens.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def log_entries(tmp_path: Path) -> list[dict]:
    path = tmp_path / "alerts.jsonl"
    return (
        [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
        if path.exists()
        else []
    )


class Hook:
    """A local webhook on 127.0.0.1.  mode: ok (200) · fail (503) · hang (never answers) · drip
    (answers one byte a second).  ``delivered`` holds the bodies acknowledged with 200."""

    def __init__(self, mode="ok"):
        self.mode, self.delivered, self.received = mode, [], []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(
                    self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                )
                outer.received.append(body)
                if outer.mode == "hang":
                    outer.release.wait(120)
                    return
                if outer.mode == "drip":
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                        if outer.release.wait(1.0):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    return
                self.send_response(200 if outer.mode == "ok" else 503)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                if outer.mode == "ok":
                    outer.delivered.append(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def hook():
    server = Hook()
    yield server
    server.close()


def delivered_alerts(server: Hook) -> list[tuple[str, str]]:
    return [(a["as_of"], a["rule_id"]) for body in server.delivered for a in body["alerts"]]


def cli_monitor(tmp_path, config, source, day, *extra):
    return [
        "monitor",
        "--config",
        str(config),
        "--source",
        str(source),
        "--as-of",
        day.isoformat(),
        "--no-png",
        "--out",
        str(tmp_path / f"rep-{day}"),
        *extra,
    ]


# ---- same-date runs ---------------------------------------------------------------------------
@pytest.mark.slow
def test_same_date_rerun_replaces_and_compares_with_the_earlier_date(tmp_path, cfg, capsys):
    monitor(str(accounts_db(tmp_path / "w1.duckdb")), cfg, as_of=D1)
    week2 = accounts_db(tmp_path / "w2.duckdb", b_deleted=True)
    first = monitor(str(week2), cfg, as_of=D2)
    assert "key_account_newly_zero_contacts" in {a.rule_id for a in first.alerts}
    config = write_config(tmp_path, settings(tmp_path))
    capsys.readouterr()
    assert main(cli_monitor(tmp_path, config, week2, D2)) == 4  # the critical alert is still there
    out = capsys.readouterr().out
    assert t("cli.monitor_replaced", "en", as_of=D2.isoformat(), runs=first.run.run_id) in out
    assert "Account B" in out and "newly have zero contacts" in out
    runs = HistoryStore(cfg.monitor.history).runs()
    assert [str(d)[:10] for d in runs["as_of"]] == [D1.isoformat(), D2.isoformat()]
    assert first.run.run_id not in set(runs["run_id"])
    summary = json.loads((tmp_path / f"rep-{D2}" / "summary.json").read_text())
    assert summary["since_last_run"]["previous_as_of"] == D1.isoformat()
    zero = [e for e in log_entries(tmp_path) if e["rule_id"] == "key_account_newly_zero_contacts"]
    assert len(zero) == 1  # fired once for the date, not again by the re-run


def test_consecutive_rules_count_distinct_dates(tmp_path, cfg):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - {id: two_dates, type: consecutive, analysis: contact_coverage,"
        " metric: key_accounts, op: '>', value: 0, runs: 2}\n",
        encoding="utf-8",
    )
    source = str(accounts_db(tmp_path / "w1.duckdb"))
    assert monitor(source, cfg, rules_path=rules, as_of=D1).alerts == []
    assert (
        monitor(source, cfg, rules_path=rules, as_of=D1).alerts == []
    )  # the same date twice is one date
    assert [a.rule_id for a in monitor(source, cfg, rules_path=rules, as_of=D2).alerts] == [
        "two_dates"
    ]


@pytest.mark.slow
def test_two_concurrent_monitors_for_one_date_record_one_run_and_fire_once(tmp_path, hook):
    source = accounts_db(tmp_path / "w1.duckdb")
    config = write_config(
        tmp_path, settings(tmp_path, webhooks=[{"url": hook.url + "/h", "retries": 0}])
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(ALWAYS, encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "crmlens.cli",
        "monitor",
        "--config",
        str(config),
        "--rules",
        str(rules),
        "--source",
        str(source),
        "--as-of",
        D1.isoformat(),
        "--no-png",
    ]
    procs = [
        subprocess.Popen(
            cmd + ["--out", str(tmp_path / f"r{i}")],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(HistoryStore(tmp_path / "history.duckdb").runs()) == 1
    assert delivered_alerts(hook) == [(D1.isoformat(), "always")]
    assert [e["rule_id"] for e in log_entries(tmp_path)] == ["always"]


# ---- blocked analyses -------------------------------------------------------------------------
def degraded(path: Path) -> Path:
    """The same source with the contacts' `title` column gone: contact coverage is blocked."""
    con = duckdb.connect(str(path))
    con.execute('ALTER TABLE "salesforce__contact_enhanced" DROP COLUMN title')
    con.close()
    return path


@pytest.mark.slow
def test_blocked_run_fails_is_not_recorded_and_the_next_good_run_has_no_false_alerts(
    tmp_path, capsys
):
    config = write_config(tmp_path, settings(tmp_path))
    good = value_tables(accounts_db(tmp_path / "good.duckdb"))
    bad = degraded(value_tables(accounts_db(tmp_path / "bad.duckdb")))
    out_dir = tmp_path / "latest"
    args = ["monitor", "--config", str(config), "--no-png", "--out", str(out_dir)]
    assert main(args + ["--source", str(good), "--as-of", D1.isoformat()]) == 0
    report_before = (out_dir / "summary.json").read_bytes()
    capsys.readouterr()
    assert main(args + ["--source", str(bad), "--as-of", D2.isoformat()]) == 1
    err = capsys.readouterr().err
    assert "[dq.column_missing]" in err and "title" in err and "contact_coverage" in err
    assert (out_dir / "summary.json").read_bytes() == report_before  # the last good report is kept
    assert len(HistoryStore(tmp_path / "history.duckdb").runs()) == 1  # not recorded
    assert main(args + ["--source", str(good), "--as-of", D3.isoformat()]) == 0
    fired = {
        day: {
            (e["type"], e["rule_id"])
            for e in log_entries(tmp_path)
            if e["as_of"] == day.isoformat()
        }
        for day in (D1, D3)
    }
    assert fired[D3] == fired[D1]  # same data as D1: the same standing alerts, no false storm
    assert not any(kind in ("entity", "change") for kind, _ in fired[D3])


def test_run_with_a_blocked_analysis_exits_1_naming_the_problems(tmp_path, capsys):
    bad = degraded(value_tables(accounts_db(tmp_path / "bad.duckdb")))
    out_dir = tmp_path / "rep"
    assert main(["run", "--source", str(bad), "--out", str(out_dir), "--no-png"]) == 1
    err = capsys.readouterr().err
    assert "[dq.column_missing]" in err and "title" in err and "contact_coverage" in err
    assert json.loads((out_dir / "summary.json").read_text())["analyses"].keys() == {
        "investment_mismatch",
        "health_score",  # the accounts are fine: the health score runs
    }
    only_contacts = accounts_db(
        tmp_path / "contacts.duckdb"
    )  # no customer-360 tables at all: nothing blocked
    assert (
        main(["run", "--source", str(only_contacts), "--out", str(tmp_path / "rep2"), "--no-png"])
        == 0
    )


# ---- delivery: deadline, outbox, kill during delivery -----------------------------------------
def test_slow_drip_webhook_is_cut_at_the_overall_deadline():
    server = Hook("drip")
    try:
        hook = Webhook(url=server.url + "/drip", timeout=5, retries=3, backoff=0.1, deadline=2)
        started = time.monotonic()
        delivery = post(hook.url, {"x": 1}, hook.timeout, hook.retries, hook.backoff, hook.deadline)
        assert (
            time.monotonic() - started < 3.5
        )  # one byte a second would take 40 s; timeout alone is per read
        assert not delivery.delivered and "deadline" in delivery.error
    finally:
        server.close()


@pytest.mark.slow
def test_kill_during_delivery_then_the_next_run_delivers_the_earlier_alerts_once(tmp_path, hook):
    source = accounts_db(tmp_path / "w1.duckdb")
    config = write_config(
        tmp_path,
        settings(tmp_path, webhooks=[{"url": hook.url + "/h", "retries": 0, "deadline": 60}]),
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(ALWAYS, encoding="utf-8")
    base = [
        sys.executable,
        "-m",
        "crmlens.cli",
        "monitor",
        "--config",
        str(config),
        "--rules",
        str(rules),
        "--source",
        str(source),
        "--no-png",
    ]
    hook.mode = "hang"
    proc = subprocess.Popen(
        base + ["--as-of", D1.isoformat(), "--out", str(tmp_path / "r1")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not hook.received and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert hook.received, proc.communicate()
    proc.kill()  # SIGKILL while the webhook hangs
    proc.communicate()
    hook.mode = "ok"
    for day in (D2, D3):
        again = subprocess.run(
            base + ["--as-of", day.isoformat(), "--out", str(tmp_path / f"r-{day}")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr
    assert sorted(delivered_alerts(hook)) == [
        (d.isoformat(), "always") for d in (D1, D2, D3)
    ]  # D1 once, late
    logged = [(e["as_of"], e["delivered"]) for e in log_entries(tmp_path)]
    assert sorted(logged) == [(d.isoformat(), True) for d in (D1, D2, D3)]


# ---- secrets and escaping ---------------------------------------------------------------------
def test_webhook_secrets_never_appear_in_outputs_logs_or_history(tmp_path, capsys):
    server = Hook("fail")
    try:
        secret_url = server.url + "/services/T0SECRET/B0SECRET/tok3nSECRET?key=keySECRET"
        data = settings(tmp_path, webhooks=[{"url": secret_url, "format": "slack", "retries": 0}])
        config = write_config(tmp_path, data)
        rules = tmp_path / "rules.yaml"
        rules.write_text(ALWAYS, encoding="utf-8")
        source = accounts_db(tmp_path / "w1.duckdb")
        assert main(cli_monitor(tmp_path, config, source, D1, "--rules", str(rules))) == 0
        captured = capsys.readouterr()
        assert server.received  # it was tried and failed: the failure is reported, redacted
        assert channel_label(secret_url) in captured.err
        history = duckdb.connect(str(tmp_path / "history.duckdb"), read_only=True)
        dump = " ".join(
            str(v)
            for table in ("runs", "metrics", "entities", "outbox")
            for row in history.execute(f"SELECT * FROM {table}").fetchall()
            for v in row
        )
        history.close()
        report = " ".join(
            p.read_text(errors="replace")
            for p in (tmp_path / f"rep-{D1}").rglob("*")
            if p.is_file()
        )
        for text in (
            captured.out,
            captured.err,
            (tmp_path / "alerts.jsonl").read_text(),
            dump,
            report,
        ):
            assert "SECRET" not in text
    finally:
        server.close()


def test_channel_label_keeps_scheme_and_host_only():
    label = channel_label("https://bot:pa55@hooks.slack.com/services/T1/B2/xyz?key=k")
    assert label.startswith("https://hooks.slack.com/") and not any(
        s in label for s in ("bot", "pa55", "T1", "xyz", "key")
    )
    assert label != channel_label("https://hooks.slack.com/services/T1/B2/other")


def test_chat_messages_escape_mentions_and_links():
    text = (
        "Acme <!channel> <!here> <@U123> <https://evil.example|click>"
        " [click](https://evil.example) @all @所有人"
    )
    alert = Alert(
        "r",
        "entity",
        "contact_coverage",
        "critical",
        "revops",
        "run",
        "2026-01-01",
        message={"en": text},
    )
    slack = payload("slack", [alert], "en", "T")
    for body in (slack["text"], slack["blocks"][1]["text"]["text"]):
        assert not any(
            s in body for s in ("<!channel>", "<!here>", "<@U123>", "<https://", "|click>")
        )
        assert "&lt;!channel&gt;" in body
    chats = [
        payload("wecom", [alert], "en", "T")["markdown"]["content"],
        payload("dingtalk", [alert], "en", "T")["markdown"]["text"],
        payload("feishu", [alert], "en", "T")["content"]["text"],
    ]
    for body in chats:
        assert "Acme" in body
        assert not any(s in body for s in ("@all", "@所有人", "[click](", "<@U123>", "<!channel>"))


# ---- history store failures -------------------------------------------------------------------
class _DiskFullAtCommit:
    """A connection whose COMMIT fails the way DuckDB does on a full disk (the transaction is
    gone)."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.con.execute("ROLLBACK")
            raise duckdb.IOException(
                'Could not write file "history.duckdb.wal": No space left on device'
            )
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_full_disk_names_the_store_and_the_real_cause(tmp_path, cfg, monkeypatch):
    outcome = run_analyses(str(accounts_db(tmp_path / "w1.duckdb")), [], cfg, D1)
    store = HistoryStore(cfg.monitor.history)
    real = HistoryStore.connect

    def failing(self, read_only=False):
        class Ctx:
            def __enter__(ctx):
                ctx.inner = real(self, read_only)
                return _DiskFullAtCommit(ctx.inner.__enter__())

            def __exit__(ctx, *exc):
                return ctx.inner.__exit__(*exc)

        return Ctx()

    monkeypatch.setattr(HistoryStore, "connect", failing)
    with pytest.raises(CrmlensError) as caught:
        store.record(outcome.results, as_of=D1, source="s", data_fingerprint="f", config_hash="c")
    message = t(caught.value.code, "en", **caught.value.params)
    assert (
        str(store.path) in message
        and "No space left on device" in message
        and "rollback" not in message
    )
    monkeypatch.undo()
    assert store.runs().empty  # nothing half-written


def test_an_unwritable_history_path_is_named(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    config = write_config(
        tmp_path,
        settings(tmp_path)
        | {
            "monitor": {
                "history": str(blocker / "h.duckdb"),
                "alert_log": str(tmp_path / "a.jsonl"),
            }
        },
    )
    assert main(cli_monitor(tmp_path, config, accounts_db(tmp_path / "w1.duckdb"), D1)) == 2
    assert str(blocker / "h.duckdb") in capsys.readouterr().err


def test_connection_and_webhook_secrets_are_never_printed_or_stored(tmp_path, capsys):
    """A password in a source URL and a webhook key never reach stdout/stderr, the history or
    `config show` (review of issue #11: both were still exposed)."""
    from crmlens import cli
    from crmlens.sources.url import display_url

    assert display_url("postgresql://ann:s3cret@db.example:5432/crm?sslkey=abc") == (
        "postgresql://ann:***@db.example:5432/crm?sslkey=***"
    )
    assert display_url("/data/crm.duckdb") == "/data/crm.duckdb"
    code = cli.main(["doctor", "--source", "postgresql://ann:s3cret@127.0.0.1:9/crm"])
    printed = capsys.readouterr()
    assert code == 2 and "s3cret" not in printed.out + printed.err and "***" in printed.err
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "monitor:\n  webhooks:\n    - {url: 'https://hooks.example/services/T1/B2/k3yk3y?key=zzz'}\n"
    )
    assert cli.main(["config", "show", "--config", str(cfg)]) == 0
    shown = capsys.readouterr().out
    assert "k3yk3y" not in shown and "zzz" not in shown and "hooks.example" in shown
