"""Planted cases of the four checks of issue 12 (互动回应, 表述错误, 个人信息, 暗链), kept apart from the
generator so the other plants stay untouched: `plant(generator)` adds pages to a generated site, `truth(g)`
says what the checks must find.

Every site (except the one that is down) gets an 互动交流 block on its home page with its 政务咨询 channel
(市长 / 县长 / 区长 / 局长信箱: a table of letters with 来信时间, 回复时间 and 处理状态, and a detail page per
letter) and an excluded 网上信访 channel. Planted:
- wuning: a letter unanswered for 100 days (单项否决, the letter's page);
- lianxi: a channel that publishes only answered letters (no status, "选登") → not tested;
- sthjj: a letter waiting 65 days (warning before the 3-month limit);
- xiushui: letters on two list pages with other label spellings (留言时间 / 答复时间 / 办理状态), status and reply
  time on the detail pages; a 公示 page and a PDF attachment each with one ID number whose check digit is right
  and one whose check digit is wrong (only the right ones are findings);
- hukou: labels 提交时间 / 办结时间 / 状态;
- rsj: an article with the protected (fictional) leader's name misspelt (罗振东 → 罗振冬);
- czj: a hidden link (display:none) to a gambling host on the home page; the host does not resolve, so it is
  a broken link too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape as e

from govconfig.judge import months_exceeded, options_of, scoring_values

from .docs import tiny_pdf
from .model import AS_OF

CHECKS = ["interaction-response", "expression-errors", "personal-data", "outside-links"]
GAMBLING_HOST = "www.hg8868.jj.test"  # no DNS record: a dark link to a dead gambling domain
LEADER, LEADER_WRONG = (
    "罗振东",
    "罗振冬",
)  # config/protected_names.yaml (fictional person of the simulated web)
# judged with the values of config/scoring.yaml and the check's own comparison (govconfig.judge)
IR_RULE = options_of(scoring_values(), "interaction-response")
RULES = {
    "interaction-response": "every site has a 政务咨询 channel (信箱) with letters; fail (veto) when a letter within the year "
    f"before as_of went more than {IR_RULE['limit_months']} months without a reply (govconfig.judge.months_exceeded; "
    f"urls = the letter's page); warn from {IR_RULE['warn_days']} days; not_tested when only answered letters are "
    "published; 网上信访 is excluded.",
    "expression-errors": "hits of config/lexicon.yaml and near misses of config/protected_names.yaml are 待核实 (warn, no "
    "points) until confirmed; urls = the pages.",
    "personal-data": "ID numbers with a valid GB 11643 check digit (pages and PDF attachments) are 待核实 (warn); a wrong "
    "check digit is no finding; urls = the page and the attachment.",
    "outside-links": "hidden links off the site and links to forbidden hosts are 待核实 (warn); urls = the pages.",
}


def id_number(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def wrong_check(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


# Fictional people of the 公示 (county code 360424 = 修水县).
GOOD_PAGE_ID = id_number("36042419850612301")
BAD_PAGE_ID = wrong_check(id_number("36042419900203452"))
GOOD_PDF_ID = id_number("36042419780915201")
BAD_PDF_ID = wrong_check(id_number("36042419661120333"))


@dataclass
class Letter:
    title: str
    submitted: dt.date
    replied: dt.date | None
    status: str
    path: str = ""


SUBJECTS = [
    "关于老旧小区加装电梯的咨询",
    "咨询新生儿医保参保办理",
    "建议增设公交站点",
    "反映小区路灯不亮",
    "咨询创业担保贷款申请条件",
    "关于农村道路硬化的建议",
    "咨询不动产登记所需材料",
    "反映夜间施工噪音扰民",
    "咨询高龄津贴发放时间",
    "关于校门口交通安全的建议",
]


def _letters(site_id: str) -> list[Letter]:
    out = []
    ages = [3, 9, 16, 24, 33, 47, 58, 76, 120, 160]
    for i, (age, title) in enumerate(zip(ages, SUBJECTS, strict=True)):
        sub = AS_OF - dt.timedelta(days=age)
        out.append(Letter(title, sub, sub + dt.timedelta(days=1 + (i * 3) % 9), "已办结"))
    # the newest letter is still being handled: the channel shows its status
    out[0] = Letter(out[0].title, out[0].submitted, None, "办理中")
    if site_id == "wuning":
        out.append(Letter("反映农贸市场占道经营问题", AS_OF - dt.timedelta(days=100), None, "办理中"))
    if site_id == "sthjj":
        out.append(Letter("咨询建设项目环评审批进度", AS_OF - dt.timedelta(days=65), None, "待处理"))
    out = sorted(out, key=lambda x: x.submitted, reverse=True)
    for n, x in enumerate(out):
        x.path = f"/hdjl/xzxx/{x.submitted:%Y%m}/xj{n + 1:03d}.html"
    return out


def _channel_name(site) -> str:
    if site.level == "municipal":
        return "市长信箱"
    if site.level == "department":
        return "局长信箱"
    return "区长信箱" if site.short.endswith("区") else "县长信箱"


def plant(gen) -> None:
    """Add the pages of issue 12's cases to one generated site (``gen`` is a simweb.build.Generator)."""
    g, s = gen.g, gen.site
    if s.down:
        return
    name = _channel_name(s)
    base = "/hdjl/xzxx/"
    letters = _letters(s.id)
    labels = {
        "hukou": ("标题", "提交时间", "办结时间", "状态"),
        "xiushui": ("留言标题", "留言时间", "答复时间", "办理状态"),
    }.get(s.id, ("信件标题", "来信时间", "回复时间", "处理状态"))
    answered_only = s.id == "lianxi"
    if answered_only:
        letters = [x for x in letters if x.replied]
    per_page = 6 if s.id == "xiushui" else 20
    pages = [letters[i : i + per_page] for i in range(0, len(letters), per_page)]
    paths = [base] + [f"{base}index_{i}.html" for i in range(1, len(pages))]
    crumbs = g.layout.crumbs([("首页", "/"), ("互动交流", None), (name, None)])
    for i, rows in enumerate(pages):
        if answered_only:
            head = f"<tr><th>{labels[0]}</th><th>{labels[1]}</th><th>{labels[2]}</th></tr>"
            body = "".join(
                f'<tr><td><a href="{e(x.path)}">{e(x.title)}</a></td><td>{x.submitted.isoformat()}</td>'
                f"<td>{x.replied.isoformat()}</td></tr>"
                for x in rows
            )
            note = '<p class="note">本栏目选登已办结的来信。</p>'
        elif s.id == "xiushui":  # the list shows no reply time: it is on the detail pages
            head = f"<tr><th>{labels[0]}</th><th>{labels[1]}</th><th>{labels[3]}</th></tr>"
            body = "".join(
                f'<tr><td><a href="{e(x.path)}">{e(x.title)}</a></td><td>{x.submitted.isoformat()}</td>'
                f"<td>{e(x.status)}</td></tr>"
                for x in rows
            )
            note = ""
        else:
            head = "".join(f"<th>{h}</th>" for h in labels)
            head = f"<tr>{head}</tr>"
            body = "".join(
                f'<tr><td><a href="{e(x.path)}">{e(x.title)}</a></td><td>{x.submitted.isoformat()}</td>'
                f"<td>{x.replied.isoformat() if x.replied else ''}</td><td>{e(x.status)}</td></tr>"
                for x in rows
            )
            note = ""
        pager = ""
        if len(pages) > 1:
            links = []
            if i > 0:
                links.append(f'<a href="{e(paths[i - 1])}">上一页</a>')
            if i + 1 < len(pages):
                links.append(f'<a href="{e(paths[i + 1])}">下一页</a>')
            pager = f'<div class="pager">{" ".join(links)}</div>'
        html = (
            f'{crumbs}\n<div class="column-title"><h2>{e(name)}</h2></div>\n{note}'
            f'<table class="letters">{head}{body}</table>{pager}'
        )
        g.pages[paths[i]] = gen._doc(name, gen._meta(name), html)
    for x in letters:
        if answered_only:
            fields = [
                (labels[1], f"{x.submitted.isoformat()} 09:30"),
                (labels[2], f"{x.replied.isoformat()} 16:00"),
            ]
        else:
            fields = [(labels[1], f"{x.submitted.isoformat()} 09:30"), (labels[3], x.status)]
            if x.replied:
                fields.append((labels[2], f"{x.replied.isoformat()} 16:00"))
        info = "".join(f"<p>{e(k)}：{e(v)}</p>" for k, v in fields)
        reply = (
            '<div class="reply"><h3>回复内容</h3><p>您好！您反映的问题已转相关单位办理，感谢您的关注。</p></div>'
            if x.replied
            else ""
        )
        html = (
            f'{crumbs}\n<div class="letter"><h1 class="title">{e(x.title)}</h1>{info}'
            f'<div class="content"><p>来信内容：{e(x.title)}，请予答复。</p></div>{reply}</div>'
        )
        # A letter is an article (ArticleTitle/PubDate), not a column page: no ColumnName.
        meta = gen._meta(None, ArticleTitle=x.title, PubDate=f"{x.submitted.isoformat()} 09:30")
        g.pages[x.path] = gen._doc(x.title, meta, html)
    g.pages["/hdjl/wsxf/"] = gen._doc(
        "网上信访",
        gen._meta(None, ArticleTitle="网上信访"),
        (
            '<div class="column-title"><h2>网上信访</h2></div><p>网上信访请登录江西省网上信访信息系统办理。</p>'
        ),
    )
    block = (
        f'<div class="hd-box"><h3>互动交流</h3><a href="{base}">{e(name)}</a> '
        '<a href="/hdjl/wsxf/">网上信访</a></div>'
    )
    if s.id == "czj":
        block += f'<div style="display:none"><a href="http://{GAMBLING_HOST}/">皇冠体育 百家乐</a></div>'
        g.broken.append({"source": "/", "target": f"http://{GAMBLING_HOST}/", "status": None})
    home = g.pages["/"]
    marker = '<div class="zt-box">'
    assert marker in home, s.id
    g.pages["/"] = home.replace(marker, block + marker, 1)
    if s.id == "rsj":
        body = (
            f'{g.layout.crumbs([("首页", "/"), ("工作动态", None)])}<div class="article">'
            '<h1 class="title">全市就业创业工作推进会召开</h1>'
            f'<div class="content"><p>12月15日，全市就业创业工作推进会召开。模拟市市长{LEADER_WRONG}出席会议并讲话。</p>'
            f"<p>会议强调，要把稳就业摆在更加突出的位置。</p></div></div>"
        )
        g.pages["/ztzl/jycy/hyjs.html"] = gen._doc(
            "全市就业创业工作推进会召开",
            gen._meta(None, ArticleTitle="全市就业创业工作推进会召开", PubDate="2021-12-15 10:00"),
            body,
        )
        g.pages["/"] = g.pages["/"].replace(
            block,
            block + '<div class="zt-link"><a href="/ztzl/jycy/hyjs.html">就业创业工作推进会</a></div>',
            1,
        )
    if s.id == "xiushui":
        rows = [("张某某", GOOD_PAGE_ID, "800"), ("李某某", BAD_PAGE_ID, "600")]
        table = "".join(f"<tr><td>{n}</td><td>{i}</td><td>{m}</td></tr>" for n, i, m in rows)
        body = (
            f'{g.layout.crumbs([("首页", "/"), ("公示公告", None)])}<div class="article">'
            '<h1 class="title">2021年临时救助对象公示</h1><div class="content">'
            "<p>现将2021年第四季度临时救助对象公示如下：</p>"
            f"<table><tr><th>姓名</th><th>公民身份号码</th><th>救助金额（元）</th></tr>{table}</table>"
            '<p>附件：<a href="/ztzl/gs/lsjz2021.pdf">临时救助对象名单.pdf</a></p></div></div>'
        )
        g.pages["/ztzl/gs/lsjz2021.html"] = gen._doc(
            "2021年临时救助对象公示",
            gen._meta(None, ArticleTitle="2021年临时救助对象公示", PubDate="2021-12-10 09:00"),
            body,
        )
        g.assets["/ztzl/gs/lsjz2021.pdf"] = tiny_pdf(
            [
                "Temporary assistance list 2021 Q4",
                f"1  Wang  {GOOD_PDF_ID}  500",
                f"2  Zhao  {BAD_PDF_ID}  300",
            ]
        )
        g.pages["/"] = g.pages["/"].replace(
            block,
            block + '<div class="zt-link"><a href="/ztzl/gs/lsjz2021.html">临时救助对象公示</a></div>',
            1,
        )


