"""The shared readings of one site: built once per site by the runner and handed to every check.

What several checks read the same way lives here and nowhere else, so the checks are siblings (no check imports
another check): the home page (or why there is none), the 政府信息公开 column with its parts (located with the
names configured in ``config/scoring.yaml`` → ``readings.disclosure_column``), why something not found cannot be
called absent (``gap``), the yearly-deadline judgement, and the site index of ``inspections.sitemap``.

A check asks for them with a keyword-only parameter ``readings: Readings``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from extract.text import page_text
from inspections.artifacts import LinkArtifact, PageArtifact, SiteArtifacts
from inspections.base import NotTested
from inspections.sitemap import Titled, canonical, find_links, links_of, page_of, same_url, site_index, under

# The reason every home-page check gives when there is no home page; inspections.scoring reads it.
HOME_MISSING = "首页未能获取"


def home_page(site: SiteArtifacts) -> PageArtifact:
    """The fetched home page, or NotTested("首页未能获取…")."""
    home = site.home
    if home is None or home.status is None or home.status >= 400 or not home.html:
        how = f"（HTTP {home.status}）" if home is not None and home.status else ""
        raise NotTested(f"{HOME_MISSING}{how}，无法检查。")
    return home


# ------------------------------------------------------------------------------ the 政府信息公开 column

# Labels that contain a part's words but are something else (基层政务公开 标准目录, 依申请公开).
_PART_EXCLUDE = ("标准目录", "依申请", "申请公开", "青年报")  # 中国青年报 (丰台 friendly links) is no 年报
# Longest label taken as the column's or a part's link: a document title (2020年政府信息公开工作年度报告) is not.
_COLUMN_MAX = 12
_PART_MAX = 16
_NO_PAGE = PageArtifact(url="", final_url="", status=None)


@dataclass(frozen=True, slots=True)
class Located:
    """Where the 政府信息公开 column and its parts are (URLs ``""`` when not found)."""

    column_url: str
    column_link: LinkArtifact | None
    parts: Mapping[str, LinkArtifact | None]
    shared: Mapping[str, str]  # part → the earlier part whose URL it reuses


def locate(
    site: SiteArtifacts,
    *,
    column_names: Sequence[str],
    parts: Mapping[str, Sequence[str]],
) -> Located:
    """Find the 政府信息公开 column on the home page and its parts on the column page or the home page."""
    home_url = site.home.url if site.home is not None else site.home_url
    part_words = tuple(w for names in parts.values() for w in names) + _PART_EXCLUDE
    candidates = find_links(site, home_url, column_names, exclude=part_words, max_len=_COLUMN_MAX)
    column_link = candidates[0] if candidates else None
    column_url = column_link.target_url if column_link is not None else ""
    sources = [column_url, home_url] if column_url else [home_url]

    found: dict[str, LinkArtifact | None] = {}
    shared: dict[str, str] = {}
    claimed: dict[str, str] = {}  # canonical URL → part that owns it
    for part, names in parts.items():
        others = tuple(w for p, ns in parts.items() if p != part for w in ns if w not in names)
        # A label naming another part better (年报 vs 目录) is not this part's link: exclude words that only
        # the other parts use, unless they are inside one of this part's own names.
        exclude = tuple(w for w in others if not any(w in n for n in names) and len(w) > 2) + _PART_EXCLUDE
        links: list[LinkArtifact] = []
        for source in sources:
            links += [
                lk
                for lk in find_links(site, source, names, exclude=exclude, max_len=_PART_MAX)
                if canonical(lk.target_url) not in {canonical(x.target_url) for x in links}
            ]
        pick = next((lk for lk in links if canonical(lk.target_url) not in claimed), None)
        if pick is None and links:
            shared[part] = claimed[canonical(links[0].target_url)]
        if pick is not None:
            claimed[canonical(pick.target_url)] = part
        found[part] = pick
    return Located(column_url, column_link, MappingProxyType(found), MappingProxyType(shared))


def tried(site: SiteArtifacts, url: str) -> bool:
    """Whether the crawl fetched `url` or tried to: a stored page, a recorded failure, or a link outcome."""
    if page_of(site, url) is not None or any(same_url(f.url, url) for f in site.failures):
        return True
    return any(
        (lk.status is not None or lk.error_kind is not None) and same_url(lk.target_url, url)
        for lk in site.links
    )


def home_only(site: SiteArtifacts) -> bool:
    """The crawl read the home page and nothing it links to inside the site: the rest of the site is unknown."""
    home = site.home
    if home is None:
        return False
    inner = [
        lk.target_url
        for lk in links_of(site, home.url)
        if lk.internal
        and not same_url(lk.target_url, home.url)
        and not same_url(lk.target_url, home.final_url)
    ]
    return bool(inner) and not any(tried(site, u) for u in inner)


def unexplored(site: SiteArtifacts, where: Located) -> str:
    """Why something not found on this site cannot be called absent ("" when it can): the crawl did not finish,
    read nothing beyond the home page, or never fetched the 政府信息公开 column the home page links to (where
    annual reports, 规范性文件 and 执行公开 columns usually are)."""
    if not site.crawl_complete:
        return "本次抓取未完成"
    if home_only(site):
        return "本次仅抓取了首页，首页链接的栏目页面均未抓取"
    if (
        where.column_link is not None
        and not tried(site, where.column_url)
        and not any(under(p.url, where.column_url) for p in site.pages)
    ):
        return f"首页链接的政府信息公开专栏页面（{where.column_url}）未抓取"
    return ""


# ------------------------------------------------------------------------------ yearly deadlines

_CN_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "000012345678" + "9")
_CN_YEAR = re.compile(r"[〇零○Ｏ一二三四五六七八九]{4}(?=年)")


def cn_year_digits(text: str) -> str:
    """二〇二〇年 → 2020年 (reports are sometimes titled with Chinese numerals)."""
    return _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)


def deadline_of(year: int, mmdd: str) -> dt.date:
    month, day = (int(x) for x in mmdd.split("-"))
    return dt.date(year, month, day)


def judge_yearly(found: Sequence[Titled], *, deadline: dt.date, as_of: dt.date) -> tuple[str, Titled | None]:
    """``on_time`` | ``late`` | ``undated`` | ``missing`` for documents due by `deadline`, with the one judged.

    The first publication counts: the earliest dated copy. Copies dated after the as-of date are typing errors
    and prove nothing.
    """
    dated = [(t.date, t) for t in found if t.date is not None and t.date <= as_of]
    if dated:
        day, first = min(dated, key=lambda pair: pair[0])
        return ("on_time" if day <= deadline else "late"), first
    if found:
        return "undated", found[0]
    return "missing", None


# ------------------------------------------------------------------------------ the readings


class Readings:
    """One site's shared readings, each computed at most once (the runner builds one per site)."""

    def __init__(
        self,
        site: SiteArtifacts,
        *,
        as_of: dt.date,
        disclosure_names: Sequence[str],
        disclosure_parts: Mapping[str, Sequence[str]],
    ):
        self.site = site
        self.as_of = as_of
        self.disclosure_names: tuple[str, ...] = tuple(disclosure_names)
        self.disclosure_parts: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {part: tuple(names) for part, names in disclosure_parts.items()}
        )
        self.index = site_index(site)  # pages and links by canonical URL, built once
        self._texts: dict[str, str] = {}

    @classmethod
    def from_config(cls, site: SiteArtifacts, *, as_of: dt.date, config: Mapping[str, Any]) -> Readings:
        """From the ``readings`` section of a (validated, per-site merged) scoring config."""
        section = (config.get("readings") or {}).get("disclosure_column") or {}
        return cls(site, as_of=as_of, disclosure_names=section["names"], disclosure_parts=section["parts"])

    def text(self, page: PageArtifact) -> str:
        """``extract.text.page_text`` of a stored page, computed once per site (several checks scan every page)."""
        got = self._texts.get(page.url)
        if got is None:
            got = self._texts[page.url] = page_text(page.html)
        return got

    def home(self) -> PageArtifact:
        """The fetched home page, or NotTested("首页未能获取…")."""
        return home_page(self.site)

    @functools.cached_property
    def disclosure(self) -> Located:
        """Where the 政府信息公开 column and its parts are, found with the configured names."""
        return locate(self.site, column_names=self.disclosure_names, parts=self.disclosure_parts)

    @functools.cached_property
    def gap(self) -> str:
        """Why something not found on this site cannot be called absent ("" when it can)."""
        return unexplored(self.site, self.disclosure)

    def home_only(self) -> bool:
        return home_only(self.site)

    @staticmethod
    def judge_yearly(
        found: Sequence[Titled], *, deadline: dt.date, as_of: dt.date
    ) -> tuple[str, Titled | None]:
        return judge_yearly(found, deadline=deadline, as_of=as_of)
