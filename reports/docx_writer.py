"""Word (DOCX) versions of the 通报, the 整改通知书 and the 整改复查报告, with python-docx.

Offices edit and forward Word/WPS files, so these are real editable documents, not images of the PDF: A4, an
East Asian font on every run (w:eastAsia; Word and WPS otherwise fall back to a Latin font for Chinese), tables
in the bordered "Table Grid" style whose header row repeats on each page and whose rows do not split, and the
page number in the footer as a PAGE field ("— 1 —", as official documents print it).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

BODY_FONT = "仿宋"  # GB/T 9704: body in 仿宋, headings in 黑体, the title in 小标宋 (宋体 where it is absent)
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xC0, 0x00, 0x00)
CHINESE_NUMBERS = "一二三四五六七八九十"


def _fonts(run_or_style: Any, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in its own run; Word and WPS compute it when they lay the page out."""
    run = paragraph.add_run()
    _fonts(run, BODY_FONT, 12)
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


class Builder:
    """A small official-document vocabulary on top of python-docx."""

    def __init__(self, *, landscape: bool = False) -> None:
        self.doc = Document()
        self._styles: dict[str, Any] = {}
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(30), Mm(26)
        section.left_margin, section.right_margin = Mm(26), Mm(24)
        self.width_mm = (297 if landscape else 210) - 50
        normal = self.doc.styles["Normal"]
        _fonts(normal, BODY_FONT, 14)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.line_spacing = 1.35
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._run(footer, "— ", BODY_FONT, 12)
        _field(footer, "PAGE")
        self._run(footer, " —", BODY_FONT, 12)

    def _style(self, font: str, size: float, *, tight: bool = False) -> Any:
        """A paragraph style per (font, size): the East Asian font is set once on the style, not on each of
        thousands of runs (a 100-site run writes ~80 documents; per-run fonts were most of their time)."""
        name = f"ga-{font}-{size:g}{'-t' if tight else ''}"
        if name not in self._styles:
            from docx.enum.style import WD_STYLE_TYPE

            style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = self.doc.styles["Normal"]
            style.hidden = True
            _fonts(style, font, size)
            if tight:
                style.paragraph_format.line_spacing = 1.1
            self._styles[name] = style
        return self._styles[name]

    def _run(self, paragraph: Any, text: str, font: str, size: float, *, bold: bool = False,
             color: RGBColor | None = None, tight: bool = False) -> Any:
        # the style id written straight into w:pStyle: python-docx's paragraph.style looks it up among all
        # the template's styles on every call
        paragraph._p.style = self._style(font, size, tight=tight).style_id
        run = paragraph.add_run(text)
        if bold:
            run.bold = True
        if color is not None:
            run.font.color.rgb = color
        return run

    def red_head(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._run(p, text, TITLE_FONT, 22, bold=True, color=RED)
        rule = self.doc.add_paragraph()
        ppr = rule._p.get_or_add_pPr()
        border = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "C00000")):
            bottom.set(qn(k), v)
        border.append(bottom)
        ppr.append(border)

    def doc_no(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self._run(p, text, BODY_FONT, 12)

    def title(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_before = Pt(12)
        p.paragraph_format.space_after = Pt(12)
        self._run(p, text, TITLE_FONT, 18, bold=True)

    def heading(self, text: str, level: int = 1) -> None:
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_before = Pt(6)
        if level == 1:
            p.paragraph_format.first_line_indent = Pt(28)
            self._run(p, text, HEADING_FONT, 14)
        else:
            p.paragraph_format.first_line_indent = Pt(28)
            self._run(p, text, "楷体", 14, bold=True)

    def para(self, text: str, *, indent: bool = True, size: float = 14, bold: bool = False,
             align: Any = None) -> Any:
        p = self.doc.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        self._run(p, text, BODY_FONT, size, bold=bold)
        return p

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]], widths_mm: Sequence[float], *,
              size: float = 9, group_rows: Iterable[int] = ()) -> Any:
        """A bordered table; rows listed in group_rows are one merged, shaded cell (a check's heading)."""
        rows = [list(r) for r in rows]
        groups = set(group_rows)
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        scale = self.width_mm / sum(widths_mm)
        widths = [Mm(w * scale) for w in widths_mm]
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width  # w:gridCol: LibreOffice and WPS lay the table out from the grid
        head = table.rows[0]
        self._row_props(head, header=True)
        for cell, text, width in zip(head.cells, header, widths, strict=True):
            cell.width = width
            self._cell_text(cell, str(text), size, bold=True, center=True, shade="F2F2F2")
        for index, values in enumerate(rows):
            row = table.add_row()
            self._row_props(row)
            if index in groups:
                merged = row.cells[0].merge(row.cells[-1])
                self._cell_text(merged, str(values[0]), size, bold=True, shade="F7F7F7")
                continue
            for cell, value, width in zip(row.cells, values, widths, strict=True):
                cell.width = width
                self._cell_text(cell, "" if value is None else str(value), size)
        return table

    @staticmethod
    def _row_props(row: Any, header: bool = False) -> None:
        trpr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        trpr.append(cant)
        if header:
            repeat = OxmlElement("w:tblHeader")
            trpr.append(repeat)

    def _cell_text(self, cell: Any, text: str, size: float, *, bold: bool = False, center: bool = False,
                   shade: str | None = None) -> None:
        lines = text.split("\n")
        p = cell.paragraphs[0]
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._run(p, lines[0], TABLE_FONT, size, bold=bold, tight=True)
        for line in lines[1:]:
            self._run(cell.add_paragraph(), line, TABLE_FONT, size - 0.5, tight=True)
        if shade:
            tcpr = cell._tc.get_or_add_tcPr()
            shd = OxmlElement("w:shd")
            for k, v in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", shade)):
                shd.set(qn(k), v)
            tcpr.append(shd)

    def picture(self, image: bytes | Path, width_mm: float, caption: str = "") -> None:
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        stream = io.BytesIO(image) if isinstance(image, bytes) else str(image)
        p.add_run().add_picture(stream, width=Mm(min(width_mm, self.width_mm)))
        if caption:
            self.para(caption, indent=False, size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER)

    def signature(self, lines: Sequence[str], date_text: str) -> None:
        self.doc.add_paragraph()
        for line in [*lines, date_text]:
            p = self.para(line, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
            p.paragraph_format.right_indent = Pt(28)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".docx.tmp")
        self.doc.save(str(tmp))
        tmp.replace(path)
        return path


