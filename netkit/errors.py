"""The one table of error kinds, with their Chinese names.

Every fetch (crawl, availability probe, link check) that fails gets an ``error_kind`` from ``FETCH_ERRORS``;
every DNS lookup a ``kind`` from ``DNS_ERRORS`` (``netkit.dns.KINDS``). Messages, notices and reports name a
kind with ``fetch_error(kind)`` / ``dns_error(kind, rtype)``, never with a table of their own.
"""

from __future__ import annotations

# error_kind of a failed fetch → what it is called in a message
FETCH_ERRORS: dict[str, str] = {
    "dns": "域名无法解析",
    "timeout": "访问超时",
    "refused": "连接被拒绝",
    "reset": "连接被重置",
    "tls": "安全连接（证书）错误",
    "http": "服务器返回错误",
    "redirect": "重定向循环或过长",
    "private": "域名解析到内网地址（按配置拒绝连接）",
    "redirect_private": "跳转到公众无法访问的内网地址",
    "too_large": "超过下载大小上限，未读取",
    "robots": "robots.txt 禁止抓取",
    "offsite": "跳转到站外主机，未跟随",
    "scheme": "不是网页链接（非 http/https）",
    "skipped": "按设置未检查",
    "ignored": "未抓取",
    "ours": "检查机自身网络或域名解析不可用",
    "other": "其他错误",
}

# Failures that say nothing about the site: our own network, or a fetch we chose not to make.
NOT_THE_SITES = frozenset({"ours", "too_large", "robots", "private", "skipped", "offsite", "scheme"})

# kind of a DNS lookup → its name; {rtype} is the record type asked for (A/AAAA, AAAA, NS ...)
DNS_ERRORS: dict[str, str] = {
    "ok": "解析成功",
    "nxdomain": "域名不存在（NXDOMAIN）",
    "servfail": "域名服务器解析失败（SERVFAIL）",
    "timeout": "解析超时，域名服务器无应答",
    "refused": "域名服务器拒绝查询（REFUSED）",
    "noanswer": "没有{rtype}记录",
    "private": "{rtype}记录指向内网或保留地址",
    "error": "域名解析出错",
}


def fetch_error(kind: str | None, default: str | None = None) -> str:
    """The Chinese name of a fetch error kind (``default``, else the kind itself, when it is not in the table)."""
    return FETCH_ERRORS.get(kind or "", default if default is not None else str(kind or ""))


def dns_error(kind: str, rtype: str = "地址") -> str:
    """The Chinese name of a DNS lookup kind, for a question of type ``rtype``."""
    return DNS_ERRORS.get(kind, DNS_ERRORS["error"]).format(rtype=rtype)
