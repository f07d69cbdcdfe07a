"""Scoring: the one place where outcomes become a site's score and verdict.

国办秘函〔2019〕19号: “如网站出现单项否决指标中的任意一种情形，即判定为不合格网站，不再对其他指标进行评分。如网站
不存在单项否决问题，则对扣分指标进行评分，如评分结果低于60分，判定为不合格网站……单项指标扣分之和不超过本项指标总分值。”

So: any veto (of a check whose veto is enabled in the config) → 不合格; otherwise 100 less the deductions, each
check's deductions capped at its ``max_points`` (config/scoring.yaml, the only source); below the pass mark → 不合格.
``not_tested`` and ``error`` outcomes cost nothing. A site whose home page we could not reach and whose
availability could not be judged (our network, no probes) is 未检测 with no score: we never fail a site for our
own failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inspections.base import Outcome, Status
from inspections.readings import HOME_MISSING

PASS = "合格"
FAIL = "不合格"
UNTESTED = "未检测"

UNREACHABLE_ID = "site-unreachable"


@dataclass(frozen=True, slots=True)
class SiteScore:
    score: float | None
    verdict: str  # 合格 | 不合格 | 未检测
    vetoes: list[str] = field(default_factory=list)  # check ids whose veto stands
    points_by_check: dict[str, float] = field(default_factory=dict)  # after each check's cap


def _check_config(config: Mapping[str, Any], check_id: str) -> Mapping[str, Any]:
    return (config.get("checks") or {}).get(check_id) or {}


def _id(outcome_or_id: Outcome | str) -> str:
    return outcome_or_id if isinstance(outcome_or_id, str) else outcome_or_id.check_id


def max_points(config: Mapping[str, Any], outcome: Outcome | str) -> float:
    """The indicator's cap: ``checks.<id>.max_points`` of the (validated) config — there is no other source."""
    return float(_check_config(config, _id(outcome))["max_points"])


def veto_enabled(config: Mapping[str, Any], outcome: Outcome | str) -> bool:
    """Whether a VETO finding of this check makes the site 不合格: ``checks.<id>.veto`` of the config."""
    return bool(_check_config(config, _id(outcome))["veto"])


def points_lost(config: Mapping[str, Any], outcome: Outcome) -> float:
    """Deductions of one outcome after its cap; nothing for not_tested / error."""
    if outcome.status in (Status.NOT_TESTED, Status.ERROR):
        return 0.0
    total = sum(max(0.0, float(f.points)) for f in outcome.findings)
    return round(min(total, max_points(config, outcome)), 2)


def home_missing(outcomes: Sequence[Outcome]) -> bool:
    """Whether a check said it had no home page (used when the caller does not say)."""
    return any(o.status is Status.NOT_TESTED and o.reason.startswith(HOME_MISSING) for o in outcomes)


def score_site(outcomes: Sequence[Outcome], *, config: Mapping[str, Any], home_fetched: bool | None = None) -> SiteScore:
    """Score one site from its outcomes (see the module docstring for the rules)."""
    points = {o.check_id: points_lost(config, o) for o in outcomes}
    vetoes = [o.check_id for o in outcomes if o.veto and o.status is Status.FAIL and veto_enabled(config, o)]
    fetched = (not home_missing(outcomes)) if home_fetched is None else home_fetched
    unreachable = next((o for o in outcomes if o.check_id == UNREACHABLE_ID), None)
    if not fetched and (unreachable is None or unreachable.status is not Status.FAIL):
        # The home page never reached us as a readable page and the probes do not show the site is down (our
        # network, or a page we could not read: too large, refused by robots.txt, redirected off the site).
        # Nothing but availability was judged, so the site is 未检测 — never 合格 on checks that did not run.
        return SiteScore(None, UNTESTED, [], points)
    total = float(config["total_points"])
    pass_mark = float(config["pass_mark"])
    if vetoes:
        # 19号: “即判定为不合格网站，不再对其他指标进行评分” — no score, so a site that could not even be opened
        # never shows 100 points next to its veto. The deductions stay in points_by_check for the report.
        return SiteScore(None, FAIL, vetoes, points)
    score = round(max(0.0, total - sum(points.values())), 2)
    return SiteScore(score, FAIL if score < pass_mark else PASS, vetoes, points)
