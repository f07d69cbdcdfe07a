"""Generate the simulated Jiujiang web (static files) and derive its ground truth.

    python -m simweb.build DEST                 # write the web under DEST/<host>/...
    python -m simweb.build --ground-truth       # rewrite simweb/ground_truth.yaml from the model

Deterministic: every random choice comes from ``random.Random(f"{SEED}:{site.id}")`` and every date from
``model.AS_OF``; two builds are byte-identical. Nothing is written outside DEST.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from . import tasks_web, texts
from .layouts import BADGE_PATH, CSS_PATH, LAYOUTS, Layout, e, footer_html, footer_script
from . import vetoes
from .model import (AS_OF, DIRECTORY_HEADERS, FIELDS, GONE_HOST, SEED, SITES, ZONE, ColumnSpec, SectionSpec,
                    Site, columns_for, sections_for)

BUILD_VERSION = "simweb-build-3"
MAX_DEPTH = 6

# A 1x1 transparent PNG (badge, banners).
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
CSS = "body{font-family:'Microsoft YaHei',SimSun,sans-serif;margin:0}.header{background:#b40000;color:#fff}" \
      ".main{width:1200px;margin:0 auto}.list li{line-height:32px}.list span,.date{float:right;color:#999}" \
      ".footer{background:#eee;text-align:center;font-size:12px;padding:20px}\n"
V6_DIFFERENT_PAGE = ("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
                     "<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
                     "installed and working. Further configuration is required.</p>\n</body>\n</html>\n")


# ============================================================================================ generated data

@dataclass
class Entry:
    title: str
    date: dt.date
    hhmm: str
    path: str
    extra: dict = field(default_factory=dict)


@dataclass
class Column:
    spec: ColumnSpec
    chain: list[str]  # section keys from the top, then the column key
    trail: list[tuple[str, str]]  # breadcrumb (name, path) from the home page to the column
    entries: list[Entry] = field(default_factory=list)
    page_paths: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.page_paths[0]


@dataclass
class GenSite:
    site: Site
    layout: Layout
    pages: dict[str, str] = field(default_factory=dict)  # URL path -> HTML (str)
    assets: dict[str, bytes | str] = field(default_factory=dict)  # URL path -> non-HTML content
    columns: dict[str, Column] = field(default_factory=dict)
    sections: dict[str, tuple[SectionSpec, str]] = field(default_factory=dict)  # key -> (spec, path)
    home_rows: list[tuple[str, str, dt.date, str]] = field(default_factory=list)  # title, path, date, printed
    js_links: dict[str, list[str]] = field(default_factory=dict)  # page path -> links only a browser sees
    guide_path: str | None = None
    iframe_path: str | None = None
    broken: list[dict] = field(default_factory=list)  # {source, target, status}
    status_overrides: dict[str, int] = field(default_factory=dict)
    crawled: dict[str, dict[str, int]] = field(default_factory=dict)
    section_rows: dict[str, list[Entry]] = field(default_factory=dict)  # dated rows shown on section pages
    intros: dict[str, str] = field(default_factory=dict)  # column key -> HTML above its list (simweb/tasks_web.py)
    home_links: list[tuple[str, str]] = field(default_factory=list)  # extra 专题专栏 links (name, path)

    def url(self, path: str) -> str:
        return f"http://{self.site.host}{path}"


def _site_rng(site: Site) -> random.Random:
    return random.Random(f"{SEED}:{site.id}")


class Generator:
    def __init__(self, site: Site):
        self.site = site
        self.rng = _site_rng(site)
        self.used_titles: set[str] = set()
        self.next_id = self.rng.randint(4_100_000, 4_900_000)
        ids = {}
        channel = self.rng.randint(10_000, 90_000)
        keys = [s.key for s in sections_for(site)] + [c.key for c in columns_for(site)] + ["zfxxgkzn"]
        for key in keys:
            ids[key] = channel
            channel += self.rng.randint(1, 7)
        self.g = GenSite(site, LAYOUTS[site.layout](site, ids))

    # ---------------------------------------------------------------- helpers
    def _art_id(self) -> int:
        self.next_id += self.rng.randint(1, 40)
        return self.next_id

    def _hhmm(self) -> str:
        return f"{self.rng.randint(8, 17):02d}:{self.rng.randint(0, 59):02d}"

    def _meta(self, column: str | None = None, **extra: str) -> dict[str, str]:
        meta = {"SiteName": self.site.name, "SiteDomain": self.site.host, "SiteIDCode": self.site.site_code}
        if column:
            meta["ColumnName"] = column
        meta.update(extra)
        return meta

    def _nav(self) -> list[tuple[str, str]]:
        nav = [("首页", "/")]
        for key, (spec, path) in self.g.sections.items():
            if spec.parent is None or key in ("zxgk", "xzzfgs", "fdzdgknr"):
                nav.append((spec.name, path))
        return nav

    def _doc(self, title: str, meta: dict, body: str) -> str:
        return self.g.layout.document(title=f"{title}_{self.site.name}", meta=meta, nav=self._nav(), body=body,
                                      footer=footer_html(self.site))

    def _section_trail(self, key: str) -> list[tuple[str, str]]:
        trail = []
        while key:
            spec, path = self.g.sections[key]
            trail.append((spec.name, path))
            key = spec.parent
        return [("首页", "/")] + trail[::-1]

    def _section_chain(self, key: str) -> list[str]:
        chain = []
        while key:
            chain.append(key)
            key = self.g.sections[key][0].parent
        return chain[::-1]

    # ---------------------------------------------------------------- titles
    def _title(self, spec: ColumnSpec, date: dt.date, index: int) -> str:
        r, s = self.rng, self.site
        year = date.year
        towns = texts.TOWNS.get(s.id, texts.DEFAULT_TOWNS)
        topic = lambda: r.choice(texts.TOPICS)  # noqa: E731
        level = s.short[-1] if s.short[-1] in "县区" else "市"
        makers = {
            "gzdt": lambda: r.choice([f"{s.short}召开{topic()}工作推进会", f"{s.short}部署{topic()}工作",
                                      f"{s.short}领导调研{topic()}工作", f"{s.short}举行{topic()}专题培训",
                                      f"{s.short}{topic()}工作取得阶段性成效"]),
            "bmdt": lambda: r.choice([f"{level}{r.choice(['发改委', '财政局', '人社局', '住建局', '应急局', '农业农村局'])}"
                                      f"扎实开展{topic()}工作", f"{s.short}多部门联合开展{topic()}专项行动"]),
            "xzdt": lambda: f"{r.choice(towns)}{r.choice(['扎实推进', '全力抓好', '开展', '部署'])}{topic()}",
            "xqdt": lambda: f"{r.choice(texts.DEFAULT_TOWNS)}{r.choice(['扎实推进', '全力抓好', '部署'])}{topic()}",
            "tzgg": lambda: r.choice([f"关于做好{year}年{topic()}工作的通知", f"关于开展{topic()}专项检查的通知",
                                      f"{s.short}关于{topic()}有关事项的公告", f"关于征集{topic()}意见建议的公告"]),
            "zcwj": lambda: r.choice([f"{s.short}关于印发《{topic()}实施方案》的通知",
                                      f"{s.short}关于进一步加强{topic()}工作的意见",
                                      f"关于印发{year}年{topic()}工作要点的通知"]),
            "gfxwj": lambda: f"{s.unit}关于印发《{s.short}{r.choice(texts.THINGS)}管理办法》的通知",
            "rsxx": lambda: r.choice([f"{s.unit}关于{r.choice(texts.NAMES)}等同志职务任免的通知",
                                      f"{s.short}{year}年公开招聘工作人员公告",
                                      f"关于{r.choice(texts.NAMES)}同志拟任职的公示"]),
            "ghjh": lambda: r.choice([f"{s.short}{year}年{topic()}工作计划", f"{s.short}“十四五”{topic()}规划",
                                      f"{s.short}{year}年{topic()}实施计划"]),
            "czyjs": lambda: r.choice([f"{s.unit}{year}年部门预算公开", f"{s.unit}{year - 1}年部门决算公开",
                                       f"{s.short}{year}年{date.month}月财政预算执行情况"]),
            "zfxxgkzd": lambda: f"{s.short}{r.choice(['政府信息公开保密审查制度', '政府信息主动公开制度', '依申请公开政府信息工作规程', '政府信息公开工作考核制度', '政府信息发布协调制度'])}",
            "zdgz": lambda: f"{year}年{topic()}重点工作落实情况（{date.month}月）",
            "zczx": lambda: r.choice([f"{topic()}政策执行情况报告", f"关于{topic()}政策落实情况的通报"]),
            "msss": lambda: f"{year}年民生实事项目推进情况（{date.month}月）",
            "dcdb": lambda: f"关于{topic()}督查情况的通报",
            "jyta": lambda: r.choice([f"对{s.short}{year}年人大代表第{r.randint(1, 180)}号建议的答复",
                                      f"对政协{s.short}委员会第{r.randint(1, 150)}号提案的答复"]),
            "xzxk": lambda: f"{r.choice(texts.COMPANIES)}{r.choice(texts.PERMITS)}决定",
            "xzcf": lambda: f"{s.short}行政处罚决定书（{s.doc_prefix[:2]}罚决字〔{year}〕{r.randint(1, 300)}号）",
        }
        if spec.kind == "field":
            return texts.unique_title(r, lambda: f"{s.short}{spec.name}领域{r.choice(['信息公开事项清单', '工作情况通报', '政策措施', '办事指南', '公示公告', '资金发放情况'])}", self.used_titles)
        maker = makers.get(spec.key, lambda: f"{s.short}{spec.name}（{index + 1}）")
        return texts.unique_title(r, maker, self.used_titles)

    # ---------------------------------------------------------------- entries
    def _dates(self, spec: ColumnSpec) -> list[dt.date]:
        age = self.rng.randint(5, 100) if spec.kind == "field" else spec.newest_age
        ages = []
        for _ in range(spec.count):
            ages.append(age)
            age += self.rng.randint(max(1, spec.spacing // 2), max(1, spec.spacing * 3 // 2))
        return [AS_OF - dt.timedelta(days=a) for a in ages]

    def _entries(self, col: Column) -> list[Entry]:
        spec, s = col.spec, self.site
        out: list[Entry] = []
        if spec.kind in ("annual", "stats"):
            years = s.annual_years if spec.kind == "annual" else s.stats_years
            gov_report = spec.kind == "annual" and not s.is_dept
            for year in sorted(years, reverse=True):
                month = 3 if gov_report else 1
                date = dt.date(year + 1, month, self.rng.randint(20, 29))
                what = "政府信息公开工作年度报告" if spec.kind == "annual" else "行政执法统计年报"
                title = f"{s.unit}{year}年{what}"
                self.used_titles.add(title)
                out.append(Entry(title, date, self._hhmm(), "", {"year": year}))
        else:
            for i, date in enumerate(self._dates(spec)):
                out.append(Entry(self._title(spec, date, i), date, self._hhmm(), ""))
        for n, entry in enumerate(out):
            art = self._art_id()
            hexid = f"{self.rng.getrandbits(128):032x}"
            entry.path = self.g.layout.article_path(spec.key, col.chain, entry.date, art, hexid)
            entry.extra["art_id"] = art
            if spec.kind == "normative":
                self._normative_extra(entry, n, art)
        return out

    def _normative_extra(self, entry: Entry, n: int, art: int) -> None:
        s = self.site
        year = entry.date.year
        entry.extra.update(
            docno=f"{s.doc_prefix}〔{year}〕{self.rng.randint(1, 30)}号",
            written=entry.date - dt.timedelta(days=self.rng.randint(2, 9)),
            index_no=f"{s.site_code[:9]}/{year}-{art % 100000:05d}",
        )
        if year <= 2016:
            validity = self.rng.choice(["失效", "废止"])
        elif year <= 2018:
            validity = self.rng.choice(["有效", "已修改", "有效", "失效"])
        else:
            validity = "有效"
        entry.extra["validity"] = validity
        defect = s.normative_defects.get(n)
        if defect == "no_validity":
            entry.extra["validity"] = ""
        elif defect == "no_docno":
            entry.extra["docno"] = ""
        if defect:
            entry.extra["defect"] = defect

    # ---------------------------------------------------------------- structure
    def generate(self) -> GenSite:
        g, s, lay = self.g, self.site, self.g.layout
        for spec in sections_for(s):
            g.sections[spec.key] = (spec, "")
        for key, (spec, _) in list(g.sections.items()):
            chain = self._section_chain(key)
            g.sections[key] = (spec, lay.section_path(key, chain))
        for spec in columns_for(s):
            chain = self._section_chain(spec.section) + [spec.key]
            trail = self._section_trail(spec.section)
            col = Column(spec, chain, trail)
            g.columns[spec.key] = col
        if "guide" not in s.missing_parts:
            g.guide_path = lay.section_path("zfxxgkzn", ["zfxxgk", "zfxxgkzn"])
        for col in g.columns.values():
            col.entries = self._entries(col)
            pages = 1 if col.spec.js else max(1, math.ceil(len(col.entries) / lay.page_size))
            col.page_paths = [lay.column_page_path(col.spec.key, col.chain, i) for i in range(pages)]
        tasks_web.plan(self)  # issue 13's columns, from their own random stream (the rest is unchanged)
        self._plant_broken()
        for col in g.columns.values():
            self._render_column(col)
            for entry in col.entries:
                self._render_article(col, entry)
        for key in g.sections:
            self._render_section(key)
        if g.guide_path:
            self._render_guide()
        self._render_home()
        vetoes.plant(self)  # issue 12: letters, a misspelt name, ID numbers, a dark link (additive pages)
        g.assets[CSS_PATH] = CSS
        g.assets[BADGE_PATH] = PNG_1PX
        g.assets["/robots.txt"] = "User-agent: *\nAllow: /\n"
        if s.image_topic_link:
            g.assets["/images/jczwgk_banner.png"] = PNG_1PX
        if s.script_footer:
            g.assets["/js/footer.js"] = footer_script(s)
        return g

    def _plant_broken(self) -> None:
        g = self.g
        for where, target, status in self.site.broken:
            if where == "home":
                source = "/"
            elif where == "notice-article":
                source = g.columns["tzgg"].entries[0].path
            elif where == "news-article":
                source = g.columns["gzdt"].entries[0].path
            else:
                raise ValueError(where)
            if status == 500:
                g.status_overrides[target] = 500
            g.broken.append({"source": source, "target": target, "status": status})

    def _broken_links_from(self, path: str) -> str:
        links = [b for b in self.g.broken if b["source"] == path]
        return "".join(f'<p>相关链接：<a href="{e(b["target"])}">{"相关附件" if b["status"] else "原网站"}</a></p>'
                       for b in links)

    # ---------------------------------------------------------------- renderers
    def _render_column(self, col: Column) -> None:
        g, lay, spec = self.g, self.g.layout, col.spec
        trail = col.trail + [(spec.name, None)]
        head = f'{lay.crumbs(trail)}\n<div class="column-title"><h2>{e(spec.name)}</h2></div>\n'
        intro = ""
        if spec.kind == "field":
            intro = self._field_intro(col)
        intro += g.intros.get(spec.key, "")
        for i, path in enumerate(col.page_paths):
            rows = col.entries[i * lay.page_size:(i + 1) * lay.page_size]
            if spec.js:
                body = self._js_list(col)
            elif not rows:
                body = '<ul class="list"></ul><p class="empty">暂无信息</p>'
            elif spec.kind == "normative" and self.site.normative_in_list:
                body = self._normative_table(rows, i * lay.page_size)
            else:
                body = lay.list_rows([(en.title, en.path, en.date) for en in rows])
            body = head + (intro if i == 0 else "") + f'<div class="list-box">{body}</div>\n' + \
                lay.pager(col.page_paths, i)
            g.pages[path] = self._doc(spec.name, self._meta(spec.name, ColumnType=spec.name), body)

    def _js_list(self, col: Column) -> str:
        data = [{"title": en.title, "url": en.path, "date": en.date.isoformat()} for en in col.entries]
        self.g.js_links[col.path] = [en.path for en in col.entries]
        payload = json.dumps(data, ensure_ascii=False)
        return ('<ul id="infoList" class="list"></ul>\n<script>\nvar listData = ' + payload + ';\n'
                "(function () {\n  var ul = document.getElementById('infoList');\n"
                "  for (var i = 0; i < listData.length; i++) {\n    var d = listData[i];\n"
                "    var li = document.createElement('li');\n"
                "    li.innerHTML = '<a href=\"' + d.url + '\" target=\"_blank\">' + d.title + '</a><span>' + d.date"
                " + '</span>';\n    ul.appendChild(li);\n  }\n})();\n</script>")

    def _normative_table(self, rows: list[Entry], start: int) -> str:
        head = "<tr><th>序号</th><th>标题</th><th>文号</th><th>成文日期</th><th>发布日期</th><th>有效性</th></tr>"
        body = ""
        for n, en in enumerate(rows, start + 1):
            x = en.extra
            body += (f'<tr><td>{n}</td><td><a href="{e(en.path)}" target="_blank">{e(en.title)}</a></td>'
                     f"<td>{e(x['docno'])}</td><td>{x['written'].isoformat()}</td><td>{en.date.isoformat()}</td>"
                     f"<td>{e(x['validity'])}</td></tr>")
        return f'<table class="gfxwj-list" width="100%"><thead>{head}</thead><tbody>{body}</tbody></table>'

    def _field_intro(self, col: Column) -> str:
        spec, s, r = col.spec, self.site, self.rng
        if spec.key in s.fields_without_table:
            return f'<div class="intro"><p>本栏目公开{e(spec.name)}领域相关信息。</p></div>\n'
        rows = []
        for n in range(1, r.randint(3, 5) + 1):
            item = f"{spec.name}/{r.choice(['政策文件', '办事指南', '实施情况', '资金管理', '监督检查'])}"
            rows.append([str(n), item, f"{spec.name}相关{r.choice(['政策文件', '工作流程', '结果信息'])}",
                         "《中华人民共和国政府信息公开条例》", "信息形成或者变更之日起20个工作日内",
                         f"{s.unit}", "■政府网站 □两微一端 □公开查阅点", "全社会", "主动公开",
                         r.choice(["县级", "县级、乡级"])])
        return (f'<div class="bzml-box"><h3>{e(spec.name)}领域基层政务公开标准目录</h3>\n'
                f"{self.g.layout.directory_table(rows)}</div>\n<h3>信息公开</h3>\n")

    def _render_article(self, col: Column, entry: Entry) -> None:
        lay, spec = self.g.layout, col.spec
        trail = col.trail + [(spec.name, col.path), ("正文", None)]
        pub = f"{entry.date.isoformat()} {entry.hhmm}"
        parts = [lay.crumbs(trail), f'<div class="article"><h1 class="title">{e(entry.title)}</h1>']
        if spec.kind == "normative":
            x = entry.extra
            rows = [(lay.label("索引号"), x["index_no"]), ("发布机构", self.site.unit),
                    ("发文字号", x["docno"]), ("主题分类", "综合政务"), ("成文日期", x["written"].isoformat()),
                    ("发布日期", entry.date.isoformat()), (lay.label("有效性"), x["validity"]), ("公开方式", "主动公开")]
            parts.append(lay.meta_table(rows))
        elif self.site.layout == "cluster":
            rows = [(lay.label("索引号"), f"{self.site.site_code[:9]}/{entry.date.year}-"
                     f"{entry.extra['art_id'] % 100000:05d}"), ("生成日期", entry.date.isoformat()),
                    ("公开方式", "主动公开"), ("责任部门", self.site.unit)]
            parts.append(lay.meta_table(rows))
        parts.append(f'<div class="info">{lay.article_date_line(entry.date, entry.hhmm)}'
                     f"<span>来源：{e(self.site.unit)}</span></div>")
        paragraphs = texts.body_paragraphs(self.rng)
        if spec.kind == "annual":
            paragraphs = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                          "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
        own, extra = tasks_web.article_extra(entry)
        body = "".join(f"<p>{e(p)}</p>" for p in (own or paragraphs)) + extra
        parts.append(f'<div class="content">{body}{self._broken_links_from(entry.path)}</div></div>')
        meta = self._meta(spec.name, ArticleTitle=entry.title, PubDate=pub, ContentSource=self.site.unit)
        self.g.pages[entry.path] = self._doc(entry.title, meta, "\n".join(parts))

    def _section_children(self, key: str) -> list[tuple[str, str, str | None]]:
        """(name, path, image) of what a section page links to."""
        g, s = self.g, self.site
        out = []
        if key == "zfxxgk":
            if g.guide_path:
                out.append(("政府信息公开指南", g.guide_path, None))
            if "zfxxgkzd" in g.columns:
                out.append(("政府信息公开制度", g.columns["zfxxgkzd"].path, None))
            out.append((s.label_fdzd, g.sections["fdzdgknr"][1], None))
            if "zfxxgknb" in g.columns:
                out.append((s.label_nb, g.columns["zfxxgknb"].path, None))
            out += [(c.spec.name, c.path, None) for c in g.columns.values()
                    if c.spec.section == "zfxxgk" and c.spec.kind == "statement"]
            return out
        for skey, (spec, path) in g.sections.items():
            if spec.parent == key:
                out.append((spec.name, path, None))
        for col in g.columns.values():
            if col.spec.section == key and col.spec.key not in ("zfxxgkzd", "zfxxgknb") and col.spec.kind != "statement":
                out.append((col.spec.name, col.path, None))
        return out

    def _columns_under(self, key: str) -> list[Column]:
        out = [c for c in self.g.columns.values() if c.spec.section == key]
        for skey, (spec, _) in self.g.sections.items():
            if spec.parent == key:
                out += self._columns_under(skey)
        return out

    def _preview(self, path: str, n: int) -> list[Entry]:
        """Newest entries a section page shows for one of its children (a column or a sub-section)."""
        for col in self.g.columns.values():
            if col.path == path:
                return col.entries[:n]
        for skey, (_, spath) in self.g.sections.items():
            if spath == path:
                entries = [en for c in self._columns_under(skey) for en in c.entries]
                return sorted(entries, key=lambda en: (en.date, en.hhmm), reverse=True)[:n]
        return []

    def _render_section(self, key: str) -> None:
        """A section page previews each child (column or sub-section) with its newest dated rows, as TRS does."""
        g, lay = self.g, self.g.layout
        spec, path = g.sections[key]
        trail = self._section_trail(key)
        trail[-1] = (trail[-1][0], None)
        n = 1 if key == "jczwgk" else 3
        boxes, shown = [], []
        for name, child, _ in self._section_children(key):
            rows = self._preview(child, n)
            shown += rows
            listing = lay.list_rows([(en.title, en.path, en.date) for en in rows]) if rows else ""
            boxes.append(f'<div class="lanmu-box"><div class="lanmu-title"><a href="{e(child)}">{e(name)}</a>'
                         f'<a href="{e(child)}" class="more">更多</a></div>{listing}</div>')
        g.section_rows[key] = shown
        intro = ""
        if key == "jczwgk":
            intro = ("<p>按照国务院办公厅《关于全面推进基层政务公开标准化规范化工作的指导意见》要求，"
                     f"现将{e(self.site.short)}试点领域基层政务公开标准目录及相关信息集中公开。</p>")
        body = (f'{lay.crumbs(trail)}\n<div class="column-title"><h2>{e(spec.name)}</h2></div>\n'
                f'{intro}<div class="lanmu">\n' + "\n".join(boxes) + "\n</div>")
        g.pages[path] = self._doc(spec.name, self._meta(spec.name, ColumnType=spec.name), body)

    def _render_guide(self) -> None:
        s, lay = self.site, self.g.layout
        trail = self._section_trail("zfxxgk") + [("政府信息公开指南", None)]
        date = dt.date(2021, 3, 5)
        paragraphs = [f"为了保障公民、法人和其他组织依法获取政府信息，根据《中华人民共和国政府信息公开条例》，"
                      f"结合{s.unit}工作实际，编制本指南。", "一、主动公开", "二、依申请公开", "三、收费标准",
                      "四、监督和救济", f"办公地址：九江市{s.short}政务服务中心；办公时间：工作日上午8:30-12:00，下午14:30-17:30。"]
        body = (f"{lay.crumbs(trail)}\n<div class=\"article\"><h1 class=\"title\">{e(s.unit)}政府信息公开指南</h1>"
                f'<div class="info">{lay.article_date_line(date, "10:00")}</div><div class="content">'
                + "".join(f"<p>{e(p)}</p>" for p in paragraphs) + "</div></div>")
        meta = self._meta("政府信息公开指南", ArticleTitle=f"{s.unit}政府信息公开指南", PubDate=f"{date} 10:00")
        self.g.pages[self.g.guide_path] = self._doc("政府信息公开指南", meta, body)

    def _disclosure_block(self) -> str:
        links = " ".join(f'<a href="{e(p)}">{e(n)}</a>' for n, p, _ in self._section_children("zfxxgk"))
        gfx = self.g.columns["gfxwj"]
        return (f'<div class="xxgk-box"><h3><a href="{e(self.g.sections["zfxxgk"][1])}">政府信息公开</a></h3>'
                f'<p class="xxgk-links">{links} <a href="{e(gfx.path)}">规范性文件</a></p></div>')

    def _render_home(self) -> None:
        g, s, lay = self.g, self.site, self.g.layout
        blocks = []

        def box(title: str, key: str, n: int, cls: str) -> str:
            col = g.columns[key]
            rows = [(en.title, en.path, en.date) for en in col.entries[:n]]
            for t, p, d in rows:
                g.home_rows.append((t, p, d, lay.home_date(d)))
            return (f'<div class="{cls}"><div class="box-title"><h3>{e(col.spec.name)}</h3>'
                    f'<a href="{e(col.path)}" class="more">更多</a></div>{lay.home_rows(rows)}</div>')

        blocks.append(box("要闻", "gzdt", 8, "yw-box"))
        blocks.append(box("通知公告", "tzgg", 6, "tzgg-box"))
        second = "bmdt" if "bmdt" in g.columns else "xqdt"
        blocks.append(box("动态", second, 5, "dt-box"))
        if s.iframe_block:
            g.iframe_path = f"/include/xxgk_block.html"
            frag = ("<!DOCTYPE html>\n<html>\n<head>\n" + lay.charset_meta() + "\n<title>政府信息公开</title>\n"
                    "<base target=\"_top\">\n</head>\n<body>\n" + self._disclosure_block() + "\n</body>\n</html>\n")
            g.pages[g.iframe_path] = frag
            blocks.append(f'<div class="xxgk-frame"><iframe src="{g.iframe_path}" width="580" height="120" '
                          'frameborder="0" scrolling="no" title="政府信息公开"></iframe></div>')
        else:
            blocks.append(self._disclosure_block())
        special = []
        if "jczwgk" in g.sections:
            path = g.sections["jczwgk"][1]
            if s.image_topic_link:
                special.append(f'<a href="{e(path)}"><img src="/images/jczwgk_banner.png" '
                               'alt="基层政务公开标准化规范化专题" width="380" height="90"></a>')
            else:
                special.append(f'<a href="{e(path)}">基层政务公开标准化规范化</a>')
        special.append(f'<a href="{e(g.sections["zxgk"][1])}">执行公开</a>')
        special.append(f'<a href="{e(g.sections["xzzfgs"][1])}">{e(s.label_zfgs)}</a>')
        special.append(f'<a href="{e(g.columns["czyjs"].path)}">财政预决算</a>')
        special += [f'<a href="{e(p)}">{e(n)}</a>' for n, p in g.home_links]
        blocks.append('<div class="zt-box"><h3>专题专栏</h3>' + " ".join(special) + "</div>")
        friends = self._broken_links_from("/")
        if friends:
            blocks.append(f'<div class="links-box"><h3>友情链接</h3>{friends}</div>')
        g.pages["/"] = self._doc("首页", self._meta(None, ColumnName="首页"), "\n".join(blocks))
        # the title of the home page is the site name itself
        g.pages["/"] = g.pages["/"].replace(f"<title>首页_{e(s.name)}</title>", f"<title>{e(s.name)}</title>", 1)


# ============================================================================================ crawl model

_HREF_RE = re.compile(r'<(?:a|area)\b[^>]*?\bhref="([^"]*)"|<i?frame\b[^>]*?\bsrc="([^"]*)"'
                      r'|<meta http-equiv="refresh" content="\d+; url=([^"]*)"', re.I)


def _links(html: str) -> list[str]:
    """a/area href, iframe/frame src and meta-refresh targets (the generator writes double-quoted attributes only)."""
    return [unescape(m.group(1) or m.group(2) or m.group(3)) for m in _HREF_RE.finditer(html)]


def crawl(g: GenSite, *, render: bool) -> dict[str, int]:
    """What a crawler following a/area/iframe/frame links inside the host stores: {path: depth}."""
    key = "render" if render else "static"
    if key not in g.crawled:
        g.crawled[key] = _crawl(g, render)
    return g.crawled[key]


def _crawl(g: GenSite, render: bool) -> dict[str, int]:
    host = g.site.host
    depth = {"/": 0}
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        base = f"http://{host}{path}"
        hrefs = _links(g.pages[path]) + (g.js_links.get(path, []) if render else [])
        for href in hrefs:
            if href.startswith("/") and not href.startswith("//"):
                target = href.split("#", 1)[0]
            else:
                parts = urlsplit(urljoin(base, href))
                if parts.hostname != host:
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in depth or target not in g.pages:
                continue
            depth[target] = depth[path] + 1
            queue.append(target)
    return depth


# ============================================================================================ ground truth

CHECK_IDS = ["site-unreachable", "homepage-stale", "stale-columns", "disclosure-column", "annual-report",
             "standardization-topic", "normative-documents", "ipv6-support", "enforcement-disclosure",
             "execution-disclosure", "broken-links", "site-markings"] + tasks_web.CHECK_IDS + vetoes.CHECKS

RULES = {
    "urls": "URLs are written without a port: compare scheme-less host + path (+ query), or call "
            "simweb.truth.load(http_port=...) to get them with the port.",
    "homepage-stale": "fail when the newest dated item on the home page is older than 14 days (as_of - 14).",
    "stale-columns": "classes by column name: 动态/要闻 14 d, 通知公告/政策文件/规范性文件 180 d, 人事信息/规划计划 365 d; "
                     "other columns (制度, 年报, 财政预决算, 执行公开, 行政执法, 专题领域) 365 d (德安 default); section "
                     "pages (政务动态, 政府信息公开 ...) preview their children's newest rows and are judged like columns. "
                     "fail (veto) at >=5 stale 动态+通知 columns, >=10 long-unupdated or >=5 blank; below that any "
                     "stale or blank column is a deduction (fail). warn: only columns within 30 days of a limit >=180 d.",
    "annual-report": "the previous year's (2020) 政府信息公开工作年度报告 must be in the 年报 list.",
    "standardization-topic": "county portals only (others: not_tested); all 26 fields with a 标准目录 table each.",
    "normative-documents": "every 规范性文件 shows 文号, 成文/发布日期 and 有效性 (in the list row or on the "
                           "article's metadata table).",
    "ipv6-support": "municipal/county: AAAA + same home page over IPv6, else fail; departments without AAAA: warn "
                    "(reported without points).",
    "enforcement-disclosure": "newest 行政许可 and 行政处罚 within 7 working days of as_of; 2020 行政执法统计年报 present.",
    "execution-disclosure": "every 执行公开 column updated within 180 days; warn from day 160.",
    "broken-links": "urls = pages carrying the broken link (targets = the broken targets).",
    "site-markings": "网站标识码, ICP备案号, 公网安备号, 党政机关标识 in the home-page footer; a footer written by script "
                     "is not_tested from static HTML (pass when rendered).",
    "counts": "pages = distinct HTML URLs answering 200 reachable from the home page through a/area/iframe/frame "
              "links inside the host, JS-drawn list links included (pages_static: without running scripts); "
              "list_entries = dated rows on every column list page (pagination included) and section page, "
              "home page and JS-drawn rows excluded (home_entries, js_entries).",
    **tasks_web.RULES,
    "unreachable": "a site that cannot be reached: site-unreachable fail, every other check not_tested.",
    **vetoes.RULES,
}


def _workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to ``end`` (no public holiday falls in the windows used here)."""
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n += 1
    return n


