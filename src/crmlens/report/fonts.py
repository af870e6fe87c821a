"""CJK font for PNG rendering (vl-convert has no system fonts on a bare machine).

The font comes from the ``mplfonts`` package (Noto Sans CJK SC, SIL Open Font License).  Only that
one file is registered — through a private folder holding a link to it — so the proprietary
SimHei that ships beside it is never used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

CJK_FAMILY = "Noto Sans CJK SC"
FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_path() -> Path | None:
    try:
        p = Path(str(resources.files("mplfonts").joinpath("fonts", FONT_FILE)))
    except ModuleNotFoundError:
        return None
    return p if p.exists() else None


@lru_cache(maxsize=1)
def register_cjk_font() -> bool:
    """Register the CJK font with vl-convert once per process; False when it is unavailable."""
    import vl_convert as vlc

    src = cjk_font_path()
    if src is None:
        return False
    folder = Path(tempfile.mkdtemp(prefix="crmlens-fonts-"))
    try:
        os.symlink(src, folder / FONT_FILE)
    except OSError:
        shutil.copyfile(src, folder / FONT_FILE)
    vlc.register_font_directory(str(folder))
    return True


SUBSET_FEATURES = ["kern"]  # no CJK shaping features: a third of the glyphs and the time
SUBSET_EXTRA = "·—…“”‘’•→⚠▲▼"


def subset_font_css(text: str) -> str:
    """An @font-face rule embedding the CJK font subset to the characters of ``text`` (plus ASCII),
    so report.html shows Chinese on machines without CJK fonts while staying one offline file.
    Empty when ``text`` has no CJK characters or the font is unavailable.  Subsets are cached on
    disk by content (:mod:`crmlens.report.cache`): a character set is subset once."""
    chars = {c for c in set(text) if ord(c) >= 0x2E80}
    src = cjk_font_path()
    if not chars or src is None:
        return ""
    return _subset_css(src, "".join(sorted(chars)))


@lru_cache(maxsize=8)
def _subset_css(src: Path, cjk_chars: str) -> str:
    """The @font-face rule for one set of CJK characters, from the disk cache when it has it."""
    import fontTools

    from crmlens.report.cache import cached_text, content_key

    stat = src.stat()
    key = content_key(
        str(src), stat.st_size, stat.st_mtime_ns, fontTools.version, SUBSET_FEATURES, cjk_chars
    )
    return cached_text("font", key, lambda: _build_subset_css(src, cjk_chars))


def _build_subset_css(src: Path, cjk_chars: str) -> str:
    import base64
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = SUBSET_FEATURES
    opts.notdef_outline = True
    font = TTFont(str(src), lazy=True)
    sub = subset.Subsetter(options=opts)
    ascii_text = "".join(chr(i) for i in range(0x20, 0x7F))
    sub.populate(text=cjk_chars + ascii_text + SUBSET_EXTRA)
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f'@font-face{{font-family:"{CJK_FAMILY}";'
        f'src:url(data:font/otf;base64,{data}) format("opentype");}}'
    )
