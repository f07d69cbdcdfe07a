"""The run's tables as one XLSX workbook (openpyxl) and as CSV files (UTF-8 with BOM, for Excel and WPS).

Sheets and files: 排名 (ranking.csv), 问题清单 (findings.csv), 复查 (recheck.csv). Every text cell goes through
reports.cells.neutralise: titles and messages quote crawled pages, and a cell starting with = + - @ would be a
formula when an office opens the file. openpyxl because the tests read the workbook back with it anyway (one
library for writing and checking) and the tables are a few thousand rows at most.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reports.cells import neutralise, neutralise_row
from reports.documents import FINDINGS_HEADER, RANKING_HEADER, RECHECK_HEADER

SHEETS = (("排名", "ranking", RANKING_HEADER), ("问题清单", "findings", FINDINGS_HEADER),
          ("复查", "recheck", RECHECK_HEADER))
# column widths in characters (a CJK character counts about 2)
WIDTHS = {
    "排名": [6, 13, 30, 32, 14, 22, 8, 8, 24, 8, 40],
    "问题清单": [12, 28, 22, 20, 26, 10, 60, 40, 60, 8],
    "复查": [12, 28, 22, 20, 26, 10, 50, 40, 50, 40, 40],
}


def write_xlsx(path: Path, tables: Mapping[str, Sequence[Sequence[Any]]], *, title: str = "") -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F2F2")
    wrap = Alignment(wrap_text=True, vertical="top")
    for sheet_name, key, header in SHEETS:
        ws = wb.create_sheet(sheet_name)
        ws.append(header)
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        rows = tables.get(key) or []
        for row in rows:
            ws.append(neutralise_row(list(row)))
        ws.freeze_panes = "A2"
        # printed as offices print a list: landscape A4, one page wide, the header row on every page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.print_title_rows = "1:1"
        last = get_column_letter(len(header))
        ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
        for i, width in enumerate(WIDTHS[sheet_name], start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and len(cell.value) > 20:
                    cell.alignment = wrap
        if not rows and key == "recheck":
            ws.append(["（本次检查没有前次结果可对比）"])
    if title:
        wb.properties.title = neutralise(title)
    wb.properties.creator = "govaudit"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(str(tmp))
    tmp.replace(path)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(neutralise_row(list(row)))
    return path


def write_csvs(out_dir: Path, tables: Mapping[str, Sequence[Sequence[Any]]]) -> list[Path]:
    return [write_csv(out_dir / f"{key}.csv", header, tables.get(key) or []) for _, key, header in SHEETS]


def write_json(path: Path, tables: Mapping[str, Sequence[Sequence[Any]]]) -> Path:
    """The same tables as JSON objects keyed by the Chinese column names (not neutralised: JSON is data)."""
    data = {key: [dict(zip(header, row, strict=True)) for row in tables.get(key) or []]
            for _, key, header in SHEETS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path
