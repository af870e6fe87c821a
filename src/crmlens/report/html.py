"""Self-contained HTML: inline CSS, inline Vega/Vega-Lite/vega-embed bundle (from vl-convert,
no network), chart specs as JSON, sortable and filterable tables, a table of contents."""

from __future__ import annotations

import json
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from crmlens.report.document import ChartBlock, Document
from crmlens.report.fonts import subset_font_css
from crmlens.report.i18n import t


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script, built by vl-convert once per installed
    version (seconds) and then read from the cache (:mod:`crmlens.report.cache`)."""
    import vl_convert as vlc

    from crmlens.report.cache import cached_text, content_key

    key = content_key(vlc.__version__, vlc.get_vega_version(), vlc.get_vega_embed_version())
    return cached_text("vega-bundle", key, vlc.javascript_bundle)


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("crmlens.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )


def render_html(doc: Document) -> str:
    specs = {
        b.chart.id: b.chart.spec
        for s in doc.sections
        for b in s.blocks
        if isinstance(b, ChartBlock)
    }
    specs_json = json.dumps(specs, ensure_ascii=False).replace("</", "<\\/")
    bundle = vega_bundle().replace("</script", "<\\/script")
    page = (
        _env()
        .get_template("report.html.j2")
        .render(
            doc=doc,
            font_css=Markup("/*FONT*/"),
            toc_title=t("report.toc", doc.lang),
            filter_label=t("report.filter", doc.lang),
            shown_note=lambda n, total: t("report.rows_shown", doc.lang, shown=n, total=total),
            specs_json=Markup(specs_json),
            vega_bundle=Markup(bundle),
        )
    )
    visible = page.replace(bundle, "")  # characters of the page and the chart data, not the library
    return page.replace("/*FONT*/", subset_font_css(visible), 1)
