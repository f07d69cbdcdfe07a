"""YAML read into plain data with the line of every field, so a later check can point at the line to fix."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govconfig.errors import ConfigError

FieldPath = tuple[Hashable, ...]


@dataclass
class Located:
    """Plain YAML data and the line (1-based) of each field: ``lines[("checks", "stale-columns")]`` is the line of
    the key ``stale-columns`` under ``checks``; a list item's path ends with its index."""

    path: str
    data: Any
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line(self, where: FieldPath) -> int | None:
        """The line of `where`, else of its nearest parent that has one."""
        where = tuple(where)
        while where:
            if where in self.lines:
                return self.lines[where]
            where = where[:-1]
        return None

    def error(self, where: FieldPath, message: str) -> ConfigError:
        return ConfigError(self.path, self.line(where), dotted(where), message)


def dotted(where: FieldPath) -> str:
    """("checks", "stale-columns", "options", "limits") → checks.stale-columns.options.limits; items as [i]."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _construct(node: ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_located(path: str | Path) -> Located:
    """Read `path` as YAML; ConfigError (file, line, Chinese reason) when it cannot be read or parsed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, "", "配置文件不存在") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, "", f"配置文件不是 UTF-8 编码：{exc}") from None
    except OSError as exc:
        raise ConfigError(path, None, "", f"无法读取配置文件：{exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(path, mark.line + 1 if mark else None, "", f"YAML 语法错误：{exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(path, None, "", f"YAML 语法错误：{exc}") from None
    located = Located(str(path), None)
    located.data = {} if root is None else _plain(root, (), located)
    return located


def _plain(node: Node, where: FieldPath, located: Located) -> Any:
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, ScalarNode):
                raise ConfigError(located.path, knode.start_mark.line + 1, dotted(where), "键必须是字符串")
            key = _construct(knode)
            if key in out:
                raise ConfigError(located.path, knode.start_mark.line + 1, dotted((*where, key)), "键重复")
            located.lines[(*where, key)] = knode.start_mark.line + 1
            out[key] = _plain(vnode, (*where, key), located)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            located.lines[(*where, i)] = item.start_mark.line + 1
            items.append(_plain(item, (*where, i), located))
        return items
    try:
        return _construct(node)  # type: ignore[arg-type]
    except (yaml.YAMLError, ValueError, OverflowError, TypeError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(located.path, node.start_mark.line + 1, dotted(where),
                          f"无法解析的值 {str(node.value)[:60]!r}：{problem}") from None
