"""HTML → PDF with WeasyPrint. A failure is logged and reported as False; it never raises.

WeasyPrint draws Chinese only with a CJK font installed (fonts-noto-cjk, or fonts-wqy-zenhei); without one it
silently draws empty boxes, so a missing font is checked first and the PDF is not written.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import time
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


def _render(html: str, out: Path, base_url: str | Path | None) -> str | None:
    """Render `html` into `out`; the error text when WeasyPrint fails (and no partial file is left), else None.
    Logs nothing, so it can run in a worker process and leave the logging to the parent."""
    try:
        from weasyprint import HTML

        out.parent.mkdir(parents=True, exist_ok=True)
        HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf(str(out))
    except Exception as exc:  # noqa: BLE001 - a PDF failure must never lose the HTML output
        try:
            out.unlink(missing_ok=True)
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


# A document that takes longer than this to lay out is abandoned (the HTML stays): one hostile page must never
# hold up the run (a 20,000-character unbroken string once kept report.pdf going for over 20 minutes).
PDF_TIMEOUT_S = 600.0


def _fork_context():  # type: ignore[no-untyped-def]
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _worker(conn, html: str, out: Path, base_url: str | Path | None) -> None:  # type: ignore[no-untyped-def]
    try:
        conn.send(_render(html, out, base_url))
    finally:
        conn.close()


def _render_with_deadline(jobs: list[tuple[str, Path, str | Path | None]], workers: int,
                          timeout: float) -> dict[Path, str | None]:
    """Each job in a process of its own, `workers` at a time; a job past `timeout` seconds is killed and its
    result is the note saying so. Raises OSError when no process can be started (the caller renders here)."""
    from multiprocessing.connection import wait

    ctx = _fork_context()
    if ctx is None:
        raise OSError("no fork")
    results: dict[Path, str | None] = {}
    todo = list(jobs)
    running: dict[object, tuple[Path, object, float]] = {}  # connection -> (out, process, deadline)
    while todo or running:
        while todo and len(running) < max(1, workers):
            html, out, base = todo.pop(0)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(send, html, out, base), daemon=True)
            proc.start()
            send.close()
            running[recv] = (out, proc, time.monotonic() + timeout)
        now = time.monotonic()
        ready = wait(list(running), timeout=max(0.05, min(d for _, _, d in running.values()) - now))
        for conn in ready:
            out, proc, _ = running.pop(conn)
            try:
                results[out] = conn.recv()
            except (EOFError, OSError):
                results[out] = "PDF 工作进程意外退出"
            conn.close()
            proc.join(5)
        now = time.monotonic()
        for conn, (out, proc, deadline) in list(running.items()):
            if now >= deadline:
                proc.kill()
                proc.join(5)
                conn.close()
                running.pop(conn)
                with contextlib.suppress(OSError):
                    out.unlink(missing_ok=True)
                results[out] = f"排版超过 {timeout:g} 秒仍未完成，已放弃该文件（内容过长或含异常长的字符串）"
    return results


def write_pdfs(jobs: list[tuple[str, Path, str | Path | None]], *, workers: int = 2,
               timeout: float = PDF_TIMEOUT_S) -> list[Path]:
    """Render every (html, out, base_url) job, in up to `workers` processes; return the PDFs written.

    Jobs are started in the order given (put the longest first). A job that takes longer than `timeout` seconds
    is abandoned with a logged note; the others go on. When no process can be started the jobs are rendered
    here one after another (then without a deadline). Failures are logged as in write_pdf and never raise.
    """
    if not jobs:
        return []
    reason = pdf_unavailable_reason()
    if reason:
        for _, out, _ in jobs:
            log.error("未生成 PDF %s：%s；HTML 报告不受影响。", out, reason)
        return []
    results: dict[Path, str | None] = {}
    try:
        results = _render_with_deadline(jobs, workers, timeout)
    except Exception as exc:  # noqa: BLE001 - no processes here (sandbox, EAGAIN ...): render serially
        log.warning("无法启动 PDF 工作进程（%s: %s），改为逐个生成。", type(exc).__name__, exc)
    written: list[Path] = []
    for html, out, base in jobs:
        error = results[out] if out in results else _render(html, out, base)
        if error:
            _log_failure(out, error)
        else:
            written.append(out)
    return written
