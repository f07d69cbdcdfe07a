"""Poor interaction (互动回应差): no consultation channel, or letters left unanswered for more than 3 months.

Reads the site's links and stored pages. Finds the 政务咨询类 channels by their link text (领导信箱, 县长信箱,
咨询投诉, 网上咨询, 12345 ...), leaving out those the rule excludes (网上信访, 纪检举报, 在线访谈, 调查征集, 找错).
Reads the letters each channel publishes — list tables, list items and detail pages, across pagination — with
their submission time (来信时间 / 留言时间 / 提交时间 ...), reply time (回复时间 / 办结时间 ...), status (处理状态 /
办理状态 ...) and, where shown, 是否超时 / 到期时间.

- VETO: no effective channel is offered, or within the year before the as-of date a letter went more than
  ``limit_months`` calendar months without a reply (19号; still unanswered letters count up to the as-of date).
- WARN: a letter without a reply for ``warn_days`` days or more (an earlier warning, 开普云 style).
- not_tested, with the reason: a channel that publishes only the letters it answered (no status shown, or the
  page says so), letters behind a login, on a platform of another host the crawl did not read, or none of the
  channel's pages stored — nothing is passed that was not seen.
- INFO: per channel, letters read, answered, median and longest reply time.

Options: channel_words, excluded_words, limit_months, warn_days, window_days.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from extract.dates import parse_date
from extract.html import parse_tree
from extract.text import page_text
from govconfig.judge import months_exceeded
from inspections.artifacts import PageArtifact, SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register

META = Meta(
    id="interaction-response",
    title="提供政务咨询渠道，留言及时回应",
    failure_title="互动回应差",
    description="政府网站应提供有效的网上咨询建言渠道，并对网民留言及时答复处理；监测时间点前{window_days:period}内，"
    "政务咨询类栏目存在超过{limit_months}个月未回应有效留言的，即单项否决。",
    rule="国办秘函〔2019〕19号 单项否决指标：互动回应差（未提供网上有效咨询建言渠道；监测时间点前{window_days:period}内"
    "政务咨询类栏目存在超过{limit_months}个月未回应有效留言）",
    category="互动回应",
    task="（六）",
)

SUBMITTED = (
    "来信时间",
    "留言时间",
    "提交时间",
    "咨询时间",
    "写信时间",
    "提问时间",
    "发起时间",
    "反映时间",
    "诉求时间",
    "问政时间",
    "来信日期",
    "留言日期",
    "提交日期",
    "咨询日期",
    "申请日期",
    "投诉时间",
)
REPLIED = (
    "回复时间",
    "回复日期",
    "答复时间",
    "答复日期",
    "办结时间",
    "办结日期",
    "处理时间",
    "反馈时间",
    "回信时间",
    "审核时间",
)
STATUS = ("处理状态", "办理状态", "信件状态", "受理状态", "回复状态", "当前状态", "状态")
OVERDUE = ("是否超时", "是否超期")
DUE = ("到期时间", "办理期限", "到期日期")
TITLE = ("信件标题", "留言标题", "标题", "主题", "信件主题", "咨询主题")
PENDING_STATUS = (
    "未回复",
    "未办结",
    "未答复",
    "未处理",
    "待处理",
    "待回复",
    "待审查",
    "待受理",
    "处理中",
    "办理中",
    "受理中",
    "转办中",
    "已受理",
    "已转办",
)
ANSWERED_STATUS = ("已办结", "已回复", "已答复", "已处理", "已反馈", "已完成", "已解决", "办结", "回复")
EXCLUDED_STATUS = ("不予受理", "无效", "重复", "转信访", "不予公开")
ANSWERED_ONLY = re.compile(
    r"收到[^。\n]{0,20}?(\d+)\s*[件封条][^。\n]{0,30}?公开[^。\n]{0,6}?(\d+)\s*[件封条]|"
    r"选登|仅公开|只公开|公开已办结|公开已回复|已回复信件选|办结信件选"
)
LOGIN = re.compile(r"请(?:先)?登录|登录后(?:查看|可见|方可)|用户登录|<input[^>]+type=[\"']?password", re.I)
EMPTY = re.compile(r"暂无(?:信件|留言|数据|信息|记录|内容)")
SECTION_WORDS = ("互动交流", "政民互动", "互动", "公众参与", "咨询")
_LABEL_VALUE = re.compile(
    "("
    + "|".join(sorted({*SUBMITTED, *REPLIED, *STATUS, *OVERDUE, *DUE}, key=len, reverse=True))
    + r")\s*[:：]\s*([^\n:：]{0,40}?)(?=\s{2,}|\s*(?:"
    + "|".join(sorted({*SUBMITTED, *REPLIED, *STATUS, *OVERDUE, *DUE}, key=len, reverse=True))
    + r")\s*[:：]|\n|$)"
)


@dataclass
class Letter:
    key: str
    title: str = ""
    link: str = ""
    seen_on: str = ""
    submitted: dt.date | None = None
    replied: dt.date | None = None
    status: str | None = None  # as printed
    overdue: str = ""
    due: dt.date | None = None

    def merge(self, other: Letter) -> None:
        for name in ("title", "link", "submitted", "replied", "status", "overdue", "due"):
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, getattr(other, name))

    @property
    def state(self) -> str:
        """answered | pending | excluded | unknown"""
        s = self.status or ""
        if any(w in s for w in EXCLUDED_STATUS):
            return "excluded"
        if any(w in s for w in PENDING_STATUS):
            return "pending" if not self.replied else "answered"
        if self.replied or any(w in s for w in ANSWERED_STATUS):
            return "answered"
        return "pending" if self.status is not None else "unknown"


@dataclass
class Channel:
    url: str
    name: str
    letters: dict[str, Letter] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    status_shown: bool = False
    reason: str = ""  # why it could not be judged


def _field_of(label: str) -> str | None:
    label = re.sub(r"\s+", "", label)
    for name, words in (
        ("submitted", SUBMITTED),
        ("replied", REPLIED),
        ("overdue", OVERDUE),
        ("due", DUE),
        ("status", STATUS),
        ("title", TITLE),
    ):
        if any(w == label or (w in label and len(label) <= len(w) + 3) for w in words):
            return name
    return None


def _cell_text(el) -> str:
    return " ".join("".join(el.itertext()).split())


def _first_link(el, base: str) -> str:
    from urllib.parse import urljoin

    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        if href and not href.startswith(("javascript:", "#")):
            try:
                return urljoin(base, href).split("#")[0]
            except ValueError:
                return ""
    return ""


def _set(letter: Letter, name: str, value: str, as_of: dt.date) -> None:
    value = value.strip()
    if name in ("submitted", "replied", "due"):
        setattr(letter, name, parse_date(value, as_of=as_of))
    elif name == "status":
        letter.status = value
    elif name == "overdue":
        letter.overdue = value
    elif name == "title" and value:
        letter.title = value


def letters_of_page(page: PageArtifact, *, as_of: dt.date) -> tuple[list[Letter], bool]:
    """The letters printed on one page (rows of a list, or the page itself as a detail page), and whether a
    status field is shown on it."""
    root = parse_tree(page.html)
    if root is None:
        return [], False
    out: list[Letter] = []
    status_shown = False
    # 1. Tables with a header naming the fields.
    for table in root.iter("table"):
        rows = [r for r in table.iter("tr")]
        if len(rows) < 2:
            continue
        header = [_cell_text(c) for c in rows[0] if isinstance(c.tag, str) and c.tag.lower() in ("th", "td")]
        fields = [_field_of(h) for h in header]
        if "submitted" not in fields:
            continue
        status_shown = status_shown or "status" in fields
        for n, row in enumerate(rows[1:]):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag.lower() in ("th", "td")]
            if not cells:
                continue
            link = _first_link(row, page.url)
            letter = Letter(key="", link=link, seen_on=page.url)
            for name, cell in zip(fields, cells, strict=False):
                if name:
                    _set(letter, name, _cell_text(cell), as_of)
            if not letter.title:
                anchor = next((a for a in row.iter("a")), None)
                letter.title = _cell_text(anchor) if anchor is not None else _cell_text(cells[0])
            if letter.submitted is None:
                continue
            letter.key = link or f"{page.url}#{letter.title}|{letter.submitted}|{n}"
            out.append(letter)
    if out:
        return out, status_shown
    # 2. List items carrying labels ("留言时间：2021-09-01 状态：未回复").
    items = [el for el in root.iter("li", "dl") if any(w in _cell_text(el) for w in SUBMITTED)]
    if len(items) >= 2:
        for n, el in enumerate(items):
            text = _cell_text(el)
            letter = Letter(key="", link=_first_link(el, page.url), seen_on=page.url)
            for label, value in _LABEL_VALUE.findall(text):
                name = _field_of(label)
                if name:
                    status_shown = status_shown or name == "status"
                    _set(letter, name, value, as_of)
            anchor = next((a for a in el.iter("a")), None)
            letter.title = _cell_text(anchor) if anchor is not None else text[:40]
            if letter.submitted is None:
                continue
            letter.key = letter.link or f"{page.url}#{letter.title}|{letter.submitted}|{n}"
            out.append(letter)
        if out:
            return out, status_shown
    # 3. A detail page: the labels in the page text.
    text = page_text(page.html)
    letter = Letter(key=page.url, link=page.url, seen_on=page.url, title=page.title)
    found = False
    for label, value in _LABEL_VALUE.findall(text):
        name = _field_of(label)
        if name and getattr(letter, name, None) in (None, ""):
            status_shown = status_shown or name == "status"
            _set(letter, name, value, as_of)
            found = found or name == "submitted"
    if found and letter.submitted is not None:
        return [letter], status_shown
    return [], False


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _dir(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def find_channels(
    site: SiteArtifacts, words: tuple[str, ...], excluded: tuple[str, ...]
) -> tuple[dict[str, str], dict[str, str]]:
    """({url: name} of 政务咨询类 channels, {url: name} of excluded ones), from every stored link's text."""
    channels: dict[str, str] = {}
    left_out: dict[str, str] = {}
    for link in site.links:
        text = (link.anchor or link.image_alt or "").strip()
        if not text or len(text) > 30 or not any(w in text for w in words):
            continue
        target = link.target_url.split("#")[0]
        # monitors.md: a 领导信箱 that leads to a (provincial) 网上信访 platform is a 信访 channel.
        if any(w in text for w in excluded) or "xinfang" in target.lower():
            left_out.setdefault(target, text)
        else:
            channels.setdefault(target, text)
    for url in list(channels):
        left_out.pop(url, None)
    return channels, left_out


