"""HTML → PDF with WeasyPrint. A failure is logged and reported as False; it never raises.

WeasyPrint draws Chinese only with a CJK font installed (fonts-noto-cjk, or fonts-wqy-zenhei); without one it
silently draws empty boxes, so a missing font is checked first and the PDF is not written.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Source Han Sans SC", "Source Han Sans CN")


@cache
def cjk_font_available() -> bool | None:
    """True when fontconfig knows one of CJK_FAMILIES, False when it knows none, None when it cannot tell."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families = {name.strip() for line in out.splitlines() for name in line.split(",")}
    return any(f in families for f in CJK_FAMILIES)


def weasyprint_error() -> str | None:
    """Why WeasyPrint cannot be used here, or None when it imports."""
    try:
        import weasyprint  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - ImportError, OSError (missing pango) ...
        return f"{type(exc).__name__}: {exc}"
    return None


def pdf_unavailable_reason() -> str | None:
    """A Chinese sentence saying why no PDF can be made, or None when it can."""
    err = weasyprint_error()
    if err:
        return f"无法加载 WeasyPrint（{err}）"
    if cjk_font_available() is False:
        return "系统中没有中文字体（请安装 fonts-noto-cjk 或 fonts-wqy-zenhei），PDF 中的中文将无法显示"
    return None


def write_pdf(html: str, out: Path, *, base_url: str | Path | None = None) -> bool:
    """Render `html` into `out`. Returns True when the PDF was written; logs and returns False otherwise."""
    reason = pdf_unavailable_reason()
    if reason:
        log.error("未生成 PDF %s：%s；HTML 报告不受影响。", out, reason)
        return False
    try:
        from weasyprint import HTML

        out.parent.mkdir(parents=True, exist_ok=True)
        HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(str(out))
    except Exception as exc:  # noqa: BLE001 - a PDF failure must never lose the HTML output
        log.error("未生成 PDF %s：WeasyPrint 出错（%s: %s）；HTML 报告不受影响。", out, type(exc).__name__, exc)
        try:
            out.unlink(missing_ok=True)
        except OSError:
            pass
        return False
    return True
