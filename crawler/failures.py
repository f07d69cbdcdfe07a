"""What went wrong with one download, in the store's words: `failure_kind(failure) -> (kind, Chinese message)`.

Kinds: offsite | scheme | robots | redirect | too_large | ignored | dns | tls | timeout | refused | reset | other.

Scrapy 2.19's download handlers wrap Twisted's errors in their own exceptions (DownloadTimeoutError,
DownloadConnectionRefusedError, DownloadFailedError around ResponseFailed ...), keeping the original as
``__cause__``; both the wrappers and the Twisted originals are recognised, and the cause chain and a
ResponseFailed's ``reasons`` are searched, so a TLS failure inside a connection loss still says tls.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from twisted.internet.error import ConnectionDone, ConnectionLost, DNSLookupError, TCPTimedOutError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler.middlewares import OffsiteHostError, SchemeRefusedError
from netkit.errors import fetch_error

try:  # Scrapy >= 2.14
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        ResponseDataLossError,
    )
except ImportError:  # pragma: no cover - older Scrapy

    class _Never(Exception):
        pass

    CannotResolveHostError = DownloadCancelledError = DownloadConnectionRefusedError = _Never  # type: ignore
    DownloadFailedError = DownloadTimeoutError = ResponseDataLossError = _Never  # type: ignore


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, its causes, and the reasons a ResponseFailed carries."""
    out: list[BaseException] = []
    todo = [exc]
    while todo and len(out) < 12:
        e = todo.pop(0)
        if e in out:
            continue
        out.append(e)
        for r in getattr(e, "reasons", None) or []:
            value = getattr(r, "value", r)
            if isinstance(value, BaseException):
                todo.append(value)
        if e.__cause__ is not None:
            todo.append(e.__cause__)
        elif e.__context__ is not None and not e.__suppress_context__:
            todo.append(e.__context__)
    return out


def _is_tls(e: BaseException) -> bool:
    mod = type(e).__module__ or ""
    return mod.startswith(("OpenSSL", "ssl")) or "SSL" in type(e).__name__ or "certificate" in str(e).lower()


def failure_kind(failure: Any) -> tuple[str, str]:
    """Classify a download failure (a Twisted Failure or an exception): (kind, Chinese message)."""
    exc = getattr(failure, "value", failure)
    chain = _chain(exc)
    text = str(exc) or type(exc).__name__
    detail = "; ".join(f"{type(e).__name__}: {e}" for e in chain)[:1500]
    lower = detail.lower()

    def any_of(*types: type) -> bool:
        return any(isinstance(e, types) for e in chain)

    if isinstance(exc, OffsiteHostError):
        return "offsite", text
    if isinstance(exc, SchemeRefusedError):
        return "scheme", text
    if isinstance(exc, IgnoreRequest):
        if "robots" in lower:
            return "robots", fetch_error("robots")
        if "redirect" in lower:
            return "redirect", f"重定向次数过多（循环或过长的跳转链）：{text}"
        if "maxsize" in lower or "max size" in lower:
            return "too_large", f"响应超过大小上限（解压后）：{text}"
        return "ignored", text
    if any_of(DNSLookupError, CannotResolveHostError) or "dns lookup failed" in lower:
        return "dns", f"{fetch_error('dns')}：{text}"
    if any(_is_tls(e) for e in chain):
        return "tls", f"TLS 握手失败：{detail}"
    if any_of(TxTimeoutError, TCPTimedOutError, DownloadTimeoutError, TimeoutError):
        return "timeout", f"{fetch_error('timeout')}：{text}"
    if any_of(TxConnectionRefusedError, DownloadConnectionRefusedError, ConnectionRefusedError):
        return "refused", fetch_error("refused")
    if any_of(DownloadCancelledError) or "maxsize" in lower or "max size" in lower:
        # Scrapy cancels a download when the body passes DOWNLOAD_MAXSIZE (announced or received).
        return "too_large", f"响应超过大小上限，已中止下载：{text}"
    if any_of(ResponseDataLossError) or "dataloss" in lower.replace("_", ""):
        return "reset", f"响应不完整（连接在传完之前中断）：{detail}"
    if any_of(
        ResponseNeverReceived,
        ResponseFailed,
        ConnectionLost,
        ConnectionDone,
        DownloadFailedError,
        ConnectionResetError,
        ConnectionAbortedError,
    ):
        return "reset", f"连接中断，未收到完整响应：{detail}"
    return "other", f"{type(exc).__name__}: {text}"