def read_channel(site: SiteArtifacts, url: str, name: str, *, as_of: dt.date) -> Channel:
    ch = Channel(url, name)
    start = site.page(url)
    if start is None:
        host = _host(url)
        own = {_host(site.home_url)} | {_host(p.url) for p in site.pages}
        if host and host not in own:
            ch.reason = f"信件在其他平台（{host}）上，本次未抓取，无法查看"
        else:
            ch.reason = "栏目页面未抓取，无法查看信件"
        return ch
    if (start.status or 0) >= 400 or not start.html:
        ch.reason = f"栏目页面无法打开（HTTP {start.status}）"
        return ch
    # The channel's pages: the list, its pagination and the letters' detail pages (stored pages linked from a
    # page of the channel, inside the channel's folder or linked from its list).
    prefix = _dir(start.final_url or start.url)
    scope = [start]
    seen = {start.url}
    i = 0
    while i < len(scope) and len(scope) < 3000:
        page = scope[i]
        i += 1
        for link in site.links_from(page.url):
            target = link.target_url.split("#")[0]
            if target in seen:
                continue
            nxt = site.page(target)
            if nxt is None or not nxt.html or (nxt.status or 0) >= 400:
                continue
            # Inside the channel's folder; from the list itself also its body links (detail pages elsewhere).
            if not target.startswith(prefix) and not (page is start and link.region == "body"):
                continue
            seen.add(target)
            scope.append(nxt)
    texts = []
    for page in scope:
        found, status_shown = letters_of_page(page, as_of=as_of)
        ch.status_shown = ch.status_shown or status_shown
        ch.pages.append(page.url)
        texts.append(page.html)
        for letter in found:
            known = ch.letters.get(letter.key)
            if known is None:
                ch.letters[letter.key] = letter
            else:
                known.merge(letter)
    # Detail pages read as letters merge into the list rows that link to them (same key: the URL).
    whole = "\n".join(texts[:50])
    if not ch.letters:
        if LOGIN.search(whole):
            ch.reason = "信件须登录后查看，无法检查"
        elif EMPTY.search(whole):
            ch.reason = ""  # an open channel with no letters yet: nothing late
        else:
            ch.reason = "未能从栏目页面读出信件（可能由脚本生成或在其他平台）"
        return ch
    m = ANSWERED_ONLY.search(page_text(whole))
    states = {letter.state for letter in ch.letters.values()}
    if m and (m.lastindex is None or not m.group(1) or int(m.group(2) or 0) < int(m.group(1) or 0)):
        ch.reason = f"只公开已回复的信件（页面写明“{m.group(0)[:40]}”），看不到未回复的信件"
    elif not ch.status_shown and "pending" not in states and "unknown" not in states:
        ch.reason = "只公开已回复的信件（不显示办理状态），看不到未回复的信件"
    return ch


