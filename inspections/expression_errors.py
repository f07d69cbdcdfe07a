"""Serious wording errors and forbidden words (严重表述错误, 错敏词) on every stored page.

Reads the text of every stored page and matches, in one Aho–Corasick pass (pyahocorasick):
- the rule lexicon (config/lexicon.yaml, every entry with its source): fixed political expressions and agency
  names in their common wrong forms, with the right form; forbidden content words by category (反动, 暴力,
  色情, 赌博 ...);
- the office's protected list of names of 党和国家领导人 (config/protected_names.yaml, kept by the office, not
  shipped with real names): near misses are the name with one character replaced by another of the same
  pinyin (pypinyin's own data), two neighbouring characters swapped, or a variant the office listed; a near
  miss is kept only when jieba's segmentation of its sentence puts word boundaries where the name would have
  them (so "李建果园" is not a misspelt "李建国").
Each hit is a finding with the sentence around it, the page and the suggested form, tiered 严重 / 疑似 / 一般
(lexicon entries carry their tier; near misses of names are 疑似). All are 待核实 until a person confirms them
(`govaudit review`): a confirmed 严重 hit, near miss of a leader's name or forbidden word is a single veto
(19号: 出现严重表述错误; 发布反动、暴力、色情等内容); a confirmed 一般 hit costs ``points_minor``.

Options: lexicon_file, protected_names_file, points_minor, max_per_page.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import ahocorasick

from extract.text import by_line, sentence_around
from inspections.artifacts import SiteArtifacts
from inspections.base import Finding, Meta, NotTested, Severity, register
from inspections.lexicon import Lexicon, ProtectedName, load_lexicon, load_protected_names
from inspections.readings import Readings
from inspections.review import review_key, reviewed

META = Meta(
    id="expression-errors",
    title="未发现严重表述错误和错敏词",
    failure_title="存在严重表述错误或错敏词",
    description="网站不得出现严重表述错误（如将党和国家领导人姓名写错、固定政治表述写错），不得发布反动、暴力、"
    "色情等内容。机器按规则词库和受保护姓名名单查出的疑似问题，经办公室核实确认后计入问题。",
    rule="国办秘函〔2019〕19号 单项否决指标：安全、泄密事故等严重问题（出现严重表述错误；发布或链接反动、暴力、"
    "色情等内容）；国办发〔2015〕15号 普查：严重错别字（如将党和国家领导人姓名写错）",
    category="安全保密",
)

TIER_ORDER = {"严重": 0, "疑似": 1, "一般": 2}


def _toneless(reading: str) -> str:
    """``guó`` → ``guo`` (pypinyin's tone marks; ü stays a distinct vowel, written v)."""
    import unicodedata

    base = unicodedata.normalize("NFD", reading.replace("ü", "v"))
    return "".join(c for c in base if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _readings() -> dict[str, tuple[str, ...]]:
    """Character → its toneless readings, from the single-character table pypinyin ships
    (``pypinyin/pinyin_dict.json``), read directly: importing the package loads its phrase table too, which
    costs about 55 MB of memory in every inspecting process for nothing we use."""
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypinyin is not installed")
    table = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    raw = json.loads(table.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for key, readings in raw.items():
        cp = int(key)
        if 0x4E00 <= cp <= 0x9FA5:
            out[chr(cp)] = tuple(dict.fromkeys(_toneless(r) for r in readings.split(",")))
    return out


def _pinyin(ch: str) -> str:
    got = _readings().get(ch)
    return got[0] if got else ""


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin -> the common characters (CJK basic block, GB2312-encodable) that read so."""
    index: dict[str, list[str]] = {}
    for ch, readings in _readings().items():
        try:
            ch.encode("gb2312")  # the 6,763 common characters: rarer ones are not plausible typing slips
        except UnicodeEncodeError:
            continue
        index.setdefault(readings[0], []).append(ch)
    return {k: tuple(v) for k, v in index.items()}


def name_variants(name: str, extra: tuple[str, ...] = ()) -> set[str]:
    """Near misses of a protected name: one character by a homophone, neighbours swapped, office variants."""
    out = set(extra)
    if len(name) >= 3:
        homo = _homophones()
        for i, ch in enumerate(name):
            if i == 0:
                continue  # a wrong surname reads as another person; the office lists such variants by hand
            for alt in homo.get(_pinyin(ch), ()):
                if alt != ch:
                    out.add(name[:i] + alt + name[i + 1 :])
        for i in range(1, len(name) - 1):
            swapped = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
            out.add(swapped)
    out.discard(name)
    return out


class Matcher:
    """One automaton over the lexicon's wrong forms, forbidden words and the names' near misses."""

    def __init__(self, lex: Lexicon, names: tuple[ProtectedName, ...]):
        self.automaton = ahocorasick.Automaton()
        payload: dict[str, list[tuple]] = {}
        protected = {n.name for n in names}
        for e in lex.expressions:
            payload.setdefault(e.wrong, []).append(("expression", e))
        for cat in lex.forbidden:
            for w in cat.words:
                payload.setdefault(w, []).append(("forbidden", cat, w))
        for n in names:
            for v in name_variants(n.name, n.variants):
                if v not in protected:
                    payload.setdefault(v, []).append(("name", n, v))
        for word, values in payload.items():
            self.automaton.add_word(word, (word, tuple(values)))
        self.empty = not payload
        if not self.empty:
            self.automaton.make_automaton()

    def hits(self, text: str) -> Iterator[tuple[int, int, str, tuple]]:
        if self.empty or not text:
            return
        for end, (word, values) in self.automaton.iter(text):
            start = end - len(word) + 1
            for value in values:
                yield start, end + 1, word, value


_MATCHERS: dict[tuple[int, int], tuple[Lexicon, tuple[ProtectedName, ...], Matcher]] = {}


def _matcher(lex: Lexicon, names: tuple[ProtectedName, ...]) -> Matcher:
    """One automaton per loaded lexicon and name list (both are cached per file version)."""
    key = (id(lex), id(names))
    got = _MATCHERS.get(key)
    if got is None or got[0] is not lex or got[1] is not names:
        if len(_MATCHERS) > 8:
            _MATCHERS.clear()
        got = _MATCHERS[key] = (lex, names, Matcher(lex, names))
    return got[2]


def _inside_right_form(text: str, start: int, end: int, wrong: str, right: str) -> bool:
    """The hit is part of the right form, written correctly (a wrong form that is inside the right one)."""
    offset = right.find(wrong)
    while offset >= 0:
        lo = start - offset
        if lo >= 0 and text[lo : lo + len(right)] == right:
            return True
        offset = right.find(wrong, offset + 1)
    return False


def _on_boundaries(sentence: str, hit: str) -> bool:
    """jieba puts a word boundary at both ends of the hit inside its sentence."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    pos = sentence.find(hit)
    if pos < 0:
        return True
    cuts = {0}
    i = 0
    for token in jieba.cut(sentence, HMM=False):
        i += len(token)
        cuts.add(i)
    return pos in cuts and pos + len(hit) in cuts


def scan(text: str, matcher: Matcher) -> list[dict]:
    """Every hit in ``text``: {kind, word, right, tier, category, source, sentence, confirm}."""
    out: list[dict] = []
    for start, end, word, value in matcher.hits(text):
        kind = value[0]
        sentence = sentence_around(text, start, end)
        if kind == "expression":
            e = value[1]
            # The right form may contain the wrong one: a hit inside the right form written correctly is none.
            if _inside_right_form(text, start, end, e.wrong, e.right):
                continue
            if e.boundary and not _on_boundaries(sentence, word):
                continue
            out.append(
                {
                    "kind": "表述错误",
                    "word": word,
                    "right": e.right,
                    "tier": e.tier,
                    "source": e.source,
                    "sentence": sentence,
                    "veto": e.tier == "严重",
                    "note": e.note,
                }
            )
        elif kind == "forbidden":
            cat = value[1]
            out.append(
                {
                    "kind": f"禁止内容（{cat.category}）",
                    "word": word,
                    "right": "（删除）",
                    "tier": cat.tier,
                    "source": cat.source,
                    "sentence": sentence,
                    "veto": True,
                    "note": "",
                }
            )
        else:
            name = value[1]
            if not _on_boundaries(sentence, word):
                continue
            title = f"（{name.title}）" if name.title else ""
            out.append(
                {
                    "kind": "领导人姓名疑似写错",
                    "word": word,
                    "right": name.name + title,
                    "tier": "疑似",
                    "source": name.source,
                    "sentence": sentence,
                    "veto": True,
                    "note": "",
                }
            )
    return out


@register(META)
def check(
    site: SiteArtifacts,
    *,
    lexicon_file: str,
    protected_names_file: str,
    points_minor: float,
    max_per_page: int,
    readings: Readings,
) -> Iterator[Finding]:
    """One finding per page and wrong form, with the sentences it appears in."""
    pages = [p for p in site.pages if p.html and (p.status or 0) < 400]
    if not pages:
        raise NotTested("本次抓取没有可读的网页，无法检查表述错误")
    lex = load_lexicon(lexicon_file)
    names = load_protected_names(protected_names_file)
    matcher = _matcher(lex, names)
    memo: dict[str, list[dict]] = {}  # the site's distinct lines, each scanned once

    def scan_line(line: str) -> list[dict]:
        return scan(line, matcher)

    for page in pages:
        grouped: dict[tuple[str, str], list[dict]] = {}
        for hit in by_line(readings.text(page), scan_line, memo):
            grouped.setdefault((hit["kind"], hit["word"]), []).append(hit)
        ordered = sorted(grouped.items(), key=lambda kv: (TIER_ORDER.get(kv[1][0]["tier"], 9), kv[0]))
        for (kind, word), hits in ordered[:max_per_page]:
            h = hits[0]
            sentences = list(dict.fromkeys(x["sentence"] for x in hits))[:3]
            finding = reviewed(
                META,
                site,
                key=review_key(META.id, page.url, f"{kind}:{word}"),
                url=page.url,
                message=f"【{h['tier']}】{kind}：“{word}”，建议改为“{h['right']}”",
                evidence={
                    "tier": h["tier"],
                    "text": word,
                    "suggested": h["right"],
                    "count": len(hits),
                    "context": sentences,
                    "source": lex.sources.get(h["source"], h["source"]),
                },
                severity=Severity.VETO if h["veto"] else Severity.FAIL,
                points=0.0 if h["veto"] else points_minor,
            )
            if finding is not None:
                yield finding
    if not names:
        yield META.finding(
            Severity.INFO,
            "受保护的领导人姓名名单为空（config/protected_names.yaml 由办公室维护），"
            "本次未检查领导人姓名写错",
        )
