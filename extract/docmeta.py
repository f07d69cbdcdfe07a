"""Article metadata: the 索引号 box / 信息公开 metadata table, 文号 and 有效性.

Values are returned as printed (whitespace collapsed); dates are NOT parsed here (use ``extract.dates``),
except 有效性 which is normalised to 有效 / 失效 / 废止 / 已修改.
"""

from __future__ import annotations

import re

from .html import parse_tree, text_chunks

__all__ = ["doc_metadata", "normalize_validity", "validity_in", "wenhao_in"]


def _spaced(label: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in label)


# normalised key -> label variants (longest first inside the alternation)
_LABELS: dict[str, tuple[str, ...]] = {
    "索引号": ("索引号",),
    "文号": ("发文字号", "发文文号", "文号"),
    "发布机构": ("发文机关", "发布机构", "发文机构", "发文单位"),
    "成文日期": ("成文日期", "成文时间"),
    "发布日期": ("发文日期", "发布日期", "生成日期", "发布时间", "公开日期"),
    "有效性": ("有效性", "效力状态", "时效性"),
    "主题分类": ("主题分类",),
    "废止日期": ("废止日期", "失效日期"),
    # extras, kept under their own names
    "公开方式": ("公开方式",),
    "公开时限": ("公开时限",),
    "公开范围": ("公开范围",),
    "责任部门": ("责任部门",),
    "主题词": ("主题词",),
    "体裁分类": ("体裁分类",),
}
_VARIANT_TO_KEY = {v: k for k, vs in _LABELS.items() for v in vs}
_ALL_VARIANTS = sorted(_VARIANT_TO_KEY, key=len, reverse=True)
_LABEL_ALT = "|".join(f"(?:{_spaced(v)})" for v in _ALL_VARIANTS)
_LABEL_AT_START = re.compile(rf"^[【\[]?\s*({_LABEL_ALT})\s*[】\]]?\s*([:：])?\s*(.*)$", re.DOTALL)
_LABEL_ANYWHERE = re.compile(rf"(?:{_LABEL_ALT})\s*[:：]")
_LABEL_COLON = re.compile(rf"(?:^|(?<=[\s,，;；|]))[【\[]?\s*({_LABEL_ALT})\s*[】\]]?\s*[:：]")
_LABEL_BARE = re.compile(rf"^[【\[]?\s*({_LABEL_ALT})\s*[】\]]?\s*[:：]?$")
_WS = re.compile(r"\s+")
_MAX_VALUE = 120


def _key_of(label: str) -> str:
    return _VARIANT_TO_KEY.get(_WS.sub("", label), _WS.sub("", label))


def normalize_validity(value: str) -> str:
    v = _WS.sub("", value or "")
    if not v:
        return ""
    if "废止" in v:
        return "废止"
    if "失效" in v:
        return "失效"
    if "修改" in v or "修订" in v:
        return "已修改"
    if "有效" in v:
        return "有效"
    return v


def _clean(value: str) -> str:
    value = _WS.sub(" ", value).strip(" :：")
    cut = _LABEL_ANYWHERE.search(value)
    if cut:
        value = value[: cut.start()].strip(" :：")
    return value


def doc_metadata(html: str) -> dict[str, str]:
    """Label → value pairs of an article's metadata box. Keys: 索引号, 文号, 发布机构, 成文日期, 发布日期,
    有效性, 主题分类, 废止日期 (+ 公开方式, 公开时限, 公开范围, 责任部门, 主题词, 体裁分类 when present).
    First occurrence wins. Never raises."""
    try:
        return _doc_metadata(html)
    except Exception:  # noqa: BLE001
        return {}