@register(META)
def check(
    site: SiteArtifacts,
    *,
    as_of: dt.date,
    channel_words: Sequence[str],
    excluded_words: Sequence[str],
    limit_months: int,
    warn_days: int,
    window_days: int,
) -> Iterator[Finding]:
    """Vetoes on no channel or a letter unanswered over the limit; warns earlier; INFO statistics."""
    home = site.home
    if home is None or not home.html:
        raise NotTested("首页未能获取，无法查找互动交流渠道")
    channels, left_out = find_channels(site, tuple(channel_words), tuple(excluded_words))
    if not channels:
        unread = [
            lk
            for lk in site.links
            if any(w in (lk.anchor or "") for w in SECTION_WORDS)
            and site.page(lk.target_url.split("#")[0]) is None
        ]
        readable = [p for p in site.pages if p.html]
        if len(readable) <= 1 or not site.crawl_complete:
            raise NotTested("只抓取到首页（或抓取未完成），无法判断是否提供咨询建言渠道")
        if unread:
            raise NotTested(f"互动交流栏目（{unread[0].anchor}）未抓取，无法判断是否提供咨询建言渠道")
        excluded = (
            "；另有" + "、".join(sorted(set(left_out.values()))[:5]) + "（网上信访、纪检举报等专门渠道不计）"
            if left_out
            else ""
        )
        yield META.finding(
            Severity.VETO,
            f"网站未提供网上有效咨询建言渠道{excluded}",
            url=site.home_url,
            evidence={"excluded": sorted(set(left_out.values()))},
        )
        return
    window_start = as_of - dt.timedelta(days=window_days)
    judged: list[Channel] = []
    untested: list[Channel] = []
    for url, name in sorted(channels.items()):
        ch = read_channel(site, url, name, as_of=as_of)
        (untested if ch.reason else judged).append(ch)
    if not judged:
        raise NotTested("；".join(f"{c.name}：{c.reason}" for c in untested))
    for ch in judged:
        reply_days = []
        for letter in sorted(ch.letters.values(), key=lambda x: (x.submitted or dt.date.min, x.key)):
            state = letter.state
            if state == "excluded" or letter.submitted is None or letter.submitted > as_of:
                continue
            if letter.replied:
                reply_days.append((letter.replied - letter.submitted).days)
            end = letter.replied if (state == "answered" and letter.replied) else as_of
            if state == "answered" and not letter.replied:
                continue  # answered, time not shown: nothing to measure
            if end < window_start:
                continue  # outside the year before the as-of date
            days = (min(end, as_of) - letter.submitted).days
            evidence = {
                "channel": ch.name,
                "title": letter.title[:80],
                "submitted": letter.submitted.isoformat(),
                "replied": letter.replied.isoformat() if letter.replied else "未回复",
                "status": letter.status or "",
                "days": days,
            }
            if letter.overdue:
                evidence["overdue"] = letter.overdue
            where = letter.link or letter.seen_on
            if months_exceeded(letter.submitted, min(end, as_of), limit_months):
                what = f"{days} 天后才回复" if letter.replied else f"至检查基准日已 {days} 天未回复"
                yield META.finding(
                    Severity.VETO,
                    f"“{ch.name}”留言“{letter.title[:30]}”（{letter.submitted}）"
                    f"{what}，超过{limit_months}个月",
                    url=where,
                    evidence=evidence,
                )
            elif days >= warn_days and state != "answered":
                yield META.finding(
                    Severity.WARN,
                    f"“{ch.name}”留言“{letter.title[:30]}”（{letter.submitted}）"
                    f"已 {days} 天未回复，临近{limit_months}个月时限",
                    url=where,
                    evidence=evidence,
                )
        answered = sum(1 for x in ch.letters.values() if x.state == "answered")
        stats = {"channel": ch.name, "letters": len(ch.letters), "answered": answered}
        if reply_days:
            stats["median_days"] = statistics.median(reply_days)
            stats["longest_days"] = max(reply_days)
        yield META.finding(
            Severity.INFO,
            f"“{ch.name}”公开信件 {len(ch.letters)} 件，已回复 {answered} 件"
            + (
                f"，回复用时中位数 {stats['median_days']:g} 天、最长 {stats['longest_days']} 天"
                if reply_days
                else ""
            ),
            url=ch.url,
            evidence=stats,
        )
    for ch in untested:
        yield META.finding(Severity.INFO, f"“{ch.name}”未检测：{ch.reason}", url=ch.url)
