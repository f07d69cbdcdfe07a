"""Personal data left on pages and in linked attachments (个人信息保护).

Flags, in the text of every stored page and of every linked attachment the crawler read (PDF, DOC/DOCX,
XLS/XLSX; text extracted and size-bounded by the crawler), numbers that are not masked:
- 18-digit resident ID numbers whose GB 11643-1999 check digit is right (a wrong check digit is not an ID);
- mobile numbers ``1[3-9]\\d{9}`` standing alone (not inside a longer number);
- bank card numbers (16-19 digits, a card BIN, a valid Luhn digit) with a word such as 卡号 / 账号 near them.
Masked forms (``3604**********1234``, ``138****1234``) never match. The evidence shows every number masked,
never whole: in findings, reports, exports, the review store and logs.

A machine cannot tell a leaked list from a published 公示 the law allows, so every hit is 待核实 until a person
confirms it (`govaudit review`); only confirmed ones cost points. One finding per page (or attachment) and kind.

Options: points_id, points_mobile, points_card (per confirmed finding), card_words (words that mark a bank card
number), examples (masked numbers shown per finding).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

from extract.text import by_line, sentence_around
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.readings import Readings
from inspections.review import review_key, reviewed

META = Meta(
    id="personal-data",
    title="页面和附件未发现未脱敏的个人信息",
    failure_title="页面或附件公开了未脱敏的个人信息",
    description="网站公开的页面和附件中不得出现未脱敏的公民身份号码、手机号码、银行卡号等个人信息；"
    "机器发现的疑似信息经办公室核实确认后计入问题。",
    rule="《中华人民共和国个人信息保护法》第十条、第二十八条；国办发〔2017〕47号《政府网站发展指引》（安全防护）",
    category="安全保密",
)

# GB 11643-1999: weights of the 17 digits and the check characters for the sum modulo 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(
    r"(?<![0-9A-Za-z*])([1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
    r"[0-9Xx])(?![0-9A-Za-z*])"
)
MOBILE_RE = re.compile(r"(?<![0-9A-Za-z*])(1[3-9]\d{9})(?![0-9A-Za-z*])")
CARD_RE = re.compile(
    r"(?<![0-9A-Za-z*])((?:62|4\d|5[1-5]|35)\d{2}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?)"
    r"(?![0-9A-Za-z*])"
)
# A superset of what the three patterns can match: a lone run of 11 (mobile), 16-19 (card) or 17 + check character
# (ID) digits, or digits in groups of four (a card written with spaces or dashes).
CANDIDATE_RE = re.compile(r"(?<!\d)(?:\d{11}|\d{16,19}|\d{17}[Xx])(?!\d)|\d{4}[ -]\d{4}")
LONG_NUMBER = re.compile(r"\d{7,}[0-9Xx]?")
KIND_WORDS = {"id": "公民身份号码", "mobile": "手机号码", "card": "银行卡号"}


def id_check_ok(number: str) -> bool:
    """Whether an 18-character resident ID number carries the right GB 11643 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask(number: str) -> str:
    """``3604**********1234`` / ``138****1234``: enough to find the line, never enough to use the number."""
    digits = re.sub(r"[ -]", "", number)
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 8:
        return digits[:2] + "*" * (len(digits) - 2)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_all(text: str) -> str:
    """``text`` with every run of 7 or more digits masked (the sentence shown around a hit)."""
    return LONG_NUMBER.sub(lambda m: mask(m.group(0)), text)


def scan(
    text: str,
    *,
    card_words: tuple[str, ...] = ("卡号", "银行卡", "账号", "帐号", "开户", "借记卡", "信用卡", "存折"),
) -> list[tuple[str, str, str]]:
    """Every unmasked personal number in ``text``: (kind, number, masked sentence around it)."""
    if not text:
        return []
    out: list[tuple[str, str, str]] = []
    ids: set[str] = set()
    # Cheap pre-test: most pages hold no digit run of a length these numbers have (the 14-digit 公网安备 number of
    # every footer is none of them), so the three patterns below run on few pages.
    if not CANDIDATE_RE.search(text):
        return out
    for m in ID_RE.finditer(text):
        number = m.group(1)
        if id_check_ok(number):
            ids.add(number)
            out.append(("id", number.upper(), mask_all(sentence_around(text, m.start(1), m.end(1)))))
    for m in MOBILE_RE.finditer(text):
        out.append(("mobile", m.group(1), mask_all(sentence_around(text, m.start(1), m.end(1)))))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if not 16 <= len(digits) <= 19 or digits in ids or not luhn_ok(digits):
            continue
        before = text[max(0, m.start(1) - 20) : m.start(1)]
        if not any(w in before for w in card_words):
            continue
        out.append(("card", digits, mask_all(sentence_around(text, m.start(1), m.end(1)))))
    return out


def _hash(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:12]


@register(META)
def check(
    site: SiteArtifacts,
    *,
    points_id: float,
    points_mobile: float,
    points_card: float,
    card_words: Sequence[str],
    examples: int,
    readings: Readings,
) -> Iterator[Finding]:
    """One 待核实 (or, once confirmed, costed) finding per page or attachment and kind of number."""
    pages = [p for p in site.pages if p.html and (p.status or 0) < 400]
    if not pages:
        raise NotTested("本次抓取没有可读的网页，无法检查个人信息")
    points = {"id": points_id, "mobile": points_mobile, "card": points_card}
    sources: list[tuple[str, str, str]] = [(p.url, "网页", readings.text(p)) for p in pages]
    sources += [(a.url, f"附件（{a.kind.upper()}）", a.text) for a in site.attachments if a.text]
    words = tuple(card_words)
    memo: dict[str, list[tuple[str, str, str]]] = {}  # the site's distinct lines, each scanned once

    def scan_line(line: str) -> list[tuple[str, str, str]]:
        return scan(line, card_words=words)

    for url, where, text in sources:
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for kind, number, sentence in by_line(text, scan_line, memo):
            seen = by_kind.setdefault(kind, [])
            if all(n != number for n, _ in seen):
                seen.append((number, sentence))
        for kind, hits in by_kind.items():
            key = review_key(META.id, url, kind + ":" + ",".join(sorted(_hash(n) for n, _ in hits)))
            word = KIND_WORDS[kind]
            finding = reviewed(
                META,
                site,
                key=key,
                url=url,
                message=f"{where}中有 {len(hits)} 个未脱敏的{word}",
                evidence={
                    "where": where,
                    "kind": word,
                    "count": len(hits),
                    "numbers": [mask(n) for n, _ in hits[:examples]],
                    "context": [s for _, s in hits[:examples]],
                },
                severity=Severity.FAIL,
                points=points[kind],
            )
            if finding is not None:
                yield finding
    unread = [a for a in site.attachments if a.error]
    if unread:
        yield META.finding(
            Severity.INFO,
            f"{len(unread)} 个附件无法读取文字，未检查其中的个人信息",
            evidence={"attachments": [{"url": a.url, "reason": a.error} for a in unread[:20]]},
        )