def _doc_metadata(html: str) -> dict[str, str]:
    root = parse_tree(html)
    if root is None:
        return {}
    chunks = text_chunks(root)
    out: dict[str, str] = {}

    def put(label: str, value: str) -> None:
        key = _key_of(label)
        value = _clean(value)
        if value and len(value) <= _MAX_VALUE and key not in out:
            out[key] = normalize_validity(value) if key == "有效性" else value

    i = 0
    n = len(chunks)
    while i < n:
        chunk = chunks[i]
        i += 1
        if len(chunk) > 300:
            continue
        bare = _LABEL_BARE.match(chunk)
        if bare:  # a label cell: the value is the next chunk
            if i < n and not _LABEL_BARE.match(chunks[i]) and not _LABEL_AT_START.match(chunks[i]):
                put(bare.group(1), chunks[i])
                i += 1
            continue
        if not _LABEL_AT_START.match(chunk):
            continue
        found = list(_LABEL_COLON.finditer(chunk))
        if not found:  # "索引号 X/2020-1" without colon
            m = _LABEL_AT_START.match(chunk)
            rest = m.group(3).strip()
            if rest and not re.match(r"[\u4e00-\u9fa5]", rest[:1]):
                put(m.group(1), rest)
            continue
        for k, m in enumerate(found):
            stop = found[k + 1].start() if k + 1 < len(found) else len(chunk)
            value = chunk[m.end() : stop].strip()
            last = k + 1 == len(found)
            if (
                not value
                and last
                and i < n
                and not _LABEL_BARE.match(chunks[i])
                and not _LABEL_AT_START.match(chunks[i])
            ):
                value = chunks[i]
                i += 1
            put(m.group(1), value)
    if "发布日期" not in out:
        for el in root.iter("publishtime"):
            text = _WS.sub(" ", "".join(el.itertext())).strip()
            if text:
                out["发布日期"] = text
                break
    return out


_WENHAO_RE = re.compile(
    r"([\u4e00-\u9fa5]{1,12})\s*[〔\[［(（【]\s*((?:19|20)\d\d)\s*[〕\]］)）】]\s*(?:第\s*)?(\d{1,5})\s*号"
)
_STOP = (
    "印发",
    "关于",
    "根据",
    "依据",
    "按照",
    "转发",
    "文件",
    "通知",
    "意见",
    "办法",
    "的",
    "以",
    "和",
    "及",
    "与",
    "据",
    "经",
    "见",
    "按",
    "依",
    "即",
    "为",
    "是",
    "号",
)


def wenhao_in(text: str) -> str | None:
    """The first 文号 in ``text`` (九府办函〔2021〕106号, 浔府发[2021]3号 ...), brackets as printed, spaces removed."""
    if not text or not isinstance(text, str):
        return None
    for m in _WENHAO_RE.finditer(text):
        prefix = m.group(1)
        cut = 0
        for stop in _STOP:
            pos = prefix.rfind(stop)
            if pos >= 0:
                cut = max(cut, pos + len(stop))
        prefix = prefix[cut:]
        if not prefix:
            continue
        if len(prefix) > 8:
            prefix = prefix[-8:]
        start = m.start(1) + (len(m.group(1)) - len(prefix))
        return _WS.sub("", text[start : m.end()])
    return None


_VALIDITY_LABEL_RE = re.compile(r"(?:有\s*效\s*性|效力状态|时效性)\s*[:：]?\s*([\u4e00-\u9fa5]{1,6})")
_VALIDITY_MARK_RE = re.compile(
    r"[\[【(（]\s*(现行有效|有效|失效|已失效|废止|已废止|已修改|修改|部分失效)\s*[\]】)）]"
    r"|(现行有效|已失效|已废止|已修改)"
)


def validity_in(text: str) -> str | None:
    """有效性 stated in ``text`` (a label 有效性：X, or a marker like 【已废止】), normalised; None if not stated."""
    if not text or not isinstance(text, str):
        return None
    m = _VALIDITY_LABEL_RE.search(text)
    if m:
        value = normalize_validity(m.group(1))
        if value in ("有效", "失效", "废止", "已修改"):
            return value
    m = _VALIDITY_MARK_RE.search(text)
    if m:
        return normalize_validity(m.group(1) or m.group(2))
    return None
