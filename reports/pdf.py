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

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Source Han Sans SC",
    "Source Han Sans CN",
)


@cache
def cjk_font_available() -> bool | None:
    """True when fontconfig knows one of CJK_FAMILIES, False when it knows none, None when it cannot tell."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
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


_FONTS: dict[int, object] = {}  # one FontConfiguration per process (pid): fonts are loaded once, not per PDF


def _font_config() -> object:
    import os

    from weasyprint.text.fonts import FontConfiguration

    pid = os.getpid()
    if pid not in _FONTS:
        _FONTS.clear()  # a forked worker starts its own
        _FONTS[pid] = FontConfiguration()
    return _FONTS[pid]


def _render(html: str, out: Path, base_url: str | Path | None) -> str | None:
    """Render `html` into `out`; the error text when WeasyPrint fails (and no partial file is left), else None.
    Logs nothing, so it can run in a worker process and leave the logging to the parent."""
    try:
        from weasyprint import HTML

        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(
            str(tmp), font_config=_font_config()
        )
        tmp.replace(out)
    except Exception as exc:  # noqa: BLE001 - a PDF failure must never lose the HTML output
        for leftover in (out, out.with_suffix(out.suffix + ".tmp")):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
        return f"{type(exc).__name__}: {exc}"
    return None


def _log_failure(out: Path, error: str) -> None:
    log.error("未生成 PDF %s：WeasyPrint 出错（%s）；HTML 报告不受影响。", out, error)


def write_pdf(html: str, out: Path, *, base_url: str | Path | None = None) -> bool:
    """Render `html` into `out`. Returns True when the PDF was written; logs and returns False otherwise."""
    reason = pdf_unavailable_reason()
    if reason:
        log.error("未生成 PDF %s：%s；HTML 报告不受影响。", out, reason)
        return False
    error = _render(html, out, base_url)
    if error:
        _log_failure(out, error)
        return False
    return True


def _pool(workers: int):
    """A process pool; fork where there is one (workers start at once, with WeasyPrint already imported)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = (
        multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    )
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


class PdfBatch:
    """PDFs rendered in up to `workers` processes while the caller goes on (the DOCX files are built meanwhile).

    add() submits a job at once (add the longest first); finish() waits and returns the PDFs written. When the
    pool cannot start, or a worker dies, the jobs not done are rendered in this process one after another.
    Failures are logged as in write_pdf and never raise.
    """

    def __init__(self, workers: int = 2) -> None:
        self.jobs: list[tuple[str, Path, str | Path | None]] = []
        self.futures: dict[Path, object] = {}
        self.pool = None
        self.reason = pdf_unavailable_reason()
        if not self.reason and workers > 1:
            try:
                self.pool = _pool(workers)
            except Exception as exc:  # noqa: BLE001 - no processes here (sandbox, EAGAIN ...): render serially
                log.warning("无法启动 PDF 工作进程（%s: %s），改为逐个生成。", type(exc).__name__, exc)

    def add(self, html: str, out: Path, base_url: str | Path | None = None) -> None:
        self.jobs.append((html, out, base_url))
        if self.pool is not None:
            try:
                self.futures[out] = self.pool.submit(_render, html, out, base_url)
            except Exception as exc:  # noqa: BLE001 - a broken pool: this one is rendered in finish()
                log.warning("PDF 工作进程出错（%s: %s），%s 改为在本进程生成。", type(exc).__name__, exc, out)

    def finish(self) -> list[Path]:
        if self.reason:
            for _, out, _ in self.jobs:
                log.error("未生成 PDF %s：%s；HTML 报告不受影响。", out, self.reason)
            return []
        results: dict[Path, str | None] = {}
        for out, future in self.futures.items():
            try:
                results[out] = future.result()  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - BrokenProcessPool, pickling ...: redone below
                log.warning("PDF 工作进程出错（%s: %s），%s 改为在本进程生成。", type(exc).__name__, exc, out)
        if self.pool is not None:
            self.pool.shutdown()
        written: list[Path] = []
        for html, out, base in self.jobs:
            error = results[out] if out in results else _render(html, out, base)
            if error:
                _log_failure(out, error)
            else:
                written.append(out)
        return written


def write_pdfs(jobs: list[tuple[str, Path, str | Path | None]], *, workers: int = 2) -> list[Path]:
    """Render every (html, out, base_url) job, in up to `workers` processes; return the PDFs written."""
    if not jobs:
        return []
    batch = PdfBatch(workers if len(jobs) > 1 else 1)
    for html, out, base in jobs:
        batch.add(html, out, base)
    return batch.finish()
