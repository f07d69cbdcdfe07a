"""Console settings: `config/console.yaml` (optional) — alerts, re-check limits, explanations, login throttling.

    smtp: {host: smtp.example.gov.cn, port: 25, sender: govaudit@example.gov.cn, starttls: false,
           username: null, password_env: GOVAUDIT_SMTP_PASSWORD, timeout_s: 20}
    units:                       # a unit is a sites.yaml `unit`; its contacts are told of notices, re-checks, vetoes
      浔阳区人民政府:
        emails: [xxgk@xunyang.gov.cn]
        webhooks: [{kind: wecom, url: "https://…/cgi-bin/webhook/send?key=…"}]   # wecom | dingtalk
    recheck: {per_hour: 2}        # re-checks of one site per hour
    explanations: {valid_days: 180}
    scheduler: {tick_seconds: 30, timezone: Asia/Shanghai}
    login: {max_failures_account: 5, max_failures_address: 20, window_minutes: 15}
    sessions: {hours: 12, secure: false}   # secure: mark cookies Secure always (behind a TLS proxy)
    alerts: {retries: 5, backoff_s: 60}
    jobs: {engine: embedded, recheck_workers: 1, reports: true, as_of: null}   # as_of: a fixed 检查基准日
                                                                              # (the simulated web's 2021-12-20)

Errors name the file, the line and the field (exit 2), like sites.yaml's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govaudit.config import ConfigError

DEFAULT_PATH = "config/console.yaml"
WEBHOOK_KINDS = ("wecom", "dingtalk")
EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    sender: str = "govaudit@localhost"
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout_s: float = 20.0


@dataclass(frozen=True)
class Webhook:
    kind: str  # wecom | dingtalk
    url: str
    secret_env: str | None = None  # 钉钉 加签: the secret's environment variable

    @property
    def name(self) -> str:
        # the target recorded with an alert: never the key-bearing URL itself
        return f"{self.kind}:{self.url.split('?')[0]}"


@dataclass(frozen=True)
class UnitContacts:
    emails: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()


@dataclass(frozen=True)
class Settings:
    path: str | None = None
    smtp: Smtp | None = None
    units: dict[str, UnitContacts] = field(default_factory=dict)
    recheck_per_hour: int = 2
    explanation_days: int = 180
    tick_seconds: float = 30.0
    timezone: str = "Asia/Shanghai"
    max_failures_account: int = 5
    max_failures_address: int = 20
    window_minutes: int = 15
    session_hours: float = 12.0
    secure_cookies: bool = False
    alert_retries: int = 5
    alert_backoff_s: float = 60.0
    engine: str = "embedded"
    recheck_workers: int = 1
    reports: bool = True
    as_of: str | None = None  # jobs judge as of this day instead of today (demo and tests on the simulated web)


SECTIONS: dict[str, dict[str, tuple[str, Any]]] = {
    # section -> yaml key -> (Settings field, type)
    "recheck": {"per_hour": ("recheck_per_hour", int)},
    "explanations": {"valid_days": ("explanation_days", int)},
    "scheduler": {"tick_seconds": ("tick_seconds", float), "timezone": ("timezone", str)},
    "login": {"max_failures_account": ("max_failures_account", int),
              "max_failures_address": ("max_failures_address", int), "window_minutes": ("window_minutes", int)},
    "sessions": {"hours": ("session_hours", float), "secure": ("secure_cookies", bool)},
    "alerts": {"retries": ("alert_retries", int), "backoff_s": ("alert_backoff_s", float)},
    "jobs": {"engine": ("engine", str), "recheck_workers": ("recheck_workers", int), "reports": ("reports", bool),
             "as_of": ("as_of", "date")},
}


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def err(self, node: Node | None, where: str, message: str) -> ConfigError:
        return ConfigError(self.path, node.start_mark.line + 1 if node is not None else None, where, message)

    def mapping(self, node: Node, where: str) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.err(node, where, "应为键值映射（mapping）")
        out = {}
        for k, v in node.value:
            if not isinstance(k, ScalarNode):
                raise self.err(k, where, "键必须是字符串")
            out[k.value] = (k, v)
        return out

    def value(self, node: Node, where: str, typ: Any) -> Any:
        if not isinstance(node, ScalarNode):
            raise self.err(node, where, "应为单个值")
        loader = yaml.SafeLoader("")
        try:
            value = loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            raise self.err(node, where, f"无法解析的值：{exc}") from None
        finally:
            loader.dispose()
        if typ == "date":
            import datetime as dt

            if isinstance(value, dt.date):
                return value.isoformat()
            if value is None:
                return None
            raise self.err(node, where, f"应为日期 YYYY-MM-DD，而不是 {value!r}")
        if typ is bool:
            if not isinstance(value, bool):
                raise self.err(node, where, f"应为 true 或 false，而不是 {value!r}")
        elif typ in (int, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or (typ is int and not isinstance(value, int)):
                raise self.err(node, where, f"应为{'整数' if typ is int else '数字'}，而不是 {value!r}")
            if value < 0:
                raise self.err(node, where, "不能为负数")
            value = typ(value)
        elif typ is str:
            if value is None or str(value).strip() == "":
                raise self.err(node, where, "不能为空")
            value = str(value).strip()
        return value

    def strings(self, node: Node, where: str) -> list[tuple[Node, str]]:
        if not isinstance(node, SequenceNode):
            raise self.err(node, where, "应为列表")
        return [(item, self.value(item, f"{where}[{i}]", str)) for i, item in enumerate(node.value)]

    def load(self) -> Settings:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(self.path, None, "", f"无法读取配置文件：{exc}") from None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise ConfigError(self.path, mark.line + 1 if mark else None, "", f"YAML 语法错误：{exc.problem}") from None
        values: dict[str, Any] = {"path": str(self.path)}
        if root is None:
            return Settings(**values)
        for key, (knode, vnode) in self.mapping(root, "").items():
            if key == "smtp":
                values["smtp"] = self.smtp(vnode)
            elif key == "units":
                values["units"] = self.units(vnode)
            elif key in SECTIONS:
                for sub, (sk, sv) in self.mapping(vnode, key).items():
                    if sub not in SECTIONS[key]:
                        raise self.err(sk, f"{key}.{sub}", f"未知字段（可用字段：{', '.join(SECTIONS[key])}）")
                    name, typ = SECTIONS[key][sub]
                    values[name] = self.value(sv, f"{key}.{sub}", typ)
            else:
                known = ", ".join(["smtp", "units", *SECTIONS])
                raise self.err(knode, key, f"未知的顶层字段（可用：{known}）")
        if values.get("recheck_per_hour") == 0:
            raise self.err(root, "recheck.per_hour", "至少为 1")
        return Settings(**values)

    def smtp(self, node: Node) -> Smtp:
        items = self.mapping(node, "smtp")
        types = {"host": str, "port": int, "sender": str, "starttls": bool, "username": str, "password_env": str,
                 "timeout_s": float}
        values = {}
        for key, (knode, vnode) in items.items():
            if key not in types:
                raise self.err(knode, f"smtp.{key}", f"未知字段（可用字段：{', '.join(types)}）")
            values[key] = self.value(vnode, f"smtp.{key}", types[key])
        if "host" not in values:
            raise self.err(node, "smtp.host", "缺少必填字段")
        return Smtp(**values)

    def units(self, node: Node) -> dict[str, UnitContacts]:
        out = {}
        for unit, (knode, vnode) in self.mapping(node, "units").items():
            where = f"units.{unit}"
            emails: list[str] = []
            hooks: list[Webhook] = []
            for key, (k2, v2) in self.mapping(vnode, where).items():
                if key == "emails":
                    for item, addr in self.strings(v2, f"{where}.emails"):
                        if not EMAIL_RE.match(addr):
                            raise self.err(item, f"{where}.emails", f"电子邮件地址无效：{addr!r}")
                        emails.append(addr)
                elif key == "webhooks":
                    if not isinstance(v2, SequenceNode):
                        raise self.err(v2, f"{where}.webhooks", "应为列表")
                    for i, item in enumerate(v2.value):
                        hw = f"{where}.webhooks[{i}]"
                        fields = self.mapping(item, hw)
                        for fk, (fkn, _) in fields.items():
                            if fk not in ("kind", "url", "secret_env"):
                                raise self.err(fkn, f"{hw}.{fk}", "未知字段（可用字段：kind, url, secret_env）")
                        if "kind" not in fields or "url" not in fields:
                            raise self.err(item, hw, "需要 kind 和 url")
                        kind = self.value(fields["kind"][1], f"{hw}.kind", str)
                        if kind not in WEBHOOK_KINDS:
                            raise self.err(fields["kind"][1], f"{hw}.kind", "应为 wecom（企业微信）或 dingtalk（钉钉）")
                        url = self.value(fields["url"][1], f"{hw}.url", str)
                        if not re.match(r"^https?://", url):
                            raise self.err(fields["url"][1], f"{hw}.url", "应为 http:// 或 https:// 开头的地址")
                        secret = self.value(fields["secret_env"][1], f"{hw}.secret_env", str) if "secret_env" in fields else None
                        hooks.append(Webhook(kind, url, secret))
                else:
                    raise self.err(k2, f"{where}.{key}", "未知字段（可用字段：emails, webhooks）")
            out[unit] = UnitContacts(tuple(emails), tuple(hooks))
        return out


def load_settings(path: str | Path | None) -> Settings:
    """The console settings; with no path, config/console.yaml if it exists, else the defaults."""
    if path is None:
        if not Path(DEFAULT_PATH).is_file():
            return Settings()
        path = DEFAULT_PATH
    return _Reader(Path(path)).load()