def _klass(name: str) -> str | None:
    if "动态" in name or "要闻" in name:
        return "news"
    if any(w in name for w in ("通知", "公告", "政策文件", "规范性文件")):
        return "notice"
    if any(w in name for w in ("人事", "规划", "计划")):
        return "personnel"
    return None


@dataclass
class _Judged:
    """A list page judged by stale-columns (a column or a section page)."""

    name: str
    path: str

    @property
    def spec(self):  # the same access path as Column.spec.name
        return self


def truth_for(g: GenSite) -> dict:
    s = g.site
    url = g.url
    home = url("/")
    checks: dict[str, dict] = {}

    def put(check: str, status: str, why: str = "", urls: list[str] | None = None, **extra) -> None:
        item = {"status": status}
        if status in ("fail", "warn", "not_tested") and why:
            item["why"] = why
        if status in ("fail", "warn"):
            item["urls"] = urls or []
        item.update(extra)
        checks[check] = item

    if s.down:
        put("site-unreachable", "fail", "服务器对每个连接立即关闭，首页无法打开", [home])
        for check in CHECK_IDS[1:]:
            put(check, "not_tested", "站点无法访问")
        return checks
    put("site-unreachable", "pass")

    # homepage-stale
    newest_home = max(d for _, _, d, _ in g.home_rows)
    age = (AS_OF - newest_home).days
    if age > 14:
        put("homepage-stale", "fail", f"首页最新信息 {newest_home}（{age} 天前）", [home])
    else:
        put("homepage-stale", "pass")

    # stale-columns
    from .model import EARLY_WARNING_DAYS, LIMITS
    stale, blank, warn = [], [], []
    judged = []  # (name, path, entries, class)
    for col in g.columns.values():
        klass = (_klass(col.spec.name) if col.spec.kind not in ("field", "annual", "stats") and
                 col.spec.klass not in ("execution", "enforcement", "other") else None) or "other"
        judged.append((col.spec.name, col.path, col.entries, klass))
    for key, (spec, path) in g.sections.items():
        judged.append((spec.name, path, g.section_rows[key], _klass(spec.name) or "other"))
    for name, path, entries, klass in judged:
        col = _Judged(name, path)
        if not entries:
            blank.append(col)
            continue
        if klass is None:
            continue
        age = (AS_OF - max(en.date for en in entries)).days
        limit = LIMITS[klass]
        if age > limit:
            stale.append((col, klass, age))
        elif limit >= 180 and age >= limit - EARLY_WARNING_DAYS:
            warn.append((col, klass, age))
    if stale or blank:
        dn = sum(1 for _, k, _ in stale if k in ("news", "notice"))
        veto = dn >= 5 or sum(1 for _, k, _ in stale if k in ("personnel", "other")) >= 10 or len(blank) >= 5
        desc = [f"{c.spec.name} {a} 天未更新" for c, _, a in stale] + [f"{c.spec.name} 为空白栏目" for c in blank]
        put("stale-columns", "fail", ("单项否决：" if veto else "") + "；".join(desc),
            [url(c.path) for c, _, _ in stale] + [url(c.path) for c in blank], veto=veto)
    elif warn:
        put("stale-columns", "warn", "；".join(f"{c.spec.name} {a} 天未更新（临近期限）" for c, _, a in warn),
            [url(c.path) for c, _, _ in warn])
    else:
        put("stale-columns", "pass")

    # disclosure-column
    missing = [n for part, n in (("guide", "政府信息公开指南"), ("rules", "政府信息公开制度"),
                                 ("catalogue", "法定主动公开内容"), ("annual", "政府信息公开年报"))
               if part in s.missing_parts]
    if missing:
        put("disclosure-column", "fail", "政府信息公开专栏缺：" + "、".join(missing), [url(g.sections["zfxxgk"][1])])
    else:
        put("disclosure-column", "pass")

    # annual-report
    nb = g.columns.get("zfxxgknb")
    if nb is None or 2020 not in s.annual_years:
        put("annual-report", "fail", "未公开 2020 年政府信息公开工作年度报告",
            [url(nb.path if nb else g.sections["zfxxgk"][1])])
    else:
        put("annual-report", "pass")

    # standardization-topic
    if not s.is_county:
        put("standardization-topic", "not_tested", "不适用：仅县级政府门户须设基层政务公开标准化规范化专题")
    elif s.missing_fields or s.fields_without_table:
        urls, why = [], []
        if s.missing_fields:
            names = [n for slug, n, _ in FIELDS if slug in s.missing_fields]
            urls.append(url(g.sections["jczwgk"][1]))
            why.append(f"专题缺 {len(names)} 个领域（{'、'.join(names)}）")
        if s.fields_without_table:
            cols = [g.columns[k] for k in s.fields_without_table]
            urls += [url(c.path) for c in cols]
            why.append("、".join(c.spec.name for c in cols) + " 无标准目录")
        put("standardization-topic", "fail", "；".join(why), urls)
    else:
        put("standardization-topic", "pass")

    # normative-documents
    bad = [en for en in g.columns["gfxwj"].entries if en.extra.get("defect")]
    if bad:
        put("normative-documents", "fail", f"{len(bad)} 件规范性文件缺文号或有效性", [url(en.path) for en in bad],
            list_url=url(g.columns["gfxwj"].path))
    else:
        put("normative-documents", "pass")

    # ipv6-support
    if s.ipv6 == "dual":
        put("ipv6-support", "pass")
    elif s.ipv6 == "v6diff":
        put("ipv6-support", "fail", "IPv6 访问首页内容与 IPv4 不一致", [home])
    elif s.is_dept:
        put("ipv6-support", "warn", "部门网站无 AAAA 记录（仅 IPv4，不计分）", [home])
    else:
        put("ipv6-support", "fail", "无 AAAA 记录，不支持 IPv6 访问", [home])

    # enforcement-disclosure
    why, urls = [], []
    for key in ("xzxk", "xzcf"):
        col = g.columns[key]
        newest = max(en.date for en in col.entries)
        wd = _workdays_between(newest, AS_OF)
        if wd > 7:
            why.append(f"{col.spec.name}最新一条 {newest}（{wd} 个工作日前）")
            urls.append(url(col.path))
    if 2020 not in s.stats_years:
        why.append("未公开 2020 年行政执法统计年报")
        urls.append(url(g.columns["zftjnb"].path))
    extra = {}
    if s.level == "municipal":  # the portal is not itself an enforcement agency: either reading is accepted
        extra["accept"] = ["not_tested"]
    put("enforcement-disclosure", "fail" if why else "pass", "；".join(why), urls, **extra)

    # execution-disclosure
    fails, warns = [], []
    for col in g.columns.values():
        if col.spec.klass != "execution":
            continue
        age = (AS_OF - max(en.date for en in col.entries)).days
        if age > 180:
            fails.append((col, age))
        elif age >= 160:
            warns.append((col, age))
    if fails:
        put("execution-disclosure", "fail", "；".join(f"{c.spec.name} {a} 天未更新" for c, a in fails),
            [url(c.path) for c, _ in fails])
    elif warns:
        put("execution-disclosure", "warn", "；".join(f"{c.spec.name} {a} 天未更新（临近 180 天）" for c, a in warns),
            [url(c.path) for c, _ in warns])
    else:
        put("execution-disclosure", "pass")

    # broken-links
    if g.broken:
        def target_url(t: str) -> str:
            return t if t.startswith("http") else url(t)
        put("broken-links", "fail", "；".join(
            f"{target_url(b['target'])} {'返回 ' + str(b['status']) if b['status'] else '域名无法解析'}"
            for b in g.broken), sorted({url(b["source"]) for b in g.broken}),
            targets=[target_url(b["target"]) for b in g.broken])
    else:
        put("broken-links", "pass")

    # site-markings
    if s.script_footer:
        put("site-markings", "not_tested", "页脚由脚本（/js/footer.js）写出，静态 HTML 中没有标识", accept=["pass"])
    elif s.footer_missing:
        names = {"icp": "ICP备案号", "psb": "公网安备号", "code": "网站标识码", "badge": "党政机关标识"}
        put("site-markings", "fail", "页脚缺" + "、".join(names[m] for m in s.footer_missing), [home])
    else:
        put("site-markings", "pass")
    tasks_web.truth(g, put)
    checks.update(vetoes.truth(g))  # issue 12's four checks, after the others (CHECK_IDS order)
    return checks


