"""Our own side first: does the inspecting machine have working IPv6, and do our resolvers answer?

    env = await self_check(resolver, reference="dns:[::1]:5353")

The reference target is a parameter: `dns:[addr]:port` (a DNS query must come back, any rcode) or
`tcp:[addr]:port` (a TCP connection must open). By default it is the first configured IPv6 name server, else
`DEFAULT_REFERENCE` (a public IPv6 resolver). The result is the run environment:

    {"ipv6": bool, "ipv6_reason": str, "ipv6_reference": str, "ipv6_ms": float|None,
     "resolvers_ok": bool (at least one answers), "resolvers_reason": str, "resolvers": [{"server", "ok", "kind", "elapsed_ms"}], "nameservers": [str],
     "system_resolver": bool, "checked_at": ISO-8601 UTC}

`ipv6_reason` is a Chinese sentence (it becomes the not_tested reason of ipv6-support) or "" when IPv6 works.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from govconfig.sites import parse_nameserver
from netkit.dns import Resolver, format_server, is_v6

# AliDNS's public IPv6 resolver: answers DNS over IPv6 from Chinese networks. Used only when no IPv6 name
# server is configured and no reference is given.
DEFAULT_REFERENCE = "dns:[2400:3200::1]:53"


def default_reference(resolver: Resolver) -> str:
    for addr, port in resolver.servers if resolver.configured else []:
        if is_v6(addr):
            return f"dns:{format_server(addr, port)}"
    return DEFAULT_REFERENCE


async def check_reference(
    reference: str, resolver: Resolver, timeout: float = 3.0
) -> tuple[bool, str, float | None]:
    mode, target = "tcp", reference
    head, _, rest = reference.partition(":")
    if head in ("dns", "tcp"):
        mode, target = head, rest
    addr, port = parse_nameserver(target, 53 if mode == "dns" else 80)
    if not is_v6(addr):
        return False, f"IPv6参照目标 {target} 不是IPv6地址", None
    t0 = time.monotonic()
    if mode == "dns":
        outs = await resolver.aquery(".", "NS", [(addr, port)], timeout)
        ms = (time.monotonic() - t0) * 1000
        if outs and outs[0].response is not None:
            return True, "", round(ms, 2)
        why = outs[0].error or outs[0].kind if outs else "timeout"
        return False, f"检查机通过IPv6向参照目标 {format_server(addr, port)} 发送DNS查询无应答（{why}）", None
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(addr, port), timeout)
        writer.close()
        return True, "", round((time.monotonic() - t0) * 1000, 2)
    except Exception as exc:  # noqa: BLE001 - any failure means no working IPv6 from here
        return (
            False,
            (f"检查机无法通过IPv6连接参照目标 {format_server(addr, port)}（{type(exc).__name__}）"),
            None,
        )


async def self_check(resolver: Resolver, *, reference: str | None = None, timeout: float = 3.0) -> dict:
    reference = reference or default_reference(resolver)
    health, (v6_ok, reason, ms) = await asyncio.gather(
        resolver.ahealth(timeout=timeout), check_reference(reference, resolver, timeout)
    )
    # One answering resolver is enough to resolve (the others are failed over); none means our side is down.
    resolvers_ok = any(h["ok"] for h in health)
    bad = "、".join(h["server"] for h in health if not h["ok"])
    if not health:
        reason_r = "检查机没有可用的域名解析服务器"
    elif not resolvers_ok:
        reason_r = f"检查机配置的域名解析服务器均无应答：{bad}"
    else:
        reason_r = f"部分域名解析服务器无应答：{bad}" if bad else ""
    return {
        "ipv6": v6_ok,
        "ipv6_reason": reason,
        "ipv6_reference": reference,
        "ipv6_ms": ms,
        "resolvers_ok": resolvers_ok,
        "resolvers_reason": reason_r,
        "resolvers": health,
        "nameservers": resolver.server_names,
        "system_resolver": not resolver.configured,
        "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
