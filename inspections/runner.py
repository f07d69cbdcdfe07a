"""Run every registered check on one site, score it, and shape the site's entry of results.json.

``load_scoring()`` reads ``config/scoring.yaml`` and refuses unknown check ids and option names that are not in
the check's signature (a typo there would otherwise silently leave a default in force).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

import inspections  # noqa: F401 - imports every check module, so REGISTRY is complete
from inspections.artifacts import SiteArtifacts
from inspections.base import REGISTRY, Outcome, Status, judge, run_inspection
from inspections.scoring import points_lost, score_site, veto_enabled

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "scoring.yaml"

TOP_KEYS = frozenset({"version", "total_points", "pass_mark", "checks", "sites"})
CHECK_KEYS = frozenset({"max_points", "veto", "options"})
SITE_KEYS = frozenset({"checks"})


def _validate_check(where: str, check_id: str, section: Any) -> None:
    if check_id not in REGISTRY:
        raise ValueError(f"{where}: unknown check id {check_id!r} (known: {', '.join(REGISTRY)})")
    if section is None:
        return
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}.{check_id}: expected a mapping, got {type(section).__name__}")
    unknown = set(section) - CHECK_KEYS
    if unknown:
        raise ValueError(f"{where}.{check_id}: unknown key(s) {sorted(unknown)} (allowed: {sorted(CHECK_KEYS)})")
    options = section.get("options") or {}
    if not isinstance(options, Mapping):
        raise ValueError(f"{where}.{check_id}.options: expected a mapping")
    allowed = REGISTRY[check_id].option_names - {"as_of"}
    for name in options:
        if name not in allowed:
            raise ValueError(
                f"{where}.{check_id}.options.{name}: not an option of {check_id} (options: {sorted(allowed)})"
            )
    if "max_points" in section and not isinstance(section["max_points"], int | float):
        raise ValueError(f"{where}.{check_id}.max_points: expected a number")


def validate_scoring(data: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first key that does not fit the registry."""
    if not isinstance(data, Mapping):
        raise ValueError("scoring config: expected a mapping at the top level")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ValueError(f"scoring config: unknown top-level key(s) {sorted(unknown)}")
    for check_id, section in (data.get("checks") or {}).items():
        _validate_check("checks", check_id, section)
    for site_id, site in (data.get("sites") or {}).items():
        if not isinstance(site, Mapping):
            raise ValueError(f"sites.{site_id}: expected a mapping")
        extra = set(site) - SITE_KEYS
        if extra:
            raise ValueError(f"sites.{site_id}: unknown key(s) {sorted(extra)}")
        for check_id, section in (site.get("checks") or {}).items():
            _validate_check(f"sites.{site_id}.checks", check_id, section)


def load_scoring(path: str | Path | None = None) -> dict[str, Any]:
    """The scoring config (default ``config/scoring.yaml`` of this checkout), validated against the registry."""
    path = Path(path) if path is not None else DEFAULT_PATH
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    validate_scoring(data)
    return data


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


def run_checks(site: SiteArtifacts, *, as_of: dt.date, config: Mapping[str, Any]) -> list[Outcome]:
    """Every registered check, in registry order, with its options from ``config`` (already merged per site)."""
    checks = config.get("checks") or {}
    return [
        run_inspection(ins, site, as_of=as_of, options=(checks.get(check_id) or {}).get("options") or {})
        for check_id, ins in REGISTRY.items()
    ]


# A waiver says whether a finding (check id, finding as in results.json) is excused by an approved explanation
# (comply or explain): it returns what to show with the finding, or None. The caller owns where they come from.
Waiver = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]


def apply_waivers(outcome: Outcome, waive: Waiver) -> tuple[Outcome, dict[int, Mapping[str, Any]]]:
    """The outcome as scored without its waived findings, and the waived ones by position."""
    if outcome.status not in (Status.FAIL, Status.WARN) or outcome.meta is None:
        return outcome, {}
    waived: dict[int, Mapping[str, Any]] = {}
    for i, f in enumerate(outcome.findings):
        info = waive(outcome.check_id, f.as_dict())
        if info is not None:
            waived[i] = info
    if not waived:
        return outcome, {}
    kept = tuple(f for i, f in enumerate(outcome.findings) if i not in waived)
    return judge(outcome.meta, kept), waived


