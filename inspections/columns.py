"""Column classes (栏目类别) by the names the national rules use, shared by every check that judges columns.

The 2015 普查 (国办发〔2015〕15号) and 国办秘函〔2019〕19号 judge columns by class:

- ``news``      动态、要闻类: 本地要闻、部门动态、区县动态、工作进展 (update within 2 weeks);
- ``notice``    通知公告、政策文件类: 通知、公告、政策、规范性文件 (within 6 months);
- ``personnel`` 人事、规划计划类 (within 1 year; the 普查's “应更新但长期未更新”);
- ``other``     everything else.

A column is classified by its own name first; when the name says nothing, by its breadcrumb, innermost first
(a column called 2021年 under 通知公告 is a notice column). Synonyms come from ``config/scoring.yaml``
(``checks.stale-columns.options.column_synonyms``); the defaults below equal the config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

CLASSES: tuple[str, ...] = ("news", "notice", "personnel", "other")

CLASS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "news": "动态、要闻类",
        "notice": "通知公告、政策文件类",
        "personnel": "人事、规划计划类",
        "other": "其他栏目",
    }
)

# The keywords per class and the excluded names are options of stale-columns (config/scoring.yaml):
# column_synonyms, tried in the order personnel → notice → news, and column_exclude.
_ORDER = ("personnel", "notice", "news")


def _match(name: str, synonyms: Mapping[str, Sequence[str]], exclude: Iterable[str]) -> str | None:
    name = (name or "").strip()
    if not name or any(word and word in name for word in exclude):
        return None
    for cls in _ORDER:
        if any(word and word in name for word in synonyms.get(cls, ())):
            return cls
    return None


def classify(
    name: str,
    path: Sequence[str] = (),
    *,
    synonyms: Mapping[str, Sequence[str]],
    exclude: Iterable[str],
) -> str:
    """The class (``news``/``notice``/``personnel``/``other``) of a column from its name, then its breadcrumb."""
    syn = synonyms
    unknown = set(syn) - set(_ORDER)
    if unknown:
        raise ValueError(f"unknown column class(es) in synonyms: {sorted(unknown)}")
    excl = tuple(exclude)
    if any(word and word in (name or "") for word in excl):
        # An excluded name (a 年报, a 专题) is excluded whatever its parents are: a 行政执法统计年报 column
        # under 行政执法公示 is a yearly report, not a 通知公告 column held to 6 months.
        return "other"
    found = _match(name, syn, excl)
    if found:
        return found
    # The breadcrumb, innermost first; the column's own name may be the last crumb, and 首页 says nothing.
    for crumb in reversed(tuple(path)):
        if crumb == name or crumb in ("首页", "网站首页"):
            continue
        found = _match(crumb, syn, excl)
        if found:
            return found
    return "other"


def class_name(cls: str) -> str:
    return CLASS_NAMES.get(cls, cls)


def cn_date(day) -> str:  # noqa: ANN001 - dt.date
    """2021年11月20日 (no leading zeros, as notices print dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_period(days: int) -> str:
    """A limit in days in the words of the rules: 14 → 2周, 183 → 6个月, 365 → 1年, else N天."""
    named = {7: "1周", 14: "2周", 30: "1个月", 31: "1个月", 90: "3个月", 91: "3个月", 92: "3个月",
             180: "6个月", 181: "6个月", 182: "6个月", 183: "6个月", 365: "1年", 366: "1年", 730: "2年"}
    return named.get(int(days), f"{int(days)}天")
