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
