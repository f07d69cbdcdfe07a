"""The shared parts of every inspection: metadata, findings, outcomes, the registry and the runner."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import string
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inspections.artifacts import SiteArtifacts
from inspections.columns import cn_period


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
    task: str = ""  # the task of the 2021 Jiujiang notice it serves, e.g. "（二十六）"
    # No max_points and no veto here: the cap and the veto flag live in config/scoring.yaml only.

    def finding(self, severity: Severity, message: str, **fields: Any) -> Finding:
        return Finding(check_id=self.id, severity=severity, message=message, **fields)

    def render(self, options: Mapping[str, Any]) -> Meta:
        """The texts with every ``{option:spec}`` placeholder filled from the options applied in this run.

        A limit is never written as a number in META: ``"应在{limits[notice]:period}内更新"`` reads “6个月” with
        ``notice: 183`` and “3个月” with ``notice: 90``. Specs: see ``Word``.
        """
        words = {name: Word(value) for name, value in options.items()}
        fields = {}
        for name in ("title", "failure_title", "description", "rule"):
            fields[name] = _FORMATTER.vformat(getattr(self, name), (), words)
        return dataclasses.replace(self, **fields)


class Word:
    """One applied option value, as a notice words it. ``{name:spec}`` in META texts, spec one of:

    ``period`` days as the rules say them (14 → 2周, 183 → 6个月, 365 → 1年, else N天); ``days`` N天;
    ``s`` seconds (15 → 15秒); ``pct`` a share as a percentage (0.05 → 5%); ``mmdd`` "01-31" → 1月31日;
    ``n`` or nothing: the number or text as it is (1.0 → 1); ``pts`` points (4.0 → 4分);
    ``list`` a list joined with 、; ``count`` how many items a list or mapping has. Items of a mapping or list: ``{limits[notice]:period}``.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __getitem__(self, key: Any) -> Word:
        return Word(self.value[key])

    def __format__(self, spec: str) -> str:
        v = self.value
        if spec == "period":
            return cn_period(int(v))
        if spec == "days":
            return f"{int(v)}天"
        if spec == "s":
            return f"{float(v):g}秒"
        if spec == "pct":
            return f"{float(v) * 100:g}%"
        if spec == "pts":
            return f"{float(v):g}分"
        if spec == "mmdd":
            month, day = (int(x) for x in str(v).split("-"))
            return f"{month}月{day}日"
        if spec == "count":
            return str(len(v))
        if spec == "list":
            return "、".join(str(x) for x in v)
        if spec in ("", "n"):
            if isinstance(v, bool):
                return "是" if v else "否"
            if isinstance(v, int | float):
                return f"{v:g}"
            return str(v)
        raise ValueError(f"unknown wording spec {spec!r} (period, days, s, pct, pts, mmdd, list, count, n)")


_FORMATTER = string.Formatter()


class NotTested(Exception):  # noqa: N818 - an outcome, not an error
    """Raised by a check that lacks what it needs to decide; the message (Chinese) says why."""


# Keyword-only parameters the runner fills itself; every other keyword-only parameter is an option.
INJECTED = frozenset({"as_of", "readings"})


@dataclass(frozen=True, slots=True)
class Inspection:
    meta: Meta
    func: Callable[..., Iterable[Finding]]

    @property
    def option_names(self) -> frozenset[str]:
        """The check's options: its keyword-only parameters but ``as_of`` and ``readings``."""
        params = inspect.signature(self.func).parameters
        return frozenset(n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY) - INJECTED

    @property
    def wants(self) -> frozenset[str]:
        params = inspect.signature(self.func).parameters
        return frozenset(params) & INJECTED


REGISTRY: dict[str, Inspection] = {}


def register(meta: Meta) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
    """Register a check function under its META id; duplicate ids and options with defaults are refused.

    An option's value comes from config/scoring.yaml only: a default in the signature could disagree with it.
    """

    def decorate(func: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if meta.id in REGISTRY:
            raise ValueError(f"duplicate inspection id {meta.id!r}")
        params = inspect.signature(func).parameters
        defaults = [n for n, p in params.items()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty]
        if defaults:
            raise TypeError(f"{meta.id}: options take their values from config/scoring.yaml, not from defaults "
                            f"in the signature: {', '.join(defaults)}")
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


def run_inspection(ins: Inspection, site: SiteArtifacts, *, as_of: dt.date, options: Mapping[str, Any],
                   readings: Any = None, max_points: float = float("inf")) -> Outcome:
    """Run one check with every one of its options (from config/scoring.yaml) and turn what it yields (or
    raises) into an Outcome. ``readings`` is the site's shared ``inspections.readings.Readings``.

    The runner, not the check, catches exceptions: one broken check is recorded as `error` for itself only.
    """
    opts = dict(options)
    if "as_of" in ins.wants:
        opts["as_of"] = as_of
    if "readings" in ins.wants:
        opts["readings"] = readings
    try:
        findings = tuple(ins.func(site, **opts))
    except NotTested as exc:
        return Outcome(ins.meta.id, Status.NOT_TESTED, reason=str(exc), meta=ins.meta)
    except Exception as exc:  # noqa: BLE001 - recorded as this check's error, never sinks the site
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(ins.meta.id, Status.ERROR, reason=f"检查程序出错：{tb}", meta=ins.meta)
    return judge(ins.meta, findings, max_points)


def judge(meta: Meta, findings: tuple[Finding, ...], max_points: float = float("inf")) -> Outcome:
    """The outcome of a check that yielded these findings (status, capped points, veto)."""
    veto = any(f.severity is Severity.VETO for f in findings)
    points = min(sum(f.points for f in findings), max_points)
    if veto or any(f.severity is Severity.FAIL for f in findings):
        status = Status.FAIL
    elif any(f.severity is Severity.WARN for f in findings):
        status = Status.WARN
    else:
        status = Status.PASS
    return Outcome(meta.id, status, findings, points_lost=points, veto=veto, meta=meta)
