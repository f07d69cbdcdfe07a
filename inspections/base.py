"""The shared parts of every inspection: metadata, findings, outcomes, the registry and the runner."""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspections.artifacts import SiteArtifacts


class Severity(enum.IntEnum):
    INFO = 0  # shown, costs nothing, does not change the status (counts, lists of columns ...)
    WARN = 1  # early warning: below a limit, or a partial chain; costs nothing unless points say so
    FAIL = 2  # a deduction
    VETO = 3  # 单项否决: the site is 不合格 whatever the points


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_TESTED = "not_tested"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    severity: Severity
    message: str  # one Chinese sentence that reads well inside a 整改通知书
    url: str = ""  # the page somebody must go and fix
    evidence: Mapping[str, Any] | str = ""  # the offending link, column and date, entry ... verbatim
    points: float = 0.0  # deduction before the indicator's cap

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "url": self.url,
            "evidence": self.evidence if isinstance(self.evidence, str) else dict(self.evidence),
            "severity": self.severity.name.lower(),
            "points": self.points,
        }


@dataclass(frozen=True, slots=True)
class Meta:
    id: str  # "broken-links"; the module name is the id with "_" for "-"
    title: str  # 通过时的说法
    failure_title: str  # 不通过时的说法
    description: str  # what it checks and why; printed in the notice
    rule: str  # the rule enforced, with its document, e.g. "国办秘函〔2019〕19号 单项否决指标：首页不更新"
    category: str  # 可用性 | 信息更新 | 政务公开 | 标识规范 | IPv6 ...
    max_points: float  # the indicator's cap on deductions
    veto: bool = False  # whether a failure can be a single veto
    task: str = ""  # the task of the 2021 Jiujiang notice it serves, e.g. "（二十六）"

    def finding(self, severity: Severity, message: str, **fields: Any) -> Finding:
        return Finding(check_id=self.id, severity=severity, message=message, **fields)


class NotTested(Exception):  # noqa: N818 - an outcome, not an error
    """Raised by a check that lacks what it needs to decide; the message (Chinese) says why."""


@dataclass(frozen=True, slots=True)
class Inspection:
    meta: Meta
    func: Callable[..., Iterable[Finding]]

    @property
    def option_names(self) -> frozenset[str]:
        params = inspect.signature(self.func).parameters
        return frozenset(n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY)


REGISTRY: dict[str, Inspection] = {}


def register(meta: Meta) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
    """Register a check function under its META id; duplicate ids are refused."""

    def decorate(func: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if meta.id in REGISTRY:
            raise ValueError(f"duplicate inspection id {meta.id!r}")
        REGISTRY[meta.id] = Inspection(meta, func)
        return func

    return decorate


@dataclass(frozen=True, slots=True)
class Outcome:
    check_id: str
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str = ""  # why not_tested / error
    points_lost: float = 0.0  # after the indicator's cap
    veto: bool = False
    meta: Meta | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        findings = [f.as_dict() for f in self.findings]
        if self.reason and self.status in (Status.NOT_TESTED, Status.ERROR):
            findings.insert(0, {"message": self.reason, "url": "", "evidence": "", "severity": "info",
                                "points": 0.0})
        return {
            "id": self.check_id,
            "status": self.status.value,
            "points_lost": round(self.points_lost, 2),
            "veto": self.veto,
            "findings": findings,
            "reason": self.reason,
        }


def run_inspection(ins: Inspection, site: SiteArtifacts, *, as_of: dt.date,
                   options: Mapping[str, Any] | None = None) -> Outcome:
    """Run one check and turn what it yields (or raises) into an Outcome.

    The runner, not the check, catches exceptions: one broken check is recorded as `error` for itself only.
    """
    opts = dict(options or {})
    if "as_of" in ins.option_names:
        opts["as_of"] = as_of
    try:
        findings = tuple(ins.func(site, **opts))
    except NotTested as exc:
        return Outcome(ins.meta.id, Status.NOT_TESTED, reason=str(exc), meta=ins.meta)
    except Exception as exc:  # noqa: BLE001 - recorded as this check's error, never sinks the site
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(ins.meta.id, Status.ERROR, reason=f"检查程序出错：{tb}", meta=ins.meta)
    return judge(ins.meta, findings)


def judge(meta: Meta, findings: tuple[Finding, ...]) -> Outcome:
    """The outcome of a check that yielded these findings (status, capped points, veto)."""
    veto = any(f.severity is Severity.VETO for f in findings)
    points = min(sum(f.points for f in findings), meta.max_points)
    if veto or any(f.severity is Severity.FAIL for f in findings):
        status = Status.FAIL
    elif any(f.severity is Severity.WARN for f in findings):
        status = Status.WARN
    else:
        status = Status.PASS
    return Outcome(meta.id, status, findings, points_lost=points, veto=veto, meta=meta)
