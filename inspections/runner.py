"""Run every registered check on one site, score it, and shape the site's entry of results.json.

The rules come from config/scoring.yaml only (``inspections.rules``: loaded and validated before any work). Per
site the runner merges the site's overrides, builds the shared readings once (``inspections.readings``) and hands
them with each check's options to every check, in the order of the configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import inspections  # noqa: F401 - imports every check module, so REGISTRY is complete
from inspections.artifacts import SiteArtifacts
from inspections.base import REGISTRY, Meta, Outcome, Status, judge, run_inspection
from inspections.readings import Readings
from inspections.rules import (  # noqa: F401 - load_scoring/site_config/validate_scoring: the runner's API too
    DEFAULT_PATH,
    check_ids,
    check_options,
    load_scoring,
    site_config,
    validate_scoring,
)
from inspections.scoring import max_points, points_lost, score_site, veto_enabled


def run_checks(site: SiteArtifacts, *, as_of: dt.date, config: Mapping[str, Any]) -> list[Outcome]:
    """Every configured check, in the order of the configuration, with its options from ``config`` (already
    merged per site) and the site's shared readings, built once here."""
    readings = Readings.from_config(site, as_of=as_of, config=config)
    return [
        run_inspection(REGISTRY[check_id], site, as_of=as_of, options=check_options(config, check_id),
                       readings=readings, max_points=max_points(config, check_id))
        for check_id in check_ids(config)
    ]


def run_check(check_id: str, site: SiteArtifacts, *, as_of: dt.date, scoring: Mapping[str, Any] | None = None,
              **overrides: Any) -> Outcome:
    """One check on one site with its configured options (``overrides`` replace some): for tests and tools."""
    config = site_config(scoring if scoring is not None else load_scoring(), site.site_id)
    options = {**check_options(config, check_id), **overrides}
    readings = Readings.from_config(site, as_of=as_of, config=config)
    return run_inspection(REGISTRY[check_id], site, as_of=as_of, options=options, readings=readings,
                          max_points=max_points(config, check_id))


def rendered_meta(config: Mapping[str, Any], check_id: str) -> Meta:
    """The check's META with its texts worded from the options applied (a changed limit changes the words)."""
    return REGISTRY[check_id].meta.render(check_options(config, check_id))


# A waiver says whether a finding (check id, finding as in results.json) is excused by an approved explanation
# (comply or explain): it returns what to show with the finding, or None. The caller owns where they come from.
Waiver = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]


def apply_waivers(outcome: Outcome, waive: Waiver, cap: float = float("inf")
                  ) -> tuple[Outcome, dict[int, Mapping[str, Any]]]:
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
    return judge(outcome.meta, kept, cap), waived


def inspect_site(site: SiteArtifacts, *, as_of: dt.date, scoring: Mapping[str, Any],
                 waive: Waiver | None = None) -> dict[str, Any]:
    """Run, score and shape one site as its entry of results.json.

    With ``waive``, findings it excuses stay in the result (marked ``waived``) but cost no points and no veto."""
    config = site_config(scoring, site.site_id)
    outcomes = run_checks(site, as_of=as_of, config=config)
    waived_by_check: dict[str, tuple[Outcome, dict[int, Mapping[str, Any]]]] = {}
    if waive is not None:
        for i, outcome in enumerate(outcomes):
            scored, waived = apply_waivers(outcome, waive, max_points(config, outcome.check_id))
            if waived:
                waived_by_check[outcome.check_id] = (outcome, waived)
                outcomes[i] = scored
    home = site.home
    fetched = (home is not None and home.status is not None and home.status < 400 and bool(home.html)
               and not script_drawn_home(site))
    result = score_site(outcomes, config=config, home_fetched=fetched)
    checks = []
    for outcome in outcomes:
        meta = rendered_meta(config, outcome.check_id)
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
