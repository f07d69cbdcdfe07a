"""Layers run one way: a test that parses every import of the project and fails the build when a package
imports one it may not (a lower package importing a higher one, a check importing another check, the CLI
holding SQL).

    govconfig (what the configuration means)  ←  netkit (DNS client, URL normaliser, error kinds)
        ←  extract, store  ←  crawler, probes  ←  inspections  ←  reports  ←  govaudit (CLI, orchestrator),
        web (console), workers (site jobs)

(inspections and reports are pure: they read stored artifacts and scored results, never the network or SQL.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "govconfig",
    "netkit",
    "extract",
    "store",
    "crawler",
    "probes",
    "inspections",
    "reports",
    "simweb",
    "govaudit",
    "web",
    "workers",
)
APP = (
    "govconfig",
    "netkit",
    "extract",
    "store",
    "crawler",
    "probes",
    "inspections",
    "reports",
    "govaudit",
    "web",
    "workers",
)  # the application layer: CLI, orchestrator, console, job workers

# package -> the project modules (prefixes) it may import; anything of the project not listed is refused
ALLOWED: dict[str, tuple[str, ...]] = {
    "govconfig": (),
    "netkit": ("govconfig",),
    "extract": (),
    "store": ("inspections.artifacts",),
    "crawler": ("govconfig", "netkit", "extract", "store"),
    "probes": ("govconfig", "netkit", "extract"),
    "inspections": ("govconfig", "netkit.urls", "netkit.errors", "extract"),
    "reports": ("netkit.urls", "netkit.errors"),
    "simweb": ("govconfig.judge",),
    "govaudit": APP,
    "web": APP,
    "workers": APP,
}


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module.name) of every import of a project package in the file (absolute imports only)."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return [(line, mod) for line, mod in out if mod.split(".")[0] in PACKAGES]


def _allowed(package: str, module: str) -> bool:
    if module.split(".")[0] == package:
        return True
    return any(module == p or module.startswith(p + ".") for p in ALLOWED[package])


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_every_package_is_covered():
    found = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert found - {"tests", "bench"} <= set(PACKAGES), "give the new package its place in ALLOWED"


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_run_one_way(package):
    bad = [
        f"{path.relative_to(ROOT)}:{line}: imports {module}"
        for path in _files(package)
        for line, module in project_imports(path)
        if not _allowed(package, module)
    ]
    assert not bad, "a lower package imports a higher one:\n" + "\n".join(bad)


def test_the_cli_holds_no_sql():
    """The command line parses arguments and prints; queries and storage bookkeeping are in store/."""
    cli = ROOT / "govaudit" / "cli.py"
    for line, module in project_imports(cli):
        assert not module.startswith("store.models"), f"govaudit/cli.py:{line} reads the tables itself"
    tree = ast.parse(cli.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqlalchemy"):
            # its exceptions may be caught (to print 数据库错误), nothing else
            assert node.module == "sqlalchemy.exc", f"govaudit/cli.py:{node.lineno} builds queries"
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("sqlalchemy") for a in node.names), (
                f"govaudit/cli.py:{node.lineno}"
            )


def test_a_violation_is_caught(tmp_path):
    """The check itself can fail: a probe module importing the CLI is refused."""
    bad = tmp_path / "bad.py"
    bad.write_text("from govaudit.config import load_config\nimport inspections.runner\n", encoding="utf-8")
    found = [m for _, m in project_imports(bad) if not _allowed("probes", m)]
    assert found == ["govaudit.config.load_config", "inspections.runner"]
