"""Certificate verification for https sites: Scrapy does not verify certificates, this does (Python's ssl module).

    check_certificate("https://www.example.gov.cn/", lookup) -> {"ok": bool, "error_kind": "tls"|"dns"|...,
        "tls_error": "self-signed"|"expired"|"not-yet-valid"|"wrong-name"|"untrusted"|"handshake"|None, ...}

The system trust store is used (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` point it elsewhere, as the tests do). The
address comes from the crawler's DnsLookup, so the private-address guard and the configured name servers apply.
Stored by govaudit.pipeline as a probe row of kind "tls"; site-unreachable warns on a certificate browsers reject.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

from crawler.resolver import DnsLookup

# OpenSSL X509_V_ERR_* codes -> the store's words.
VERIFY_CODES = {
    9: "not-yet-valid",
    10: "expired",
    18: "self-signed",
    19: "self-signed",  # self-signed certificate in the chain
    20: "untrusted",  # unable to get local issuer certificate
    21: "untrusted",
    23: "revoked",
    62: "wrong-name",  # hostname mismatch
    64: "wrong-name",  # IP address mismatch
}


def check_certificate(url: str, lookup: DnsLookup, *, timeout: float = 10.0) -> dict[str, Any]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    out: dict[str, Any] = {
        "url": url,
        "host": host,
        "port": port,
        "ok": False,
        "error_kind": None,
        "tls_error": None,
        "verify_code": None,
        "error": "",
        "address": None,
    }
    t0 = time.monotonic()
    res = lookup.lookup(host)
    if not res.addresses:
        out.update(error_kind="private" if res.kind == "private" else "dns", error=res.message or res.kind)
        return _done(out, t0)
    address = res.addresses[0]
    out["address"] = address
    ctx = ssl.create_default_context()
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                cert = tls.getpeercert() or {}
                out.update(
                    ok=True,
                    version=tls.version(),
                    not_after=cert.get("notAfter"),
                    issuer=_name(cert.get("issuer")),
                    subject=_name(cert.get("subject")),
                )
    except ssl.SSLCertVerificationError as exc:
        code = getattr(exc, "verify_code", None)
        out.update(
            error_kind="tls",
            verify_code=code,
            tls_error=VERIFY_CODES.get(code or -1, "untrusted"),
            error=f"证书验证失败：{getattr(exc, 'verify_message', '') or exc}",
        )
    except ssl.SSLError as exc:
        out.update(error_kind="tls", tls_error="handshake", error=f"TLS 握手失败：{exc}")
    except TimeoutError:
        out.update(error_kind="timeout", error=f"连接 {address}:{port} 超时")
    except ConnectionRefusedError:
        out.update(error_kind="refused", error=f"连接 {address}:{port} 被拒绝")
    except OSError as exc:
        out.update(error_kind="reset", error=f"{type(exc).__name__}: {exc}")
    return _done(out, t0)


def _name(rdns: Any) -> str:
    try:
        return ", ".join(f"{k}={v}" for rdn in rdns or () for k, v in rdn)
    except (TypeError, ValueError):
        return ""


def _done(out: dict[str, Any], t0: float) -> dict[str, Any]:
    out["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    out["at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return out