# ---------------------------------------------------------------- the three documents


def _fmt(value: Any) -> str:
    from reports.render import fmt_score

    return fmt_score(value)


def _date(value: Any) -> str:
    from reports.render import fmt_date

    return fmt_date(value)


def summary_docx(doc: Mapping[str, Any], path: Path) -> Path:
    s = doc["summary"]
    b = Builder()
    b.red_head(doc["issuer"])
    b.doc_no(f"检查编号：{doc['run'].get('id', '')}　　检查基准日：{_date(doc['as_of'])}")
    b.title(doc["title"])
    b.heading("一、总体情况")
    change = doc["change"]["text"] if doc["change"] else "此前没有这些网站的检查记录，暂无变化情况"
    b.para(f"按照九府办函〔2021〕106号和国办秘函〔2019〕19号要求，我办以{_date(doc['as_of'])}为检查基准日，对全市"
           f"{s['total']}个政府网站进行了检查。其中合格{s['passed']}个、不合格{s['failed']}个、未检测{s['untested']}个，"
           f"合格率{s['rate']}（合格数 ÷ 已检测网站数，未检测网站不计入）；{change}。存在单项否决问题的网站"
           f"{s['vetoed']}个，已向{doc['notices']}个责任单位下发整改通知书。")
    rows = [[g["title"], g["summary"]["total"], g["summary"]["passed"], g["summary"]["failed"],
             g["summary"]["untested"], g["summary"]["rate"]] for g in doc["groups"]]
    rows.append(["合计", s["total"], s["passed"], s["failed"], s["untested"], s["rate"]])
    b.table(["类别", "检查网站", "合格", "不合格", "未检测", "合格率"], rows, [50, 20, 20, 20, 20, 20], size=10.5)
    b.heading("二、网站排名")
    for i, g in enumerate(doc["groups"]):
        b.heading(f"（{CHINESE_NUMBERS[i]}）{g['title']}", level=2)
        b.table(["序号", "网站标识码", "网站名称", "网址", "级别", "得分", "结论", "主要问题"],
                [[r["no"], r["site"]["site_code"], r["site"]["name"], r["host"], r["level"],
                  _fmt(r["site"]["score"]), r["site"]["verdict"], r["main"]] for r in g["rows"]],
                [8, 17, 26, 30, 8, 10, 10, 45], size=8)
    b.heading("三、不合格网站及原因")
    if doc["failed"]:
        b.table(["序号", "网站名称", "责任单位", "得分", "不合格原因"],
                [[i, f["site"]["name"], f["site"]["unit"], _fmt(f["site"]["score"]), f["reasons"]]
                 for i, f in enumerate(doc["failed"], 1)], [8, 30, 26, 10, 86], size=8.5)
    else:
        b.para("本次检查没有不合格网站。")
    if doc["untested"]:
        b.para(f"以下{len(doc['untested'])}个网站本次未能检测，不计入合格率，待具备条件后补检：")
        for g in doc["untested_groups"]:
            b.para(f"{g['reason']}：{'、'.join(g['names'])}", size=12)
    b.heading("四、问题统计")
    b.table(["序号", "检查项", "存在问题网站数", "问题数", "其中单项否决网站", "扣分合计"],
            [[i, r["title"], r["sites"], r["problems"], r["vetoes"], r["points"] or "—"]
             for i, r in enumerate(doc["by_check"], 1)], [8, 60, 20, 16, 20, 16], size=9)
    b.heading("五、图表")
    if doc["charts"]:
        for key, caption in (("scores", "图1 得分分布"), ("checks", "图2 问题分布（按检查项）"),
                             ("rates", "图3 历次检查合格率")):
            b.picture(doc["charts"][key]["png"], 150, caption)
    else:
        b.para("本次未能生成图表（见运行日志），数据见上表。")
    b.heading("六、有关要求")
    b.para("各责任单位要对照整改通知书逐项整改，按期报送整改情况；我办将组织复查，复查结果纳入年度政务公开工作考核。"
           "各网站的详细检查结果见对应的网站检查报告。")
    b.signature(doc["signature"], _date(doc["issued"]))
    return b.save(path)


