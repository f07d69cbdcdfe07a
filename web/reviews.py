"""待核实: findings a machine cannot be sure of wait for the office (issue 12's review store, `store.reviews`),
confirmed or dismissed here exactly as with `govaudit review confirm|dismiss|reopen`. The routes exist only where
the review store does."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import Response


def add_review_routes(app: FastAPI, c: Any) -> bool:
    try:
        from store import reviews
    except ImportError:  # a store without the review table: nothing to offer
        return False
    from web.app import back, client_address, require_office
    from web.auth import Principal, audit

    pages = app.state.pages

    @app.get("/reviews", include_in_schema=False)
    def reviews_page(request: Request, status: str = "pending", p: Principal = Depends(require_office)) -> Response:
        if status not in (*reviews.STATUSES, "all"):
            status = "pending"
        with c.store.session() as s:
            items = reviews.list_items(s, status=None if status == "all" else status)
        names = {x.id: x.name for x in c.config.sites}
        return pages.render(request, "reviews.html.j2", items=items, status=status, names=names,
                            status_words=reviews.STATUS_WORDS)

    @app.post("/reviews/{key}/decide", include_in_schema=False)
    def reviews_decide(request: Request, key: str, decision: str = Form(""), note: str = Form(""),
                       p: Principal = Depends(require_office)) -> Response:
        act = {"confirm": reviews.confirm, "dismiss": reviews.dismiss, "reopen": reviews.reopen}.get(decision)
        if act is None:
            return back("/reviews", err="请选择确认、排除或重新待核实")
        try:
            with c.store.session() as s:
                item = act(s, key, by=p.name, note=note)
        except reviews.ReviewError as exc:
            return back("/reviews", err=str(exc))
        audit(c.store, p, client_address(request), f"review.{decision}", f"review:{item['key']}",
              site=item["site_id"], check=item["check_id"])
        return back("/reviews", msg=f"已{ {'confirm': '确认', 'dismiss': '排除', 'reopen': '改回待核实'}[decision] }："
                                    "下次评分（复查或重新检查）时生效")

    return True
