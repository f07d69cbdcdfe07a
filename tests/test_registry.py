"""One test guards every registered check: ids, module names, wording, and agreement with config/scoring.yaml."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Mapping

import pytest

import inspections
from inspections.base import REGISTRY
from inspections.runner import load_scoring

CORE = ("site-unreachable", "homepage-stale", "stale-columns", "broken-links", "site-markings")
SCORING = load_scoring()


def plain(value):
    """YAML gives lists and dicts; signatures hold tuples and read-only mappings."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def test_init_imports_every_check_module_by_name():
    source = inspect.getsource(inspections)
    imported = set(re.findall(r"^from inspections import (\w+)", source, re.M))
    assert {check_id.replace("-", "_") for check_id in REGISTRY} <= imported


@pytest.mark.parametrize("check_id", list(REGISTRY))
def test_check_is_well_formed(check_id):
    ins = REGISTRY[check_id]
    meta = ins.meta
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", check_id), "ids are kebab-case"
    assert not check_id.startswith("no-")
    module = importlib.import_module(f"inspections.{check_id.replace('-', '_')}")
    assert module.META is meta and ins.func.__module__ == module.__name__, "module name matches the id"
    assert module.__doc__ and module.__doc__.strip()
    for field in ("title", "failure_title", "description", "rule", "category"):
        assert getattr(meta, field).strip(), f"{check_id}: META.{field} is empty"
    assert meta.max_points >= 0
    params = inspect.signature(ins.func).parameters
    for name in ins.option_names - {"as_of"}:
        assert params[name].default is not inspect.Parameter.empty, f"{check_id}.{name} has no default"


def test_ids_are_unique_across_modules():
    assert len({ins.meta.id for ins in REGISTRY.values()}) == len(REGISTRY)


@pytest.mark.parametrize("check_id", list(SCORING["checks"]))
def test_config_options_exist_and_equal_the_defaults(check_id):
    section = SCORING["checks"][check_id] or {}
    ins = REGISTRY[check_id]
    params = inspect.signature(ins.func).parameters
    for name, value in (section.get("options") or {}).items():
        assert name in ins.option_names, f"{check_id}.options.{name} is not in the signature"
        assert plain(params[name].default) == plain(value), f"{check_id}.options.{name}: default ≠ config"
    if "max_points" in section:
        assert float(section["max_points"]) == ins.meta.max_points, f"{check_id}.max_points: META ≠ config"
    if "veto" in section:
        assert bool(section["veto"]) == ins.meta.veto, f"{check_id}.veto: META ≠ config"


@pytest.mark.parametrize("check_id", CORE)
def test_core_checks_have_a_complete_config_section(check_id):
    section = SCORING["checks"][check_id]
    assert {"max_points", "veto", "options"} <= set(section)
    options = set(section["options"])
    assert options == REGISTRY[check_id].option_names - {"as_of"}, "every option is in the config"


def test_registry_order_starts_with_the_core_checks():
    assert tuple(REGISTRY)[: len(CORE)] == CORE
