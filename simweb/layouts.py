"""URL schemes and HTML templates of the four CMS layouts the simulated sites are drawn with.

- ``trs``: TRS WCM style. ``/<sec>/<col>/`` lists, ``index_1.html`` … pages, ``/<col>/YYYYMM/tYYYYMMDD_<id>.html``
  articles, ``<ul><li><a>title</a><span>2021-06-29</span></li>`` lists, ``发布时间：2021-06-29 09:24``.
- ``hanweb``: 大汉 JCMS style, GBK. ``/col/col<id>/index.html`` lists (``index_1.html`` or ``?page=2`` with a
  下一页 link), ``/art/2021/6/29/art_<col>_<id>.html`` articles, dates ``2021年6月29日``; home ``2021/6/29``.
- ``cluster``: the Jiangxi cluster platform (宜春-like). ``/<slug>/<col>/list.shtml``, ``list_2.shtml``,
  ``/<slug>/<col>/YYYYMM/<hex32>.shtml``, list dates ``[2021-06-29]`` before the title, home ``[06-29]``,
  ``<publishtime>发布日期：2021-06-29 10:49:00</publishtime>``, ``索 引 号`` labels.
- ``legacy``: an older table-based CMS, GB2312. ``/<col>/index.htm``, ``index_1.htm``, ``/<col>/<id>.htm``,
  ``<table><tr><td><a>…</a></td><td>2021.06.29</td></tr>`` lists, home ``12-17``.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from .model import DIRECTORY_HEADERS, Site

CSS_PATH = "/css/style.css"
BADGE_PATH = "/images/dzjg.png"


def e(text: object) -> str:
    return escape(str(text), quote=True)


class Layout:
    name = ""
    page_size = 15

    def __init__(self, site: Site, ids: dict[str, int]):
        self.site = site
        self.ids = ids  # column/section key -> numeric channel id

    # ------------------------------------------------------------------ URLs
    def section_path(self, key: str, chain: list[str]) -> str:
        raise NotImplementedError

    def column_page_path(self, key: str, chain: list[str], index: int) -> str:
        raise NotImplementedError

    def article_path(self, key: str, chain: list[str], date: dt.date, art_id: int, hexid: str) -> str:
        raise NotImplementedError

    @staticmethod
    def file_for(path: str) -> str:
        path, _, query = path.partition("?")
        if path.endswith("/"):
            path += "index.html"
        if query:
            stem, dot, ext = path.rpartition(".")
            n = query.split("=", 1)[1]
            path = f"{stem}.page{n}.{ext}"
        return path.lstrip("/")

    # ------------------------------------------------------------------ dates
    def list_date(self, d: dt.date) -> str:
        return d.isoformat()

    def home_date(self, d: dt.date) -> str:
        if self.site.home_mmdd:
            return d.strftime("%m-%d")
        return self.list_date(d)

    def article_date_line(self, d: dt.date, hhmm: str) -> str:
        return f'<span class="time">发布时间：{d.isoformat()} {hhmm}</span>'

    # ------------------------------------------------------------------ fragments
    def list_rows(self, rows: list[tuple[str, str, dt.date]]) -> str:
        items = "".join(
            f'<li><a href="{e(u)}" target="_blank" title="{e(t)}">{e(t)}</a>'
            f"<span>{self.list_date(d)}</span></li>"
            for t, u, d in rows
        )
        return f'<ul class="list">{items}</ul>'

    def home_rows(self, rows: list[tuple[str, str, dt.date]]) -> str:
        items = "".join(
            f'<li><a href="{e(u)}" target="_blank">{e(t)}</a><span class="date">'
            f"{self.home_date(d)}</span></li>"
            for t, u, d in rows
        )
        return f'<ul class="news-list">{items}</ul>'

    def pager(self, urls: list[str], index: int) -> str:
        n = len(urls)
        if n <= 1:
            return ""
        parts = [f"<span>共{n}页</span>"]
        parts.append(f'<a href="{e(urls[0])}">首页</a>' if index else "<span>首页</span>")
        parts.append(f'<a href="{e(urls[index - 1])}">上一页</a>' if index else "<span>上一页</span>")
        for i, u in enumerate(urls):
            parts.append(
                f'<span class="cur">{i + 1}</span>' if i == index else f'<a href="{e(u)}">{i + 1}</a>'
            )
        parts.append(f'<a href="{e(urls[index + 1])}">下一页</a>' if index < n - 1 else "<span>下一页</span>")
        parts.append(f'<a href="{e(urls[-1])}">尾页</a>' if index < n - 1 else "<span>尾页</span>")
        return f'<div class="page">{" ".join(parts)}</div>'

    def crumbs(self, trail: list[tuple[str, str | None]]) -> str:
        parts = [f'<a href="{e(u)}">{e(n)}</a>' if u else f"<span>{e(n)}</span>" for n, u in trail]
        return f'<div class="crumb">当前位置：{" &gt; ".join(parts)}</div>'

    def meta_table(self, rows: list[tuple[str, str]]) -> str:
        cells = []
        for i in range(0, len(rows), 2):
            pair = rows[i : i + 2]
            cells.append("<tr>" + "".join(f"<th>{e(k)}</th><td>{e(v)}</td>" for k, v in pair) + "</tr>")
        return f'<table class="xxgk-info">{"".join(cells)}</table>'

    def label(self, text: str) -> str:
        return text

    def directory_table(self, rows: list[list[str]]) -> str:
        head = "".join(f"<th>{h}</th>" for h in DIRECTORY_HEADERS)
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        return f'<table class="bzml" border="1"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    # ------------------------------------------------------------------ document
    def charset_meta(self) -> str:
        if self.site.charset == "utf-8":
            return '<meta charset="utf-8">'
        return f'<meta http-equiv="Content-Type" content="text/html; charset={self.site.charset}">'

    def document(
        self, *, title: str, meta: dict[str, str], nav: list[tuple[str, str]], body: str, footer: str
    ) -> str:
        metas = "".join(f'<meta name="{e(k)}" content="{e(v)}">\n' for k, v in meta.items())
        navs = "".join(f'<li><a href="{e(u)}">{e(n)}</a></li>' for n, u in nav)
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n' + self.charset_meta() + "\n"
            f'<title>{e(title)}</title>\n{metas}<link rel="stylesheet" href="{CSS_PATH}">\n</head>\n<body>\n'
            f'<div class="header"><div class="logo"><h1>{e(self.site.name)}</h1></div>\n'
            f'<div class="nav"><ul>{navs}</ul></div></div>\n'
            f'<div class="main">\n{body}\n</div>\n{footer}\n</body>\n</html>\n'
        )


class TrsLayout(Layout):
    name = "trs"

    def _top(self, chain: list[str]) -> list[str]:
        if not chain:
            return chain
        return [chain[0] + self.site.suffix] + chain[1:]

    def section_path(self, key, chain):
        return "/" + "/".join(self._top(chain)) + "/"

    def column_page_path(self, key, chain, index):
        base = "/" + "/".join(self._top(chain)) + "/"
        return base if index == 0 else f"{base}index_{index}.html"

    def article_path(self, key, chain, date, art_id, hexid):
        base = "/" + "/".join(self._top(chain)) + "/"
        return f"{base}{date:%Y%m}/t{date:%Y%m%d}_{art_id}.html"

    def pager(self, urls, index):
        # TRS writes its pager with createPageHTML(); the static links are kept beside it (noscript-style)
        n = len(urls)
        if n <= 1:
            return ""
        script = f'<script>createPageHTML({n}, {index}, "index", "html");</script>'
        return script + super().pager(urls, index)


class HanwebLayout(Layout):
    name = "hanweb"

    def section_path(self, key, chain):
        return f"/col/col{self.ids[key]}/index.html"

    def column_page_path(self, key, chain, index):
        base = f"/col/col{self.ids[key]}/index.html"
        if index == 0:
            return base
        if self.site.page_query:
            return f"{base}?page={index + 1}"
        return f"/col/col{self.ids[key]}/index_{index}.html"

    def article_path(self, key, chain, date, art_id, hexid):
        return f"/art/{date.year}/{date.month}/{date.day}/art_{self.ids[key]}_{art_id}.html"

    def list_date(self, d):
        return f"{d.year}年{d.month}月{d.day}日"

    def home_date(self, d):
        return f"{d.year}/{d.month}/{d.day}"

    def article_date_line(self, d, hhmm):
        return f'<span class="time">发布日期：{d.isoformat()}</span>'

    def pager(self, urls, index):
        if not self.site.page_query:
            return super().pager(urls, index)
        n = len(urls)
        if n <= 1:
            return ""
        nxt = f'<a href="{e(urls[index + 1])}" class="next">下一页</a>' if index < n - 1 else ""
        prev = f'<a href="{e(urls[index - 1])}">上一页</a>' if index else ""
        return f'<div class="page">第{index + 1}页/共{n}页 {prev} {nxt}</div>'


class ClusterLayout(Layout):
    name = "cluster"

    def section_path(self, key, chain):
        return f"/{self.site.slug}/{key}/index.shtml"

    def column_page_path(self, key, chain, index):
        return (
            f"/{self.site.slug}/{key}/list.shtml"
            if index == 0
            else f"/{self.site.slug}/{key}/list_{index + 1}.shtml"
        )

    def article_path(self, key, chain, date, art_id, hexid):
        return f"/{self.site.slug}/{key}/{date:%Y%m}/{hexid}.shtml"

    def list_rows(self, rows):
        items = "".join(
            f'<li><span class="date">[{d.isoformat()}]</span><a href="{e(u)}" target="_blank">{e(t)}</a></li>'
            for t, u, d in rows
        )
        return f'<ul class="list">{items}</ul>'

    def home_date(self, d):
        return f"[{d:%m-%d}]" if self.site.home_mmdd else f"[{d.isoformat()}]"

    def article_date_line(self, d, hhmm):
        return f"<publishtime>发布日期：{d.isoformat()} {hhmm}:00</publishtime>"

    def label(self, text):
        return {"索引号": "索 引 号", "有效性": "有 效 性"}.get(text, text)

    def directory_table(self, rows):
        # two header rows: 公开事项 spans 一级事项 / 二级事项, as on real 标准目录 pages
        top = []
        for h in DIRECTORY_HEADERS:
            if h == "公开事项":
                top.append(f'<th colspan="2">{h}</th>')
            else:
                top.append(f'<th rowspan="2">{h}</th>')
        sub = "<tr><th>一级事项</th><th>二级事项</th></tr>"
        body = ""
        for r in rows:
            first, second = r[1].split("/", 1) if "/" in r[1] else (r[1], r[1])
            cells = [r[0], first, second] + r[2:]
            body += "<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
        return (
            f'<table class="bzml" border="1"><thead><tr>{"".join(top)}</tr>{sub}</thead>'
            f"<tbody>{body}</tbody></table>"
        )


class LegacyLayout(Layout):
    name = "legacy"

    def section_path(self, key, chain):
        return f"/{key}/index.htm"

    def column_page_path(self, key, chain, index):
        return f"/{key}/index.htm" if index == 0 else f"/{key}/index_{index}.htm"

    def article_path(self, key, chain, date, art_id, hexid):
        return f"/{key}/{date:%Y%m%d}{art_id % 100000:05d}.htm"

    def list_date(self, d):
        return f"{d:%Y.%m.%d}"

    def list_rows(self, rows):
        items = "".join(
            f'<tr><td class="title"><a href="{e(u)}" target="_blank">{e(t)}</a></td>'
            f'<td class="date" width="90">{self.list_date(d)}</td></tr>'
            for t, u, d in rows
        )
        return f'<table class="list" width="100%">{items}</table>'

    def home_rows(self, rows):
        items = "".join(
            f'<tr><td><a href="{e(u)}">{e(t)}</a></td><td>{self.home_date(d)}</td></tr>' for t, u, d in rows
        )
        return f'<table class="news-list" width="100%">{items}</table>'


LAYOUTS = {cls.name: cls for cls in (TrsLayout, HanwebLayout, ClusterLayout, LegacyLayout)}


def footer_html(site: Site) -> str:
    """The footer with the four markings (minus any planted missing one); script-drawn when so configured."""
    v = site.footer_variant
    code_label = ["政府网站标识码：", "网站标识码：", "网站标识码 ："][v]
    parts = [f"<p>主办：{e(site.unit)}　承办：{e(site.unit)}办公室　联系电话：0792-8123456</p>"]
    marks = []
    if "icp" not in site.footer_missing:
        marks.append(f"<span>{e(site.icp)}</span>")
    if "code" not in site.footer_missing:
        marks.append(f"<span>{code_label}{site.site_code}</span>")
    if "psb" not in site.footer_missing:
        marks.append(f'<span class="beian">{e(site.psb)}</span>')
    parts.append("<p>" + "　".join(marks) + "</p>")
    if "badge" not in site.footer_missing:
        parts.append(
            f'<span id="_ideConac"><img src="{BADGE_PATH}" alt="党政机关" width="55" height="60"></span>'
        )
    inner = "\n".join(parts)
    if site.script_footer:
        return '<div id="footer" class="footer"></div>\n<script src="/js/footer.js"></script>'
    return f'<div class="footer">\n{inner}\n</div>'


def footer_script(site: Site) -> str:
    """The external script that writes the footer of a script-footer site."""
    saved = site.script_footer
    site.script_footer = False
    try:
        html = footer_html(site)
    finally:
        site.script_footer = saved
    inner = html.replace('<div class="footer">\n', "").rsplit("\n</div>", 1)[0]
    lines = ",\n".join("  " + _js_string(line) for line in inner.split("\n"))
    return f"document.getElementById('footer').innerHTML = [\n{lines}\n].join('');\n"


def _js_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
