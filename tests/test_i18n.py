"""The zh and en catalogs have identical keys, no empty messages, and every code the code emits."""

import re
from pathlib import Path

import pytest

from crmlens.analyses import REGISTRY
from crmlens.report.i18n import LANGS, catalog, t

SRC = Path(__file__).parents[1] / "src" / "crmlens"
CODE = re.compile(
    r"""["']((?:error|dq|cc|rec|action|cli|report|method|sheet)\.[a-z_]+(?:\.[a-z_]+)*)["']"""
)


def test_same_keys_no_empty():
    en, zh = catalog("en"), catalog("zh")
    assert set(en) == set(zh)
    for lang in LANGS:
        empty = [k for k, v in catalog(lang).items() if not v.strip()]
        assert not empty, (lang, empty)


def test_same_placeholders():
    en, zh = catalog("en"), catalog("zh")
    field = re.compile(r"\{(\w+)(?::[^}]*)?\}")
    for k in en:
        assert set(field.findall(en[k])) == set(field.findall(zh[k])), k


def test_every_code_in_source_is_in_catalog():
    en = catalog("en")
    used = set()
    for f in SRC.rglob("*.py"):
        used |= set(CODE.findall(f.read_text(encoding="utf-8")))
    used = {
        u
        for u in used
        if not u.endswith(".") and u.rsplit(".", 1)[-1] not in {"html", "md", "json", "j2"}
    }
    missing = sorted(u for u in used if u not in en and not any(k.startswith(u + ".") for k in en))
    assert not missing


def test_result_codes_and_labels_exist(request):
    from crmlens.config import CrmlensConfig
    from crmlens.sources import open_source

    db = request.getfixturevalue("gen_db")
    data = open_source(db)
    for name, analysis in REGISTRY.items():
        if not all(data.has_table(t.name) for t in analysis.requires):
            continue  # the generated data lacks its tables; its own tests check its codes
        r = analysis.run(open_source(db), CrmlensConfig())
        for lang in LANGS:
            t(f"analysis.{name}.title", lang)
            for m in r.metrics:
                t(f"metric.{name}.{m}", lang)
            for f in r.findings:
                assert "{" not in t(f.code, lang, **f.params)
            for x in r.recommendations:
                assert "{" not in t(x.code, lang, **x.params)
            for code in set(r.tables.get("action_plan", {}).get("action", [])):
                t(code + ".text", lang, quantity=1, detail="x")
                t("value." + code, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_number_formats(lang):
    assert t("cc.high_risk", lang, count=1234, share=0.1234, strong=5).count("1,234") == 1
    assert "12.3%" in t("cc.high_risk", lang, count=1, share=0.1234, strong=1)


def test_units_may_word_the_same_column_differently():
    from crmlens.report.i18n import column_label

    # contact coverage states the level of its intervals, the portfolio review says it elsewhere
    assert column_label("ci_low", "en", "contact_coverage") == "95% CI low"
    assert column_label("ci_low", "en", "portfolio_review") == "CI low"
    assert column_label("account_name", "en", "portfolio_review") == column_label(
        "account_name", "en"
    )
