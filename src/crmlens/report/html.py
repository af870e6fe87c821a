"""Self-contained HTML: inline CSS, inline Vega/Vega-Lite/vega-embed bundle (from vl-convert,
no network), chart specs as JSON, sortable and filterable tables, a table of contents.

Every chart box first holds the chart as a static image (the PNG drawn for the Markdown report,
inline as a ``data:`` URI, its caption as alt text): a mail client or an attachment preview that
runs no JavaScript shows the charts; a browser replaces each image with the interactive chart.
The images travel inside the one file (a linked ``charts/*.png`` would be lost when report.html
alone is attached to an e-mail); past ``INLINE_IMAGE_BUDGET`` bytes of images the remaining
charts are left out of the static view (their caption still says what they show)."""

from __future__ import annotations

import base64
import json
import struct
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


INLINE_IMAGE_BUDGET = 8_000_000  # bytes of PNG inlined (about 11 MB of base64 text)
PNG_SCALE = 2  # the PNGs are drawn at twice their CSS size (sharp on phones and HiDPI screens)


def png_width(png: bytes) -> int:
    """The width in pixels written in a PNG's header (IHDR, right after the signature)."""
    return struct.unpack(">I", png[16:20])[0]


def inline_images(pngs: dict[str, bytes], budget: int = INLINE_IMAGE_BUDGET) -> dict[str, dict]:
    """Chart id → ``{"src": data URI, "width": CSS pixels}`` for the static view, in the
    charts' order until ``budget`` bytes of PNG are used."""
    images, used = {}, 0
    for chart_id, png in pngs.items():
        used += len(png)
        if used > budget:
            break
        encoded = base64.b64encode(png).decode("ascii")
        images[chart_id] = {
            "src": "data:image/png;base64," + encoded,
            "width": png_width(png) // PNG_SCALE,
        }
    return images


def render_html(doc: Document, pngs: dict[str, bytes] | None = None) -> str:
    """The page; ``pngs`` (chart id → PNG bytes) are the static images shown without
    JavaScript (none with ``--no-png``)."""
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
            images=inline_images(pngs or {}),
        )
    )
    # characters of the page and the chart data, not the library (nor the images' base64)
    visible = page.replace(bundle, "")
    return page.replace("/*FONT*/", subset_font_css(visible), 1)
