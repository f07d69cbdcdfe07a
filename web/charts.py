"""Charts drawn on the server as inline SVG (no script, no build step): the 合格率 trend and problems by check."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

ACCENT, OK, BAD, MUTED, LINE = "#1d4f91", "#1e7b34", "#b3261e", "#5f6b76", "#d0d7de"


def trend_svg(points: list[dict[str, Any]], width: int = 560, height: int = 200) -> Markup:
    if not points:
        return Markup('<p class="note">还没有可比较的检查。</p>')
    left, right, top, bottom = 40, 16, 24, 34
    w, h = width - left - right, height - top - bottom
    n = len(points)
    xs = [left + (w * i / (n - 1) if n > 1 else w / 2) for i in range(n)]
    ys = [top + h * (1 - p["rate"] / 100.0) for p in points]
    parts = [f'<svg class="chart" role="img" aria-label="合格率趋势" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for pct in (0, 50, 60, 100):
        y = top + h * (1 - pct / 100)
        dash = ' stroke-dasharray="4 3"' if pct == 60 else ""
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="{LINE}"{dash}/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">{pct}%</text>')
    if n > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for p, x, y in zip(points, xs, ys, strict=True):
        label = escape(f"第{p['run']}次 {p['date']}：{p['rate']}%（{p['passed']}/{p['tested']}）")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{ACCENT}"><title>{label}</title></circle>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle" fill="{ACCENT}">{p["rate"]:g}%</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="10.5" text-anchor="middle" fill="{MUTED}">'
                     f'{escape(p["date"][5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_svg(rows: list[dict[str, Any]], width: int = 560, bar: int = 20) -> Markup:
    if not rows:
        return Markup('<p class="note">本次检查没有不通过的检查项。</p>')
    label_w, gap = 210, 6
    height = len(rows) * (bar + gap) + 10
    most = max(r["sites"] for r in rows) or 1
    w = width - label_w - 130
    parts = [f'<svg class="chart" role="img" aria-label="各检查项问题网站数" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, r in enumerate(rows):
        y = 4 + i * (bar + gap)
        length = max(2.0, w * r["sites"] / most)
        color = BAD if r.get("veto") else ACCENT
        title = escape(str(r["title"]))
        short = title if len(str(r["title"])) <= 16 else escape(str(r["title"])[:15]) + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.7:.1f}" font-size="12" text-anchor="end" fill="#1f2328">'
                     f'{short}<title>{title}</title></text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar}" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{label_w + length + 6:.1f}" y="{y + bar * 0.7:.1f}" font-size="12" fill="{MUTED}">'
                     f'{r["sites"]} 个网站 / {r["findings"]} 处</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
