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


class PdfBatch:
    """PDFs rendered in up to `workers` processes while the caller goes on (the DOCX files are built meanwhile).

    add() starts a job as soon as a worker is free (add the longest first); finish() waits and returns the PDFs
    written. Each document renders in a process of its own: one that takes longer than `timeout` seconds is
    killed and abandoned with a logged note, the others go on. When no process can be started the jobs are
    rendered in this process one after another (then without a deadline). Failures never raise.
    """

    def __init__(self, workers: int = 2, timeout: float = PDF_TIMEOUT_S) -> None:
        self.jobs: list[tuple[str, Path, str | Path | None]] = []
        self.todo: list[tuple[str, Path, str | Path | None]] = []
        self.running: dict[object, tuple[Path, object, float]] = {}  # connection -> (out, process, deadline)
        self.results: dict[Path, str | None] = {}
        self.workers = max(1, workers)
        self.timeout = timeout
        self.reason = pdf_unavailable_reason()
        self.ctx = None if self.reason else _fork_context()

    def add(self, html: str, out: Path, base_url: str | Path | None = None) -> None:
        self.jobs.append((html, out, base_url))
        if self.ctx is not None:
            self.todo.append((html, out, base_url))
            self._start()

    def _start(self) -> None:
        while self.todo and len(self.running) < self.workers and self.ctx is not None:
            html, out, base = self.todo.pop(0)
            try:
                recv, send = self.ctx.Pipe(duplex=False)
                proc = self.ctx.Process(target=_worker, args=(send, html, out, base), daemon=True)
                proc.start()
            except Exception as exc:  # noqa: BLE001 - no processes here (sandbox, EAGAIN ...): render serially
                log.warning("无法启动 PDF 工作进程（%s: %s），改为逐个生成。", type(exc).__name__, exc)
                self.ctx = None
                return
            send.close()
            self.running[recv] = (out, proc, time.monotonic() + self.timeout)

    def _wait(self) -> None:
        from multiprocessing.connection import wait

        now = time.monotonic()
        ready = wait(list(self.running), timeout=max(0.05, min(d for _, _, d in self.running.values()) - now))
        for conn in ready:
            out, proc, _ = self.running.pop(conn)
            try:
                self.results[out] = conn.recv()  # type: ignore[attr-defined]
            except (EOFError, OSError):
                pass  # the worker died: rendered here in finish()
            conn.close()  # type: ignore[attr-defined]
            proc.join(5)  # type: ignore[attr-defined]
        now = time.monotonic()
        for conn, (out, proc, deadline) in list(self.running.items()):
            if now >= deadline:
                proc.kill()  # type: ignore[attr-defined]
                proc.join(5)  # type: ignore[attr-defined]
                conn.close()  # type: ignore[attr-defined]
                self.running.pop(conn)
                with contextlib.suppress(OSError):
                    out.unlink(missing_ok=True)
                self.results[out] = (
                    f"排版超过 {self.timeout:g} 秒仍未完成，已放弃该文件（内容过长或含异常长的字符串）"
                )

    def finish(self) -> list[Path]:
        if self.reason:
            for _, out, _ in self.jobs:
                log.error("未生成 PDF %s：%s；HTML 报告不受影响。", out, self.reason)
            return []
        while self.running or (self.todo and self.ctx is not None):
            self._start()
            if self.running:
                self._wait()
        written: list[Path] = []
        for html, out, base in self.jobs:
            error = self.results[out] if out in self.results else _render(html, out, base)
            if error:
                _log_failure(out, error)
            else:
                written.append(out)
        return written


def write_pdfs(
    jobs: list[tuple[str, Path, str | Path | None]], *, workers: int = 2, timeout: float = PDF_TIMEOUT_S
) -> list[Path]:
    """Render every (html, out, base_url) job, in up to `workers` processes; return the PDFs written. A job that
    takes longer than `timeout` seconds is abandoned with a logged note."""
    if not jobs:
        return []
    batch = PdfBatch(workers, timeout)
    for html, out, base in jobs:
        batch.add(html, out, base)
    return batch.finish()
