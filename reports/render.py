"""Everything a person reads, rendered from the scored results (the results.json dict) only.

`write_reports(results, out_dir)` writes:
    index.html              overview for the municipal office (run, summary, ranking, notices issued or not)
    sites/<id>.html         one site's scored report (every check, findings with evidence)
    notices/<id>.html|.pdf  整改通知书 for every tested site with at least one veto/fail finding
    ranking.csv             the ranking, UTF-8 with BOM (Excel)
    report.pdf              overview + every site section as one PDF
    recheck.html            only with `previous`: 复查情况 of every site (see reports.recheck)
The templates lay out prepared view dicts; all wording that comes from a check (titles, messages, rules) is
taken from the results as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from reports import pdf as pdf_writer
from reports.recheck import (
    KIND_FAIL,
    KIND_INFO,
    KIND_VETO,
    KIND_WARN,
    diff,
    finding_kind,
    is_reason_finding,
)
from reports.safety import safe_href, shorten_runs
from reports.settings import NoticeSettings

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
ISSUER = "九江市人民政府办公室（政务公开办）"
NOTICE_MAX_ROWS_PER_CHECK = 20  # more findings of one check are summarised; the site report lists them all
# report.pdf shows this many rows of an INFO finding's evidence table and says how many more the site page has
# (a crawl lists every column of a site: hundreds of rows that took most of the PDF time and pages)
PDF_MAX_INFO_EVIDENCE_ROWS = 15
# nested tables are written as one line of text up to this length; WeasyPrint's cost of sizing a table cell
# grows with the square of its text (every character is a break opportunity), so longer ones stay tables
PDF_MAX_BRIEF_CHARS = 300
PDF_WORKERS = 2

LEVEL_NAMES = {"municipal": "市级门户", "county": "县（市、区）门户", "department": "市直部门"}
STATUS_NAMES = {
    "pass": "通过",
    "fail": "不通过",
    "warn": "预警",
    "not_tested": "未检测",
    "error": "出错",
    "missing": "无结果",
}
VERDICT_ORDER = {"合格": 0, "不合格": 1, "未检测": 2}
VERDICT_CLASS = {"合格": "ok", "不合格": "bad", "未检测": "na"}
STATUS_CLASS = {
    "pass": "ok",
    "fail": "bad",
    "warn": "warn",
    "not_tested": "na",
    "error": "err",
    "missing": "na",
}
KIND_CLASS = {KIND_VETO: "veto", KIND_FAIL: "bad", KIND_WARN: "warn", KIND_INFO: "info"}
KIND_PENDING = (
    "待核实"  # a machine finding waiting for a person (store.reviews): shown apart, never costs points
)


def is_pending(finding: Mapping[str, Any]) -> bool:
    ev = finding.get("evidence")
    return isinstance(ev, Mapping) and ev.get("review") == KIND_PENDING


OUTCOME_CLASS = {"已整改": "ok", "未整改": "bad", "新发现": "warn", "无法复查": "na", "无问题": "plain"}

# Documents the rules cite, by 文号; the notice's 依据 lists them in this order after the two fixed ones.
KNOWN_DOCUMENTS = {
    "九府办函〔2021〕106号": "九江市人民政府办公室关于印发2021年全市政务公开重点工作责任分工的通知",
    "国办秘函〔2019〕19号": "国务院办公厅秘书局关于印发政府网站与政务新媒体检查指标、监管工作年度考核指标的通知",
    "国办发〔2017〕47号": "国务院办公厅关于印发政府网站发展指引的通知",
    "国办公开办函〔2019〕61号": "关于规范政府信息公开平台有关事项的通知",
    "国办公开办函〔2019〕60号": "政府信息公开工作年度报告格式（试行）",
    "国办发〔2019〕54号": "国务院办公厅关于全面推进基层政务公开标准化规范化工作的指导意见",
    "国办发〔2018〕118号": "国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见",
    "国办发〔2016〕80号": "《关于全面推进政务公开工作的意见》实施细则",
    "发改办财金〔2018〕424号": "国家发展改革委办公厅关于进一步完善行政许可和行政处罚等信用信息公示工作的指导意见",
}
FIXED_BASIS = ("九府办函〔2021〕106号", "国办秘函〔2019〕19号")
_DOC_NO = re.compile(r"[\u4e00-\u9fa5]{2,6}〔\d{4}〕\d+号")
_LAW = re.compile(r"《中华人民共和国[^》]{1,30}》")

# Readable labels for evidence keys the checks commonly use; unknown keys are shown as they are.
EVIDENCE_LABELS = {
    "url": "地址",
    "page": "页面",
    "target": "链接目标",
    "link": "链接",
    "link_text": "链接文字",
    "text": "文字",
    "status": "状态码",
    "http_status": "HTTP状态",
    "error": "错误",
    "region": "位置",
    "column": "栏目",
    "columns": "栏目",
    "column_url": "栏目地址",
    "class": "类别",
    "category": "类别",
    "title": "标题",
    "date": "日期",
    "last_date": "最近更新",
    "latest_date": "最近更新",
    "latest_title": "最新信息",
    "latest_url": "最新信息地址",
    "age_days": "未更新天数",
    "days": "天数",
    "limit_days": "时限（天）",
    "warn_days": "预警（天）",
    "workdays": "工作日数",
    "limit_workdays": "时限（工作日）",
    "decision_date": "决定日期",
    "published": "公开日期",
    "doc_no": "文号",
    "validity": "有效性",
    "found": "已有",
    "missing": "缺少",
    "required": "应有",
    "count": "数量",
    "total": "总数",
    "ratio": "比例",
    "rate": "成功率",
    "threshold": "阈值",
    "host": "主机",
    "ns": "权威DNS",
    "aaaa": "AAAA记录",
    "ipv4": "IPv4",
    "ipv6": "IPv6",
    "footer": "页脚",
    "required_year": "应公开年度",
    "deadline": "截止日期",
    "found_years": "已公开年度",
    "fields_found": "已有领域数",
    "fields_required": "应有领域数",
    "listed": "目录条数",
    "with_validity": "标注有效性条数",
    "entries": "信息条数",
    "menu": "导航栏目",
    "superseded_by": "替代文件",
    "ok": "成功数",
    "ipv6_reachable": "IPv6可达",
    "probes": "探测次数",
    "failures": "失败次数",
    "failed": "失败次数",
    "timeout_s": "超时（秒）",
}


def add_weekdays(start: dt.date, days: int) -> dt.date:
    """`days` working days after `start`, skipping Saturdays and Sundays only (no public holidays)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def fmt_date(value: Any) -> str:
    """2021-12-20 → 2021年12月20日; anything unparseable is returned as text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def fmt_datetime(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def fmt_score(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.1f}"


def fmt_points(value: Any) -> str:
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        return str(value)
    if number == 0:
        return "—"
    return f"{number:g}"


def is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(re.match(r"https?://\S+$", value.strip()))


def _safe_name(site_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(site_id)) or "site"


def _table_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def _all_mappings(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, Mapping) for v in value)


class TruncatedRows(list):
    """The first rows of a longer evidence table; `more` rows left out, all of them on the page at `href`."""

    def __init__(self, rows: Iterable[Any], more: int, href: str) -> None:
        super().__init__(rows)
        self.more = more
        self.href = href


def pdf_info_evidence(value: Any, href: str, limit: int = PDF_MAX_INFO_EVIDENCE_ROWS, depth: int = 0) -> Any:
    """An INFO finding's evidence for report.pdf: every table (list of mappings) longer than `limit` cut to its
    first `limit` rows (TruncatedRows says how many more), and tables nested two deep written as one line of
    text (evidence_brief) instead of a table inside a table: same facts, a fraction of the layout work."""
    if depth >= 2 and (isinstance(value, Mapping) and not _flat_mapping(value) or _all_mappings(value)):
        brief = evidence_brief(value)
        if len(brief) <= PDF_MAX_BRIEF_CHARS:
            return brief
    if isinstance(value, Mapping):
        return {k: pdf_info_evidence(v, href, limit, depth + 1) for k, v in value.items()}
    if _all_mappings(value):
        rows = [
            {k: pdf_info_evidence(v, href, limit, depth + 1) for k, v in row.items()} for row in value[:limit]
        ]
        return TruncatedRows(rows, len(value) - limit, href) if len(value) > limit else rows
    return value


def evidence_brief(value: Any) -> str:
    """Evidence as one compact line for the notice table: 键：值；键：值 (nested lists joined with 、)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Mapping):
        return "；".join(
            f"{EVIDENCE_LABELS.get(str(k), str(k))}：{evidence_brief(v) or '—'}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        if _all_mappings(value):
            return "；".join("，".join(evidence_brief(x) for x in row.values()) for row in value)
        return "、".join(evidence_brief(x) for x in value) or "（无）"
    return str(value)


def _flat_mapping(value: Any) -> bool:
    """A small mapping of scalars: shown as one table row (keys as the header) instead of key/value lines."""
    return (
        isinstance(value, Mapping)
        and 0 < len(value) <= 6
        and all(v is None or isinstance(v, str | int | float | bool) for v in value.values())
        and sum(len(str(v)) for v in value.values()) <= 120
    )


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping | list | tuple):
        return bool(value)
    return True


