"""Site markings (网站标识): 网站标识码, ICP 备案号, 公安机关备案号 and the 党政机关网站标识 in the home page footer.

Reads ``site.home`` (its stored HTML through ``extract.markings.footer_markings``, and ``<meta name="SiteIDCode">``)
and ``site.site_code`` (the code the configuration registers for the site). Each missing marking is a deduction;
a 标识码 (printed or in the meta tag) that differs from the registered one is a deduction too. When the footer is
drawn by script and the page was not rendered, nothing can be judged: not tested, never blamed on the department.

Options: points_site_code, points_icp, points_police, points_conac, points_code_mismatch.
"""

from __future__ import annotations

from collections.abc import Iterator

from extract.markings import footer_markings
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings

META = Meta(
    id="site-markings",
    title="网站标识规范",
    failure_title="网站标识不规范",
    description="检查网站首页底部是否规范展示网站标识码、ICP备案编号、公安机关备案号和党政机关网站标识，"
    "以及网站标识码是否与全国政府网站信息报送系统登记的一致；标识是公众辨别政府网站真伪的依据。",
    rule="政府网站发展指引（国办发〔2017〕47号）及网页设计规范：网站底部应展示网站标识码、ICP备案编号、公安机关备案标识"
    "和党政机关网站标识（扣分分值待核实）",
    category="标识规范",
    task="",
)


def _norm(code: str | None) -> str:
    return (code or "").strip().upper()


@register(META)
def check(
    site: SiteArtifacts,
    *,
    readings: Readings,
    points_site_code: float,
    points_icp: float,
    points_police: float,
    points_conac: float,
    points_code_mismatch: float,
) -> Iterator[Finding]:
    """Yield one FAIL per missing marking and per 标识码 that differs from the registered one."""
    home = readings.home()
    url = home.final_url or home.url
    marks = footer_markings(home.html)
    if marks.scripted_footer and not home.rendered:
        raise NotTested("首页底部信息由脚本动态生成，未能渲染，无法核对网站标识。")
    if marks.truncated and not (marks.site_code and marks.icp and marks.police and marks.conac):
        raise NotTested(
            "首页标签嵌套过深，解析器只读到页面的前一部分，底部的网站标识可能在未读到的部分，无法核对。"
        )

    missing = (
        ("网站标识码", marks.site_code, points_site_code),
        ("ICP备案编号", marks.icp, points_icp),
        ("公安机关备案号", marks.police, points_police),
        ("党政机关网站标识", marks.conac, points_conac),
    )
    for label, value, points in missing:
        if not value:
            yield META.finding(
                Severity.FAIL,
                f"网站首页底部未展示{label}。",
                url=url,
                evidence={"缺少": label, "首页": url},
                points=points,
            )

    registered = _norm(site.site_code)
    meta_code = _norm(home.meta.get("SiteIDCode") or marks.evidence.get("meta_site_code"))
    printed = _norm(marks.site_code)
    if registered and printed and printed != registered:
        yield META.finding(
            Severity.FAIL,
            f"网站首页底部展示的网站标识码{printed}与登记的标识码{registered}不一致。",
            url=url,
            evidence={"页面标识码": printed, "登记标识码": registered},
            points=points_code_mismatch,
        )
    elif registered and meta_code and meta_code != registered:
        yield META.finding(
            Severity.FAIL,
            f"网站首页SiteIDCode元数据中的网站标识码{meta_code}与登记的标识码{registered}不一致。",
            url=url,
            evidence={"SiteIDCode": meta_code, "登记标识码": registered},
            points=points_code_mismatch,
        )
    elif printed and meta_code and printed != meta_code:
        yield META.finding(
            Severity.FAIL,
            f"网站首页底部展示的网站标识码{printed}与SiteIDCode元数据{meta_code}不一致。",
            url=url,
            evidence={"页面标识码": printed, "SiteIDCode": meta_code},
            points=points_code_mismatch,
        )
    found = {
        "网站标识码": marks.site_code or "",
        "ICP备案编号": marks.icp or "",
        "公安机关备案号": marks.police or "",
        "党政机关网站标识": "有" if marks.conac else "无",
        "SiteIDCode": meta_code,
        "登记标识码": registered,
    }
    yield META.finding(
        Severity.INFO,
        "首页底部标识："
        + "；".join(f"{k}{('：' + v) if v else '：无'}" for k, v in found.items() if k != "登记标识码"),
        url=url,
        evidence=found,
    )
