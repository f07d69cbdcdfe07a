"""Broken sites.yaml files: each is rejected with a message naming file, line and field, exit code 2 from
`govaudit sites` and `govaudit inspect`, and a database that already exists is left as it was."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from govaudit.cli import main
from govconfig.sites import ConfigError, load_config

GOVAUDIT = str(Path(sys.executable).parent / "govaudit")
SITE = "  - id: a\n    name: 甲\n    url: http://a.example.test/\n    level: county\n    unit: 办公室\n"
SITE_B = SITE.replace("id: a", "id: b").replace("a.example", "b.example")

# name -> (sites.yaml text, line the message must name (None: no line), field the message must name)
CASES: dict[str, tuple[str, int | None, str]] = {
    "bad-yaml": ("sites:\n  - id: a\n    name: [unclosed\n", 4, ""),
    "tab-indent": ("sites:\n\t- id: a\n", 2, ""),
    "empty-file": ("", 1, ""),
    "only-comment": ("# nothing here\n", 1, ""),
    "not-a-mapping": ("- a\n- b\n", 1, ""),
    "unknown-top-level": ("sitez: []\nsites:\n" + SITE, 1, "sitez"),
    "unknown-in-defaults": ("defaults:\n  max_page: 5\nsites:\n" + SITE, 2, "defaults.max_page"),
    "unknown-in-site": ("sites:\n" + SITE + "    colour: red\n", 7, "sites[0].colour"),
    "unknown-in-network": ("network:\n  dns: [1.1.1.1]\nsites:\n" + SITE, 2, "network.dns"),
    "duplicate-id": ("sites:\n" + SITE + SITE.replace("a.example", "c.example"), 7, "sites[1].id"),
    "duplicate-key": ("sites:\n" + SITE + "    level: municipal\n", 7, "sites[0].level"),
    "bad-url-scheme": (
        "sites:\n" + SITE.replace("http://a.example.test/", "ftp://a.example.test/"),
        4,
        "sites[0].url",
    ),
    "bad-url-port": (
        "sites:\n" + SITE.replace("a.example.test/", "a.example.test:99999/"),
        4,
        "sites[0].url",
    ),
    "url-no-host": (
        "sites:\n" + SITE.replace("http://a.example.test/", "http:///index.html"),
        4,
        "sites[0].url",
    ),
    "unknown-level": ("sites:\n" + SITE.replace("level: county", "level: city"), 5, "sites[0].level"),
    "bad-nameserver": (
        "network:\n  nameservers: [dns.example.test]\nsites:\n" + SITE,
        2,
        "network.nameservers[0]",
    ),
    "bad-nameserver-port": (
        "network:\n  nameservers: ['127.0.0.1:0']\nsites:\n" + SITE,
        2,
        "network.nameservers[0]",
    ),
    "nameservers-not-list": ("network:\n  nameservers: 1.1.1.1\nsites:\n" + SITE, 2, "network.nameservers"),
    "wrong-type-int": ("defaults:\n  max_pages: many\nsites:\n" + SITE, 2, "defaults.max_pages"),
    "wrong-type-bool": ("network:\n  allow_private: perhaps\nsites:\n" + SITE, 2, "network.allow_private"),
    "wrong-type-float": ("sites:\n" + SITE + "    timeout_s: [1]\n", 7, "sites[0].timeout_s"),
    "negative": ("defaults:\n  delay_s: -1\nsites:\n" + SITE, 2, "defaults.delay_s"),
    "infinite-timeout": ("defaults:\n  timeout_s: .inf\nsites:\n" + SITE, 2, "defaults.timeout_s"),
    "zero-pages": ("defaults:\n  max_pages: 0\nsites:\n" + SITE, 2, "defaults.max_pages"),
    "bad-render": ("defaults:\n  render_js: sometimes\nsites:\n" + SITE, 2, "defaults.render_js"),
    "sites-not-list": ("sites:\n  a: 1\n", 2, "sites"),
    "sites-empty": ("sites: []\n", 1, "sites"),
    "missing-sites": ("defaults:\n  max_pages: 5\n", 1, "sites"),
    "missing-url": ("sites:\n" + SITE.replace("    url: http://a.example.test/\n", ""), 2, "sites[0].url"),
    "missing-unit": ("sites:\n" + SITE.replace("    unit: 办公室\n", ""), 2, "sites[0].unit"),
    "empty-name": ("sites:\n" + SITE.replace("name: 甲", "name: ''"), 3, "sites[0].name"),
    "bad-id": ("sites:\n" + SITE.replace("id: a", "id: A B"), 2, "sites[0].id"),
    "bad-parent": ("sites:\n" + SITE + SITE_B + "    parent: nowhere\n", 7, "sites[1].parent"),
    "bad-site-code": ("sites:\n" + SITE + "    site_code: '12'\n", 7, "sites[0].site_code"),
    "bad-host": ("sites:\n" + SITE + "    hosts: ['no host']\n", 7, "sites[0].hosts[0]"),
    "impossible-date": ("sites:\n" + SITE.replace("name: 甲", "name: 2021-02-30"), 3, "sites[0].name"),
    "bad-binary": ("sites:\n" + SITE.replace("name: 甲", "name: !!binary 'zzz'"), 3, "sites[0].name"),
    "site-not-mapping": ("sites:\n  - just a string\n", 2, "sites[0]"),
}


def _check_message(text: str, path: Path, line: int | None, field: str) -> None:
    where = f"{path}:{line}:" if line else f"{path}:"
    assert where in text, text
    if field:
        assert f" {field}: " in text, text


@pytest.mark.parametrize("case", sorted(CASES))
def test_loader_names_file_line_field(tmp_path, case):
    text, line, field = CASES[case]
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    err = info.value
    assert err.path == str(path) and err.line == line and err.field == field, str(err)
    _check_message(str(err), path, line, field)


@pytest.fixture
def existing_db(tmp_path) -> Path:
    """A database with one run in it, made by a valid config."""
    from govaudit import pipeline
    from govconfig.sites import load_config
    from store.db import Store

    good = tmp_path / "good.yaml"
    good.write_text("sites:\n" + SITE, encoding="utf-8")
    db = tmp_path / "existing.db"
    store = Store(f"sqlite:///{db}")
    import datetime as dt

    pipeline.start_run(store, load_config(good), ["a"], as_of=dt.date(2021, 12, 20), trigger="manual")
    pipeline.finish_run(store, 1, "complete")
    store.close()
    return db


def _digest(db: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(db.parent.glob(db.name + "*")):  # the file and any -wal / -shm next to it
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_exit_2_and_db_untouched(tmp_path, existing_db, capsys, case):
    text, line, field = CASES[case]
    path = tmp_path / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    before = _digest(existing_db)
    assert main(["sites", "--config", str(path)]) == 2
    _check_message(capsys.readouterr().err, path, line, field)
    assert (
        main(
            [
                "inspect",
                "--config",
                str(path),
                "--db",
                f"sqlite:///{existing_db}",
                "--out",
                str(tmp_path / "out"),
                "--no-reports",
            ]
        )
        == 2
    )
    _check_message(capsys.readouterr().err, path, line, field)
    assert _digest(existing_db) == before
    assert not (tmp_path / "out").exists()
    # A database that does not exist yet is not created by a rejected config either.
    fresh = tmp_path / "fresh.db"
    assert main(["inspect", "--config", str(path), "--db", f"sqlite:///{fresh}", "--no-reports"]) == 2
    assert not fresh.exists()


def test_real_command_exit_codes(tmp_path, existing_db):
    """The installed command, as a person runs it: exit 2 and the located message on stderr."""
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n" + SITE.replace("level: county", "level: city"), encoding="utf-8")
    before = _digest(existing_db)
    for args in (
        ["sites", "--config", str(path)],
        ["inspect", "--config", str(path), "--db", f"sqlite:///{existing_db}", "--no-reports"],
    ):
        proc = subprocess.run([GOVAUDIT, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert f"{path}:5: sites[0].level: " in proc.stderr
        assert "Traceback" not in proc.stderr
    assert _digest(existing_db) == before
    missing = subprocess.run(
        [GOVAUDIT, "sites", "--config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
