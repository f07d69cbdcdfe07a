"""Load and validate sites.yaml (what the sites, their limits and the network settings mean).

Every error names the file, the line and the field, e.g.
``config/sites.yaml:42: sites[3].level: 未知级别 'city'（应为 municipal / county / department）``.
The loader reads YAML node by node (PyYAML's composer keeps line numbers), so a message can point at the very
line a person has to fix.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govconfig.errors import ConfigError

LEVELS = ("municipal", "county", "department")
RENDER_MODES = ("auto", "always", "never")
SITE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class CrawlLimits:
    """Crawl and probe limits; `defaults` in sites.yaml, overridable per site."""

    max_pages: int = 500
    max_depth: int = 5
    concurrency_per_host: int = 2  # polite: two requests at a time per host
    delay_s: float = 0.5
    timeout_s: float = 15.0
    render_js: str = "auto"  # auto: only where the crawler detects an empty list shell
    obey_robots: bool = True
    max_page_bytes: int = 10 * 1024 * 1024
    max_seconds: float = 1800.0  # wall-clock budget of one site's crawl
    probe_count: int = 3  # availability probes of the home page per run
    probe_interval_s: float = 2.0
    probe_timeout_s: float = 15.0  # 国办秘函〔2019〕19号: 超过（含）15秒仍打不开 counts as a failure
    link_check: bool = True  # re-check link targets the crawl did not fetch (off-site, over budget)
    max_link_checks: int = 300
    max_links_per_page: int = 5000  # links read of one page; the number beyond is recorded (links_capped)
    max_links_per_site: int = 200_000  # links stored of one site


LIMIT_TYPES: dict[str, type] = {
    "max_pages": int,
    "max_depth": int,
    "concurrency_per_host": int,
    "delay_s": float,
    "timeout_s": float,
    "render_js": str,
    "obey_robots": bool,
    "max_page_bytes": int,
    "max_seconds": float,
    "probe_count": int,
    "probe_interval_s": float,
    "probe_timeout_s": float,
    "link_check": bool,
    "max_link_checks": int,
    "max_links_per_page": int,
    "max_links_per_site": int,
}


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    url: str
    level: str
    unit: str
    parent: str | None = None
    site_code: str | None = None
    unverified: bool = False
    hosts: tuple[str, ...] = ()  # every host name inside the site (the URL's host first)
    limits: CrawlLimits = field(default_factory=CrawlLimits)
    line: int | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hosts"] = list(self.hosts)
        d.pop("line", None)
        return d


# Sites crawled at once per CPU core when sites.yaml does not say (network.sites_at_once). A site is crawled two
# requests at a time (politeness), so on a real network one site mostly waits: at ~0.2 s per response one site
# gives ~10 pages/s, and one core parses and stores ~150 pages/s (bench/README.md), so ~16 sites per core keep
# the cores busy rather than waiting. Per-site state is small (seen-URL set, a frontier capped at max_pages).
SITES_PER_CORE = 16
MAX_SITES_AT_ONCE = 2000


def cores() -> int:
    """The CPU cores of this machine: what the crawl processes, the sites in flight and the judging processes
    are sized by."""
    return max(1, os.cpu_count() or 1)


def default_sites_at_once() -> int:
    return SITES_PER_CORE * cores()


@dataclass(frozen=True)
class Network:
    nameservers: tuple[tuple[str, int], ...] = ()  # (ip, port)
    # true | false | networks allowed besides the public ones (("10.1.0.0/16",): an intranet deployment)
    allow_private: bool | tuple[str, ...] = False
    sites_at_once: int = 0  # 0: SITES_PER_CORE x CPU cores of the machine that crawls

    def as_dict(self) -> dict[str, Any]:
        return {
            "nameservers": [format_nameserver(ip, port) for ip, port in self.nameservers],
            "allow_private": (
                self.allow_private if isinstance(self.allow_private, bool) else list(self.allow_private)
            ),
            "sites_at_once": self.sites_at_once,
        }

    def concurrent_sites(self) -> int:
        """How many sites one crawl process runs at once on this machine."""
        return self.sites_at_once or default_sites_at_once()


@dataclass(frozen=True)
class Config:
    path: str
    defaults: CrawlLimits
    network: Network
    sites: tuple[Site, ...]

    def site(self, site_id: str) -> Site:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise KeyError(site_id)

    def select(self, ids: list[str] | None) -> list[Site]:
        if not ids:
            return list(self.sites)
        known = {s.id for s in self.sites}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ConfigError(self.path, None, "--site", f"配置中没有这些网站：{', '.join(unknown)}")
        return [s for s in self.sites if s.id in ids]

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy stored with each run, so a stored crawl can be re-inspected without the file."""
        return {
            "path": self.path,
            "defaults": asdict(self.defaults),
            "network": self.network.as_dict(),
            "sites": [s.as_dict() for s in self.sites],
        }


