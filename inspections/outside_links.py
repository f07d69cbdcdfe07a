"""Links to outside and hidden links (暗链, 外链).

Reads every stored page's HTML and the site's links. Lists as findings:
- links hidden from readers that lead off the site: ``display:none``, ``visibility:hidden``, ``opacity:0``, the
  ``hidden`` attribute, placed off-screen (absolute/fixed at -100 px or further, ``text-indent`` -100 px or
  further), zero-size (``width``/``height``/``font-size`` 0 or 1 px with overflow hidden), or text in the colour
  of its background — from inline styles and the page's own ``<style>`` rules (simple selectors);
  hidden links inside the site (drop-down menus) are left alone;
- links to gambling / pornography / 私服 hosts or pages (host patterns and link words of the lexicon's
  forbidden categories, config/lexicon.yaml) and links to bare IP addresses;
- links from the home page to hosts that are not government hosts (``government_suffixes``, the site's own
  hosts and its own zone) nor well-known platforms (``trusted_hosts``: the 党政机关 badge, 政务新媒体 hosts), for
  review. Hidden links to government hosts or those platforms (drop-down menus) are not 暗链.
Every hit is 待核实 until a person confirms it (`govaudit review`): a confirmed link to forbidden content is a
single veto (19号: 发布或链接反动、暴力、色情等内容); the others cost points.

Options: lexicon_file, government_suffixes, trusted_hosts, points_hidden, points_ip, points_outside.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from extract.html import parse_tree
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.lexicon import Lexicon, load_lexicon
from inspections.review import page_identity, review_key, reviewed

META = Meta(
    id="outside-links",
    title="未发现暗链、违规外链",
    failure_title="存在暗链或违规外链",
    description="网页中对读者隐藏的链接（暗链）和指向赌博、色情、私服网站或裸 IP 地址的链接，可能是网站被篡改"
    "或挂马的迹象；首页链接到非政府网站须逐一核实。机器发现的链接经办公室核实确认后计入问题。",
    rule="国办秘函〔2019〕19号 单项否决指标：安全、泄密事故等严重问题（发布或链接反动、暴力、色情等内容）；"
    "国办发〔2017〕47号（严禁链接商业广告页面）",
    category="安全保密",
)

_PX = r"(-?\d+(?:\.\d+)?)(?:px|pt|em|rem)?"
_DECL = re.compile(r"([a-z-]+)\s*:\s*([^;]+)", re.I)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.I | re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SIMPLE = re.compile(r"^([a-z0-9]*)((?:[#.][\w-]+)*)$", re.I)
NAMED_COLOURS = {
    "white": "#ffffff",
    "black": "#000000",
    "red": "#ff0000",
    "blue": "#0000ff",
    "green": "#008000",
    "gray": "#808080",
    "grey": "#808080",
    "yellow": "#ffff00",
    "#fff": "#ffffff",
    "#000": "#000000",
}


def _colour(value: str) -> str | None:
    v = value.strip().lower().split("!")[0].strip()
    v = NAMED_COLOURS.get(v, v)
    m = re.fullmatch(r"#([0-9a-f]{3})", v)
    if m:
        return "#" + "".join(c * 2 for c in m.group(1))
    if re.fullmatch(r"#[0-9a-f]{6}", v):
        return v
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)(?:\s*,\s*[\d.]+)?\s*\)", v)
    if m:
        return "#" + "".join(f"{min(255, int(x)):02x}" for x in m.groups())
    return None


def _number(value: str) -> float | None:
    m = re.match(_PX, value.strip())
    return float(m.group(1)) if m else None


def parse_declarations(text: str) -> dict[str, str]:
    return {k.lower(): v.strip().lower() for k, v in _DECL.findall(text or "")}


def page_rules(html: str) -> list[tuple[str, str, frozenset[str], dict[str, str]]]:
    """Simple rules of the page's <style> blocks: (tag, id, classes, declarations); the last compound of a
    selector only ("ul li.sub a" → a), which errs on the side of listing a link for review."""
    rules = []
    for block in _STYLE_BLOCK.findall(html or ""):
        for selectors, body in _RULE.findall(_COMMENT.sub("", block)):
            decls = parse_declarations(body)
            if not decls:
                continue
            for sel in selectors.split(","):
                last = sel.strip().split()[-1] if sel.strip() else ""
                last = last.split(":")[0]
                m = _SIMPLE.match(last)
                if not m or not last:
                    continue
                tag = m.group(1).lower()
                ident = next((p[1:] for p in re.findall(r"[#.][\w-]+", m.group(2)) if p[0] == "#"), "")
                classes = frozenset(p[1:] for p in re.findall(r"[#.][\w-]+", m.group(2)) if p[0] == ".")
                rules.append((tag, ident, classes, decls))
    return rules


def _style_of(el, rules) -> dict[str, str]:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    ident = (el.get("id") or "").strip()
    classes = set((el.get("class") or "").split())
    out: dict[str, str] = {}
    for rtag, rid, rclasses, decls in rules:
        if rtag and rtag != tag:
            continue
        if rid and rid != ident:
            continue
        if rclasses and not rclasses <= classes:
            continue
        if not (rtag or rid or rclasses):
            continue
        out.update(decls)
    out.update(parse_declarations(el.get("style") or ""))
    return out


def hidden_reason(el, rules) -> str | None:
    """Why the element (a link) is hidden from a reader, or None. Looks at it and its ancestors."""
    found = hidden_by(el, rules)
    return found[0] if found else None


def hidden_by(el, rules):
    """(why, the element that hides it) for a link hidden from a reader, or None."""
    colour = background = None
    node = el
    while node is not None and isinstance(node.tag, str):
        if node.tag.lower() in ("body", "html"):
            break
        if node.get("hidden") is not None:
            return "hidden 属性", node
        st = _style_of(node, rules)
        if st.get("display", "").startswith("none"):
            return "display:none", node
        if st.get("visibility", "").startswith(("hidden", "collapse")):
            return "visibility:hidden", node
        if _number(st.get("opacity", "1")) == 0:
            return "opacity:0", node
        if st.get("position", "").startswith(("absolute", "fixed")):
            for side in ("left", "top", "right"):
                n = _number(st.get(side, "0"))
                if n is not None and n <= -100:
                    return f"移出屏幕（{side}:{st[side]}）", node
        n = _number(st.get("text-indent", "0"))
        if n is not None and n <= -100:
            return f"移出屏幕（text-indent:{st['text-indent']}）", node
        overflow = st.get("overflow", "").startswith("hidden")
        for dim in ("width", "height"):
            n = _number(st.get(dim, "auto"))
            if n is not None and n <= 1 and (overflow or node is el):
                return f"零尺寸（{dim}:{st[dim]}）", node
        n = _number(st.get("font-size", "12"))
        if n is not None and n <= 0:
            return "零尺寸（font-size:0）", node
        if colour is None and "color" in st:
            colour = _colour(st["color"])
        if background is None:
            for key in ("background-color", "background"):
                if key in st:
                    found = _colour(st[key].split()[0]) if st[key] else None
                    if found:
                        background = found
                        break
        node = node.getparent()
    if colour and background and colour == background:
        return f"文字与背景同色（{colour}）", el
    return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def _zone(host: str) -> str:
    labels = host.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else host


def _under(host: str, names: tuple[str, ...]) -> bool:
    return any(host == n.lstrip(".") or host.endswith("." + n.lstrip(".")) for n in names)


def is_government(host: str, site_hosts: set[str], suffixes: tuple[str, ...]) -> bool:
    """A .gov.cn / .政务 (configured suffixes) host, one of the site's own, or in the site's own zone."""
    if not host:
        return True
    if host in site_hosts or _under(host, suffixes):
        return True
    own = {_zone(h) for h in site_hosts if h and not is_ip(h)}
    return _zone(host) in own


def forbidden_category(lex: Lexicon, host: str, words: str) -> tuple[str, str] | None:
    """(category, what matched) when the link's host or words belong to a forbidden category."""
    labels = re.split(r"[.\-]", host)
    for cat in lex.forbidden:
        for pattern in cat.hosts:
            if any(pattern.search(label) for label in labels if label):
                return cat.category, f"主机名 {host}"
        for w in cat.words:
            if w and w in words:
                return cat.category, f"链接文字“{w}”"
    return None


