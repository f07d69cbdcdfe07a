"""config/scoring.yaml: the one home of every rule a site is judged by, read and validated before any work.

Every threshold, cap, veto flag, synonym list and point value lives in that file (or in its per-site overrides);
the checks declare their options as keyword-only parameters *without defaults* and get every value from here.
``load_scoring()`` refuses, with file, line, field and a Chinese reason (``govconfig.errors.ConfigError``; the
CLI exits 2 before anything is crawled or written):

- an unknown top-level key, check id, section key or option name; a registered check with no section;
- a missing ``max_points``, ``veto`` or option (the code has no fallback to disagree with);
- a value of the wrong type (read from the check's annotation: ``int``, ``float``, ``bool``, ``str``,
  ``Literal[...]``, ``Sequence[X]``, ``Mapping[K, V]``) or a bad value (negative numbers, a share above 1, a
  deadline that is no ``MM-DD`` date, a pass mark above the total).
"""

from __future__ import annotations

import collections.abc
import copy
import datetime as dt
import math
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govconfig.errors import ConfigError
from govconfig.located import FieldPath, Located, load_located
from inspections.base import REGISTRY, Inspection

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "scoring.yaml"

TOP_KEYS = ("version", "total_points", "pass_mark", "readings", "checks", "sites")
CHECK_KEYS = ("max_points", "veto", "options")
SITE_KEYS = ("checks",)
READINGS = {"disclosure_column": {"names": typing.Sequence[str], "parts": typing.Mapping[str, typing.Sequence[str]]}}


class _Bad(Exception):
    def __init__(self, where: FieldPath, message: str):
        self.where = where
        self.message = message


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is int:
        return "整数"
    if tp is float:
        return "数字"
    if tp is bool:
        return "true 或 false"
    if tp is str:
        return "文字"
    if origin is typing.Literal:
        return " / ".join(str(a) for a in typing.get_args(tp)) + " 之一"
    if origin in (collections.abc.Sequence, list, tuple):
        return f"列表（每项为{_type_name(typing.get_args(tp)[0])}）"
    if origin in (collections.abc.Mapping, dict):
        k, v = typing.get_args(tp)
        return f"映射（键为{_type_name(k)}，值为{_type_name(v)}）"
    return str(tp)


def _check_value(value: Any, tp: Any, where: FieldPath) -> None:
    """Raise _Bad when `value` (plain YAML data) does not fit the annotation `tp`."""
    origin = typing.get_origin(tp)
    name = str(where[-1]) if where else ""
    if tp is bool:
        if not isinstance(value, bool):
            raise _Bad(where, f"应为 true 或 false，而不是 {value!r}")
        return
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or (tp is int and isinstance(value, float)):
            raise _Bad(where, f"应为{_type_name(tp)}，而不是 {value!r}")
        if not math.isfinite(value):
            raise _Bad(where, f"应为有限的数字，而不是 {value!r}")
        if value < 0:
            raise _Bad(where, f"不能为负数（{value!r}）")
        if name.endswith("_share") and value > 1:
            raise _Bad(where, f"比例应在 0 到 1 之间（如 0.05 表示 5%），而不是 {value!r}")
        return
    if tp is str:
        if not isinstance(value, str):
            raise _Bad(where, f"应为文字，而不是 {value!r}")
        if name.endswith("_deadline"):
            try:
                month, day = (int(x) for x in value.split("-"))
                dt.date(2020, month, day)
            except ValueError:
                raise _Bad(where, f"应为“月-日”格式的日期（如 \"01-31\"），而不是 {value!r}") from None
        return
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise _Bad(where, f"应为 {' / '.join(map(str, typing.get_args(tp)))} 之一，而不是 {value!r}")
        return
    if origin in (collections.abc.Sequence, list, tuple):
        if not isinstance(value, list):
            raise _Bad(where, f"应为{_type_name(tp)}，而不是 {value!r}")
        (item_tp,) = typing.get_args(tp)[:1]
        for i, item in enumerate(value):
            _check_value(item, item_tp, (*where, i))
        return
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, Mapping):
            raise _Bad(where, f"应为{_type_name(tp)}，而不是 {value!r}")
        key_tp, value_tp = typing.get_args(tp)
        for key, item in value.items():
            _check_value(key, key_tp, (*where, key))
            _check_value(item, value_tp, (*where, key))
        return
    raise TypeError(f"{'.'.join(map(str, where))}: annotation {tp!r} is not one the configuration can check")


def option_types(ins: Inspection) -> dict[str, Any]:
    """The annotation of each option of a check, resolved."""
    hints = typing.get_type_hints(ins.func)
    return {name: hints[name] for name in ins.option_names}


def _mapping(value: Any, where: FieldPath) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(where, f"应为键值映射（mapping），而不是 {value!r}")
    return value


def _unknown(section: Mapping[str, Any], allowed: typing.Iterable[str], where: FieldPath, what: str) -> None:
    allowed = list(allowed)
    for key in section:
        if key not in allowed:
            raise _Bad((*where, key), f"未知的{what}（可用：{'、'.join(map(str, allowed))}）")