def list_entries(g) -> int:
    """Dated rows the crawler stores from the letter lists (one per letter, on its list page)."""
    if g.site.down:
        return 0
    return (
        len(_letters(g.site.id))
        if g.site.id != "lianxi"
        else len([x for x in _letters(g.site.id) if x.replied])
    )


def truth(g) -> dict[str, dict]:
    """Expected outcome of the four checks for one generated site."""
    s = g.site
    url = g.url
    out: dict[str, dict] = {}

    def put(check: str, status: str, why: str = "", urls: list[str] | None = None) -> None:
        item: dict = {"status": status}
        if why:
            item["why"] = why
        if status in ("fail", "warn"):
            item["urls"] = urls or []
        out[check] = item

    letters = _letters(s.id)
    late = [
        x
        for x in letters
        if x.replied is None and months_exceeded(x.submitted, AS_OF, IR_RULE["limit_months"])
    ]
    waiting = [
        x
        for x in letters
        if x.replied is None and x not in late and (AS_OF - x.submitted).days >= IR_RULE["warn_days"]
    ]
    if s.id == "lianxi":
        put("interaction-response", "not_tested", "只公开已回复的信件（选登），看不到未回复的信件")
    elif late:
        put(
            "interaction-response",
            "fail",
            f"留言“{late[0].title}”{(AS_OF - late[0].submitted).days} 天未回复",
            [url(late[0].path)],
        )
    elif waiting:
        put(
            "interaction-response",
            "warn",
            f"留言“{waiting[0].title}”已 {(AS_OF - waiting[0].submitted).days} 天未回复",
            [url(waiting[0].path)],
        )
    else:
        put("interaction-response", "pass")
    if s.id == "czj":  # the dark link's words are on the page (hidden, still published)
        put(
            "expression-errors",
            "warn",
            "首页隐藏链接的文字“皇冠体育”“百家乐”属赌博类禁止内容，待核实",
            [url("/")],
        )
    elif s.id == "rsj":
        put(
            "expression-errors",
            "warn",
            f"领导人姓名疑似写错：{LEADER_WRONG}（应为 {LEADER}），待核实",
            [url("/ztzl/jycy/hyjs.html")],
        )
    else:
        put("expression-errors", "pass")
    if s.id == "xiushui":
        put(
            "personal-data",
            "warn",
            "公示页面和 PDF 附件中各有 1 个校验位正确的公民身份号码（另 1 个校验位错误，不算），待核实",
            [url("/ztzl/gs/lsjz2021.html"), url("/ztzl/gs/lsjz2021.pdf")],
        )
    else:
        put("personal-data", "pass")
    if s.id == "czj":
        put(
            "outside-links",
            "warn",
            f"首页隐藏（display:none）的赌博链接 http://{GAMBLING_HOST}/，待核实",
            [url("/")],
        )
    else:
        put("outside-links", "pass")
    return out


PLANTED = {
    "wuning": ["县长信箱一封来信 100 天未回复（互动回应差）"],
    "lianxi": ["区长信箱只公开已办结的来信（无法判断互动回应）"],
    "sthjj": ["局长信箱一封来信 65 天未回复（预警）"],
    "xiushui": ["临时救助公示页面和 PDF 附件各有一个校验位正确、一个校验位错误的身份证号"],
    "rsj": ["一篇会议报道把受保护的（虚构）领导人姓名罗振东写成罗振冬"],
    "czj": ["首页有隐藏（display:none）的赌博网站链接，域名已失效"],
}


def planted(g) -> list[str]:
    return list(PLANTED.get(g.site.id, []))