def inspect_site(site: SiteArtifacts, *, as_of: dt.date, scoring: Mapping[str, Any],
                 waive: Waiver | None = None) -> dict[str, Any]:
    """Run, score and shape one site as its entry of results.json.

    With ``waive``, findings it excuses stay in the result (marked ``waived``) but cost no points and no veto."""
    config = site_config(scoring, site.site_id)
    outcomes = run_checks(site, as_of=as_of, config=config)
    waived_by_check: dict[str, tuple[Outcome, dict[int, Mapping[str, Any]]]] = {}
    if waive is not None:
        for i, outcome in enumerate(outcomes):
            scored, waived = apply_waivers(outcome, waive)
            if waived:
                waived_by_check[outcome.check_id] = (outcome, waived)
                outcomes[i] = scored
    home = site.home
    fetched = (home is not None and home.status is not None and home.status < 400 and bool(home.html)
               and not script_drawn_home(site))
    result = score_site(outcomes, config=config, home_fetched=fetched)
    checks = []
    for outcome in outcomes:
        meta = REGISTRY[outcome.check_id].meta
        entry = outcome.as_dict()
        if outcome.check_id in waived_by_check:
            original, waived = waived_by_check[outcome.check_id]
            entry["findings"] = [{**f.as_dict(), **({"waived": dict(waived[i])} if i in waived else {})}
                                 for i, f in enumerate(original.findings)]
        entry["points_lost"] = points_lost(config, outcome)
        entry["veto"] = bool(outcome.veto and veto_enabled(config, outcome))
        entry.update(title=meta.title, failure_title=meta.failure_title, rule=meta.rule, category=meta.category,
                     description=meta.description, task=meta.task)
        checks.append(entry)
    return {
        "id": site.site_id,
        "name": site.name,
        "url": site.home_url,
        "level": site.level,
        "unit": site.unit,
        "score": result.score,
        "verdict": result.verdict,
        "checks": checks,
        "site_code": site.site_code,
        "parent": site.parent,
        "vetoes": list(result.vetoes),
        "reason": untested_reason(site) if result.verdict == "未检测" else "",
    }


FAILURE_WORDS = {
    "dns": "首页域名无法解析", "timeout": "首页请求超时", "refused": "首页连接被拒绝", "reset": "首页连接中断",
    "tls": "首页 TLS 握手失败", "too_large": "首页超过下载大小上限，未读取", "robots": "robots.txt 禁止抓取首页",
    "private": "首页域名解析到内网地址，按配置拒绝连接", "offsite": "首页跳转到站外主机，未跟随",
    "redirect": "首页重定向过多或循环",
}


def script_drawn_home(site: SiteArtifacts) -> bool:
    """The home page is drawn by script (a single-page app) and was not rendered: read statically it shows
    nothing, so no check of its content may count against the department."""
    home = site.home
    return bool(home and home.js_shell and not home.rendered and len(site.links_from(home.url)) < 5)


def untested_reason(site: SiteArtifacts) -> str:
    """Why a site could not be judged (shown with 未检测): what happened to its home page."""
    home = site.home
    if script_drawn_home(site):
        return "首页内容由脚本生成（单页应用），本次未能用浏览器渲染，无法检查；请确认检查机已安装 Chromium 后复查。"
    if home is not None and home.status is not None and home.status < 400 and not home.html:
        return f"首页返回的内容不是网页（{home.content_type or '未知类型'}），无法检查。"
    kinds = [f for f in site.failures if f.url == site.home_url]
    if kinds:
        f = kinds[-1]
        return f"{FAILURE_WORDS.get(f.kind, '首页未能获取')}：{f.message}"[:300]
    if site.environment.get("resolvers_ok") is False:
        return f"检查机的域名解析服务不可用：{site.environment.get('resolvers_reason', '')}"
    return "首页未能获取，无法检查。"