def notice_docx(notice: Mapping[str, Any], path: Path) -> Path:
    b = Builder()
    b.red_head(notice["issuer"])
    b.doc_no(notice["doc_number"])
    b.title(notice["title"])
    b.para(f"{notice['unit']}：", indent=False, bold=True)
    verdicts = "；".join(
        f"{'“' + s['name'] + '”' if notice['multi'] else '经检查，该网站'}"
        + ("存在单项否决问题，按规定不再对其他指标评分" if s["score"] is None else f"得分为{_fmt(s['score'])}分")
        + f"，检查结论为{s['verdict']}" for s in notice["sites"])
    b.para(f"根据九府办函〔2021〕106号和国办秘函〔2019〕19号等要求，我办以{_date(notice['as_of'])}为检查基准日"
           f"（检查编号{notice['run_id']}），对你单位主办的{notice['site_names']}进行了检查。{verdicts}。"
           f"共发现需整改问题{notice['problem_total']}个"
           + (f"，涉及单项否决指标{notice['veto_count']}项" if notice["veto_count"] else "")
           + "。现将有关情况通知如下，请认真抓好整改。")
    b.table(["网站名称", "网址", "网站标识码", "得分", "结论"],
            [[s["name"], s["url"], s["site_code"], _fmt(s["score"]), s["verdict"]] for s in notice["sites"]],
            [40, 50, 25, 15, 15], size=9)
    b.heading("一、检查依据")
    for i, basis in enumerate(notice["basis"], 1):
        b.para(f"{i}. {basis}", size=12)
    b.heading("二、存在的问题")
    multi = notice["multi"]
    header = ["序号", *(["网站"] if multi else []), "问题类型", "问题描述", "证据 / 页面地址"]
    widths = [10, *([22] if multi else []), 16, 60 if multi else 70, 50]
    rows: list[list[Any]] = []
    groups_at: list[int] = []
    shots: list[tuple[int, str, str]] = []
    for gi, g in enumerate(notice["groups"], 1):
        groups_at.append(len(rows))
        label = f"{gi}. {g['check']['failure_title']}" + ("（单项否决）" if g["veto"] else "") + (
            f"　扣{g['points']:g}分" if g["points"] else "") + f"\n依据：{g['check']['basis']}"
        rows.append([label] + [""] * (len(header) - 1))
        for r in g["rows"]:
            evidence = "\n".join(x for x in (r["url"], r["evidence_text"]) if x)
            message = r["message"] + ("\n（前次检查已通知，仍未整改）" if r["repeat"] else "")
            rows.append([r["no"], *([r["site_name"]] if multi else []), r["kind"], message, evidence])
            if r["screenshot"]:
                shots.append((r["no"], r["screenshot"], r["url"]))
        if g["more_text"]:
            rows.append(["", *([""] if multi else []), "", g["more_text"] + "，详见各网站检查报告。", ""])
    b.table(header, rows, widths, size=9, group_rows=groups_at)
    b.para(f"扣分合计（各项已按上限封顶）：{notice['deduction_total']:g}分"
           + (f"；另有单项否决{notice['veto_count']}项" if notice["veto_count"] else ""), indent=False, size=11)
    if shots:
        b.heading("附：问题页面截图")
        for no, shot, url in shots:
            image = Path(shot)
            if image.is_file():
                b.picture(image, 150, f"第{no}项问题所在页面（红框为问题位置）：{url}")
    else:
        b.para("本通知书未附页面截图，问题以所列页面地址和证据为准。", indent=False, size=10.5)
    n = 3
    if notice["warning_groups"]:
        b.heading("三、预警事项")
        b.para("以下事项尚未达到扣分或单项否决标准，不设整改时限，请及时关注处理，防止问题扩大。")
        wrows: list[list[Any]] = []
        wgroups: list[int] = []
        for g in notice["warning_groups"]:
            wgroups.append(len(wrows))
            wrows.append([f"{g['check']['failure_title']}\n依据：{g['check']['basis']}"] + [""] * (2 + multi))
            for r in g["rows"]:
                wrows.append([r["no"], *([r["site_name"]] if multi else []), r["message"], r["url"]])
        b.table(["序号", *(["网站"] if multi else []), "预警描述", "页面地址"], wrows,
                [10, *([22] if multi else []), 80, 60], size=9, group_rows=wgroups)
        n = 4
    b.heading(f"{CHINESE_NUMBERS[n - 1]}、整改要求")
    b.para(f"请你单位高度重视，对照上述问题逐项整改，举一反三开展全面自查，于{_date(notice['deadline'])}前（自本通知下发之日起"
           f"{notice['deadline_days']}个工作日内，节假日按国家法定节假日安排顺延）完成整改。"
           + ("单项否决问题须立即整改。" if notice["veto_count"] else ""))
    b.heading(f"{CHINESE_NUMBERS[n]}、复查说明")
    b.para(f"{notice['recheck_request']}整改期满后，我办将对上述问题逐项复查；复查时仍未整改的问题，将在全市政府网站检查情况"
           f"通报中予以通报，复查中新发现的问题一并通报。本通知所列问题以检查基准日的网站内容为准，如对检查结果有异议，"
           f"请于收到本通知后{notice['objection_workdays']}个工作日内书面反馈并附相关证明材料。")
    b.heading(f"{CHINESE_NUMBERS[n + 1]}、联系方式")
    b.para("　".join(f"{k}：{v}" for k, v in notice["contact"]))
    b.signature(notice["signature"], _date(notice["issued"]))
    return b.save(path)