@register(META)
def check(
    site: SiteArtifacts,
    *,
    lexicon_file: str,
    government_suffixes: Sequence[str],
    trusted_hosts: Sequence[str],
    points_hidden: float,
    points_ip: float,
    points_outside: float,
) -> Iterator[Finding]:
    """Hidden links off the site, links to forbidden hosts or bare IPs, and home-page links off government."""
    pages = [p for p in site.pages if p.html and (p.status or 0) < 400]
    if not pages:
        raise NotTested("本次抓取没有可读的网页，无法检查暗链和外链")
    lex = load_lexicon(lexicon_file)
    suffixes = tuple(government_suffixes)
    trusted = tuple(trusted_hosts)

    def known(host: str) -> bool:
        return is_government(host, site_hosts, suffixes) or _under(host, trusted)

    home_host = _host(site.home_url)
    site_hosts = {home_host} | {_host(p.url) for p in pages} | {_host(p.final_url) for p in pages}
    home = site.home
    home_urls = {site.home_url, home.url, home.final_url} if home else {site.home_url}
    raised: set[str] = set()

    def emit(key: str, **kw) -> Iterator[Finding]:
        if key in raised:
            return
        raised.add(key)
        f = reviewed(META, site, key=key, **kw)
        if f is not None:
            yield f

    for page in pages:
        # Links to other hosts from this page, from the stored links (what the crawler saw) ...
        outside = [lk for lk in site.links_from(page.url) if _host(lk.target_url) not in site_hosts]
        # ... hidden ones need the markup: parse only pages that link off the site or style their links.
        hidden: dict[str, str] = {}
        if outside or "<style" in page.html.lower():
            root = parse_tree(page.html)
            rules = page_rules(page.html)
            if root is not None:
                for a in root.iter("a"):
                    href = (a.get("href") or "").strip()
                    if not href.startswith(("http://", "https://", "//")):
                        continue
                    target_host = _host(href if not href.startswith("//") else "http:" + href)
                    if not target_host or target_host in site_hosts:
                        continue  # hidden menus inside the site are navigation, not 暗链
                    found = hidden_by(a, rules)
                    if found:
                        reason, hider = found
                        text = " ".join("".join(a.itertext()).split())[:80]
                        outside_words = f"{text} {a.get('title') or ''}"
                        cat = forbidden_category(lex, target_host, outside_words)
                        # A hidden drop-down (友情链接 menus: many links, or links to government sites and
                        # platforms) is navigation; 暗链 of forbidden categories are listed however many.
                        if cat is None and (known(target_host) or sum(1 for _ in hider.iter("a")) >= 5):
                            continue
                        hidden.setdefault(href, reason)
                        what = f"（{cat[0]}：{cat[1]}）" if cat else ""
                        yield from emit(
                            review_key(META.id, page.url, "hidden:" + page_identity(href)),
                            url=page.url,
                            message=f"页面中有对读者隐藏的链接（{reason}）指向站外 {target_host}{what}",
                            evidence={
                                "target": href,
                                "link_text": text,
                                "hidden_by": reason,
                                "category": cat[0] if cat else "",
                            },
                            severity=Severity.VETO if cat else Severity.FAIL,
                            points=0.0 if cat else points_hidden,
                        )
        for lk in outside:
            host = _host(lk.target_url)
            if lk.target_url in hidden:
                continue
            cat = forbidden_category(lex, host, f"{lk.anchor} {lk.image_alt}")
            if cat:
                yield from emit(
                    review_key(META.id, page.url, "forbidden:" + page_identity(lk.target_url)),
                    url=page.url,
                    message=f"页面链接到{cat[0]}类网站 {host}（{cat[1]}）",
                    evidence={"target": lk.target_url, "link_text": lk.anchor, "category": cat[0]},
                    severity=Severity.VETO,
                    points=0.0,
                )
            elif is_ip(host):
                yield from emit(
                    review_key(META.id, page.url, "ip:" + page_identity(lk.target_url)),
                    url=page.url,
                    message=f"页面链接到裸 IP 地址 {host}",
                    evidence={"target": lk.target_url, "link_text": lk.anchor},
                    severity=Severity.FAIL,
                    points=points_ip,
                )
            elif page.url in home_urls and not known(host):
                yield from emit(
                    review_key(META.id, page.url, "outside:" + host),
                    url=page.url,
                    message=f"首页链接到非政府网站 {host}，请核实是否为商业广告或失效单位",
                    evidence={"target": lk.target_url, "link_text": lk.anchor or lk.image_alt, "host": host},
                    severity=Severity.FAIL,
                    points=points_outside,
                )
