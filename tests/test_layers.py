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


# ------------------------------------------------------------------------------------ the orchestrator's SQL

SQL_BUILDERS = {"select", "delete", "update", "insert", "text", "func", "and_", "or_", "exists"}
QUERY_METHODS = {"execute", "scalars", "scalar", "query", "add_all", "bulk_save_objects", "merge", "flush"}


def storage_bookkeeping(source: str) -> list[str]:
    """What in this source does the store's work: sqlalchemy imports, ORM tables imported (outside an
    ``if TYPE_CHECKING:`` block, where they only name a type), SQL builder calls, query methods called on
    anything, and any method called on a session (``with x.session() as s`` or a parameter named ``session``:
    the orchestrator hands a session to store/ functions and does nothing else with it)."""
    from store.models import Base

    tree = ast.parse(source)
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    sessions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "session"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    sessions.add(item.optional_vars.id)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if arg.arg == "session" or "Session" in ast.unparse(arg.annotation or ast.Constant(None)):
                    sessions.add(arg.arg)
    bad: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bad += [
                f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "sqlalchemy":
                bad.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "store.models" and id(node) not in typing_only:
                import store.models as models

                for a in node.names:
                    obj = getattr(models, a.name, None)
                    if isinstance(obj, type) and issubclass(obj, Base):
                        bad.append(f"{node.lineno}: imports the table {a.name}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in SQL_BUILDERS:
                bad.append(f"{node.lineno}: {f.id}(...)")
            elif isinstance(f, ast.Attribute):
                if f.attr in QUERY_METHODS:
                    bad.append(f"{node.lineno}: .{f.attr}(...)")
                elif isinstance(f.value, ast.Name) and f.value.id in sessions:
                    bad.append(f"{node.lineno}: {f.value.id}.{f.attr}(...) on a session")
    return bad


@pytest.mark.parametrize("module", ["govaudit/pipeline.py", "workers/sitejobs.py"])
def test_the_orchestrator_holds_no_storage_bookkeeping(module):
    """The orchestrator (govaudit/pipeline.py) and the site jobs (workers/sitejobs.py) order the work (crawl,
    probe, judge, write; claim, retry); every query and row they need is a function of store/ (runs, history,
    loader, reviews, sitejobs)."""
    bad = storage_bookkeeping((ROOT / module).read_text(encoding="utf-8"))
    assert not bad, f"{module} does the store's work:\n" + "\n".join(bad)


def test_the_bookkeeping_check_catches_what_the_orchestrator_used_to_do():
    """Each pattern the orchestrator held before its queries moved to store/ is caught, one by one."""
    planted = {
        "from sqlalchemy import delete, select\n": "from sqlalchemy",
        "import sqlalchemy.orm\n": "import sqlalchemy.orm",
        "from store.models import Run, utcnow\n": "the table Run",
        "def f(store):\n    with store.session() as s:\n        return s.get(Run, 1)\n": "s.get(...) on a session",
        "def f(store, run):\n    with store.session() as s:\n        s.add(run)\n": "s.add(...) on a session",
        "def f(session, q):\n    return session.scalars(q).first()\n": ".scalars(...)",
        "def f(x):\n    return x.execute(1)\n": ".execute(...)",
        "q = select(1).where(2)\n": "select(...)",
        "def f(store):\n    with store.session() as s:\n        s.expunge_all()\n": "s.expunge_all(...)",
    }
    for source, expected in planted.items():
        found = storage_bookkeeping(source)
        assert any(expected in b for b in found), (source, found)
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from store.models import Run\n"
    clean = typed + "def f(store):\n    with store.session() as s:\n        return runs.get_run(s, 1)\n"
    assert storage_bookkeeping(clean) == []