def _check_section(section: Any, where: FieldPath, check_id: str, *, complete: bool) -> None:
    if check_id not in REGISTRY:
        raise _Bad(where, f"未知的检查项（已注册的检查项：{'、'.join(REGISTRY)}）")
    if section is None and not complete:
        return
    section = _mapping(section, where)
    _unknown(section, CHECK_KEYS, where, "字段")
    ins = REGISTRY[check_id]
    if complete:
        for key in CHECK_KEYS:
            if key not in section:
                raise _Bad(where, f"缺少 {key}（每个检查项的扣分上限、是否单项否决和全部选项都只在本文件中配置）")
    if "max_points" in section:
        _check_value(section["max_points"], float, (*where, "max_points"))
    if "veto" in section:
        _check_value(section["veto"], bool, (*where, "veto"))
    options = _mapping(section.get("options") or {}, (*where, "options"))
    types = option_types(ins)
    _unknown(options, sorted(types), (*where, "options"), f"选项（{check_id} 的选项）")
    for name, value in options.items():
        _check_value(value, types[name], (*where, "options", name))
    if complete:
        missing = sorted(set(types) - set(options))
        if missing:
            raise _Bad((*where, "options"), f"缺少选项：{'、'.join(missing)}（选项的值只在本文件中配置）")


def validate_scoring(data: Any, located: Located | None = None) -> None:
    """Raise ConfigError (file, line, field, Chinese reason) at the first thing that does not fit the registry."""
    located = located or Located("config/scoring.yaml", data)
    try:
        _validate(data)
    except _Bad as bad:
        raise located.error(bad.where, bad.message) from None


def _validate(data: Any) -> None:
    top = _mapping(data, ())
    _unknown(top, TOP_KEYS, (), "顶层字段")
    for key in ("total_points", "pass_mark"):
        if key not in top:
            raise _Bad((), f"缺少 {key}")
        _check_value(top[key], float, (key,))
    if top["pass_mark"] > top["total_points"]:
        raise _Bad(("pass_mark",), f"合格线 {top['pass_mark']} 高于总分 {top['total_points']}")
    readings = _mapping(top.get("readings"), ("readings",)) if "readings" in top else None
    if readings is None:
        raise _Bad((), "缺少 readings（各检查项共用的读取设置，如政府信息公开专栏的名称）")
    _unknown(readings, READINGS, ("readings",), "共用读取设置")
    for name, fields in READINGS.items():
        section = _mapping(readings.get(name), ("readings", name))
        _unknown(section, fields, ("readings", name), "字段")
        for key, tp in fields.items():
            if key not in section:
                raise _Bad(("readings", name), f"缺少 {key}")
            _check_value(section[key], tp, ("readings", name, key))
    checks = _mapping(top.get("checks"), ("checks",))
    for check_id, section in checks.items():
        _check_section(section, ("checks", check_id), check_id, complete=True)
    missing = [c for c in REGISTRY if c not in checks]
    if missing:
        raise _Bad(("checks",), f"以下已注册的检查项没有配置：{'、'.join(missing)}（每个检查项需要一节配置）")
    for site_id, site in _mapping(top.get("sites") or {}, ("sites",)).items():
        site = _mapping(site, ("sites", site_id))
        _unknown(site, SITE_KEYS, ("sites", site_id), "字段")
        for check_id, section in _mapping(site.get("checks") or {}, ("sites", site_id, "checks")).items():
            _check_section(section, ("sites", site_id, "checks", check_id), check_id, complete=False)


def load_scoring(path: str | Path | None = None) -> dict[str, Any]:
    """The scoring config (default ``config/scoring.yaml`` of this checkout), validated; ConfigError if not."""
    located = load_located(Path(path) if path is not None else DEFAULT_PATH)
    validate_scoring(located.data, located)
    return located.data


def site_config(scoring: Mapping[str, Any], site_id: str) -> dict[str, Any]:
    """The scoring config with ``sites.<site_id>.checks`` merged over ``checks`` (options key by key)."""
    merged = {k: copy.deepcopy(v) for k, v in scoring.items() if k != "sites"}
    checks = merged.setdefault("checks", {}) or {}
    merged["checks"] = checks
    override = ((scoring.get("sites") or {}).get(site_id) or {}).get("checks") or {}
    for check_id, section in override.items():
        base = dict(checks.get(check_id) or {})
        section = section or {}
        options = dict(base.get("options") or {})
        options.update(section.get("options") or {})
        base.update({k: v for k, v in section.items() if k != "options"})
        base["options"] = options
        checks[check_id] = base
    return merged


def check_options(config: Mapping[str, Any], check_id: str) -> dict[str, Any]:
    """The options of one check in a (per-site merged) config."""
    return dict(((config.get("checks") or {}).get(check_id) or {}).get("options") or {})


def check_ids(config: Mapping[str, Any]) -> list[str]:
    """The checks in the order of the configuration (the order of the report)."""
    return [c for c in (config.get("checks") or {}) if c in REGISTRY]


__all__ = ["ConfigError", "check_ids", "check_options", "load_scoring", "site_config", "validate_scoring"]
