"""The rule lexicon and the office's protected-name list (config/lexicon.yaml, config/protected_names.yaml).

A helper shared by `expression-errors` and `outside-links` (not a check). Both files are configuration: every
entry names its source; a malformed file is refused with the file, line, field and a Chinese reason
(`LexiconError`), before any page is judged. Loaded once per file version (path + modification time).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
TIERS = ("严重", "疑似", "一般")


class LexiconError(ValueError):
    def __init__(self, path: Path, line: int | None, field_name: str, message: str):
        self.path, self.line, self.field_name, self.message = path, line, field_name, message
        where = f"{path}" + (f":{line}" if line else "")
        super().__init__(f"{where}: {field_name}: {message}")


@dataclass(frozen=True, slots=True)
class Expression:
    wrong: str
    right: str
    tier: str
    source: str
    note: str = ""
    boundary: bool = False  # the hit must start and end on word boundaries (jieba)


@dataclass(frozen=True, slots=True)
class Forbidden:
    category: str  # 反动 | 暴力 | 色情 | 赌博 | 私服 ...
    words: tuple[str, ...]
    hosts: tuple[re.Pattern[str], ...]  # patterns on a link's host name labels
    tier: str
    source: str


@dataclass(frozen=True, slots=True)
class Lexicon:
    sources: dict[str, str]
    expressions: tuple[Expression, ...] = ()
    forbidden: tuple[Forbidden, ...] = ()


@dataclass(frozen=True, slots=True)
class ProtectedName:
    name: str
    title: str = ""
    source: str = ""
    variants: tuple[str, ...] = field(default_factory=tuple)  # known wrong forms the office adds by hand


def resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else CONFIG_DIR / p


def _nodes(path: Path) -> tuple[Any, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiconError(path, None, "文件", f"无法读取：{exc.strerror or exc}") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LexiconError(path, mark.line + 1 if mark else None, "YAML", f"格式错误：{exc}") from None
    return node, data


def _line(node: Any, *keys: Any) -> int | None:
    """The line of ``node[keys...]`` in the YAML (1-based), for error messages."""
    cur = node
    for k in keys:
        if cur is None:
            return None
        if isinstance(k, int):
            items = getattr(cur, "value", None)
            cur = items[k] if isinstance(items, list) and k < len(items) else None
        else:
            nxt = None
            for kn, vn in getattr(cur, "value", []) or []:
                if getattr(kn, "value", None) == k:
                    nxt = vn
                    break
            cur = nxt
    return cur.start_mark.line + 1 if cur is not None else None


def _text(
    path: Path, node: Any, item: dict[str, Any], keys: tuple[Any, ...], name: str, *, required: bool = True
) -> str:
    value = item.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str | int) or (required and not str(value).strip()):
        raise LexiconError(path, _line(node, *keys), name, "必须填写（文字）")
    return str(value).strip()


def _tier_and_source(
    path: Path,
    node: Any,
    item: dict[str, Any],
    keys: tuple[str, int],
    sources: dict[str, str],
    *,
    name_the_tier: bool,
) -> tuple[str, str]:
    """An entry's ``tier`` (one of TIERS) and ``source`` (listed under ``sources``), both required;
    ``name_the_tier``: the error about a wrong tier quotes it."""
    where = f"{keys[0]}[{keys[1]}]"
    tier = _text(path, node, item, keys, "tier")
    source = _text(path, node, item, keys, "source")
    if tier not in TIERS:
        reason = f"应为 {'/'.join(TIERS)} 之一" + (f"，而不是 {tier!r}" if name_the_tier else "")
        raise LexiconError(path, _line(node, *keys, "tier"), f"{where}.tier", reason)
    if source not in sources:
        raise LexiconError(
            path, _line(node, *keys, "source"), f"{where}.source", f"来源 {source!r} 未在 sources 中列出"
        )
    return tier, source


def _mtime(path: Path) -> float:
    """The file's modification time (the caches' key with its path); LexiconError when it cannot be read."""
    try:
        return os.stat(path).st_mtime
    except OSError as exc:
        raise LexiconError(path, None, "文件", f"无法读取：{exc.strerror or exc}") from None


@lru_cache(maxsize=8)
def _load_lexicon(path_text: str, _mtime: float) -> Lexicon:
    path = Path(path_text)
    node, data = _nodes(path)
    if not isinstance(data, dict):
        raise LexiconError(path, 1, "顶层", "应为映射（sources / expressions / forbidden）")
    sources = data.get("sources") or {}
    if not isinstance(sources, dict) or not sources:
        raise LexiconError(path, _line(node, "sources"), "sources", "须列出每条规则的来源")
    sources = {str(k): str(v) for k, v in sources.items()}
    expressions = []
    for i, item in enumerate(data.get("expressions") or []):
        keys = ("expressions", i)
        if not isinstance(item, dict):
            raise LexiconError(path, _line(node, *keys), f"expressions[{i}]", "应为映射")
        wrong = _text(path, node, item, keys, "wrong")
        right = _text(path, node, item, keys, "right")
        tier, source = _tier_and_source(path, node, item, keys, sources, name_the_tier=True)
        if wrong == right:
            raise LexiconError(path, _line(node, *keys), f"expressions[{i}]", "错误写法与正确写法相同")
        expressions.append(
            Expression(
                wrong, right, tier, source, str(item.get("note") or ""), bool(item.get("boundary", False))
            )
        )
    forbidden = []
    for i, item in enumerate(data.get("forbidden") or []):
        keys = ("forbidden", i)
        if not isinstance(item, dict):
            raise LexiconError(path, _line(node, *keys), f"forbidden[{i}]", "应为映射")
        category = _text(path, node, item, keys, "category")
        tier, source = _tier_and_source(path, node, item, keys, sources, name_the_tier=False)
        words = tuple(str(w).strip() for w in item.get("words") or [] if str(w).strip())
        hosts = []
        for j, pattern in enumerate(item.get("hosts") or []):
            try:
                hosts.append(re.compile(str(pattern), re.I))
            except re.error as exc:
                raise LexiconError(
                    path,
                    _line(node, *keys, "hosts", j),
                    f"forbidden[{i}].hosts[{j}]",
                    f"不是有效的正则表达式：{exc}",
                ) from None
        if not words and not hosts:
            raise LexiconError(path, _line(node, *keys), f"forbidden[{i}]", "words 与 hosts 不能都为空")
        forbidden.append(Forbidden(category, words, tuple(hosts), tier, source))
    return Lexicon(sources, tuple(expressions), tuple(forbidden))


def load_lexicon(path: str = "lexicon.yaml") -> Lexicon:
    p = resolve(path)
    return _load_lexicon(str(p), _mtime(p))


@lru_cache(maxsize=8)
def _load_names(path_text: str, _mtime: float) -> tuple[ProtectedName, ...]:
    path = Path(path_text)
    node, data = _nodes(path)
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise LexiconError(path, 1, "顶层", "应为映射（names）")
    out = []
    for i, item in enumerate(data.get("names") or []):
        keys = ("names", i)
        if not isinstance(item, dict):
            raise LexiconError(path, _line(node, *keys), f"names[{i}]", "应为映射（name / title / source）")
        name = _text(path, node, item, keys, "name")
        source = _text(path, node, item, keys, "source")
        if not re.fullmatch(r"[\u4e00-\u9fff·]{2,6}", name):
            raise LexiconError(
                path, _line(node, *keys, "name"), f"names[{i}].name", f"{name!r} 不是 2–6 个汉字的姓名"
            )
        variants = tuple(str(v) for v in item.get("variants") or [])
        out.append(ProtectedName(name, str(item.get("title") or ""), source, variants))
    return tuple(out)


def load_protected_names(path: str = "protected_names.yaml") -> tuple[ProtectedName, ...]:
    p = resolve(path)
    return _load_names(str(p), _mtime(p))


def validate_files(scoring: dict[str, Any]) -> None:
    """Load every lexicon / protected-name file the scoring config names (raises LexiconError)."""
    checks = scoring.get("checks") or {}
    sites = scoring.get("sites") or {}
    sections = [checks.get(c) or {} for c in checks]
    for site in sites.values():
        sections += [
            (site or {}).get("checks", {}).get(c) or {} for c in (site or {}).get("checks", {}) or {}
        ]
    lexicons = {"lexicon.yaml"}
    names = {"protected_names.yaml"}
    for section in sections:
        options = section.get("options") or {}
        if options.get("lexicon_file"):
            lexicons.add(str(options["lexicon_file"]))
        if options.get("protected_names_file"):
            names.add(str(options["protected_names_file"]))
    for path in sorted(lexicons):
        load_lexicon(path)
    for path in sorted(names):
        load_protected_names(path)
