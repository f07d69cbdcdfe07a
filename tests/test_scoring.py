"""Scoring rules (国办秘函〔2019〕19号): veto → 不合格, caps per indicator, below 60 → 不合格, not_tested costs
nothing, 未检测 when our side could not reach the home page; and the runner's results.json site dict."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from inspections.artifacts import FetchFailure, LinkArtifact, PageArtifact, ProbeArtifact, SiteArtifacts
from inspections.base import REGISTRY, Finding, Outcome, Severity, Status
from inspections.runner import inspect_site, load_scoring, site_config
from inspections.scoring import score_site

CONFIG = {
    "total_points": 100,
    "pass_mark": 60,
    "checks": {
        "broken-links": {"max_points": 10, "veto": False},
        "site-markings": {"max_points": 4, "veto": False},
        "homepage-stale": {"max_points": 0, "veto": True},
        "site-unreachable": {"max_points": 0, "veto": True},
    },
}


def outcome(check_id: str, status: Status = Status.PASS, *points: float, veto: bool = False,
            reason: str = "") -> Outcome:
    sev = Severity.VETO if veto else Severity.FAIL
    findings = tuple(Finding(check_id, sev, "问题", points=p) for p in points)
    if veto and not findings:
        findings = (Finding(check_id, Severity.VETO, "否决"),)
    return Outcome(check_id, status, findings, reason=reason, veto=veto)


def test_clean_site_scores_100_and_passes():
    result = score_site([outcome("broken-links"), outcome("homepage-stale")], config=CONFIG)
    assert result.score == 100 and result.verdict == "合格" and result.vetoes == []


def test_veto_fails_the_site_even_at_100_points_and_is_not_scored():
    # 19号: 单项否决 → 不合格, “不再对其他指标进行评分”.
    result = score_site([outcome("homepage-stale", Status.FAIL, veto=True), outcome("broken-links")],
                        config=CONFIG)
    assert result.verdict == "不合格" and result.vetoes == ["homepage-stale"] and result.score is None


def test_veto_disabled_in_config_does_not_fail_the_site():
    config = {**CONFIG, "checks": {**CONFIG["checks"], "homepage-stale": {"max_points": 0, "veto": False}}}
    result = score_site([outcome("homepage-stale", Status.FAIL, veto=True)], config=config)
    assert result.verdict == "合格" and result.vetoes == []


def test_deductions_are_capped_per_indicator():
    result = score_site([outcome("broken-links", Status.FAIL, *[1.0] * 25)], config=CONFIG)
    assert result.points_by_check["broken-links"] == 10 and result.score == 90


def test_cap_comes_from_the_config_only():
    result = score_site([outcome("site-markings", Status.FAIL, 3, 3)], config=CONFIG)
    assert result.points_by_check["site-markings"] == 4
    config = {**CONFIG, "checks": {**CONFIG["checks"], "site-markings": {"max_points": 5, "veto": False}}}
    assert score_site([outcome("site-markings", Status.FAIL, 3, 3)], config=config).points_by_check[
        "site-markings"] == 5
    with pytest.raises(KeyError):  # no fallback that could disagree with the file
        score_site([outcome("site-markings", Status.FAIL, 3)], config={**CONFIG, "checks": {}})


def test_below_the_pass_mark_fails():
    config = {**CONFIG, "checks": {"broken-links": {"max_points": 50}, "site-markings": {"max_points": 50}}}
    result = score_site([outcome("broken-links", Status.FAIL, 30), outcome("site-markings", Status.FAIL, 11)],
                        config=config)
    assert result.score == 59 and result.verdict == "不合格"
    result = score_site([outcome("broken-links", Status.FAIL, 30), outcome("site-markings", Status.FAIL, 10)],
                        config=config)
    assert result.score == 60 and result.verdict == "合格"


@pytest.mark.parametrize("status", [Status.NOT_TESTED, Status.ERROR])
def test_not_tested_and_error_cost_nothing(status):
    broken = Outcome("broken-links", status, (Finding("broken-links", Severity.FAIL, "x", points=5),), reason="原因")
    result = score_site([broken], config=CONFIG)
    assert result.score == 100 and result.points_by_check["broken-links"] == 0


def test_home_page_unreached_on_our_side_is_untested():
    outcomes = [outcome("site-unreachable", Status.NOT_TESTED, reason="探测均因检查方网络…"),
                outcome("homepage-stale", Status.NOT_TESTED, reason="首页未能获取，无法检查。")]
    result = score_site(outcomes, config=CONFIG)
    assert result.verdict == "未检测" and result.score is None
    # told explicitly
    assert score_site(outcomes[:1], config=CONFIG, home_fetched=False).verdict == "未检测"
    # fetched: the not-tested availability costs nothing
    assert score_site(outcomes[:1], config=CONFIG, home_fetched=True).verdict == "合格"


def test_site_really_down_is_not_untested():
    outcomes = [outcome("site-unreachable", Status.FAIL, veto=True),
                outcome("homepage-stale", Status.NOT_TESTED, reason="首页未能获取，无法检查。")]
    result = score_site(outcomes, config=CONFIG)
    assert result.verdict == "不合格" and result.vetoes == ["site-unreachable"]


# ------------------------------------------------------------------------------------------ runner

HOME = "http://www.xy.jj.test/"
AS_OF = dt.date(2021, 12, 20)


def test_inspect_site_shapes_the_results_entry():
    html = ('<html><body><ul><li><a href="/a.html">会议</a><span>2021-12-18</span></li></ul>'
            '<div class="footer">网站标识码：3604020001 赣ICP备05004018号 赣公网安备36040202000123号'
            '<img src="/conac.png" alt="党政机关"></div></body></html>')
    probes = tuple(ProbeArtifact("availability", HOME, dt.datetime(2021, 12, 20, 8, i), True,
                                 {"elapsed_s": 0.3}) for i in range(5))
    site = SiteArtifacts(
        site_id="xy", name="浔阳区人民政府", home_url=HOME, level="county", unit="浔阳区人民政府办公室",
        site_code="3604020001", pages=(PageArtifact(HOME, HOME, 200, html=html),), probes=probes,
        links=(LinkArtifact(HOME, HOME + "gone.html", "旧链接", status=404, confirmed=True),),
    )
    scoring = load_scoring()
    result = inspect_site(site, as_of=AS_OF, scoring=scoring)
    json.dumps(result, ensure_ascii=False)  # results.json must serialise as is
    assert [c["id"] for c in result["checks"]] == list(scoring["checks"])  # the order of the configuration
    assert sorted(scoring["checks"]) == sorted(REGISTRY)
    by_id = {c["id"]: c for c in result["checks"]}
    assert result["score"] == pytest.approx(100 - sum(c["points_lost"] for c in result["checks"]))
    assert result["vetoes"] == [c["id"] for c in result["checks"] if c["veto"]]
    for core in ("site-unreachable", "homepage-stale", "site-markings"):
        assert by_id[core]["status"] == "pass", by_id[core]
    assert by_id["broken-links"]["status"] == "fail" and by_id["broken-links"]["points_lost"] == 1.0
    assert by_id["stale-columns"]["status"] == "not_tested"
    for check in result["checks"]:
        assert {"id", "title", "failure_title", "rule", "category", "status", "points_lost", "veto", "findings",
                "reason"} <= set(check)
    assert {"id", "name", "url", "level", "unit", "score", "verdict", "checks", "site_code", "parent",
            "vetoes"} <= set(result)


def test_inspect_site_untested_when_our_network_failed():
    site = SiteArtifacts(site_id="xy", name="浔阳区", home_url=HOME, level="county",
                         failures=(FetchFailure(HOME, "dns"),),
                         probes=(ProbeArtifact("availability", HOME, dt.datetime(2021, 12, 20), False,
                                               {"error_kind": "dns", "ours": True, "confirmed": True}),))
    result = inspect_site(site, as_of=AS_OF, scoring=load_scoring())
    assert result["verdict"] == "未检测" and result["score"] is None


def test_site_overrides_merge_over_the_checks():
    scoring = {"checks": {"broken-links": {"max_points": 10, "options": {"points_home": 1.0, "points_other": 0.1}}},
               "sites": {"xy": {"checks": {"broken-links": {"options": {"points_home": 2.0}}}}}}
    merged = site_config(scoring, "xy")
    assert merged["checks"]["broken-links"]["options"] == {"points_home": 2.0, "points_other": 0.1}
    assert merged["checks"]["broken-links"]["max_points"] == 10
    assert site_config(scoring, "other")["checks"]["broken-links"]["options"]["points_home"] == 1.0


def test_unrendered_single_page_app_home_is_not_judged():
    """A home page drawn wholly by script that could not be rendered shows nothing statically: 未检测 with the
    reason, never 不合格 on checks that read an empty shell."""
    import datetime as dt

    from inspections.artifacts import PageArtifact, SiteArtifacts
    from inspections.runner import inspect_site, load_scoring

    shell = '<html><body><div id="app"></div><script src="/app.js"></script></body></html>'
    site = SiteArtifacts(site_id="x", name="某县", home_url="http://a.example/", level="county",
                         pages=(PageArtifact(url="http://a.example/", final_url="http://a.example/", status=200,
                                             html=shell, js_shell=True),))
    result = inspect_site(site, as_of=dt.date(2021, 12, 20), scoring=load_scoring())
    assert result["verdict"] == "未检测" and result["score"] is None
    assert "脚本" in result["reason"]