def site_truth(g: GenSite) -> dict:
    s = g.site
    out: dict = {"host": s.host, "name": s.name, "level": s.level, "unit": s.unit, "site_code": s.site_code,
                 "parent": s.parent, "layout": s.layout, "charset": s.charset,
                 "ipv6": {"dual": "dual-stack", "v4only": "ipv4-only", "v6diff": "dual-stack, IPv6 serves another page"}[s.ipv6],
                 "planted": list(s.defects) + [tasks_web.DEFECTS[d] for d in s.task_defects] + vetoes.planted(g)}
    if s.down:
        out.update(pages=0, list_entries=0)
    else:
        rendered = crawl(g, render=True)
        static = crawl(g, render=False)
        out["pages"] = len(rendered)
        if len(static) != len(rendered):
            out["pages_static"] = len(static)
        out["max_depth"] = max(rendered.values())
        js_cols = [c for c in g.columns.values() if c.spec.js]
        out["list_entries"] = sum(len(c.entries) for c in g.columns.values() if not c.spec.js) + \
            sum(len(rows) for rows in g.section_rows.values()) + vetoes.list_entries(g)
        if js_cols:
            out["js_entries"] = sum(len(c.entries) for c in js_cols)
            out["js_list_urls"] = [g.url(c.path) for c in js_cols]
        out["home_entries"] = len(g.home_rows)
        out["columns"] = len(g.columns)
        out["samples"] = _samples(g)
    out["checks"] = truth_for(g)
    return out


