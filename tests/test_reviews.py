"""Review before blame: the review store (store.reviews), its CLI (`govaudit review`), and how decisions reach
the checks through the stored run: pending costs nothing, confirmed costs, dismissed is not raised again.
Real SQLite and PostgreSQL (the conftest's throwaway cluster)."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator

import pytest

from crawler import pipelines
from crawler.items import AttachmentItem, LinkItem, PageItem
from govaudit import cli, pipeline
from simweb.docs import tiny_pdf
from store import reviews
from store.db import Store
from store.loader import load_site_artifacts
from store.models import Run, RunSite

AS_OF = dt.date(2021, 12, 20)
HOME = "http://www.example.gov.cn/"
SITE = {"id": "t", "name": "测试县人民政府", "url": HOME, "level": "county", "unit": "测试县人民政府办公室"}
ID_NUMBER = "11010519491231002X"  # GB 11643's own example: a valid check digit


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        base = request.getfixturevalue("postgres_url")
        name = "r_" + __import__("uuid").uuid4().hex[:12]
        admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
    s = Store(url)
    monkeypatch.setattr(pipelines, "STORE", s)
    try:
        yield s
    finally:
        s.close()


def stored_run(store: Store, monkeypatch: pytest.MonkeyPatch) -> int:
    """A stored crawl of one site: a home page, a 公示 page with an ID number, a PDF attachment with one."""
    with store.session() as s:
        run = Run(as_of=AS_OF, tool_version="0.1.0", status="complete", trigger="manual",
                  config={"path": "sites.yaml", "sites": [SITE]}, environment={}, site_ids=["t"],
                  started=dt.datetime(2021, 12, 20, 8, 0))
        s.add(run)
        s.flush()
        s.add(RunSite(run_id=run.id, site_id="t", status="done", pages=2))
        run_id = run.id
    monkeypatch.setattr(pipelines, "RUN_ID", run_id)
    pipe = pipelines.StorePipeline()
    pipe.open_spider()
    home = PageItem(site_id="t", url=HOME, final_url=HOME, status=200, depth=0, content_type="text/html",
                    body="<html><body><p>首页 2021-12-18</p><a href='/gs.html'>公示</a></body></html>",
                    links=[LinkItem(HOME + "gs.html", "公示")])
    gs = PageItem(site_id="t", url=HOME + "gs.html", final_url=HOME + "gs.html", status=200, depth=1,
                  body=f"<html><body><p>申请人身份证号：{ID_NUMBER}</p><a href='/a.pdf'>附件</a></body></html>",
                  links=[LinkItem(HOME + "a.pdf", "附件")])
    pdf = tiny_pdf(["list", "Li Si 13912345678"])
    from extract.attachments import extract_text

    got = extract_text(pdf, "pdf")
    for item in (home, gs, AttachmentItem("t", HOME + "a.pdf", "pdf", len(pdf), got.text),
                 AttachmentItem("t", HOME + "a.pdf", "pdf", len(pdf), got.text)):  # a retry stores it once
        pipe.process_item(item)
    pipe.close_spider()
    return run_id


def personal(results: dict) -> dict:
    [site] = results["sites"]
    return next(c for c in site["checks"] if c["id"] == "personal-data")


def test_pending_then_confirmed_then_dismissed(store: Store, monkeypatch: pytest.MonkeyPatch):
    run_id = stored_run(store, monkeypatch)
    with store.session() as s:
        art = load_site_artifacts(s, run_id, "t")
    assert [a.url for a in art.attachments] == [HOME + "a.pdf"] and "13912345678" in art.attachments[0].text

    first = pipeline.inspect_run(store, run_id)
    check = personal(first)
    assert check["status"] == "warn" and check["points_lost"] == 0  # 待核实: no points
    with store.session() as s:
        pending = reviews.list_items(s)
    assert {p["url"] for p in pending} == {HOME + "gs.html", HOME + "a.pdf"}
    assert all(p["status"] == "pending" for p in pending)
    # Evidence in the store is masked: the whole number is nowhere.
    dumped = json.dumps(pending, ensure_ascii=False)
    assert ID_NUMBER not in dumped and "13912345678" not in dumped and "1101**********002X" in dumped

    id_item = next(p for p in pending if p["url"].endswith("gs.html"))
    pdf_item = next(p for p in pending if p["url"].endswith(".pdf"))
    with store.session() as s:
        reviews.confirm(s, id_item["key"], by="王科长", note="公示超范围")
        reviews.dismiss(s, pdf_item["key"][:8], by="王科长", note="单位办公电话")  # a prefix is enough
    second = personal(pipeline.inspect_run(store, run_id))
    assert second["status"] == "fail" and second["points_lost"] == 2.0
    [f] = [f for f in second["findings"] if f["severity"] != "info"]
    assert f["url"] == HOME + "gs.html" and f["evidence"]["review"] == "已确认"
    with store.session() as s:
        assert reviews.list_items(s) == []
        decided = reviews.list_items(s, status=None)
    assert {d["status"] for d in decided} == {"confirmed", "dismissed"}
    assert next(d for d in decided if d["status"] == "dismissed")["decided_by"] == "王科长"
    with store.session() as s:
        reviews.reopen(s, id_item["key"], by="王科长")
    assert personal(pipeline.inspect_run(store, run_id))["status"] == "warn"


def test_refusals_are_clear(store: Store):
    with store.session() as s:
        with pytest.raises(reviews.ReviewError, match="没有编号"):
            reviews.confirm(s, "ffffffffffff", by="甲")
        with pytest.raises(reviews.ReviewError, match="核实人"):
            reviews.dismiss(s, "ffffffffffff", by=" ")
        with pytest.raises(reviews.ReviewError, match="未知的核实状态"):
            reviews.list_items(s, status="maybe")


def test_cli_lists_confirms_and_dismisses(store: Store, monkeypatch: pytest.MonkeyPatch, capsys):
    run_id = stored_run(store, monkeypatch)
    pipeline.inspect_run(store, run_id)
    assert cli.main(["review", "list", "--db", store.url, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 2
    assert cli.main(["review", "list", "--db", store.url]) == 0
    text = capsys.readouterr().out
    assert "personal-data" in text and ID_NUMBER not in text and "待核实" in text
    key = items[0]["key"]
    assert cli.main(["review", "dismiss", key, "--by", "李四", "--db", store.url]) == 0
    assert "已排除" in capsys.readouterr().out
    assert cli.main(["review", "confirm", "nonexistent-key", "--by", "李四", "--db", store.url]) == 2
    assert "没有编号" in capsys.readouterr().err
    assert cli.main(["review", "list", "--status", "dismissed", "--db", store.url, "--json"]) == 0
    assert [i["key"] for i in json.loads(capsys.readouterr().out)] == [key]


def test_bad_lexicon_is_a_config_error_before_anything_is_stored(tmp_path, capsys, monkeypatch):
    lex = tmp_path / "lex.yaml"
    lex.write_text("sources: {a: 来源}\nexpressions:\n  - {wrong: 甲乙, right: 甲丙, tier: 一般}\n", encoding="utf-8")
    scoring = tmp_path / "scoring.yaml"
    from pathlib import Path

    base = (Path(__file__).resolve().parent.parent / "config" / "scoring.yaml").read_text(encoding="utf-8")
    scoring.write_text(base.replace("lexicon_file: lexicon.yaml", f"lexicon_file: {lex}"), encoding="utf-8")
    db = tmp_path / "x.db"
    code = cli.main(["inspect", "--config", str(Path(__file__).resolve().parent.parent / "config" / "sites.yaml"),
                     "--db", f"sqlite:///{db}", "--scoring", str(scoring), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "lex.yaml:3" in err and "source" in err
    assert not db.exists()


def test_pipeline_stores_attachment_text_compressed(store: Store, monkeypatch: pytest.MonkeyPatch):
    run_id = stored_run(store, monkeypatch)
    from sqlalchemy import select

    from store.models import Attachment

    with store.session() as s:
        rows = s.scalars(select(Attachment).where(Attachment.run_id == run_id)).all()
    assert len(rows) == 1 and rows[0].kind == "pdf"
    assert "13912345678" in zlib.decompress(rows[0].text).decode()
