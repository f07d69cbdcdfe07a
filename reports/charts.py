"""The 通报's charts with matplotlib: score distribution, problems by check, 合格率 over the stored runs.

Each chart is drawn once and saved twice: SVG (text as outlines, so the HTML and the PDF need no font and stay
self-contained) and PNG (python-docx embeds only raster images). matplotlib rather than pygal because pygal
writes SVG only and a PNG for Word would need cairosvg on top; matplotlib gives both from one figure and finds
the installed Noto CJK font through its own font manager.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from markupsafe import Markup

log = logging.getLogger(__name__)

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Source Han Sans SC",
)
SCORE_BINS = ((0, 60), (60, 70), (70, 80), (80, 90), (90, 100.01))
BAR = "#1d4f91"
BAD = "#c00000"
PNG_DPI = 150


@cache
def _pyplot() -> Any:
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(os.path.expanduser("~"), ".cache", "matplotlib"))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    names = {f.name for f in font_manager.fontManager.ttflist}
    family = [f for f in CJK_FONTS if f in names]
    if not family:
        log.warning("matplotlib 未找到中文字体（%s），图表中的中文可能无法显示", "、".join(CJK_FONTS))
    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [*family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "svg.fonttype": "path",
            "svg.hashsalt": "govaudit",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )
    return plt


def _save(fig: Any) -> dict[str, Any]:
    plt = _pyplot()
    svg = io.StringIO()
    fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=PNG_DPI, bbox_inches="tight")
    plt.close(fig)
    svg_text = svg.getvalue()
    return {
        "svg": svg_text,
        "png": png.getvalue(),
        # Markup: our own base64 (HTML-safe characters), printed whole; the documents' display filter shortens
        # every other long unbroken string, which would cut the picture.
        "data_uri": Markup("data:image/svg+xml;base64," + base64.b64encode(svg_text.encode()).decode()),
    }


def score_distribution(sites: list[Mapping[str, Any]]) -> dict[str, Any]:
    plt = _pyplot()
    labels = ["60分以下", "60–70", "70–80", "80–90", "90–100", "单项否决\n或未评分"]
    counts = [0] * len(labels)
    for s in sites:
        if s.get("verdict") == "未检测":
            continue
        score = s.get("score")
        if not isinstance(score, int | float):
            counts[-1] += 1
            continue
        for i, (low, high) in enumerate(SCORE_BINS):
            if low <= score < high:
                counts[i] += 1
                break
    fig, ax = plt.subplots(figsize=(6.0, 2.4))
    colors = [BAD, BAR, BAR, BAR, BAR, BAD]
    bars = ax.bar(labels, counts, color=colors)
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=2)
    ax.set_ylabel("网站数")
    ax.set_title("得分分布")
    ax.set_ylim(0, max(counts + [1]) * 1.2)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(fig)


def problems_by_check(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    plt = _pyplot()
    shown = [r for r in rows if r["sites"]][:12]
    fig, ax = plt.subplots(figsize=(6.0, 0.28 * max(len(shown), 3) + 0.8))
    names = [r["title"] for r in shown][::-1]
    values = [r["sites"] for r in shown][::-1]
    bars = ax.barh(
        names or ["（无问题）"],
        values or [0],
        color=[BAD if r["vetoes"] else BAR for r in shown][::-1] or [BAR],
    )
    ax.bar_label(bars, labels=[str(v) for v in values] or ["0"], padding=2)
    ax.set_xlabel("存在问题的网站数（红色：含单项否决）")
    ax.set_title("问题分布（按检查项）")
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _save(fig)


def rate_over_runs(points: list[Mapping[str, Any]]) -> dict[str, Any]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 2.2))
    labels = [f"第{p['run_id']}次\n{p['as_of']}" for p in points]
    rates = [p["rate"] for p in points]
    ax.plot(range(len(rates)), rates, marker="o", color=BAR)
    for x, y in enumerate(rates):
        ax.annotate(f"{y:.1f}%", (x, y), textcoords="offset points", xytext=(0, 6), ha="center")
    ax.set_xticks(range(len(rates)), labels)
    ax.set_ylim(0, 110)
    ax.set_ylabel("合格率（%）")
    ax.set_title("历次检查合格率")
    if len(rates) == 1:
        ax.set_xlim(-1, 1)
    return _save(fig)


def summary_charts(
    sites: list[Mapping[str, Any]], by_check: list[Mapping[str, Any]], history: list[Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The three charts, or {} when matplotlib fails (the 通报 then says so instead of showing them)."""
    try:
        return {
            "scores": score_distribution(sites),
            "checks": problems_by_check(by_check),
            "rates": rate_over_runs(history),
        }
    except Exception as exc:  # noqa: BLE001 - a chart must never cost the documents
        log.error("未生成图表：%s: %s", type(exc).__name__, exc)
        return {}
