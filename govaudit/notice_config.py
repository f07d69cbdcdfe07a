"""config/notice.yaml: what the office prints on its notices, validated like sites.yaml (file, line, field).

    issuer: 九江市人民政府办公室（政务公开办）
    doc_number: "九府办公开检〔{year}〕{seq}号"      # {year} {seq} {run} only
    deadline_workdays: 10                            # 整改时限, working days on the official calendar
    objection_workdays: 3
    contact: {unit: 市政府办公室政务公开科, person: "", phone: "", email: ""}
    recheck_request: 整改完成后……申请复查
    signature: [九江市人民政府办公室, （政务公开办）]
    screenshots_per_site: 3                          # 0 = none
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from govaudit.config import _Loader
from govconfig.errors import ConfigError
from reports.settings import DOC_NUMBER_FIELDS, Contact, NoticeSettings

DEFAULT_NOTICE_CONFIG = "config/notice.yaml"
FIELDS = ("issuer", "doc_number", "deadline_workdays", "objection_workdays", "contact", "recheck_request",
          "signature", "screenshots_per_site")
CONTACT_FIELDS = ("unit", "person", "phone", "email", "address")
BOUNDS = {"deadline_workdays": (1, 60), "objection_workdays": (1, 30), "screenshots_per_site": (0, 20)}


class _NoticeLoader(_Loader):
    def text(self, node: Node, where: str, *, required: bool = True) -> str:
        value = self.scalar(node, where)
        if value is None or str(value).strip() == "":
            if required:
                raise self.err(node, where, "不能为空")
            return ""
        if not isinstance(value, str | int):
            raise self.err(node, where, f"应为文字，而不是 {value!r}")
        return str(value).strip()

    def doc_number(self, node: Node) -> str:
        pattern = self.text(node, "doc_number")
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
        except ValueError as exc:
            raise self.err(node, "doc_number", f"文号格式无效：{exc}（花括号只用于 {{year}} {{seq}} {{run}}）") from None
        unknown = [n for n in names if n not in DOC_NUMBER_FIELDS]
        if unknown:
            raise self.err(node, "doc_number",
                           f"未知占位符 {{{unknown[0]}}}（只能用 {{year}} 年份、{{seq}} 序号、{{run}} 检查编号）")
        if "seq" not in names:
            raise self.err(node, "doc_number", "文号须含 {seq}，否则同一次检查的通知书文号相同")
        return pattern

    def load_notice(self) -> NoticeSettings:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(self.path, None, "", "配置文件不存在") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(self.path, None, "", f"无法读取配置文件：{exc}") from None
        try:
            root = yaml.compose(raw, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise ConfigError(self.path, mark.line + 1 if mark else None, "",
                              f"YAML 语法错误：{exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(self.path, None, "", f"YAML 语法错误：{exc}") from None
        if root is None:
            raise ConfigError(self.path, 1, "", "配置文件为空")
        top = self.mapping(root, "")
        values: dict[str, Any] = {}
        for key, (knode, vnode) in top.items():
            if key not in FIELDS:
                raise self.err(knode, key, f"未知字段（可用字段：{', '.join(FIELDS)}）")
            if key in ("issuer", "recheck_request"):
                values[key] = self.text(vnode, key)
            elif key == "doc_number":
                values[key] = self.doc_number(vnode)
            elif key in BOUNDS:
                value = self.typed(vnode, key, int)
                low, high = BOUNDS[key]
                if not low <= value <= high:
                    raise self.err(vnode, key, f"应在 {low} 到 {high} 之间，而不是 {value}")
                values[key] = value
            elif key == "contact":
                items = self.mapping(vnode, "contact")
                contact: dict[str, str] = {}
                for ckey, (cknode, cvnode) in items.items():
                    if ckey not in CONTACT_FIELDS:
                        raise self.err(cknode, f"contact.{ckey}", f"未知字段（可用字段：{', '.join(CONTACT_FIELDS)}）")
                    contact[ckey] = self.text(cvnode, f"contact.{ckey}", required=ckey == "unit")
                if "unit" not in contact:
                    raise self.err(vnode, "contact.unit", "缺少必填字段（受理整改报告和复查申请的单位）")
                values[key] = Contact(**contact)
            elif key == "signature":
                if isinstance(vnode, ScalarNode):
                    values[key] = (self.text(vnode, "signature"),)
                elif isinstance(vnode, SequenceNode) and vnode.value:
                    values[key] = tuple(self.text(item, f"signature[{i}]") for i, item in enumerate(vnode.value))
                else:
                    raise self.err(vnode, "signature", "应为落款单位（一行文字或多行的列表）")
        for key in ("issuer", "doc_number", "contact"):
            if key not in values:
                raise self.err(root, key, "缺少必填字段")
        return NoticeSettings(**values, path=str(self.path))


def load_notice_config(path: str | Path | None = None) -> NoticeSettings:
    """Load and validate notice.yaml; raises ConfigError naming file, line and field. Without a path the
    project's config/notice.yaml is read when it exists, else the built-in defaults apply."""
    if path is None:
        default = Path(DEFAULT_NOTICE_CONFIG)
        if not default.is_file():
            return NoticeSettings()
        path = default
    return _NoticeLoader(Path(path)).load_notice()
