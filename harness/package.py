"""Build a function's deployment zip: `function/` as it sits in the repository (the
package at the zip's root), or the Python files of a user's code directory."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FUNCTION_ROOT = Path(__file__).resolve().parent.parent / "function"
# Fixed timestamps keep the zip (and so its CodeSha256) byte-for-byte reproducible.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_function_zip(root: Path = FUNCTION_ROOT, *, base: Path | None = None) -> bytes:
    """Every `.py` under `root`, named relative to `base` (`root`'s parent: the
    package itself at the top of the zip)."""
    base = base or root.parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(str(path.relative_to(base)), date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
