"""One test guards every registered check: ids, module names, wording, the contract (no defaults, no caps in
META, no check importing another) and agreement with config/scoring.yaml."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import inspections
from inspections.base import REGISTRY, Meta, register
from inspections.runner import load_scoring, rendered_meta

ROOT = Path(__file__).resolve().parent.parent
CORE = ("site-unreachable", "homepage-stale", "stale-columns", "broken-links", "site-markings")
SCORING = load_scoring()
CHECK_MODULES = sorted(c.replace("-", "_") for c in REGISTRY)


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
    params = inspect.signature(ins.func).parameters
    for name in ins.option_names:
        assert params[name].default is inspect.Parameter.empty, f"{check_id}.{name}: a default in the signature"


def test_meta_holds_no_cap_and_no_veto():
    names = {f.name for f in dataclasses.fields(Meta)}
    assert not names & {"max_points", "veto"}, "caps and veto flags live in config/scoring.yaml only"


def test_register_refuses_a_default_in_the_signature():
    meta = Meta(id="zz-test-default", title="t", failure_title="f", description="d", rule="r", category="c")

    def check(site, *, limit_days: int = 14):  # noqa: ANN001, ANN202
        return iter(())

    with pytest.raises(TypeError, match="limit_days"):
        register(meta)(check)
    assert "zz-test-default" not in REGISTRY


def test_ids_are_unique_across_modules():
    assert len({ins.meta.id for ins in REGISTRY.values()}) == len(REGISTRY)


def test_every_registered_check_has_a_config_section_and_every_option():
    assert sorted(SCORING["checks"]) == sorted(REGISTRY)
    for check_id, ins in REGISTRY.items():
        section = SCORING["checks"][check_id]
        assert {"max_points", "veto", "options"} <= set(section)
        assert set(section["options"]) == ins.option_names, check_id


def test_registry_order_in_the_config_starts_with_the_core_checks():
    assert tuple(SCORING["checks"])[: len(CORE)] == CORE


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("module", CHECK_MODULES)
def test_no_check_imports_another_check(module):
    imported = _imports(ROOT / "inspections" / f"{module}.py")
    others = {f"inspections.{m}" for m in CHECK_MODULES if m != module}
    assert not imported & others, f"{module} imports {sorted(imported & others)}: use inspections.readings"


def test_every_module_of_the_package_is_a_library_module_or_a_registered_check():
    files = {p.stem for p in (ROOT / "inspections").glob("*.py") if p.stem != "__init__"}
    assert files == set(inspections.LIBRARY) | set(CHECK_MODULES)


def test_an_unregistered_check_module_fails_at_start_up(tmp_path):
    """A check module whose @register was forgotten stops the program when the checks are loaded."""
    shutil.copytree(ROOT / "inspections", tmp_path / "inspections", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "inspections" / "forgotten_check.py").write_text(
        '"""A check that forgot @register."""\nfrom inspections.base import Meta\n'
        'META = Meta(id="forgotten-check", title="t", failure_title="f", description="d", rule="r", '
        'category="c")\n\ndef check(site, *, limit: int):\n    return iter(())\n',
        encoding="utf-8",
    )
    code = "import inspections.runner"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "UnregisteredCheck" in proc.stderr and "forgotten_check.py" in proc.stderr
    # and a registered check with no section in scoring.yaml is refused when the config loads
    (tmp_path / "inspections" / "forgotten_check.py").write_text(
        '"""A check without a configuration entry."""\nfrom inspections.base import Meta, register\n'
        'META = Meta(id="forgotten-check", title="t", failure_title="f", description="d", rule="r", '
        'category="c")\n\n@register(META)\ndef check(site, *, limit: int):\n    return iter(())\n',
        encoding="utf-8",
    )
    code = f"from inspections.runner import load_scoring; load_scoring({str(ROOT / 'config' / 'scoring.yaml')!r})"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0 and "ConfigError" in proc.stderr
    assert "forgotten-check" in proc.stderr and "没有配置" in proc.stderr


# A limit written as a number in a META text would not follow the configuration.
_LITERAL_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:周|个月|天|秒|%|个工作日|个未更新|个[；）]|月\d+日)")


@pytest.mark.parametrize("check_id", list(REGISTRY))
def test_meta_texts_word_limits_from_the_options(check_id):
    meta = REGISTRY[check_id].meta
    for field in ("title", "failure_title", "description", "rule"):
        text = getattr(meta, field)
        assert not _LITERAL_LIMIT.findall(text), f"{check_id}.{field}: write the limit as a {{option:spec}}"
    rendered = rendered_meta(SCORING, check_id)  # every placeholder names an applied option
    assert "{" not in rendered.description + rendered.rule