def format_nameserver(ip: str, port: int) -> str:
    if port == 53:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """'1.2.3.4', '1.2.3.4:5353', '::1', '[::1]:5353' -> (ip, port). Raises ValueError (message in Chinese).

    The one parser of server addresses: sites.yaml's name servers and the probes' targets both go through it.
    """
    text = text.strip()
    port = default_port
    if text.startswith("["):
        m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?", text)
        if not m:
            raise ValueError(f"无法解析的名称服务器地址 {text!r}")
        host, p = m.group(1), m.group(2)
    elif text.count(":") == 1:
        host, p = text.split(":")
    else:
        host, p = text, None
    if p is not None:
        if not p.isdigit() or not 0 < int(p) < 65536:
            raise ValueError(f"端口无效：{text!r}")
        port = int(p)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"名称服务器必须写 IP 地址（可带端口），不能是 {text!r}") from None
    return str(ip), port


# ---------------------------------------------------------------------------------------------- loading


class _Loader:
    def __init__(self, path: Path):
        self.path = path

    def err(self, node: Node | None, field_name: str, message: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else None
        return ConfigError(self.path, line, field_name, message)

    def mapping(self, node: Node, where: str) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.err(node, where, "应为键值映射（mapping）")
        out: dict[str, tuple[Node, Node]] = {}
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                raise self.err(k, where, "键必须是字符串")
            if k.value in out:
                raise self.err(k, f"{where}.{k.value}" if where else k.value, "键重复")
            out[k.value] = (k, v)
        return out

    def scalar(self, node: Node, where: str) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.err(node, where, "应为单个值")
        try:
            return self._construct(node)
        except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
            # An implicit timestamp that is no date (2021-02-30), bad !!binary, an int too long to convert ...
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise self.err(node, where, f"无法解析的值 {node.value[:60]!r}：{problem}") from None

    @staticmethod
    def _construct(node: ScalarNode) -> Any:
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(node, deep=True)
        finally:
            loader.dispose()

    def typed(self, node: Node, where: str, typ: type) -> Any:
        value = self.scalar(node, where)
        if typ is bool:
            if not isinstance(value, bool):
                raise self.err(node, where, f"应为 true 或 false，而不是 {value!r}")
            return value
        if typ is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.err(node, where, f"应为整数，而不是 {value!r}")
            if value < 0:
                raise self.err(node, where, "不能为负数")
            return value
        if typ is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.err(node, where, f"应为数字，而不是 {value!r}")
            if not math.isfinite(value):
                raise self.err(node, where, f"应为有限的数字，而不是 {value!r}")
            if value < 0:
                raise self.err(node, where, "不能为负数")
            return float(value)
        if value is None:
            raise self.err(node, where, "不能为空")
        return str(value)

    def limits(
        self, items: dict[str, tuple[Node, Node]], base: CrawlLimits, where: str, allowed_extra: set[str]
    ) -> CrawlLimits:
        changes: dict[str, Any] = {}
        for key, (knode, vnode) in items.items():
            if key in allowed_extra:
                continue
            if key not in LIMIT_TYPES:
                known = ", ".join(sorted(set(LIMIT_TYPES) | allowed_extra))
                raise self.err(knode, f"{where}.{key}", f"未知字段（可用字段：{known}）")
            value = self.typed(vnode, f"{where}.{key}", LIMIT_TYPES[key])
            if key == "render_js" and value not in RENDER_MODES:
                raise self.err(vnode, f"{where}.{key}", f"应为 {' / '.join(RENDER_MODES)} 之一")
            if key in ("max_pages", "probe_count") and value < 1:
                raise self.err(vnode, f"{where}.{key}", "至少为 1")
            changes[key] = value
        return replace(base, **changes)

    def load(self) -> Config:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(self.path, None, "", "配置文件不存在") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(self.path, None, "", f"配置文件不是 UTF-8 编码：{exc}") from None
        except OSError as exc:
            raise ConfigError(self.path, None, "", f"无法读取配置文件：{exc}") from None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise ConfigError(self.path, line, "", f"YAML 语法错误：{exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(self.path, None, "", f"YAML 语法错误：{exc}") from None
        if root is None:
            raise ConfigError(self.path, 1, "", "配置文件为空")
        top = self.mapping(root, "")
        for key, (knode, _) in top.items():
            if key not in ("defaults", "network", "sites"):
                raise self.err(knode, key, "未知的顶层字段（只允许 defaults、network、sites）")
        defaults = CrawlLimits()
        if "defaults" in top:
            defaults = self.limits(self.mapping(top["defaults"][1], "defaults"), defaults, "defaults", set())
        network = Network()
        if "network" in top:
            network = self.network(top["network"][1])
        if "sites" not in top:
            raise self.err(root, "sites", "缺少 sites 列表")
        sites = self.sites(top["sites"][1], defaults)
        return Config(str(self.path), defaults, network, tuple(sites))

    def network(self, node: Node) -> Network:
        items = self.mapping(node, "network")
        servers: list[tuple[str, int]] = []
        allow_private = False
        sites_at_once = 0
        for key, (knode, vnode) in items.items():
            if key == "nameservers":
                if isinstance(vnode, ScalarNode) and vnode.value in ("", "null", "~"):
                    continue
                if not isinstance(vnode, SequenceNode):
                    raise self.err(
                        vnode, "network.nameservers", '应为列表，如 ["223.5.5.5", "127.0.0.1:5353"]'
                    )
                for i, item in enumerate(vnode.value):
                    where = f"network.nameservers[{i}]"
                    value = self.scalar(item, where)
                    try:
                        servers.append(parse_nameserver(str(value)))
                    except ValueError as exc:
                        raise self.err(item, where, str(exc)) from None
            elif key == "allow_private":
                allow_private = self.allow_private(vnode)
            elif key == "sites_at_once":
                sites_at_once = self.typed(vnode, "network.sites_at_once", int)
                if not 0 <= sites_at_once <= MAX_SITES_AT_ONCE:
                    raise self.err(
                        vnode,
                        "network.sites_at_once",
                        f"应为 0 到 {MAX_SITES_AT_ONCE} 之间的整数（0 表示按本机 CPU 核数自动确定）",
                    )
            else:
                raise self.err(
                    knode, f"network.{key}", "未知字段（可用字段：nameservers, allow_private, sites_at_once）"
                )
        return Network(tuple(servers), allow_private, sites_at_once)

    def allow_private(self, node: Node) -> bool | tuple[str, ...]:
        """true, false, or a list of networks (CIDR) that may be reached although they are not public."""
        where = "network.allow_private"
        if not isinstance(node, SequenceNode):
            return self.typed(node, where, bool)
        nets = []
        for i, item in enumerate(node.value):
            value = self.scalar(item, f"{where}[{i}]")
            try:
                nets.append(str(ipaddress.ip_network(str(value), strict=False)))
            except ValueError:
                raise self.err(item, f"{where}[{i}]", f"不是网络地址（如 10.1.0.0/16）：{value!r}") from None
        return tuple(nets)

    def sites(self, node: Node, defaults: CrawlLimits) -> list[Site]:
        if not isinstance(node, SequenceNode):
            raise self.err(node, "sites", "应为网站列表")
        if not node.value:
            raise self.err(node, "sites", "网站列表为空")
        sites: list[Site] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(node.value):
            site = self.site(item, i, defaults)
            if site.id in seen:
                raise self.err(
                    item, f"sites[{i}].id", f"网站 id {site.id!r} 重复（第 {seen[site.id]} 行已使用）"
                )
            seen[site.id] = site.line or 0
            sites.append(site)
        ids = set(seen)
        for i, (site, item) in enumerate(zip(sites, node.value, strict=True)):
            if site.parent is not None and site.parent not in ids:
                raise self.err(item, f"sites[{i}].parent", f"上级网站 {site.parent!r} 不在配置中")
        return sites

    def site(self, node: Node, i: int, defaults: CrawlLimits) -> Site:
        where = f"sites[{i}]"
        items = self.mapping(node, where)
        required = ("id", "name", "url", "level", "unit")
        for key in required:
            if key not in items:
                raise self.err(node, f"{where}.{key}", "缺少必填字段")
        values: dict[str, Any] = {}
        for key in ("id", "name", "url", "level", "unit", "parent", "site_code"):
            if key in items:
                vnode = items[key][1]
                value = self.scalar(vnode, f"{where}.{key}")
                if value is None and key in ("parent", "site_code"):
                    continue
                if value is None or str(value).strip() == "":
                    raise self.err(vnode, f"{where}.{key}", "不能为空")
                values[key] = str(value).strip()
        sid = values["id"]
        if not SITE_ID_RE.match(sid):
            raise self.err(items["id"][1], f"{where}.id", "id 只能用小写字母、数字、- 和 _，以字母或数字开头")
        url = values["url"]
        parts = urlsplit(url)
        try:
            port_ok = parts.port is None or 0 < parts.port < 65536
        except ValueError:
            port_ok = False
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise self.err(
                items["url"][1],
                f"{where}.url",
                f"网址无效 {url!r}（应为 http:// 或 https:// 开头的完整地址）",
            )
        if parts.path in ("",):
            url = url + "/"
        if values["level"] not in LEVELS:
            raise self.err(
                items["level"][1],
                f"{where}.level",
                f"未知级别 {values['level']!r}（应为 {' / '.join(LEVELS)}）",
            )
        code = values.get("site_code")
        if code is not None and not re.fullmatch(r"[0-9A-Za-z]{10}", code):
            raise self.err(
                items["site_code"][1],
                f"{where}.site_code",
                f"网站标识码应为 10 位字母或数字，而不是 {code!r}",
            )
        unverified = False
        if "unverified" in items:
            unverified = self.typed(items["unverified"][1], f"{where}.unverified", bool)
        hosts = [parts.hostname.lower()]
        if "hosts" in items:
            hnode = items["hosts"][1]
            if not isinstance(hnode, SequenceNode):
                raise self.err(hnode, f"{where}.hosts", "应为主机名列表")
            for j, h in enumerate(hnode.value):
                name = str(self.scalar(h, f"{where}.hosts[{j}]")).strip().lower()
                if not re.fullmatch(r"[a-z0-9.-]+", name) or "." not in name:
                    raise self.err(h, f"{where}.hosts[{j}]", f"主机名无效 {name!r}")
                if name not in hosts:
                    hosts.append(name)
        extra = {"id", "name", "url", "level", "unit", "parent", "site_code", "unverified", "hosts"}
        limits = self.limits(items, defaults, where, extra)
        return Site(
            id=sid,
            name=values["name"],
            url=url,
            level=values["level"],
            unit=values["unit"],
            parent=values.get("parent"),
            site_code=code,
            unverified=unverified,
            hosts=tuple(hosts),
            limits=limits,
            line=node.start_mark.line + 1,
        )


def load_config(path: str | Path) -> Config:
    """Load and validate a sites.yaml; raises ConfigError naming file, line and field."""
    return _Loader(Path(path)).load()


def _snapshot_private(value: Any) -> bool | tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else bool(value)


def config_from_snapshot(snap: dict[str, Any]) -> Config:
    """Rebuild a Config from the snapshot stored with a run (no file needed)."""
    defaults = CrawlLimits(**snap.get("defaults", {}))
    net = snap.get("network", {})
    network = Network(
        tuple(parse_nameserver(s) for s in net.get("nameservers", [])),
        _snapshot_private(net.get("allow_private", False)),
        int(net.get("sites_at_once", 0) or 0),
    )
    sites = []
    for s in snap.get("sites", []):
        s = dict(s)
        limits = CrawlLimits(**s.pop("limits", {}))
        s["hosts"] = tuple(s.get("hosts", ()))
        sites.append(Site(limits=limits, **s))
    return Config(snap.get("path", ""), defaults, network, tuple(sites))