def _display(value: Any) -> Any:
    """Every printed value of a document: long URLs and unbroken strings shortened (results.json keeps them
    whole). Markup (a rendered macro, an href from safe_href, the CSS) is printed as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return shorten_runs(value)
    return value


def _href(value: Any) -> Markup | None:
    href = safe_href(value)
    return None if href is None else Markup.escape(href)


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        finalize=_display,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt_date=fmt_date,
        fmt_datetime=fmt_datetime,
        fmt_score=fmt_score,
        fmt_points=fmt_points,
        label=lambda key: EVIDENCE_LABELS.get(str(key), str(key)),
        table_columns=_table_columns,
        evidence_brief=evidence_brief,
        safe_href=_href,
    )
    env.tests.update(url=is_url, list_of_mappings=_all_mappings, present=_present, flat_mapping=_flat_mapping)
    return env


# ---------------------------------------------------------------- view models


def _check_view(check: Mapping[str, Any], site_file: str = "site") -> dict[str, Any]:
    status = str(check.get("status") or "error")
    title = str(check.get("title") or "")
    failure_title = str(check.get("failure_title") or "")
    failing = status in ("fail", "warn")
    name = (failure_title if failing and failure_title else title) or failure_title or check["id"]
    findings = []
    for f in check.get("findings") or []:
        if is_reason_finding(check, f):
            continue
        kind = finding_kind(check, f)
        evidence = f.get("evidence", "")
        pending = is_pending(f)
        if pending:
            evidence = {k: v for k, v in evidence.items() if k != "review"}
        findings.append(
            {
                "message": str(f.get("message") or ""),
                "url": str(f.get("url") or ""),
                "evidence": evidence,
                # report.pdf: an INFO finding's long tables are summarised; the site page keeps every row
                "evidence_pdf": (
                    pdf_info_evidence(evidence, f"sites/{site_file}.html") if kind == KIND_INFO else evidence
                ),
                "kind": KIND_PENDING if pending else kind,
                "kind_class": "pending" if pending else KIND_CLASS[kind],
                "points": 0 if pending else (f.get("points", 0) or 0),
                "key": None,
                "pending": pending,
                # comply or explain: an approved explanation excuses the finding (shown struck through, no points)
                "waived": f.get("waived") or None,
            }
        )
    pending_items = [f for f in findings if f["pending"]]
    findings = [f for f in findings if not f["pending"]]
    reason = str(check.get("reason") or "")
    if not reason and status in ("not_tested", "error"):
        first = (check.get("findings") or [{}])[0]
        reason = str(first.get("message") or ("本项未能检测" if status == "not_tested" else "检查程序出错"))
    rule = str(check.get("rule") or "")
    task = str(check.get("task") or "")
    basis = rule
    if task and task not in rule:
        basis = f"{rule}；九府办函〔2021〕106号第{task}项" if rule else f"九府办函〔2021〕106号第{task}项"
    status_name = STATUS_NAMES.get(status, status)
    status_class = STATUS_CLASS.get(status, "na")
    if pending_items and status == "warn" and not any(f["kind"] == KIND_WARN for f in findings):
        status_name, status_class = KIND_PENDING, "pending"
    return {
        "id": str(check["id"]),
        "name": name,
        "title": title or check["id"],
        "failure_title": failure_title or title or check["id"],
        "rule": rule,
        "basis": basis or "—",
        "category": str(check.get("category") or ""),
        "status": status,
        "status_name": status_name,
        "status_class": status_class,
        "counted": status not in ("not_tested", "error"),
        "points_lost": check.get("points_lost", 0) or 0,
        "veto": bool(check.get("veto")),
        "reason": reason,
        "findings": findings,
        "problems": [f for f in findings if f["kind"] in (KIND_VETO, KIND_FAIL) and not f["waived"]],
        "warnings": [f for f in findings if f["kind"] == KIND_WARN and not f["waived"]],
        "pending": pending_items,
    }


def _site_view(site: Mapping[str, Any], site_diff: Mapping[str, Any] | None) -> dict[str, Any]:
    sid = str(site["id"])
    checks = [_check_view(c, _safe_name(sid)) for c in site.get("checks") or []]
    verdict = str(site.get("verdict") or "未检测")
    veto_ids = list(site.get("vetoes") or [c["id"] for c in checks if c["veto"]])
    by_id = {c["id"]: c for c in checks}
    vetoes = [by_id[v]["failure_title"] if v in by_id else str(v) for v in veto_ids]
    problem_count = sum(len(c["problems"]) for c in checks)
    has_fail = any(c["status"] == "fail" for c in checks) or bool(veto_ids)
    untested = [c for c in checks if not c["counted"]]
    if verdict == "未检测":
        reasons = list(dict.fromkeys(c["reason"] for c in untested if c["reason"]))
        untested_reason = str(site.get("reason") or "；".join(reasons[:3]) or "未取得检测所需的数据")
        notice_note = "未下发（网站未检测，原因见“未检测网站”）"
    else:
        untested_reason = ""
        notice_note = "" if has_fail else "无须整改（无扣分或单项否决问题）"
    return {
        "id": sid,
        "file": _safe_name(sid),
        "name": str(site.get("name") or sid),
        "url": str(site.get("url") or ""),
        "level": str(site.get("level") or ""),
        "level_name": LEVEL_NAMES.get(str(site.get("level") or ""), str(site.get("level") or "—")),
        "unit": str(site.get("unit") or "—"),
        "site_code": str(site.get("site_code") or "—"),
        "parent": str(site.get("parent") or ""),
        "score": site.get("score"),
        "verdict": verdict,
        "verdict_class": VERDICT_CLASS.get(verdict, "na"),
        "rank": None,
        "checks": checks,
        "vetoes": vetoes,
        "deduction_count": sum(1 for c in checks if float(c["points_lost"] or 0) > 0),
        "problem_count": problem_count,
        "warning_count": sum(len(c["warnings"]) for c in checks),
        "pending_count": sum(len(c["pending"]) for c in checks),
        "untested_count": len(untested),
        "points_total": round(sum(float(c["points_lost"] or 0) for c in checks), 2),
        "has_notice": verdict != "未检测" and has_fail,
        "notice_note": notice_note,
        "untested_reason": untested_reason,
        "recheck": _recheck_view(site_diff) if site_diff else None,
        "notice_file": "",  # the unit's notice (notices/<file>.html), set once the notices are grouped
    }


def _recheck_view(site_diff: Mapping[str, Any]) -> dict[str, Any]:
    checks = [
        {
            **c,
            "outcome_class": OUTCOME_CLASS.get(c["outcome"], "plain"),
            "previous_status_name": STATUS_NAMES.get(c["previous_status"], c["previous_status"]),
            "current_status_name": STATUS_NAMES.get(c["current_status"], c["current_status"]),
        }
        for c in site_diff["checks"]
    ]
    return {
        **site_diff,
        "checks": checks,
        # a check untested both times says nothing about rectification: left out of the tables
        "relevant": [
            c
            for c in checks
            if c["outcome"] != "无问题"
            and not (
                c["outcome"] == "无法复查"
                and not c["unverified"]
                and c["previous_status"] in ("not_tested", "error", "missing")
            )
        ],
        "previous_verdict_class": VERDICT_CLASS.get(site_diff.get("previous_verdict") or "", "na"),
        "verdict_class": VERDICT_CLASS.get(site_diff.get("verdict") or "", "na"),
    }


def _rank(sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sort by verdict (合格, 不合格, 未检测) then score; competition ranking (1, 2, 2, 4) over tested sites."""

    def key(s: dict[str, Any]) -> tuple[int, float, str]:
        score = s["score"] if isinstance(s["score"], int | float) else -1.0
        return (VERDICT_ORDER.get(s["verdict"], 3), -float(score), s["name"])

    ordered = sorted(sites, key=key)
    position = 0
    previous: tuple[str, Any] | None = None
    for index, site in enumerate(ordered, start=1):
        if site["verdict"] == "未检测" or site["score"] is None:
            site["rank"] = None
            continue
        current = (site["verdict"], site["score"])
        if current != previous:
            position = index
            previous = current
        site["rank"] = position
    return ordered


