"""Screenshots for the notices: the stored page, drawn by Chromium, with the offending element outlined in red.

Offline and untrusted by design: the page is the HTML the crawl stored (never fetched again), drawn with
JavaScript off and every request the page would make (styles, images, frames) refused, so a screenshot can
neither reach the network nor run the site's code. The element to outline is found here, in Python: the link
whose target is the finding's evidence (a broken link, a stale column), or failing that the element whose text
is quoted in it. An item whose element cannot be found gets no screenshot rather than an unmarked one.

Bounded: at most `per_site` screenshots per site and `budget_s` seconds in all; none when Chromium is absent.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

log = logging.getLogger(__name__)

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MARK = "data-govaudit-mark"
MARK_CSS = (f"[{MARK}]{{outline:4px solid #e00000 !important;outline-offset:2px !important;"
            "background:rgba(255,0,0,.08) !important}")
VIEW = (1280, 900)
CLIP_HEIGHT = 640


@dataclass(frozen=True)
class ShotJob:
    key: tuple[str, ...]  # (site id, check id, url key, message key): how the notice finds its picture
    site_id: str
    page_url: str
    html: str
    targets: tuple[str, ...] = ()  # URLs the offending link points to
    texts: tuple[str, ...] = ()  # text quoted from the offending element
    extra: dict[str, Any] = field(default_factory=dict)


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate) if not candidate.startswith("/") else (
            candidate if Path(candidate).is_file() else None)
        if found:
            return found
    return None


def evidence_targets(evidence: Any, page_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """URLs (other than the page itself) and short texts quoted in a finding's evidence."""
    urls: list[str] = []
    texts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            v = value.strip()
            if re.match(r"https?://", v) or (v.startswith("/") and " " not in v):
                absolute = urljoin(page_url, v)
                if _norm(absolute) != _norm(page_url):
                    urls.append(absolute)
            elif key in ("text", "link_text", "title", "latest_title", "column", "anchor") and 1 < len(v) <= 60:
                texts.append(v)

    walk(evidence)
    return tuple(dict.fromkeys(urls)), tuple(dict.fromkeys(texts))


def _norm(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    return f"{parts.hostname or ''}{parts.path or '/'}{'?' + parts.query if parts.query else ''}"


def mark_element(html: str, page_url: str, targets: Iterable[str], texts: Iterable[str]) -> str | None:
    """The page with the offending element carrying MARK (and no scripts), or None when none is found."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(["script", "noscript", "iframe", "frame", "object", "embed"]):
        tag.decompose()
    wanted = {_norm(t) for t in targets}
    found = None
    if wanted:
        for a in soup.find_all(["a", "area"], href=True):
            if _norm(urljoin(page_url, a["href"])) in wanted:
                found = a
                break
    if found is None:
        for text in texts:
            node = soup.find(string=lambda s, t=text: bool(s) and t in s)
            if node is not None and node.parent is not None and node.parent.name not in ("title", "head"):
                found = node.parent
                break
    if found is None:
        return None
    found[MARK] = "1"
    head = soup.head or soup.new_tag("head")
    if soup.head is None and soup.html is not None:
        soup.html.insert(0, head)
    style = soup.new_tag("style")
    style.string = MARK_CSS
    head.append(style)
    return str(soup)


def take_screenshots(jobs: list[ShotJob], out_dir: Path, *, per_site: int = 3, budget_s: float = 60.0,
                     executable: str | None = None) -> dict[tuple[str, ...], Path]:
    """Draw the jobs (at most per_site per site, within budget_s); return key → PNG written under out_dir."""
    if per_site <= 0 or not jobs:
        return {}
    executable = executable or chromium_path()
    if not executable:
        log.info("未找到 Chromium，整改通知书不附截图")
        return {}
    counts: dict[str, int] = {}
    chosen: list[tuple[ShotJob, str]] = []
    for job in jobs:
        if counts.get(job.site_id, 0) >= per_site:
            continue
        marked = mark_element(job.html, job.page_url, job.targets, job.texts)
        if marked is None:
            continue
        counts[job.site_id] = counts.get(job.site_id, 0) + 1
        chosen.append((job, marked))
    if not chosen:
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[tuple[str, ...], Path] = {}
    started = time.monotonic()
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(java_script_enabled=False, viewport={"width": VIEW[0],
                                                                                      "height": VIEW[1]},
                                              offline=True)
                context.route("**/*", lambda route: route.abort())  # nothing leaves the machine
                page = context.new_page()
                page.set_default_timeout(10_000)
                for n, (job, marked) in enumerate(chosen, start=1):
                    if time.monotonic() - started > budget_s:
                        log.warning("截图超出时限（%s 秒），其余问题不附截图", budget_s)
                        break
                    target = out_dir / f"{_safe(job.site_id)}-{n}.png"
                    try:
                        page.set_content(marked, wait_until="domcontentloaded")
                        box = page.locator(f"[{MARK}]").first.bounding_box()
                        if box is None:
                            continue
                        top = max(0.0, box["y"] - 160)
                        page.screenshot(path=str(target), clip={"x": 0, "y": top, "width": VIEW[0],
                                                                "height": max(CLIP_HEIGHT, box["height"] + 200)},
                                        full_page=True)
                        written[job.key] = target
                    except Exception as exc:  # noqa: BLE001 - one page that cannot be drawn costs one picture
                        log.warning("截图失败 %s：%s: %s", job.page_url, type(exc).__name__, exc)
            finally:
                browser.close()
    except Exception as exc:  # noqa: BLE001 - no browser, no screenshots; the notice says none are attached
        log.warning("无法启动 Chromium 截图（%s: %s），整改通知书不附截图", type(exc).__name__, exc)
    return written


def screenshot_jobs(results: Mapping[str, Any], page_html: Any) -> list[ShotJob]:
    """A job per notice item about a page: veto/fail findings with a URL, in the order the notice lists them
    (vetoes first). page_html(site_id, url) returns the stored HTML of that page, or None."""
    from reports.recheck import KIND_FAIL, KIND_VETO, finding_key, finding_kind

    jobs: list[ShotJob] = []
    for site in results.get("sites") or []:
        if site.get("verdict") == "未检测":
            continue
        items = []
        for check in site.get("checks") or []:
            if check.get("status") != "fail":
                continue
            for f in check.get("findings") or []:
                kind = finding_kind(check, f)
                if kind in (KIND_VETO, KIND_FAIL) and f.get("url"):
                    items.append((kind != KIND_VETO, check, f))
        items.sort(key=lambda x: x[0])
        cache: dict[str, str | None] = {}
        for _, check, f in items:
            url = str(f["url"])
            if url not in cache:
                cache[url] = page_html(site["id"], url)
            html = cache[url]
            if not html:
                continue
            targets, texts = evidence_targets(f.get("evidence"), url)
            if not targets and not texts:
                continue
            jobs.append(ShotJob(key=(str(site["id"]), *finding_key(str(check["id"]), f)), site_id=str(site["id"]),
                                page_url=url, html=html, targets=targets, texts=texts))
    return jobs


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "site"
