"""The inspections: one module per check id, found by name. Importing this package imports every module in it
and registers every check; the order of the report is the order of ``checks`` in config/scoring.yaml.

A module here is either one of the shared library modules below or a check module: it must define ``META`` and
register exactly one check whose id is the module name with ``-`` for ``_``. A check module that exists but does
not register (a forgotten ``@register``) stops the program at start-up, never silently drops the check; a check
with no section in config/scoring.yaml is refused when the configuration is loaded.
"""

from __future__ import annotations

import importlib
import pkgutil

# Shared modules that are not checks: the artifacts, the contract, the shared readings, the runner and helpers.
LIBRARY = frozenset({"artifacts", "base", "columns", "lexicon", "readings", "review", "rules", "runner", "scoring",
                     "sitemap", "tasklib", "workdays"})


class UnregisteredCheck(RuntimeError):
    """A check module that does not register its check (or registers another id)."""


def _load_all() -> None:
    from inspections.base import REGISTRY

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in LIBRARY or info.name.startswith("_"):
            continue
        before = set(REGISTRY)
        module = importlib.import_module(f"{__name__}.{info.name}")
        added = [c for c in REGISTRY if c not in before]
        expected = info.name.replace("_", "-")
        meta = getattr(module, "META", None)
        if added != [expected] and not (meta is not None and meta.id == expected and expected in before):
            raise UnregisteredCheck(
                f"inspections/{info.name}.py 不是已登记的检查项：检查模块必须定义 META（id={expected!r}）并用 "
                f"@register(META) 登记其 check 函数；共用的非检查模块须列入 inspections.LIBRARY"
                f"（登记了：{added or '无'}）"
            )


_load_all()
