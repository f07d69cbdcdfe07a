"""Text of linked documents (PDF, DOC/DOCX, XLS/XLSX), for the checks that read attachments (personal data).

Pure: bytes in, text out, bounded. Crawled files are untrusted: every parser runs inside a try, on at most
``max_bytes`` of input, and its output is cut at ``max_chars``; a file that cannot be read gives an error
message instead of text (never an exception). Libraries: pypdf (pure Python PDF), python-docx and openpyxl
(OOXML, through lxml), xlrd (BIFF .xls), olefile (the WordDocument stream of .doc; its text is read as the
UTF-16 and 8-bit runs it holds, without the piece table, which is enough to find numbers and names).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("pdf", "doc", "docx", "xls", "xlsx")
_EXT = re.compile(r"\.(pdf|docx?|xlsx?)$", re.I)
MAX_PAGES = 200  # PDF pages read
MAX_ROWS = 20_000  # spreadsheet rows read


@dataclass(frozen=True, slots=True)
class Extracted:
    kind: str
    text: str = ""
    truncated: bool = False
    error: str = ""


def attachment_kind(url: str, content_type: str = "") -> str | None:
    """pdf | doc | docx | xls | xlsx for a document link (by extension, then by Content-Type), else None."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    m = _EXT.search(path)
    if m:
        return m.group(1).lower()
    ctype = content_type.lower()
    for needle, kind in (("pdf", "pdf"), ("wordprocessingml", "docx"), ("msword", "doc"),
                         ("spreadsheetml", "xlsx"), ("ms-excel", "xls")):
        if needle in ctype:
            return kind
    return None


def _sniff(data: bytes, kind: str) -> str:
    """The real format when the extension lies (a .doc that is a DOCX, an .xls that is a zip ...)."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK"):
        return "xlsx" if kind in ("xls", "xlsx") else "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls" if kind in ("xls", "xlsx") else "doc"
    return kind


def _pdf(data: bytes, max_chars: int) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    out: list[str] = []
    size = 0
    for i, page in enumerate(reader.pages):
        if i >= MAX_PAGES or size > max_chars:
            break
        text = page.extract_text() or ""
        out.append(text)
        size += len(text)
    return "\n".join(out)


def _docx(data: bytes, max_chars: int) -> str:
    import docx

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        # A zip bomb guard: the declared sizes of the parts we read.
        if sum(i.file_size for i in z.infolist()) > 200 * 1024 * 1024:
            raise ValueError("解压后过大")
    document = docx.Document(io.BytesIO(data))
    out: list[str] = []
    size = 0
    for p in document.paragraphs:
        out.append(p.text)
        size += len(p.text)
        if size > max_chars:
            return "\n".join(out)
    for table in document.tables:
        for row in table.rows:
            line = "\t".join(c.text for c in row.cells)
            out.append(line)
            size += len(line)
            if size > max_chars:
                return "\n".join(out)
    return "\n".join(out)


def _xlsx(data: bytes, max_chars: int) -> str:
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if sum(i.file_size for i in z.infolist()) > 200 * 1024 * 1024:
            raise ValueError("解压后过大")
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out: list[str] = []
    size = rows = 0
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                rows += 1
                line = "\t".join("" if v is None else str(v) for v in row)
                out.append(line)
                size += len(line)
                if size > max_chars or rows > MAX_ROWS:
                    return "\n".join(out)
    finally:
        wb.close()
    return "\n".join(out)


def _xls(data: bytes, max_chars: int) -> str:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    out: list[str] = []
    size = rows = 0
    for sheet in book.sheets():
        for r in range(sheet.nrows):
            rows += 1
            values = sheet.row_values(r)
            # Numbers come back as floats: an ID or phone typed as a number must read as its digits.
            line = "\t".join(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in values)
            out.append(line)
            size += len(line)
            if size > max_chars or rows > MAX_ROWS:
                return "\n".join(out)
    return "\n".join(out)


_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\r\n\t]\x00|[\x00-\xff][\x4e-\x9f]|[\x00-\xff]\xff){4,}")
_ASCII_RUN = re.compile(rb"[\x20-\x7e]{6,}")


def _doc(data: bytes, max_chars: int) -> str:
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        if not ole.exists("WordDocument"):
            raise ValueError("不是 Word 文档（缺 WordDocument 流）")
        stream = ole.openstream("WordDocument").read(8 * 1024 * 1024)
    finally:
        ole.close()
    out: list[str] = []
    size = 0
    for m in _UTF16_RUN.finditer(stream):
        text = m.group(0).decode("utf-16-le", "ignore")
        out.append(text)
        size += len(text)
        if size > max_chars:
            break
    for m in _ASCII_RUN.finditer(stream):
        out.append(m.group(0).decode("latin-1"))
    return "\n".join(out)


_READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "xls": _xls, "doc": _doc}
_NAMES = {"pdf": "PDF", "doc": "Word（DOC）", "docx": "Word（DOCX）", "xls": "Excel（XLS）", "xlsx": "Excel（XLSX）"}


def extract_text(data: bytes, kind: str, *, max_bytes: int = 5 * 1024 * 1024,
                 max_chars: int = 200_000, complete: bool = True) -> Extracted:
    """The text of one document. ``complete=False`` says the download was cut at the size bound."""
    if kind not in _READERS:
        return Extracted(kind, error=f"不支持的附件类型 {kind}")
    truncated = not complete or len(data) > max_bytes
    if len(data) > max_bytes:
        data = data[:max_bytes]
    real = _sniff(data, kind)
    try:
        text = _READERS[real](data, max_chars)
    except Exception as exc:  # noqa: BLE001 - untrusted files break parsers in many ways; never fatal
        reason = "（文件不完整，超过大小上限）" if truncated else ""
        return Extracted(kind, truncated=truncated,
                         error=f"无法读取{_NAMES.get(real, real)}附件{reason}：{type(exc).__name__}"[:300])
    if len(text) > max_chars:
        text, truncated = text[:max_chars], True
    return Extracted(kind, text=text, truncated=truncated)
