"""The columns of the 2021 notice's further tasks (issue 13) in the simulated web, and their ground truth.

Added to every site after the base generation and before rendering, from a random stream of their own
(``{SEED}:{site}:tasks``), so the rest of the web (titles, dates, ids) is byte-for-byte what it was without them:

- 决策公开 (under 法定主动公开内容): 意见征集 with consultations whose period is printed in the layout's own
  wording, 意见反馈 with the feedback items they link to, 政策解读 with one 解读 per 规范性文件 of the last year
  (linked both ways), and on portals the 重大行政决策事项目录 (a table whose header labels vary by layout);
- 财政预决算 re-titled (this year's 预算, last year's 决算 …), 政府采购, and on portals 政府债务;
- 规划计划 on portals: the 十四五 纲要 with its 解读, special plans with theirs, historical plans;
- 政府公报 on the municipal portal, reached through a page that forwards by meta refresh, with a search form;
- 政府网站工作年度报表 under 政府信息公开 (linked from the home page's 政府信息公开 block).

Planted defects come from ``Site.task_defects`` (see ``DEFECTS``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import TYPE_CHECKING

from .layouts import e
from .model import AS_OF, SEED, ColumnSpec, SectionSpec

if TYPE_CHECKING:  # pragma: no cover
    from .build import Column, GenSite, Generator

CHECK_IDS = ["plans-published", "policy-interpretation", "decision-catalogue", "consultation-period", "fiscal-disclosure",
             "gazette", "annual-statement"]

DEFECTS = {
    "short_consultation": "一条公开征求意见仅 15 天且未说明理由",
    "no_backlink": "一篇政策解读未链接回规范性文件原文",
    "catalogue_no_time": "2021 年度重大行政决策事项目录未列决策时间",
    "no_final_accounts": "未公开 2020 年度决算",
    "no_plan_interpretation": "“十四五”规划纲要未发布解读",
    "no_statement": "未发布 2020 年度政府网站工作年度报表",
    "late_statement": "2020 年度政府网站工作年度报表 3 月 5 日才发布（逾期）",
}

RULES = {
    "consultation-period": "every 意见征集 item of the last year: period >= 30 days (both ends counted) unless a reason is "
                           "stated; ended items link their 采纳情况 feedback, which explains unadopted opinions.",
    "policy-interpretation": "every 规范性文件 of the last 365 days links its 解读 and the 解读 links back; 解读 within 5 days.",
    "decision-catalogue": "municipal/county: the 2021 重大行政决策事项目录 lists 决策事项, 承办单位, 决策时间, 是否听证 "
                          "(departments: not_tested).",
    "plans-published": "municipal/county: the 十四五 纲要 with its 解读, special plans with theirs, 十三五/十二五 plans in 规划计划 "
                       "(departments: not_tested).",
    "gazette": "municipal portal only (others: not_tested): 政府公报 with 2021 issues, newest within 92 days, a search form.",
    "annual-statement": "the 2020 政府网站工作年度报表 by 01-31, linked from the home page or under 政府信息公开; late: warn.",
    "fiscal-disclosure": "2021 预算 by 04-30 and 2020 决算 by 09-30, 政府采购 present; portals: 政府债务 with 限额/余额/发行/还本付息.",
}

_HEADERS = {  # 决策目录 table header per layout: several labels for the same field
    "trs": ["序号", "决策事项名称", "承办单位", "计划决策时间", "是否举行听证"],
    "cluster": ["序号", "事项名称", "承办部门", "决策时间", "是否听证"],
    "hanweb": ["序号", "决策事项", "责任单位", "拟决策时间", "是否需要听证"],
    "legacy": ["序号", "决策事项", "承办单位", "决策时间", "是否听证"],
}
_ITEMS = ["城区老旧小区改造实施方案", "义务教育学校布局调整规划", "城市公共交通发展规划", "生活垃圾分类管理办法",
          "农村供水一体化实施方案", "公立医院改革方案"]


def _d(age: int) -> dt.date:
    return AS_OF - dt.timedelta(days=age)


def cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


class _Planner:
    def __init__(self, gen: Generator):
        self.gen = gen
        self.g: GenSite = gen.g
        self.s = gen.site
        self.rng = random.Random(f"{SEED}:{self.s.id}:tasks")
        self.next_id = 9_000_000 + self.rng.randint(0, 9_999)
        self.channel = 95_000 + self.rng.randint(0, 999)

    # ---------------------------------------------------------------- helpers
    def _ids(self, key: str) -> None:
        self.g.layout.ids.setdefault(key, self.channel)
        self.channel += self.rng.randint(1, 7)

    def section(self, key: str, name: str, parent: str) -> None:
        self._ids(key)
        spec = SectionSpec(key, name, parent)
        self.g.sections[key] = (spec, "")
        self.g.sections[key] = (spec, self.g.layout.section_path(key, self.gen._section_chain(key)))

    def column(self, key: str, name: str, section: str, klass: str = "other") -> Column:
        from .build import Column

        self._ids(key)
        spec = ColumnSpec(key, name, klass, section, count=0)
        col = Column(spec, self.gen._section_chain(section) + [key], self.gen._section_trail(section))
        self.g.columns[key] = col
        return col

    def entry(self, col: Column, title: str, date: dt.date, **extra):
        from .build import Entry

        self.next_id += self.rng.randint(1, 40)
        art = self.next_id
        hexid = f"{self.rng.getrandbits(128):032x}"
        path = self.g.layout.article_path(col.spec.key, col.chain, date, art, hexid)
        en = Entry(title, date, f"{self.rng.randint(8, 17):02d}:{self.rng.randint(0, 59):02d}", path,
                   {"art_id": art, **extra})
        self.gen.used_titles.add(title)
        return en

    def finish(self, col: Column, entries: list) -> None:
        col.entries = sorted(entries, key=lambda en: en.date, reverse=True)
        col.spec.count = len(col.entries)
        lay = self.g.layout
        pages = max(1, math.ceil(len(col.entries) / lay.page_size))
        col.page_paths = [lay.column_page_path(col.spec.key, col.chain, i) for i in range(pages)]

    @property
    def portal(self) -> bool:
        return not self.s.is_dept

    # ---------------------------------------------------------------- parts
    def period_text(self, start: dt.date, end: dt.date) -> str:
        lay = self.s.layout
        if lay == "trs":
            return f"征求意见时间：{cn(start)}至{cn(end)}。"
        if lay == "hanweb":
            return f"征集时间：自{start.isoformat()}起至{end.isoformat()}止。"
        if lay == "cluster":
            return f"开始时间：{start.isoformat()} 结束时间：{end.isoformat()}"
        return f"意见反馈截止时间：{cn(end)}。"  # legacy: counted from the publication date

    def consultations(self) -> None:
        s = self.s
        self.section("jcgk", "决策公开", "fdzdgknr")
        yj = self.column("yjzj", "意见征集", "jcgk")
        fk = self.column("yjfk", "意见反馈", "jcgk")
        things = self.rng.sample(["城市道路占用", "公共租赁住房", "户外广告设置", "城市绿化", "养老服务补贴",
                                  "农田水利设施"], 4)
        # (pub age, days inclusive, feedback, reason)
        plan = [(10, 36, None, ""), (75, 31, "adopted", ""), (200, 35, "none", "")]
        if s.id == "jiujiang":
            plan.append((120, 10, "adopted", "因上级工作时限要求，时间紧迫，本次征求意见期限缩短为10日。"))
        if "short_consultation" in s.task_defects:
            plan.append((60, 15, "adopted", ""))
        yj_entries, fk_entries = [], []
        for (age, days, feedback, reason), thing in zip(plan, things + ["企业技术改造补助资金"], strict=False):
            name = f"《{s.short}{thing}管理办法（征求意见稿）》"
            pub = _d(age)
            start, end = pub, pub + dt.timedelta(days=days - 1)
            body = [f"为广泛听取社会各界意见，现将{name}全文公布，公开征求社会公众意见。",
                    self.period_text(start, end)]
            if reason:
                body.append(reason)
            body.append("意见可通过电子邮件或信函方式反馈，来信请注明“征求意见”字样。")
            en = self.entry(yj, f"关于公开征求{name}意见的公告", pub, paragraphs=body)
            if days == 15:
                en.extra["planted"] = "short"
            yj_entries.append(en)
            if feedback and end < AS_OF:
                fb_date = end + dt.timedelta(days=5)
                if feedback == "adopted":
                    text = [f"{name}征求意见期间，共收到意见建议5条，采纳3条，未采纳2条。",
                            "未采纳的理由：相关建议超出本办法调整范围，已转有关部门研究。"]
                else:
                    text = [f"{name}征求意见期间，未收到意见建议。"]
                fb = self.entry(fk, f"{name}征求意见采纳情况的说明", fb_date, paragraphs=text,
                                links=[(f"征求意见原文：关于公开征求{name}意见的公告", en.path)])
                fk_entries.append(fb)
                en.extra["links"] = [("意见采纳情况", fb.path)]
        self.finish(yj, yj_entries)
        self.finish(fk, fk_entries)

    def interpretations(self) -> None:
        jd = self.column("zcjd", "政策解读", "jcgk")
        entries = []
        policies = [en for en in self.g.columns["gfxwj"].entries if (AS_OF - en.date).days <= 365]
        for n, policy in enumerate(policies):
            subject = policy.title.split("《", 1)[-1].split("》", 1)[0]
            title = f"一图读懂《{subject}》" if n % 3 == 2 else f"《{subject}》政策解读"
            date = min(policy.date + dt.timedelta(days=2), AS_OF)
            links = [(f"政策原文：{policy.title}", policy.path)]
            if n == 0 and "no_backlink" in self.s.task_defects:
                links = []
            en = self.entry(jd, title, date, links=links,
                            paragraphs=[f"一、出台背景：为规范{subject[len(self.s.short):] or subject}工作，制定本办法。",
                                        "二、主要内容：明确了适用范围、职责分工、办理程序和监督管理。",
                                        "三、新旧政策差异：本办法对原有规定作了修改完善。"])
            if not links:
                en.extra["planted"] = "no_backlink"
            policy.extra.setdefault("links", []).append((f"相关解读：{title}", en.path))
            entries.append(en)
        self.finish(jd, entries)

    def catalogue(self) -> None:
        s = self.s
        col = self.column("jcml", "重大行政决策事项目录", "jcgk")
        headers = list(_HEADERS[s.layout])
        entries = []
        for year, date in ((2021, dt.date(2021, 3, 16)), (2020, dt.date(2020, 3, 18)), (2019, dt.date(2019, 3, 20))):
            drop_time = year == 2021 and "catalogue_no_time" in s.task_defects
            heads = [h for h in headers if not (drop_time and "时间" in h)]
            rows = []
            for i, item in enumerate(self.rng.sample(_ITEMS, 3), 1):
                cells = {headers[0]: str(i), headers[1]: f"{s.short}{item}", headers[2]: s.unit,
                         headers[3]: f"{year}年{self.rng.randint(4, 11)}月", headers[4]: self.rng.choice(["是", "否"])}
                rows.append([cells[h] for h in heads])
            table = ('<table class="jcml" border="1"><thead><tr>' + "".join(f"<th>{e(h)}</th>" for h in heads)
                     + "</tr></thead><tbody>" + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>"
                                                       for r in rows) + "</tbody></table>")
            en = self.entry(col, f"{s.short}{year}年度重大行政决策事项目录", date, html=table,
                            paragraphs=[f"根据《江西省县级以上人民政府重大行政决策程序规定》，现将{s.short}{year}年度"
                                        "重大行政决策事项目录予以公布。"])
            if drop_time:
                en.extra["planted"] = "no_time"
            entries.append(en)
        self.finish(col, entries)

    def fiscal(self) -> None:
        s = self.s
        col = self.g.columns["czyjs"]
        rows = [(f"{s.unit}2021年1-11月财政预算执行情况", 8), (f"{s.unit}2020年度决算公开", 97),
                (f"{s.unit}2021年度预算公开", 270), (f"{s.unit}2019年度决算公开", 466),
                (f"{s.unit}2020年度预算公开", 635)]
        if "no_final_accounts" in s.task_defects:
            rows = [r for r in rows if "2020年度决算" not in r[0]]
        self.finish(col, [self.entry(col, t, _d(a)) for t, a in rows])
        cg = self.column("zfcg", "政府采购", "fdzdgknr")
        words = ["办公设备", "物业服务", "道路维修", "信息化运维", "绿化养护", "印刷服务"]
        self.finish(cg, [self.entry(cg, f"{s.short}{w}项目{'采购公告' if i % 2 == 0 else '中标结果公告'}", _d(4 + 9 * i))
                         for i, w in enumerate(words)])
        if self.portal:
            zw = self.column("zfzw", "政府债务", "fdzdgknr")
            rows = []
            for year, base in ((2021, 30), (2020, 390)):
                rows += [(f"{s.short}{year}年政府债务限额和余额情况", base),
                         (f"{s.short}{year}年政府债券发行情况", base + 12),
                         (f"{s.short}{year}年政府债务还本付息情况", base + 20)]
            self.finish(zw, [self.entry(zw, t, _d(a)) for t, a in rows])

    def plans(self) -> None:
        s = self.s
        col = self.g.columns["ghjh"]
        master = f"{s.short}国民经济和社会发展第十四个五年规划和2035年远景目标纲要"
        sp1, sp2 = f"{s.short}“十四五”生态环境保护规划", f"{s.short}“十四五”综合交通运输发展规划"
        rows = [(f"{s.short}2021年国民经济和社会发展计划", 20, "yearly"), (f"《{master}》解读", 262, "master_jd"),
                (master, 263, "master"), (sp1, 150, "sp1"), (f"一图读懂《{sp1}》", 148, "sp1_jd"),
                (sp2, 120, "sp2"), (f"《{sp2}》解读", 118, "sp2_jd"),
                (f"{s.short}国民经济和社会发展第十三个五年规划纲要", 300, "h13"),
                (f"{s.short}国民经济和社会发展第十二个五年规划纲要", 301, "h12")]
        if "no_plan_interpretation" in s.task_defects:
            rows = [r for r in rows if r[2] != "master_jd"]
        made = {key: self.entry(col, title, _d(age)) for title, age, key in rows}
        for plan, jd in (("master", "master_jd"), ("sp1", "sp1_jd"), ("sp2", "sp2_jd")):
            if jd in made:
                made[plan].extra["links"] = [(f"相关解读：{made[jd].title}", made[jd].path)]
                made[jd].extra["links"] = [(f"规划原文：{made[plan].title}", made[plan].path)]
            else:
                made[plan].extra["planted"] = "no_interpretation"
        self.finish(col, list(made.values()))

    def gazette(self) -> None:
        s = self.s
        col = self.column("zfgb", "政府公报", "fdzdgknr")
        issues = [(2021, n, dt.date(2021, n, 25)) for n in range(1, 12)] + \
                 [(2020, n, dt.date(2020, n, 25)) for n in range(1, 13)]
        self.finish(col, [self.entry(col, f"{s.short}人民政府公报{y}年第{n}期", d) for y, n, d in issues])
        self.g.intros["zfgb"] = ('<div class="gb-search"><form action="/search/gb.jsp" method="get">'
                                 '<input type="text" name="keyword" placeholder="请输入关键词">'
                                 '<button type="submit">公报检索</button></form></div>\n')
        # The channel root only forwards to the list, as many CMS channel homes do.
        self.g.pages["/zfgb/"] = ("<!DOCTYPE html>\n<html>\n<head>\n" + self.g.layout.charset_meta()
                                  + f'\n<meta http-equiv="refresh" content="0; url={col.path}">\n'
                                  "<title>政府公报</title>\n</head>\n<body></body>\n</html>\n")
        self.g.home_links.append(("政府公报", "/zfgb/"))

    def statements(self) -> None:
        s = self.s
        if "no_statement" in s.task_defects:
            return
        col = self.column("wzbb", "政府网站工作年度报表", "zfxxgk")
        col.spec.kind = "statement"
        entries = []
        for year in (2020, 2019, 2018):
            date = dt.date(year + 1, 1, self.rng.randint(22, 28))
            if year == 2020 and "late_statement" in s.task_defects:
                date = dt.date(2021, 3, 5)
            en = self.entry(col, f"{s.name}{year}年政府网站工作年度报表", date,
                            html=('<table class="bb" border="1"><tr><th>网站名称</th><td>' + e(s.name) + "</td></tr>"
                                  "<tr><th>首页网址</th><td>http://" + e(s.host) + "/</td></tr>"
                                  "<tr><th>信息发布（条）</th><td>" + str(self.rng.randint(800, 3000)) + "</td></tr></table>"))
            if year == 2020 and "late_statement" in s.task_defects:
                en.extra["planted"] = "late"
            entries.append(en)
        self.finish(col, entries)

    def plan(self) -> None:
        self.consultations()
        self.interpretations()
        if self.portal:
            self.catalogue()
            self.plans()
        self.fiscal()
        if self.s.level == "municipal":
            self.gazette()
        self.statements()


def plan(gen: Generator) -> None:
    """Add the issue-13 sections, columns and entries to a generated site (before rendering)."""
    _Planner(gen).plan()


def article_extra(entry) -> tuple[list[str], str]:
    """Paragraphs replacing the generic body (or []), and HTML to append (tables, related links)."""
    x = entry.extra
    html = x.get("html", "")
    if x.get("links"):
        # Real documents run to pages; a short one whose only link is 相关解读 would read as a dated list row.
        html += f"<p>{e(_LONG)}</p>"
    for text, path in x.get("links", []):
        html += f'<p class="related"><a href="{e(path)}">{e(text)}</a></p>'
    return list(x.get("paragraphs", [])), html


_LONG = ("各地、各有关部门要高度重视，切实加强组织领导，明确责任分工，细化工作措施，认真抓好贯彻落实。"
         "要坚持问题导向，聚焦群众反映强烈的突出问题，建立工作台账，实行销号管理，确保各项任务按时保质完成。"
         "要加强统筹协调，强化部门协作，形成工作合力，及时研究解决工作中遇到的困难和问题。"
         "要加大宣传力度，通过政府网站、政务新媒体等多种渠道，广泛宣传相关政策措施，营造良好社会氛围。"
         "要强化监督检查，将落实情况纳入年度绩效考核，对工作推进不力、落实不到位的，予以通报批评。"
         "执行中遇到的问题，请及时向本机关反映。")


def truth(g: GenSite, put) -> None:  # noqa: ANN001 - build.truth_for's put()
    s, url = g.site, g.url
    calls: dict[str, tuple] = {}

    def keep(check: str, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - put()'s arguments
        calls[check] = (args, kwargs)
    cols = g.columns
    short = [en for en in cols["yjzj"].entries if en.extra.get("planted") == "short"]
    if short:
        keep("consultation-period", "fail", "征求意见仅 15 天且未说明理由", [url(en.path) for en in short])
    else:
        keep("consultation-period", "pass")
    bad = [en for en in cols["zcjd"].entries if en.extra.get("planted") == "no_backlink"]
    if bad:
        keep("policy-interpretation", "fail", "政策解读未链接回原文", [url(en.path) for en in bad])
    else:
        keep("policy-interpretation", "pass")
    if s.is_dept:
        keep("decision-catalogue", "not_tested", "不适用：部门网站")
    else:
        bad = [en for en in cols["jcml"].entries if en.extra.get("planted") == "no_time"]
        if bad:
            keep("decision-catalogue", "fail", "2021 年度目录未列决策时间", [url(en.path) for en in bad])
        else:
            keep("decision-catalogue", "pass")
    if s.is_dept:
        keep("plans-published", "not_tested", "不适用：部门网站")
    else:
        bad = [en for en in cols["ghjh"].entries if en.extra.get("planted") == "no_interpretation"
               and "第十四个五年" in en.title]
        if bad:
            keep("plans-published", "fail", "“十四五”规划纲要无解读", [url(en.path) for en in bad])
        else:
            keep("plans-published", "pass")
    if s.level == "municipal":
        keep("gazette", "pass")
    else:
        keep("gazette", "not_tested", "不适用：仅市政府门户网站")
    if "no_statement" in s.task_defects:
        keep("annual-statement", "fail", "未发布 2020 年度政府网站工作年度报表", [url("/")])
    elif "late_statement" in s.task_defects:
        late = [en for en in cols["wzbb"].entries if en.extra.get("planted") == "late"]
        keep("annual-statement", "warn", "2020 年度报表逾期发布", [url(en.path) for en in late])
    else:
        keep("annual-statement", "pass")
    if "no_final_accounts" in s.task_defects:
        keep("fiscal-disclosure", "fail", "未公开 2020 年度决算", [url(cols["czyjs"].path)])
    else:
        keep("fiscal-disclosure", "pass")
    for check in CHECK_IDS:  # in the order of the ground truth's check list
        args, kwargs = calls[check]
        put(check, *args, **kwargs)