def recheck_docx(doc: Mapping[str, Any], path: Path) -> Path:
    b = Builder()
    b.red_head(doc["issuer"])
    b.doc_no(f"复查检查编号：{doc['run'].get('id', '')}　　前次检查编号：{doc['previous_run'].get('id', '')}")
    b.title(doc["title"])
    b.para(f"{doc['unit']}：", indent=False, bold=True)
    b.para(f"我办于{_date(doc['run'].get('as_of'))}（检查基准日）对你单位主办网站在第{doc['previous_run'].get('id', '')}次检查"
           f"（基准日{_date(doc['previous_run'].get('as_of'))}）中发现并通知整改的问题进行了逐项复查。{doc['conclusion']}")
    for i, site in enumerate(doc["sites"]):
        c = site["counts"]
        b.heading(f"{CHINESE_NUMBERS[i] if i < 10 else i + 1}、{site['name']}")
        b.para(f"{site['url']}　前次：{site['previous_verdict']}（{_fmt(site['previous_score'])}分）　本次：{site['verdict']}"
               f"（{_fmt(site['score'])}分）　已整改{c['已整改']}个，未整改{c['未整改']}个，新发现{c['新发现']}个",
               indent=False, size=11)
        b.heading("（一）前次通知所列问题", level=2)
        if site["notice_items"]:
            b.table(["序号", "检查项", "复查结果", "前次问题及证据", "本次情况及证据"],
                    [[x["no"], x["check"], x["outcome"],
                      "\n".join(v for v in (x["before"], x["url"], x["before_evidence"]) if v),
                      "\n".join(v for v in (x["after"], x["after_evidence"]) if v)] for x in site["notice_items"]],
                    [10, 25, 16, 55, 55], size=9)
        else:
            b.para("前次通知未列该网站的扣分或单项否决问题。")
        b.heading("（二）新发现问题", level=2)
        if site["new"]:
            b.table(["序号", "检查项", "问题描述", "证据 / 页面地址"],
                    [[x["no"], x["check"], x["after"], "\n".join(v for v in (x["url"], x["after_evidence"]) if v)]
                     for x in site["new"]], [10, 30, 65, 55], size=9)
        else:
            b.para("复查中未发现新的扣分或单项否决问题。")
    b.heading("复查结论及要求")
    b.para(doc["conclusion"] + ("对未整改和新发现的问题，请立即整改并报送整改情况，我办将在全市政府网站检查情况通报中予以通报。"
                                if doc["totals"]["未整改"] or doc["totals"]["新发现"] else ""))
    if doc["contact"]:
        b.para("　".join(f"{k}：{v}" for k, v in doc["contact"]))
    b.signature(doc["signature"], _date(doc["issued"]))
    return b.save(path)