def _summary(sites: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(1 for s in sites if s["verdict"] == "合格")
    failed = sum(1 for s in sites if s["verdict"] == "不合格")
    untested = sum(1 for s in sites if s["verdict"] not in ("合格", "不合格"))
    tested = passed + failed
    return {
        "total": len(sites),
        "passed": passed,
        "failed": failed,
        "untested": untested,
        "rate": f"{passed / tested * 100:.1f}%" if tested else "—",
        "notices": sum(1 for s in sites if s["has_notice"]),
        "vetoed": sum(1 for s in sites if s["vetoes"]),
    }


def _basis(checks: Iterable[Mapping[str, Any]]) -> list[str]:
    numbers: list[str] = list(FIXED_BASIS)
    laws: list[str] = []
    for check in checks:
        text = f"{check['rule']} {check['basis']}"
        for number in _DOC_NO.findall(text):
            number = next((k for k in KNOWN_DOCUMENTS if number.endswith(k)), number)
            if number not in numbers:
                numbers.append(number)
        for law in _LAW.findall(text):
            if law not in laws:
                laws.append(law)
    known_order = list(KNOWN_DOCUMENTS)
    numbers.sort(key=lambda n: known_order.index(n) if n in known_order else len(known_order))
    items = [f"《{KNOWN_DOCUMENTS[n]}》（{n}）" if n in KNOWN_DOCUMENTS else n for n in numbers]
    return laws + items


# ---------------------------------------------------------------- writing


def _css(*names: str) -> Markup:
    """Stylesheets are inlined so every HTML file stands alone (notices are mailed as single files)."""
    return Markup("\n".join((TEMPLATES / name).read_text(encoding="utf-8") for name in names))


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


ALL_FORMATS = ("html", "pdf", "docx", "xlsx", "csv")


def write_reports(
    results: dict,
    out_dir: Path,
    *,
    previous: dict | None = None,
    deadline_days: int | None = None,
    issued: dt.date | None = None,
    add_workdays: Callable[[dt.date, int], dt.date] | None = None,
    settings: NoticeSettings | None = None,
    history: list[dict[str, Any]] | None = None,
    screenshots: Mapping[tuple[str, str, str, str], Path] | None = None,
    site_order: list[str] | None = None,
    formats: Iterable[str] = ALL_FORMATS,
    documents: Iterable[str] = ("pages", "summary", "notices", "rechecks"),
) -> list[Path]:
    """Render every document of one scored run into out_dir; return the paths written.

    The library entry point (the CLI and the web console call it): results → files in a directory.
    previous: an earlier judgement of the same sites (results.json shape); adds 复查情况, recheck.html and the
    整改复查报告 per unit. settings: issuer, 文号, contact, deadline (config/notice.yaml; defaults without).
    deadline_days overrides settings.deadline_workdays; the deadline is counted from `issued` (default today)
    with `add_workdays(start, n)` (default: skip Saturdays and Sundays; the CLI passes the official calendar).
    history: 合格率 of earlier runs ([{run_id, as_of, rate, sites}]) for the 通报's chart.
    screenshots: (site id, check id, url key, message key) → PNG with the problem outlined, for the notices.
    site_order: site ids in configuration order (names the notice files); default the order of results.
    formats: any of html, pdf, docx, xlsx, csv. documents: which of them (pages = index and site reports).
    PDF failures are logged and leave the other files complete.
    """
    documents = set(documents)
    from reports import charts as chart_writer
    from reports import documents as docs
    from reports import tables as table_writer

    formats = set(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = settings or NoticeSettings()
    if deadline_days is not None:
        settings = dataclasses.replace(settings, deadline_workdays=deadline_days)
    deadline_days = settings.deadline_workdays
    issued = issued or dt.date.today()
    add_workdays = add_workdays or add_weekdays
    deadline = add_workdays(issued, deadline_days)
    run = dict(results.get("run") or {})
    recheck = diff(previous, results) if previous is not None else None
    recheck_sites = recheck["sites"] if recheck else {}
    order = list(site_order or [s["id"] for s in results.get("sites") or []])

    sites = _rank([_site_view(s, recheck_sites.get(s["id"])) for s in results.get("sites") or []])
    notices = docs.unit_notices(
        sites, run, settings=settings, issued=issued, deadline=deadline, order=order, screenshots=screenshots
    )
    for notice in notices:
        for member in notice["sites"]:
            member["notice_file"] = notice["key"]
    summary = _summary(sites)
    summary["notice_units"] = len(notices)
    rechecks = (
        docs.recheck_reports(previous, sites, results, settings=settings, issued=issued, order=order)
        if previous is not None
        else []
    )
    recheck_view = None
    if recheck:
        recheck_view = {
            **recheck,
            "site_views": [s for s in sites if s["recheck"]],
            "gone": [d for d in recheck["sites"].values() if not d["in_current"]],
        }

    env = make_env()
    report_css = _css("report.css")
    common = {
        "run": run,
        "summary": summary,
        "sites": sites,
        "recheck": recheck_view,
        "issued": issued,
        "deadline": deadline,
        "deadline_days": deadline_days,
        "issuer": settings.issuer,
        "generated": dt.date.today(),
        "rechecks": rechecks,
    }
    written: list[Path] = []
    manifest: list[dict[str, Any]] = []

    def doc_entry(kind: str, title: str, stem: str, **extra: Any) -> dict[str, Any]:
        entry = {"kind": kind, "title": title, "files": {}, **extra}
        manifest.append(entry)
        entry["_stem"] = stem
        return entry

    if "html" in formats and "pages" in documents:
        html = env.get_template("index.html.j2").render(**common, css=report_css, mode="html", root="")
        _write(out_dir / "index.html", html, written)
        site_tpl = env.get_template("site.html.j2")
        for site in sites:
            _write(
                out_dir / "sites" / f"{site['file']}.html",
                site_tpl.render(**common, site=site, css=report_css, mode="html", root="../"),
                written,
            )
        if recheck_view:
            _write(
                out_dir / "recheck.html",
                env.get_template("recheck.html.j2").render(**common, css=report_css, mode="html", root=""),
                written,
            )

    tables = {
        "ranking": docs.ranking_table(sites),
        "findings": docs.findings_table(sites),
        "recheck": docs.recheck_table(rechecks),
    }
    tables_entry = doc_entry("tables", f"检查结果表（检查编号{run.get('id', '')}）", "results")
    if "csv" in formats:
        for path in table_writer.write_csvs(out_dir, tables):
            written.append(path)
            tables_entry["files"][path.stem + ".csv"] = path.name
    if "xlsx" in formats:
        path = table_writer.write_xlsx(
            out_dir / "results.xlsx", tables, title=f"政府网站检查结果（检查编号{run.get('id', '')}）"
        )
        written.append(path)
        tables_entry["files"]["xlsx"] = path.name

    # the documents: 通报, notices per unit, 复查 reports per unit; HTML/DOCX here, PDFs last and in parallel
    history_points = docs.history_points(history, run, results.get("sites") or [])
    by_check = docs.problems_by_check(sites)
    needs_charts = formats & {"html", "pdf", "docx"} and "summary" in documents
    charts = (
        chart_writer.summary_charts(results.get("sites") or [], by_check, history_points)
        if needs_charts
        else {}
    )
    summary_doc = docs.summary_view(
        sites,
        summary,
        run,
        previous=previous,
        history=history_points,
        settings=settings,
        issued=issued,
        charts=charts,
    )
    notice_css = _css("notice.css")
    pdf_jobs: list[tuple[str, Path, str | Path | None]] = []
    # PDFs render in worker processes from the moment each HTML exists, while the DOCX files are built here
    batch = pdf_writer.PdfBatch(PDF_WORKERS) if "pdf" in formats else None

    def document(
        kind: str,
        template: str,
        view: dict[str, Any],
        stem: Path,
        docx_fn: Callable[..., Path],
        title: str,
        **extra: Any,
    ) -> None:
        entry = doc_entry(kind, title, str(stem.relative_to(out_dir)), **extra)
        html_text = env.get_template(template).render(
            **{"doc" if kind != "notice" else "notice": view}, css=notice_css, root=""
        )
        if batch is not None:
            batch.add(html_text, stem.with_suffix(".pdf"), stem.parent)
            pdf_jobs.append((html_text, stem.with_suffix(".pdf"), stem.parent))
            entry["files"]["pdf"] = str(stem.with_suffix(".pdf").relative_to(out_dir))
        if "html" in formats:
            _write(stem.with_suffix(".html"), html_text, written)
            entry["files"]["html"] = str(stem.with_suffix(".html").relative_to(out_dir))
        if "docx" in formats:
            try:
                written.append(docx_fn(view, stem.with_suffix(".docx")))
                entry["files"]["docx"] = str(stem.with_suffix(".docx").relative_to(out_dir))
            except Exception as exc:  # noqa: BLE001 - a Word failure must not cost the other formats
                log.error("未生成 Word 文档 %s：%s: %s", stem.with_suffix(".docx"), type(exc).__name__, exc)

    from reports import docx_writer

    if "summary" in documents:
        document(
            "summary",
            "summary.html.j2",
            summary_doc,
            out_dir / "summary",
            docx_writer.summary_docx,
            summary_doc["title"],
        )
    for notice in notices if "notices" in documents else []:
        document(
            "notice",
            "notice.html.j2",
            notice,
            out_dir / "notices" / notice["key"],
            docx_writer.notice_docx,
            notice["title"],
            unit=notice["unit"],
            sites=[s["id"] for s in notice["sites"]],
            doc_number=notice["doc_number"],
            deadline=notice["deadline"].isoformat(),
            items=notice["problem_total"],
        )
    for report in rechecks if "rechecks" in documents else []:
        document(
            "recheck",
            "recheck_report.html.j2",
            report,
            out_dir / "rechecks" / report["key"],
            docx_writer.recheck_docx,
            report["title"],
            unit=report["unit"],
            sites=[s["id"] for s in report["sites"]],
            totals=report["totals"],
        )

    done = set(batch.finish()) if batch is not None else set()
    written.extend(p for _, p, _ in pdf_jobs if p in done)
    for entry in manifest:
        stem = entry.pop("_stem")
        if entry["files"].get("pdf") and out_dir / entry["files"]["pdf"] not in done:
            entry["files"].pop("pdf")
            entry["pdf_missing"] = (
                f"PDF 未生成（{pdf_writer.pdf_unavailable_reason() or 'WeasyPrint 出错，见日志'}）"
            )
        entry["key"] = stem
    index = {
        "run": run,
        "issued": issued.isoformat(),
        "deadline": deadline.isoformat(),
        "settings": settings.path or "（内置默认值）",
        "documents": manifest,
    }
    _write(out_dir / "documents.json", json.dumps(index, ensure_ascii=False, indent=1, default=str), written)
    return written


def export_tables(
    results: dict,
    out_dir: Path,
    fmt: str,
    *,
    previous: dict | None = None,
    settings: NoticeSettings | None = None,
) -> list[Path]:
    """The run's tables only (排名, 问题清单, 复查) as one XLSX workbook, three CSV files or one JSON file."""
    from reports import documents as docs
    from reports import tables as table_writer

    out_dir = Path(out_dir)
    run = dict(results.get("run") or {})
    recheck = diff(previous, results)["sites"] if previous is not None else {}
    sites = _rank([_site_view(s, recheck.get(s["id"])) for s in results.get("sites") or []])
    rechecks = (
        docs.recheck_reports(
            previous,
            sites,
            results,
            settings=settings or NoticeSettings(),
            issued=dt.date.today(),
            order=[s["id"] for s in results["sites"]],
        )
        if previous is not None
        else []
    )
    tables = {
        "ranking": docs.ranking_table(sites),
        "findings": docs.findings_table(sites),
        "recheck": docs.recheck_table(rechecks),
    }
    if fmt == "xlsx":
        return [
            table_writer.write_xlsx(
                out_dir / f"run-{run.get('id', '')}.xlsx",
                tables,
                title=f"政府网站检查结果（检查编号{run.get('id', '')}）",
            )
        ]
    if fmt == "csv":
        return table_writer.write_csvs(out_dir, tables)
    if fmt == "json":
        return [table_writer.write_json(out_dir / f"run-{run.get('id', '')}.json", tables)]
    raise ValueError(fmt)