def _samples(g: GenSite) -> list[dict]:
    lay = g.layout
    picks = []
    gz = g.columns["gzdt"]
    picks.append((gz, 0, 0))
    if len(gz.page_paths) > 1:
        picks.append((gz, 1, lay.page_size + 2))
    picks.append((g.columns["xzxk"], 0, 1))
    picks.append((g.columns["zfxxgknb"] if "zfxxgknb" in g.columns else g.columns["rsxx"], 0, 0))
    field_cols = [c for c in g.columns.values() if c.spec.kind == "field"]
    if field_cols:
        picks.append((field_cols[len(field_cols) // 2], 0, 0))
    out = []
    for col, page, idx in picks:
        en = col.entries[idx]
        out.append({"list_url": g.url(col.page_paths[page]), "column": col.spec.name, "title": en.title,
                    "url": g.url(en.path), "date": en.date.isoformat(), "date_text": lay.list_date(en.date)})
    return out


# ============================================================================================ entry points

def generate_all() -> list[GenSite]:
    return [Generator(site).generate() for site in SITES]


def ground_truth(gens: list[GenSite] | None = None) -> dict:
    gens = gens if gens is not None else generate_all()
    return {
        "as_of": AS_OF.isoformat(),
        "zone": ZONE,
        "version": BUILD_VERSION,
        "check_ids": CHECK_IDS,
        "rules": RULES,
        "broken_hosts": [GONE_HOST, vetoes.GAMBLING_HOST],
        "sites": {g.site.id: site_truth(g) for g in gens},
    }


def ground_truth_yaml(gens: list[GenSite] | None = None) -> str:
    import yaml
    head = ("# Ground truth of the simulated Jiujiang web, generated by `python -m simweb.build --ground-truth`\n"
            "# from simweb/model.py. Do not edit by hand: change the model and regenerate.\n")
    return head + yaml.safe_dump(ground_truth(gens), allow_unicode=True, sort_keys=False, width=120)


def server_config(gens: list[GenSite]) -> dict:
    hosts = {}
    for g in gens:
        s = g.site
        hosts[s.host] = {"site": s.id, "level": s.level, "charset": s.charset, "ipv6": s.ipv6, "down": s.down,
                         "page_query": s.page_query, "status": dict(sorted(g.status_overrides.items()))}
    return {"version": BUILD_VERSION, "as_of": AS_OF.isoformat(), "zone": ZONE,
            "sites": [{"id": g.site.id, "host": g.site.host, "name": g.site.name, "level": g.site.level,
                       "unit": g.site.unit, "parent": g.site.parent, "site_code": g.site.site_code}
                      for g in gens],
            "hosts": hosts}


def _encode(g: GenSite, text: str, where: str) -> bytes:
    try:
        return text.encode(g.site.charset)
    except UnicodeEncodeError as exc:
        raise ValueError(f"{g.site.id}{where}: not encodable in {g.site.charset}: {exc}") from None


def build(dest: Path) -> None:
    """Write the whole web under ``dest`` (replacing what a previous build left there)."""
    dest = Path(dest)
    gens = generate_all()
    for g in gens:
        root = dest / g.site.host
        if root.exists():
            shutil.rmtree(root)
        depth = crawl(g, render=True)
        unreachable = sorted(set(g.pages) - set(depth))
        if unreachable:
            raise AssertionError(f"{g.site.id}: pages not reachable from the home page: {unreachable[:5]}")
        if max(depth.values()) > MAX_DEPTH:
            raise AssertionError(f"{g.site.id}: depth {max(depth.values())} > {MAX_DEPTH}")
        files = {g.layout.file_for(p): _encode(g, html, p) for p, html in g.pages.items()}
        for p, content in g.assets.items():
            files[g.layout.file_for(p)] = _encode(g, content, p) if isinstance(content, str) else content
        for rel in sorted(files):
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[rel])
        if g.site.ipv6 == "v6diff":
            v6 = dest / "_v6" / g.site.host / "index.html"
            v6.parent.mkdir(parents=True, exist_ok=True)
            v6.write_bytes(V6_DIFFERENT_PAGE.encode("utf-8"))
    (dest / "simweb.json").write_text(json.dumps(server_config(gens), ensure_ascii=False, indent=1,
                                                 sort_keys=True) + "\n", encoding="utf-8")
    (dest / "ground_truth.yaml").write_text(ground_truth_yaml(gens), encoding="utf-8")


GROUND_TRUTH_PATH = Path(__file__).with_name("ground_truth.yaml")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--ground-truth"]:
        GROUND_TRUTH_PATH.write_text(ground_truth_yaml(), encoding="utf-8")
        print(f"wrote {GROUND_TRUTH_PATH}")
        return 0
    if len(argv) != 1:
        print(__doc__)
        return 2
    build(Path(argv[0]))
    print(f"built the simulated web in {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
