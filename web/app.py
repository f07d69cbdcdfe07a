"""The console: FastAPI app with server-rendered pages (Jinja2, the reports' templates and CSS) and a JSON API
under /api/. Every route goes through `require_user` (or `require_office`), and every object is looked up
through the user's scope: a department that asks for another unit's site, run, document, job or explanation gets
404, exactly as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import mimetypes
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.middleware.base import BaseHTTPMiddleware

from govaudit import jobs as jobs_mod
from govaudit import pipeline
from govaudit.config import Config, ConfigError, load_config
from govaudit.scheduler import CronError, describe, parse_cron
from govaudit.settings import Settings
from store.db import Store
from store.models import Alert, ApiToken, AuditEntry, Explanation, Job, Run, Schedule, User, utcnow
from web import charts
from web import data as D
from web.auth import (
    LOGIN_CSRF_COOKIE,
    ROLE_NAMES,
    SESSION_COOKIE,
    Auth,
    AuthError,
    Principal,
    audit,
    load_secret,
)
from workers.sitejobs import run_progress

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
REPORT_CSS = Path(__file__).resolve().parent.parent / "reports" / "templates" / "report.css"

# Pages: our own scripts and styles only; no frames; no plugins. Documents of a run (HTML reports written from
# crawled content) get a sandbox with no script at all.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOC_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"


@dataclass
class Console:
    store: Store
    config_path: str
    settings: Settings
    data_dir: Path
    auth: Auth
    engine: Any = None

    _cached: tuple[float, Config] | None = None

    @property
    def config(self) -> Config:
        """sites.yaml, re-read when the file changes (a site added or moved to another unit counts at once)."""
        try:
            mtime = Path(self.config_path).stat().st_mtime
        except OSError:
            mtime = -1.0
        if self._cached is None or self._cached[0] != mtime:
            try:
                self._cached = (mtime, load_config(self.config_path))
            except ConfigError as exc:
                if self._cached is None:
                    raise
                # a sites.yaml broken while serving: keep the last good one (and say so in the log)
                log.error("网站名录有误，继续使用上次有效的配置：%s", exc)
                self._cached = (mtime, self._cached[1])
        return self._cached[1]


class NeedLogin(Exception):
    pass


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "-")[:64]


# ---------------------------------------------------------------------------------------------- dependencies


def console(request: Request) -> Console:
    return request.app.state.console


async def require_user(request: Request) -> Principal:
    """The signed-in account (session cookie, or `Authorization: Bearer ga_…` for the API); a cookie session
    must also carry its CSRF token on every request that changes something."""
    c: Console = request.app.state.console
    principal = None
    if request.url.path.startswith("/api/"):
        principal = c.auth.from_bearer(request.headers.get("authorization"))
    if principal is None:
        principal = c.auth.from_cookie(request.cookies.get(SESSION_COOKIE))
    if principal is None:
        raise NeedLogin()
    if request.method not in ("GET", "HEAD", "OPTIONS") and principal.via == "session":
        token = request.headers.get("x-csrf-token")
        if token is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            token = (await request.form()).get("csrf_token")
        if not c.auth.check_csrf(principal, token if isinstance(token, str) else None):
            raise HTTPException(403, "表单已失效（缺少或错误的 CSRF 令牌），请刷新页面后重试")
    request.state.principal = principal
    return principal


async def require_office(principal: Principal = Depends(require_user)) -> Principal:
    if not principal.is_office:
        raise HTTPException(403, "只有市政务公开办账号可以进行此操作")
    return principal


# ---------------------------------------------------------------------------------------------- rendering


def make_env() -> jinja2.Environment:
    from reports.render import make_env as report_env

    env = report_env()
    env.loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(HERE / "templates")), env.loader])
    env.undefined = jinja2.ChainableUndefined
    env.globals.update(
        role_names=ROLE_NAMES,
        trigger_names=D.TRIGGER_NAMES,
        run_status=D.RUN_STATUS,
        job_status=jobs_mod.STATUS_NAMES,
        size_text=D.size_text,
    )
    env.filters["quote"] = lambda v: urllib.parse.quote(str(v))
    return env


class Pages:
    def __init__(self, env: jinja2.Environment):
        self.env = env

    def render(self, request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        principal = getattr(request.state, "principal", None)
        c: Console = request.app.state.console
        ctx.setdefault("flash", request.query_params.get("msg", "")[:200])
        ctx.setdefault("error", request.query_params.get("err", "")[:200])
        html = self.env.get_template(template).render(
            user=principal,
            csrf=c.auth.csrf_token(principal) if principal else "",
            path=request.url.path,
            reviews_enabled=getattr(request.app.state, "reviews", False),
            **ctx,
        )
        return HTMLResponse(html, status_code=status_code)


def back(url: str, *, msg: str = "", err: str = "") -> RedirectResponse:
    q = {k: v for k, v in (("msg", msg), ("err", err)) if v}
    return RedirectResponse(url + (("?" + urllib.parse.urlencode(q)) if q else ""), status_code=303)


# ---------------------------------------------------------------------------------------------- lookups


def scope_of(c: Console, p: Principal) -> D.Scope:
    return D.Scope(p, c.config)


def visible_run(c: Console, p: Principal, run_id: int) -> tuple[Run, list[str]]:
    """The run and the site ids of it this user may see; 404 when none."""
    with c.store.session() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise HTTPException(404, "没有这个检查")
        ids = scope_of(c, p).sites(list(run.site_ids or []))
        if not ids:
            raise HTTPException(404, "没有这个检查")
        return run, ids


def visible_site(c: Console, p: Principal, site_id: str) -> None:
    config_ids = {x.id for x in c.config.sites}
    with c.store.session() as s:
        stored = D.latest_site_result(s, site_id)
    if site_id not in config_ids and stored is None:
        raise HTTPException(404, "没有这个网站")
    unit = stored[0].get("unit") if stored else None
    if not scope_of(c, p).site(site_id, unit):
        raise HTTPException(404, "没有这个网站")


def visible_job(c: Console, p: Principal, job_id: int) -> Job:
    with c.store.session() as s:
        job = s.get(Job, job_id)
        if job is None:
            raise HTTPException(404, "没有这个任务")
        if not p.is_office:
            scope = scope_of(c, p)
            if job.kind != "recheck" or not all(scope.site(i) for i in job.site_ids):
                raise HTTPException(404, "没有这个任务")
        s.expunge(job)
        return job


def visible_explanation(c: Console, p: Principal, explanation_id: int) -> Explanation:
    with c.store.session() as s:
        e = s.get(Explanation, explanation_id)
        if e is None or not scope_of(c, p).site(e.site_id):
            raise HTTPException(404, "没有这条说明")
        s.expunge(e)
        return e


def filter_results(results: list[dict[str, Any]], scope: D.Scope) -> list[dict[str, Any]]:
    return [r for r in results if scope.site(r["id"], r.get("unit"))]


# ---------------------------------------------------------------------------------------------- explanations


EVIDENCE_URL = re.compile(r"^https?://[^\s<>\"']+$")


def find_finding(site: dict[str, Any], check_id: str, index: int) -> dict[str, Any] | None:
    for c in site.get("checks") or []:
        if c["id"] == check_id:
            findings = c.get("findings") or []
            if 0 <= index < len(findings):
                return findings[index]
    return None


def submit_job(
    c: Console,
    p: Principal,
    request: Request,
    *,
    kind: str,
    site_ids: list[str],
    params: dict[str, Any] | None = None,
) -> int:
    """A re-check or an inspection asked for in a page or through the API, with its audit entry (the same for
    both); raises jobs.JobRefused with the Chinese reason when it is refused."""
    job_id = jobs_mod.submit(
        c.store,
        c.config,
        c.settings,
        kind=kind,
        site_ids=site_ids,
        requested_by=p.name,
        params=params or {},
        engine=c.engine,
    )
    if kind == "recheck":
        action, target, details = "recheck.submit", f"site:{site_ids[0]}", {"job": job_id}
    else:
        action, target, details = "inspection.submit", f"job:{job_id}", {"sites": site_ids or "all"}
    audit(c.store, p, client_address(request), action, target, via=p.via, **details)
    return job_id


def add_explanation(
    c: Console,
    p: Principal,
    address: str,
    site_id: str,
    run_id: int,
    check_id: str,
    index: int,
    text: str,
    evidence_url: str,
) -> int:
    text = (text or "").strip()
    evidence_url = (evidence_url or "").strip()
    if not text:
        raise ValueError("请写明说明理由")
    if len(text) > 4000:
        raise ValueError("说明不超过 4000 字")
    if evidence_url and (not EVIDENCE_URL.match(evidence_url) or len(evidence_url) > 1000):
        raise ValueError("佐证链接应为 http:// 或 https:// 开头的网址")
    with c.store.session() as s:
        got = D.latest_site_result(s, site_id, run_id)
        if got is None:
            raise ValueError("没有这次检查的结果")
        finding = find_finding(got[0], check_id, index)
        if finding is None or str(finding.get("severity")) not in ("veto", "fail", "warn"):
            raise ValueError("只能对问题（扣分、单项否决、预警）作说明")
        key = pipeline.finding_fingerprint(check_id, finding)
        if s.scalars(
            select(Explanation).where(
                Explanation.site_id == site_id,
                Explanation.finding_key == key,
                Explanation.status.in_(("pending", "approved")),
            )
        ).first():
            raise ValueError("这个问题已有待审核或已认可的说明")
        e = Explanation(
            site_id=site_id,
            check_id=check_id,
            finding_key=key,
            run_id=run_id,
            text=text,
            evidence_url=evidence_url,
            created_by=p.name,
            finding={k: finding.get(k) for k in ("message", "url", "severity", "points")},
        )
        s.add(e)
        s.flush()
        eid = e.id
    audit(c.store, p, address, "explanation.add", f"site:{site_id}", explanation=eid, check=check_id)
    return eid


def mark_approved(c: Console, site_id: str, site: dict[str, Any]) -> dict[str, Any]:
    """Findings with an approved explanation are struck through at once; they stop costing points at the next
    scoring (marked ``next`` until then)."""
    import copy

    with c.store.session() as s:
        waive = pipeline.explanation_waiver(s, site_id)
    if waive is None:
        return site
    site = copy.deepcopy(site)
    for ch in site.get("checks") or []:
        for f in ch.get("findings") or []:
            if not f.get("waived"):
                info = waive(ch["id"], f)
                if info is not None:
                    f["waived"] = {**info, "next": True}
    return site


def decide_explanation(
    c: Console, p: Principal, address: str, explanation_id: int, approve: bool, note: str
) -> None:
    with c.store.session() as s:
        e = s.get(Explanation, explanation_id)
        if e is None:
            raise HTTPException(404, "没有这条说明")
        if e.status != "pending":
            raise ValueError("这条说明已经处理过")
        e.status = "approved" if approve else "rejected"
        e.decided_by, e.decided_at, e.decision_note = p.name, utcnow(), (note or "")[:2000]
        if approve:
            e.expires = utcnow() + dt.timedelta(days=c.settings.explanation_days)
    audit(
        c.store,
        p,
        address,
        "explanation.approve" if approve else "explanation.reject",
        f"explanation:{explanation_id}",
    )


def explanation_dict(e: Explanation) -> dict[str, Any]:
    lapsed = e.status == "approved" and e.expires is not None and e.expires <= utcnow()
    return {
        "id": e.id,
        "site_id": e.site_id,
        "check_id": e.check_id,
        "run_id": e.run_id,
        "finding": e.finding,
        "text": e.text,
        "evidence_url": e.evidence_url,
        "status": "lapsed" if lapsed else e.status,
        "created_by": e.created_by,
        "created": e.created.isoformat(timespec="seconds"),
        "decided_by": e.decided_by,
        "decision_note": e.decision_note,
        "expires": e.expires.date().isoformat() if e.expires else None,
    }


EXPLANATION_STATUS = {"pending": "待审核", "approved": "已认可", "rejected": "未认可", "lapsed": "已失效"}


# ---------------------------------------------------------------------------------------------- the app


def create_app(c: Console) -> FastAPI:
    app = FastAPI(
        title="政府网站检查控制台 API", version="1", openapi_url=None, docs_url=None, redoc_url=None
    )
    app.state.console = c
    pages = Pages(make_env())
    app.state.pages = pages

    class SecurityHeaders(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: Any) -> Response:
            response = await call_next(request)
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers.setdefault("Cache-Control", "no-store")
            return response

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"detail": "需要登录或 API 令牌"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        nxt = request.url.path if request.method == "GET" else "/"
        return RedirectResponse("/login?" + urllib.parse.urlencode({"next": nxt}), status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return pages.render(
            request, "error.html.j2", status_code=exc.status_code, code=exc.status_code, message=exc.detail
        )

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", "页面不存在")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": detail}, status_code=404)
        return pages.render(request, "error.html.j2", status_code=404, code=404, message=detail)

    # ------------------------------------------------------------------ public: login, static, health
    def login_form(request: Request, next: str, *, status_code: int = 200, **shown: Any) -> Response:
        """The login page with a fresh login CSRF token in its form and its cookie."""
        raw, signed = c.auth.new_login_csrf()
        resp = pages.render(
            request, "login.html.j2", status_code=status_code, login_csrf=raw, next=_safe_next(next), **shown
        )
        resp.set_cookie(
            LOGIN_CSRF_COOKIE,
            signed,
            httponly=True,
            samesite="strict",
            max_age=3600,
            secure=c.settings.secure_cookies or request.url.scheme == "https",
        )
        return resp

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        return login_form(request, next)

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        name: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
        next: str = Form("/"),
    ) -> Response:
        if not c.auth.check_login_csrf(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise HTTPException(403, "表单已失效（缺少或错误的 CSRF 令牌），请刷新页面后重试")
        token, reason = c.auth.login(name, password, client_address(request))
        if token is None:
            status = 429 if "过多" in reason else 401
            return login_form(request, next, status_code=status, error=reason, name=name[:64])
        resp = RedirectResponse(_safe_next(next), status_code=303)
        resp.set_cookie(
            SESSION_COOKIE,
            c.auth.cookie_value(token),
            httponly=True,
            samesite="lax",
            max_age=int(c.settings.session_hours * 3600),
            secure=c.settings.secure_cookies or request.url.scheme == "https",
            path="/",
        )
        resp.delete_cookie(LOGIN_CSRF_COOKIE)
        return resp

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, p: Principal = Depends(require_user)) -> Response:
        c.auth.logout(p.session_token)
        audit(c.store, p, client_address(request), "logout")
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        files = {
            "report.css": REPORT_CSS,
            "console.css": STATIC / "console.css",
            "console.js": STATIC / "console.js",
        }
        if name not in files:
            raise HTTPException(404, "页面不存在")
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return Response(
            files[name].read_bytes(),
            media_type=media + "; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # ------------------------------------------------------------------ pages
    @app.get("/", include_in_schema=False)
    def dashboard(request: Request, p: Principal = Depends(require_user)) -> Response:
        scope = scope_of(c, p)
        with c.store.session() as s:
            full_runs = D.runs_with_results(s, include_rechecks=False)
            latest = full_runs[0] if full_runs else None
            sites = filter_results(D.latest_results(s, latest.id), scope) if latest else []
            trend = D.trend(s, scope)
            jobs = _recent_jobs(s, scope, 8)
            if not p.is_office:
                # a department: the newest judgement of each of its sites, from any run (re-checks included)
                mine = []
                for site in c.config.sites:
                    if scope.site(site.id):
                        got = D.latest_site_result(s, site.id)
                        mine.append(
                            {
                                "id": site.id,
                                "name": site.name,
                                "unit": site.unit,
                                "result": got[0] if got else None,
                                "run": got[1] if got else None,
                            }
                        )
                pending = s.scalar(
                    select(func.count(Explanation.id)).where(
                        Explanation.site_id.in_([m["id"] for m in mine]), Explanation.status == "pending"
                    )
                )
                return pages.render(
                    request,
                    "department.html.j2",
                    mine=mine,
                    jobs=jobs,
                    pending=pending,
                    trend_svg=charts.trend_svg(trend),
                )
            pending = s.scalar(select(func.count(Explanation.id)).where(Explanation.status == "pending"))
        ranked = D.rank(sites)
        by_check = D.problems_by_check(sites)
        return pages.render(
            request,
            "dashboard.html.j2",
            reviews=_pending_reviews(c),
            run=latest,
            summary=D.summary(sites),
            ranking=ranked,
            by_check=by_check,
            trend=trend,
            trend_svg=charts.trend_svg(trend),
            bars_svg=charts.bars_svg(by_check[:12]),
            jobs=jobs,
            pending=pending,
        )

    @app.get("/runs", include_in_schema=False)
    def runs_page(request: Request, p: Principal = Depends(require_user)) -> Response:
        scope = scope_of(c, p)
        rows = []
        with c.store.session() as s:
            judged = {r.id for r in D.runs_with_results(s)}
            for run in s.scalars(select(Run).order_by(Run.id.desc()).limit(200)):
                ids = scope.sites(list(run.site_ids or []))
                if not ids:
                    continue
                sites = filter_results(D.latest_results(s, run.id), scope) if run.id in judged else []
                rows.append(
                    {
                        "run": run,
                        "sites": len(ids),
                        "summary": D.summary(sites) if sites else None,
                        # how far an unfinished run is, over the sites this account may see
                        "progress": None if run.status == "complete" else run_progress(c.store, run.id, ids),
                    }
                )
        return pages.render(request, "runs.html.j2", rows=rows)

    @app.get("/runs/{run_id}", include_in_schema=False)
    def run_page(request: Request, run_id: int, p: Principal = Depends(require_user)) -> Response:
        run, ids = visible_run(c, p, run_id)
        scope = scope_of(c, p)
        with c.store.session() as s:
            everyone = D.latest_results(s, run_id)
            root = D.report_dir(s, run_id)
            job = s.scalars(select(Job).where(Job.run_id == run_id)).first()
        sites = filter_results(everyone, scope)
        progress = run_progress(c.store, run_id, ids)
        # a department sees its own sites' places in the whole ranking (as the report tells it), nobody else's row
        ranking = filter_results(D.rank(everyone), scope)
        docs = D.documents(root, list(run.site_ids or []), scope) if root else []
        return pages.render(
            request,
            "run.html.j2",
            run=run,
            progress=progress,
            summary=D.summary(sites),
            ranking=ranking,
            by_check=D.problems_by_check(sites),
            docs=docs,
            job=job if job and (p.is_office or job.kind == "recheck") else None,
        )

    @app.get("/runs/{run_id}/files/{path:path}", include_in_schema=False)
    def run_file(request: Request, run_id: int, path: str, p: Principal = Depends(require_user)) -> Response:
        run, _ = visible_run(c, p, run_id)
        with c.store.session() as s:
            root = D.report_dir(s, run_id)
        if root is None:
            raise HTTPException(404, "这次检查没有可下载的文件")
        allowed = {d["path"] for d in D.documents(root, list(run.site_ids or []), scope_of(c, p))}
        if path not in allowed:
            raise HTTPException(404, "没有这个文件")
        full = (root / path).resolve()
        if root.resolve() not in full.parents:
            raise HTTPException(404, "没有这个文件")
        media = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
        inline = (
            media in ("text/html", "application/pdf", "image/png")
            and request.query_params.get("download") != "1"
        )
        headers = {"Content-Security-Policy": DOC_CSP}
        audit(c.store, p, client_address(request), "download", f"run:{run_id}/{path}")
        return FileResponse(
            full,
            media_type=media,
            headers=headers,
            filename=full.name,
            content_disposition_type="inline" if inline else "attachment",
        )

    @app.get("/sites/{site_id}", include_in_schema=False)
    def site_page(
        request: Request, site_id: str, run: int | None = None, p: Principal = Depends(require_user)
    ) -> Response:
        from reports.recheck import diff_site
        from reports.render import _site_view

        visible_site(c, p, site_id)
        with c.store.session() as s:
            got = D.latest_site_result(s, site_id, run)
            history = D.site_history(s, site_id)
            explanations = [
                explanation_dict(e)
                for e in s.scalars(
                    select(Explanation).where(Explanation.site_id == site_id).order_by(Explanation.id.desc())
                )
            ]
            rechecks = s.scalars(
                select(Job).where(Job.lane == f"recheck:{site_id}").order_by(Job.id.desc()).limit(10)
            ).all()
            run_row = s.get(Run, got[1]) if got else None
            root = D.report_dir(s, got[1]) if got else None
            previous = None
            if got:
                prev = pipeline.previous_results(c.store, got[1], [site_id])
                previous = prev["sites"][0] if prev else None
        site_cfg = next((x for x in c.config.sites if x.id == site_id), None)
        if got:
            got = (mark_approved(c, site_id, got[0]), got[1])
        view = _site_view(got[0], diff_site(previous, got[0]) if previous else None) if got else None
        explained = {
            (e["check_id"], (e["finding"] or {}).get("message"), (e["finding"] or {}).get("url"))
            for e in explanations
            if e["status"] in ("pending", "approved")
        }
        problems = []
        if got:
            for ch in got[0].get("checks") or []:
                for i, f in enumerate(ch.get("findings") or []):
                    if str(f.get("severity")) in ("veto", "fail", "warn") and ch.get("status") not in (
                        "not_tested",
                        "error",
                    ):
                        problems.append(
                            {
                                "check": ch,
                                "index": i,
                                "finding": f,
                                "explained": (ch["id"], f.get("message"), f.get("url")) in explained,
                            }
                        )
        run_info = pipeline.run_info(run_row, run_row.as_of) if run_row else {}
        # the pictures of the offending pages that the run's notices carry (screenshots/<site>-N.png)
        shots = [
            d["path"]
            for d in (
                D.documents(root, list(run_row.site_ids or []), scope_of(c, p)) if root and run_row else []
            )
            if d["path"].startswith("screenshots/") and D.file_sites(d["path"], {site_id}) == {site_id}
        ]
        return pages.render(
            request,
            "site.html.j2",
            screenshots=shots,
            site_id=site_id,
            site_cfg=site_cfg,
            view=view,
            result=got[0] if got else None,
            run_id=got[1] if got else None,
            run=run_info,
            history=history,
            explanations=explanations,
            problems=problems,
            rechecks=rechecks,
            explanation_status=EXPLANATION_STATUS,
            per_hour=c.settings.recheck_per_hour,
        )

    @app.post("/sites/{site_id}/recheck", include_in_schema=False)
    def site_recheck(request: Request, site_id: str, p: Principal = Depends(require_user)) -> Response:
        visible_site(c, p, site_id)
        try:
            job_id = submit_job(c, p, request, kind="recheck", site_ids=[site_id])
        except jobs_mod.JobRefused as exc:
            return back(f"/sites/{site_id}", err=str(exc))
        return back(f"/jobs/{job_id}", msg="复查已提交，正在排队")

    @app.post("/sites/{site_id}/explanations", include_in_schema=False)
    def site_explain(
        request: Request,
        site_id: str,
        run_id: int = Form(...),
        check_id: str = Form(...),
        index: int = Form(...),
        text: str = Form(""),
        evidence_url: str = Form(""),
        p: Principal = Depends(require_user),
    ) -> Response:
        visible_site(c, p, site_id)
        try:
            add_explanation(
                c, p, client_address(request), site_id, run_id, check_id, index, text, evidence_url
            )
        except ValueError as exc:
            return back(f"/sites/{site_id}", err=str(exc))
        return back(f"/sites/{site_id}", msg="说明已提交，等待市政务公开办审核")

    @app.get("/jobs", include_in_schema=False)
    def jobs_page(request: Request, p: Principal = Depends(require_user)) -> Response:
        with c.store.session() as s:
            rows = _recent_jobs(s, scope_of(c, p), 100)
        return pages.render(request, "jobs.html.j2", rows=rows, sites=c.config.sites)

    @app.post("/jobs", include_in_schema=False)
    def jobs_start(
        request: Request,
        site_ids: list[str] = Form(default=[]),
        as_of: str = Form(""),
        p: Principal = Depends(require_office),
    ) -> Response:
        params = {}
        if as_of:
            try:
                params["as_of"] = dt.date.fromisoformat(as_of).isoformat()
            except ValueError:
                return back("/jobs", err=f"检查基准日格式应为 YYYY-MM-DD：{as_of[:20]}")
        try:
            job_id = submit_job(c, p, request, kind="inspection", site_ids=site_ids, params=params)
        except jobs_mod.JobRefused as exc:
            return back("/jobs", err=str(exc))
        return back(f"/jobs/{job_id}", msg="检查已提交")

    @app.get("/jobs/{job_id}", include_in_schema=False)
    def job_page(request: Request, job_id: int, p: Principal = Depends(require_user)) -> Response:
        job = visible_job(c, p, job_id)
        recheck = None
        if job.status == "done" and job.run_id and job.kind == "recheck":
            recheck = _recheck_view(c, job)
        names = {x.id: x.name for x in c.config.sites}
        return pages.render(request, "job.html.j2", job=job, recheck=recheck, names=names)

    @app.get("/schedules", include_in_schema=False)
    def schedules_page(request: Request, p: Principal = Depends(require_office)) -> Response:
        with c.store.session() as s:
            rows = [describe(x, c.settings) for x in s.scalars(select(Schedule).order_by(Schedule.id))]
        return pages.render(
            request, "schedules.html.j2", rows=rows, tz=c.settings.timezone, sites=c.config.sites
        )

    @app.post("/schedules", include_in_schema=False)
    def schedules_add(
        request: Request,
        name: str = Form(""),
        cron: str = Form(""),
        site_ids: list[str] = Form(default=[]),
        p: Principal = Depends(require_office),
    ) -> Response:
        try:
            sid = save_schedule(c, None, name, cron, site_ids, True)
        except ValueError as exc:
            return back("/schedules", err=str(exc))
        audit(c.store, p, client_address(request), "schedule.add", f"schedule:{sid}", cron=cron)
        return back("/schedules", msg="定时检查已保存")

    @app.post("/schedules/{schedule_id}", include_in_schema=False)
    def schedules_edit(
        request: Request,
        schedule_id: int,
        name: str = Form(""),
        cron: str = Form(""),
        site_ids: list[str] = Form(default=[]),
        enabled: str = Form(""),
        p: Principal = Depends(require_office),
    ) -> Response:
        try:
            save_schedule(c, schedule_id, name, cron, site_ids, enabled == "1")
        except ValueError as exc:
            return back("/schedules", err=str(exc))
        audit(
            c.store,
            p,
            client_address(request),
            "schedule.edit",
            f"schedule:{schedule_id}",
            cron=cron,
            enabled=enabled == "1",
        )
        return back("/schedules", msg="定时检查已修改")

    @app.post("/schedules/{schedule_id}/delete", include_in_schema=False)
    def schedules_delete(
        request: Request, schedule_id: int, p: Principal = Depends(require_office)
    ) -> Response:
        with c.store.session() as s:
            row = s.get(Schedule, schedule_id)
            if row is None:
                raise HTTPException(404, "没有这个定时检查")
            s.delete(row)
        audit(c.store, p, client_address(request), "schedule.delete", f"schedule:{schedule_id}")
        return back("/schedules", msg="定时检查已删除")

    @app.get("/explanations", include_in_schema=False)
    def explanations_page(request: Request, p: Principal = Depends(require_user)) -> Response:
        scope = scope_of(c, p)
        with c.store.session() as s:
            rows = [
                explanation_dict(e)
                for e in s.scalars(select(Explanation).order_by(Explanation.id.desc()))
                if scope.site(e.site_id)
            ]
        names = {x.id: x.name for x in c.config.sites}
        return pages.render(
            request, "explanations.html.j2", rows=rows, names=names, explanation_status=EXPLANATION_STATUS
        )

    @app.post("/explanations/{explanation_id}/decide", include_in_schema=False)
    def explanations_decide(
        request: Request,
        explanation_id: int,
        decision: str = Form(""),
        note: str = Form(""),
        p: Principal = Depends(require_office),
    ) -> Response:
        if decision not in ("approve", "reject"):
            return back("/explanations", err="请选择认可或不认可")
        try:
            decide_explanation(c, p, client_address(request), explanation_id, decision == "approve", note)
        except ValueError as exc:
            return back("/explanations", err=str(exc))
        return back("/explanations", msg="已处理")

    @app.get("/users", include_in_schema=False)
    def users_page(request: Request, p: Principal = Depends(require_office)) -> Response:
        with c.store.session() as s:
            rows = s.scalars(select(User).order_by(User.role.desc(), User.name)).all()
        units = sorted({x.unit for x in c.config.sites})
        return pages.render(request, "users.html.j2", rows=rows, units=units)

    @app.post("/users", include_in_schema=False)
    def users_add(
        request: Request,
        name: str = Form(""),
        role: str = Form(""),
        units: list[str] = Form(default=[]),
        password: str = Form(""),
        p: Principal = Depends(require_office),
    ) -> Response:
        try:
            uid = c.auth.add_user(name, role, units, password)
        except AuthError as exc:
            return back("/users", err=str(exc))
        audit(
            c.store, p, client_address(request), "user.add", f"user:{uid}", name=name, role=role, units=units
        )
        return back("/users", msg=f"账号 {name} 已创建")

    @app.post("/users/{user_id}", include_in_schema=False)
    def users_edit(
        request: Request,
        user_id: int,
        active: str = Form(""),
        units: list[str] = Form(default=[]),
        password: str = Form(""),
        p: Principal = Depends(require_office),
    ) -> Response:
        with c.store.session() as s:
            u = s.get(User, user_id)
            if u is None:
                raise HTTPException(404, "没有这个账号")
            if u.id == p.id and active != "1":
                return back("/users", err="不能停用自己的账号")
            u.active = active == "1"
            if u.role == "department":
                if not units:
                    return back("/users", err="部门账号至少要绑定一个单位")
                u.units = list(units)
        if password:
            try:
                c.auth.set_password(user_id, password)
            except AuthError as exc:
                return back("/users", err=str(exc))
        audit(
            c.store,
            p,
            client_address(request),
            "user.edit",
            f"user:{user_id}",
            active=active == "1",
            units=units,
            password_reset=bool(password),
        )
        return back("/users", msg="账号已修改")

    @app.get("/account", include_in_schema=False)
    def account_page(request: Request, p: Principal = Depends(require_user)) -> Response:
        with c.store.session() as s:
            tokens = s.scalars(
                select(ApiToken).where(ApiToken.user_id == p.id).order_by(ApiToken.id.desc())
            ).all()
        return pages.render(request, "account.html.j2", tokens=tokens, new_token=None)

    @app.post("/account/tokens", include_in_schema=False)
    def account_token(
        request: Request, name: str = Form(""), p: Principal = Depends(require_user)
    ) -> Response:
        token = c.auth.new_api_token(p.id, name.strip())
        audit(c.store, p, client_address(request), "token.add", f"user:{p.id}", name=name[:64])
        with c.store.session() as s:
            tokens = s.scalars(
                select(ApiToken).where(ApiToken.user_id == p.id).order_by(ApiToken.id.desc())
            ).all()
        return pages.render(request, "account.html.j2", tokens=tokens, new_token=token)

    @app.post("/account/tokens/{token_id}/revoke", include_in_schema=False)
    def account_token_revoke(
        request: Request, token_id: int, p: Principal = Depends(require_user)
    ) -> Response:
        with c.store.session() as s:
            row = s.get(ApiToken, token_id)
            if row is None or row.user_id != p.id:
                raise HTTPException(404, "没有这个令牌")
            row.revoked = True
        audit(c.store, p, client_address(request), "token.revoke", f"token:{token_id}")
        return back("/account", msg="令牌已停用")

    @app.post("/account/password", include_in_schema=False)
    def account_password(
        request: Request, old: str = Form(""), new: str = Form(""), p: Principal = Depends(require_user)
    ) -> Response:
        with c.store.session() as s:
            u = s.get(User, p.id)
            from web.auth import verify_password

            ok = u is not None and verify_password(u.password_hash, old)
        if not ok:
            return back("/account", err="原密码错误")
        try:
            c.auth.set_password(p.id, new)
        except AuthError as exc:
            return back("/account", err=str(exc))
        audit(c.store, p, client_address(request), "password.change", f"user:{p.id}")
        return back("/login", msg="密码已修改，请重新登录")

    @app.get("/audit", include_in_schema=False)
    def audit_page(request: Request, p: Principal = Depends(require_office)) -> Response:
        with c.store.session() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(300)).all()
        return pages.render(request, "audit.html.j2", rows=rows)

    @app.get("/alerts", include_in_schema=False)
    def alerts_page(request: Request, p: Principal = Depends(require_office)) -> Response:
        with c.store.session() as s:
            rows = s.scalars(select(Alert).order_by(Alert.id.desc()).limit(300)).all()
        return pages.render(request, "alerts.html.j2", rows=rows)

    api_routes(app, c)
    from web.reviews import add_review_routes

    app.state.reviews = add_review_routes(app, c)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(p: Principal = Depends(require_user)) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app


def _pending_reviews(c: Console) -> int | None:
    try:
        from store import reviews
    except ImportError:
        return None
    with c.store.session() as s:
        return len(reviews.list_items(s, status="pending"))


def _safe_next(value: str) -> str:
    # only a path of this console: never //host or a scheme (no open redirect)
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:300]


def _recent_jobs(s: Any, scope: D.Scope, limit: int) -> list[Job]:
    rows = []
    for j in s.scalars(select(Job).order_by(Job.id.desc()).limit(limit * 5)):
        if scope.principal.is_office or (j.kind == "recheck" and all(scope.site(i) for i in j.site_ids)):
            rows.append(j)
        if len(rows) >= limit:
            break
    return rows


def _recheck_view(c: Console, job: Job) -> dict[str, Any] | None:
    from reports.recheck import diff_site
    from reports.render import _recheck_view as view

    sid = job.site_ids[0]
    with c.store.session() as s:
        got = D.latest_site_result(s, sid, job.run_id)
    if got is None:
        return None
    prev = pipeline.previous_results(c.store, job.run_id, [sid])
    if prev is None:
        return {"first": True, "site": got[0]}
    return view(diff_site(prev["sites"][0], got[0]))


def save_schedule(
    c: Console, schedule_id: int | None, name: str, cron: str, site_ids: list[str], enabled: bool
) -> int:
    name, cron = (name or "").strip()[:64], " ".join((cron or "").split())
    if not name:
        raise ValueError("请填写名称")
    try:
        parse_cron(cron, c.settings.timezone)
    except CronError as exc:
        raise ValueError(str(exc)) from None
    known = {x.id for x in c.config.sites}
    unknown = [i for i in site_ids if i not in known]
    if unknown:
        raise ValueError(f"配置中没有这些网站：{'、'.join(unknown)}")
    with c.store.session() as s:
        if schedule_id is None:
            row = Schedule(name=name, cron=cron, site_ids=list(site_ids), enabled=enabled, since=utcnow())
            s.add(row)
        else:
            row = s.get(Schedule, schedule_id)
            if row is None:
                raise HTTPException(404, "没有这个定时检查")
            if row.cron != cron or (enabled and not row.enabled):
                row.since = utcnow()  # an edited or re-enabled schedule does not catch up on the past
            row.name, row.cron, row.site_ids, row.enabled = name, cron, list(site_ids), enabled
        s.flush()
        return row.id


# ---------------------------------------------------------------------------------------------- the API


class RecheckOut(BaseModel):
    job_id: int
    status: str


class InspectionIn(BaseModel):
    site_ids: list[str] = Field(default_factory=list, description="空表示配置中的全部网站")
    as_of: dt.date | None = None


class ExplanationIn(BaseModel):
    run_id: int
    check_id: str
    index: int = Field(description="该检查项 findings 中的序号（从 0 开始）")
    text: str
    evidence_url: str = ""


class DecisionIn(BaseModel):
    approve: bool
    note: str = ""


def api_routes(r: FastAPI, c: Console) -> None:
    """The JSON API, on the app itself (so the router lists every route with its full path)."""

    @r.get("/api/runs", tags=["runs"], summary="检查列表")
    def api_runs(p: Principal = Depends(require_user)) -> list[dict[str, Any]]:
        scope = scope_of(c, p)
        out = []
        with c.store.session() as s:
            for run in s.scalars(select(Run).order_by(Run.id.desc()).limit(500)):
                ids = scope.sites(list(run.site_ids or []))
                if ids:
                    out.append(
                        {
                            "id": run.id,
                            "as_of": run.as_of.isoformat(),
                            "trigger": run.trigger,
                            "status": run.status,
                            "started": run.started.isoformat(timespec="seconds"),
                            "site_ids": ids,
                        }
                    )
        return out

    @r.get("/api/runs/{run_id}", tags=["runs"], summary="一次检查的结果（results.json 形状，仅本单位网站）")
    def api_run(run_id: int, p: Principal = Depends(require_user)) -> dict[str, Any]:
        run, _ = visible_run(c, p, run_id)
        with c.store.session() as s:
            sites = filter_results(D.latest_results(s, run_id), scope_of(c, p))
            root = D.report_dir(s, run_id)
        docs = D.documents(root, list(run.site_ids or []), scope_of(c, p)) if root else []
        return {
            "run": pipeline.run_info(run, run.as_of),
            "sites": sites,
            "documents": [f"/runs/{run_id}/files/{d['path']}" for d in docs],
        }

    @r.get("/api/sites", tags=["sites"], summary="网站列表及最新结果")
    def api_sites(p: Principal = Depends(require_user)) -> list[dict[str, Any]]:
        scope = scope_of(c, p)
        out = []
        with c.store.session() as s:
            for site in c.config.sites:
                if not scope.site(site.id):
                    continue
                got = D.latest_site_result(s, site.id)
                out.append(
                    {
                        "id": site.id,
                        "name": site.name,
                        "unit": site.unit,
                        "url": site.url,
                        "level": site.level,
                        "run_id": got[1] if got else None,
                        "verdict": got[0].get("verdict") if got else None,
                        "score": got[0].get("score") if got else None,
                    }
                )
        return out

    @r.get("/api/sites/{site_id}", tags=["sites"], summary="网站最新（或指定检查）的结果")
    def api_site(
        site_id: str, run: int | None = None, p: Principal = Depends(require_user)
    ) -> dict[str, Any]:
        visible_site(c, p, site_id)
        with c.store.session() as s:
            got = D.latest_site_result(s, site_id, run)
            history = D.site_history(s, site_id)
        if got is None:
            raise HTTPException(404, "这个网站还没有检查结果")
        return {
            "run_id": got[1],
            "site": got[0],
            "history": [
                {
                    **h,
                    "as_of": h["as_of"].isoformat(),
                    "started": h["started"].isoformat(timespec="seconds") if h["started"] else None,
                }
                for h in history
            ],
        }

    @r.get("/api/sites/{site_id}/findings", tags=["findings"], summary="网站最新结果中的问题")
    def api_findings(site_id: str, p: Principal = Depends(require_user)) -> list[dict[str, Any]]:
        visible_site(c, p, site_id)
        with c.store.session() as s:
            got = D.latest_site_result(s, site_id)
        if got is None:
            return []
        out = []
        for ch in got[0].get("checks") or []:
            for i, f in enumerate(ch.get("findings") or []):
                if str(f.get("severity")) in ("veto", "fail", "warn"):
                    out.append({"run_id": got[1], "check_id": ch["id"], "index": i, **f})
        return out

    @r.post("/api/sites/{site_id}/rechecks", tags=["rechecks"], summary="申请整改复查", status_code=202)
    def api_recheck(request: Request, site_id: str, p: Principal = Depends(require_user)) -> RecheckOut:
        visible_site(c, p, site_id)
        try:
            job_id = submit_job(c, p, request, kind="recheck", site_ids=[site_id])
        except jobs_mod.JobRefused as exc:
            raise HTTPException(429 if "每小时" in str(exc) else 409, str(exc)) from None
        return RecheckOut(job_id=job_id, status="queued")

    @r.post("/api/inspections", tags=["rechecks"], summary="开始检查（市政务公开办）", status_code=202)
    def api_inspect(
        request: Request, body: InspectionIn, p: Principal = Depends(require_office)
    ) -> RecheckOut:
        params = {"as_of": body.as_of.isoformat()} if body.as_of else {}
        try:
            job_id = submit_job(c, p, request, kind="inspection", site_ids=body.site_ids, params=params)
        except jobs_mod.JobRefused as exc:
            raise HTTPException(409, str(exc)) from None
        return RecheckOut(job_id=job_id, status="queued")

    @r.get("/api/jobs", tags=["rechecks"], summary="任务列表")
    def api_jobs(p: Principal = Depends(require_user)) -> list[dict[str, Any]]:
        with c.store.session() as s:
            rows = _recent_jobs(s, scope_of(c, p), 100)
            return [jobs_mod.status(c.store, j.id).as_dict() for j in rows]

    @r.get("/api/jobs/{job_id}", tags=["rechecks"], summary="任务状态与进度")
    def api_job(job_id: int, p: Principal = Depends(require_user)) -> dict[str, Any]:
        visible_job(c, p, job_id)
        st = jobs_mod.status(c.store, job_id)
        assert st is not None
        return st.as_dict()

    @r.get("/api/explanations", tags=["explanations"], summary="说明列表")
    def api_explanations(p: Principal = Depends(require_user)) -> list[dict[str, Any]]:
        scope = scope_of(c, p)
        with c.store.session() as s:
            return [
                explanation_dict(e)
                for e in s.scalars(select(Explanation).order_by(Explanation.id.desc()))
                if scope.site(e.site_id)
            ]

    @r.post(
        "/api/sites/{site_id}/explanations", tags=["explanations"], summary="对问题作说明", status_code=201
    )
    def api_explain(
        request: Request, site_id: str, body: ExplanationIn, p: Principal = Depends(require_user)
    ) -> dict[str, Any]:
        visible_site(c, p, site_id)
        try:
            eid = add_explanation(
                c,
                p,
                client_address(request),
                site_id,
                body.run_id,
                body.check_id,
                body.index,
                body.text,
                body.evidence_url,
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return explanation_dict(visible_explanation(c, p, eid))

    @r.get("/api/explanations/{explanation_id}", tags=["explanations"], summary="一条说明")
    def api_explanation(explanation_id: int, p: Principal = Depends(require_user)) -> dict[str, Any]:
        return explanation_dict(visible_explanation(c, p, explanation_id))

    @r.post(
        "/api/explanations/{explanation_id}/decision",
        tags=["explanations"],
        summary="审核说明（市政务公开办）",
    )
    def api_decide(
        request: Request, explanation_id: int, body: DecisionIn, p: Principal = Depends(require_office)
    ) -> dict[str, Any]:
        try:
            decide_explanation(c, p, client_address(request), explanation_id, body.approve, body.note)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        return explanation_dict(visible_explanation(c, p, explanation_id))


def build(store: Store, config_path: str, settings: Settings, data_dir: Path, engine: Any = None) -> FastAPI:
    auth = Auth(
        store,
        load_secret(data_dir),
        session_hours=settings.session_hours,
        max_failures_account=settings.max_failures_account,
        max_failures_address=settings.max_failures_address,
        window_minutes=settings.window_minutes,
    )
    return create_app(Console(store, config_path, settings, data_dir, auth, engine))


__all__ = ["build", "create_app", "Console", "require_user", "require_office", "json"]
