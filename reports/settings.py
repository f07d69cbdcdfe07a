"""What the office writes on its documents: issuer, 文号, contact, deadline, signature, screenshot bound.

The values come from config/notice.yaml (loaded and validated by govaudit.notice_config); the defaults here
are only what a caller without a file (a test, the web console before it is configured) gets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DOC_NUMBER_FIELDS = ("year", "seq", "run")


@dataclass(frozen=True)
class Contact:
    unit: str = "九江市人民政府办公室（政务公开办）"
    person: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    def parts(self) -> list[tuple[str, str]]:
        """(label, value) of every field that is filled in, in the order a notice prints them."""
        labels = (("联系单位", self.unit), ("联系人", self.person), ("联系电话", self.phone),
                  ("电子邮箱", self.email), ("地址", self.address))
        return [(k, v) for k, v in labels if v]


@dataclass(frozen=True)
class NoticeSettings:
    issuer: str = "九江市人民政府办公室（政务公开办）"
    # 文号 of a notice: {year} of issue, {seq} its number within the run, {run} the inspection number
    doc_number: str = "九府办公开检〔{year}〕{seq}号"
    deadline_workdays: int = 10
    objection_workdays: int = 3
    contact: Contact = field(default_factory=Contact)
    recheck_request: str = ("整改完成后，请将整改报告报送联系单位并申请复查；我办收到后将对本通知所列问题逐项复查，"
                            "并出具整改复查报告。")
    signature: tuple[str, ...] = ("九江市人民政府办公室", "（政务公开办）")
    screenshots_per_site: int = 3
    path: str = ""  # the file the settings came from ("" = built-in defaults)

    def number(self, issued: dt.date, seq: int, run_id: object) -> str:
        return self.doc_number.format(year=issued.year, seq=seq, run=run_id)
