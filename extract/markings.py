"""Footer markings: 网站标识码, ICP 备案, 公安备案, 党政机关 badge, and whether the footer is drawn by script."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .html import _classify, _collapse, _iter_text, parse_tree, tree_truncated, visible_text

__all__ = ["ICP_RE", "POLICE_RE", "SITE_CODE_RE", "Markings", "footer_markings"]


@dataclass(frozen=True, slots=True)
class Markings:
    site_code: str | None = None
    icp: str | None = None
    police: str | None = None
    conac: bool = False
    # No footer markings in the static HTML, but the footer is loaded by script: a static reader cannot decide.
    scripted_footer: bool = False
    evidence: dict = field(default_factory=dict)
    # The parser hit its nesting limit: the footer may be in the part that was lost.
    truncated: bool = False


SITE_CODE_RE = re.compile(
    r"(?:政府网站标识码|网站标识码|网站识别码|政府网站识别码|标识码)\s*[:：]?\s*([A-Za-z0-9]{10})(?![A-Za-z0-9])"
)
ICP_RE = re.compile(
    r"([\u4e00-\u9fa5])\s*ICP\s*([备证])\s*[:：]?\s*(\d{4,12})\s*号?(?:\s*[-－]\s*(\d{1,3}))?"
)
POLICE_RE = re.compile(
    r"([\u4e00-\u9fa5])\s*公网安备\s*[:：]?\s*(\d{6,20})\s*号?"
    r"|(公安(?:机关)?备案号)\s*[:：]?\s*(?:[\u4e00-\u9fa5]\s*公网安备\s*)?(\d{6,20})\s*号?"
)
_CONAC_SRC_RE = re.compile(r"conac|dzjg", re.IGNORECASE)
_FOOT_SCRIPT_RE = re.compile(r"foot|bottom|copyright|footer|dibu", re.IGNORECASE)


def _site_code(text: str):
    m = SITE_CODE_RE.search(text)
    return (m.group(1), _collapse(m.group(0))) if m else (None, None)


def _icp(text: str):
    m = ICP_RE.search(text)
    if not m:
        return None
    value = f"{m.group(1)}ICP{m.group(2)}{m.group(3)}号"
    if m.group(4):
        value += f"-{m.group(4)}"
    return value


def _police(text: str):
    m = POLICE_RE.search(text)
    if not m:
        return None
    if m.group(1):
        return f"{m.group(1)}公网安备{m.group(2)}号"
    return f"{m.group(3)}：{m.group(4)}"


def footer_markings(html: str) -> Markings:
    """The footer markings of a page. Never raises."""
    try:
        return _footer_markings(html)
    except Exception:  # noqa: BLE001
        return Markings(evidence={"error": "unparseable"})


def _footer_markings(html: str) -> Markings:
    root = parse_tree(html)
    if root is None:
        return Markings(evidence={"error": "empty"})
    # outermost footer elements
    footers = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if _classify(el) == "footer":
            parent = el.getparent()
            inside = False
            while parent is not None:
                if parent in footers:
                    inside = True
                    break
                parent = parent.getparent()
            if not inside:
                footers.append(el)
    footer_text = _collapse(" ".join(" ".join(_iter_text(f)) for f in footers))
    page_text = visible_text(root)
    evidence: dict = {"footer_found": bool(footers)}

    def pick(fn):
        if footer_text:
            v = fn(footer_text)
            if v:
                return v, "footer"
        v = fn(page_text)
        return (v, "page") if v else (None, None)

    (site_code, where) = pick(lambda t: _site_code(t)[0])
    if site_code:
        evidence["site_code"] = where
    icp, where = pick(_icp)
    if icp:
        evidence["icp"] = where
    police, where = pick(_police)
    if police:
        evidence["police"] = where

    conac = False
    for el in root.iter("img", "span", "div", "a", "script", "iframe"):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "img":
            alt = (el.get("alt") or "") + (el.get("title") or "")
            if "党政机关" in alt or _CONAC_SRC_RE.search(el.get("src") or ""):
                conac, evidence["conac"] = True, "img"
        elif tag in ("span", "div") and (el.get("id") or "").lower() == "_ideconac":
            conac, evidence["conac"] = True, "_ideConac"
        elif tag in ("script", "iframe") and "conac.cn" in (el.get("src") or "").lower():
            conac, evidence["conac"] = True, "script"
        elif tag == "a" and "conac.cn" in (el.get("href") or "").lower() and el.find(".//img") is not None:
            conac, evidence["conac"] = True, "link"
        if conac:
            break

    # meta / 找错 widget site code: not a visible marking, but useful evidence
    for m in root.iter("meta"):
        if (m.get("name") or "").lower() == "siteidcode" and m.get("content"):
            evidence["meta_site_code"] = m.get("content").strip()
            break
    for s in root.iter("script"):
        if s.get("sitecode"):
            evidence["jiucuo_site_code"] = s.get("sitecode").strip()
            break

    scripted = False
    if not (site_code or icp or police or conac):
        reasons = []
        for f in footers:
            if not _collapse(" ".join(_iter_text(f))) and (
                f.find(".//script") is not None or f.find(".//iframe") is not None
            ):
                reasons.append("empty footer container with script")
                break
        for s in root.iter("script"):
            src = s.get("src") or ""
            if src and _FOOT_SCRIPT_RE.search(src.rsplit("/", 1)[-1]):
                reasons.append(f"footer script {src}")
                break
        for s in root.iter("script"):
            if s.text and "document.write" in s.text and re.search(r"ICP|标识码|版权|主办|备案", s.text):
                reasons.append("document.write of footer text")
                break
        if reasons:
            scripted = True
            evidence["scripted_footer"] = reasons
    return Markings(
        site_code=site_code,
        icp=icp,
        police=police,
        conac=conac,
        scripted_footer=scripted,
        evidence=evidence,
        truncated=tree_truncated(root),
    )
