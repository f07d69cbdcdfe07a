"""Alerts to a unit's contacts: e-mail (SMTP from console.yaml) and 企业微信 / 钉钉 group-robot webhooks.

A finished job only *records* alerts (`raise_for_run`); `deliver_due` sends what is due in a thread of its own
and reschedules failures with a growing delay, so a dead mail server never holds up an inspection. Alert text is
made from the configuration and the scores only (site names, counts), never from crawled content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import smtplib
import time
import urllib.parse
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from sqlalchemy import select, update

from govaudit.settings import Settings, Webhook
from store.models import Alert, utcnow

log = logging.getLogger(__name__)
CONSOLE_HINT = "请登录政府网站检查控制台查看详情。"


def _has_notice(site: dict[str, Any]) -> bool:
    # the same rule as reports.render: a tested site with at least one veto or failing finding gets a notice
    from reports.recheck import KIND_FAIL, KIND_VETO, finding_kind

    if site.get("verdict") == "未检测":
        return False
    return any(finding_kind(c, f) in (KIND_VETO, KIND_FAIL) and not f.get("waived")
               for c in site.get("checks") or [] if c.get("status") == "fail" for f in c.get("findings") or [])


def _record(session: Any, settings: Settings, *, event: str, unit: str, site_id: str, subject: str, body: str,
            job_id: int | None) -> int:
    contacts = settings.units.get(unit)
    if contacts is None:
        return 0
    n = 0
    for addr in contacts.emails:
        session.add(Alert(event=event, unit=unit, site_id=site_id, channel="email", target=addr, subject=subject,
                          body=body, job_id=job_id))
        n += 1
    for hook in contacts.webhooks:
        session.add(Alert(event=event, unit=unit, site_id=site_id, channel=hook.kind, target=hook.name,
                          subject=subject, body=body, job_id=job_id))
        n += 1
    return n


def raise_for_run(store: Any, settings: Settings, *, results: dict[str, Any], previous: dict[str, Any] | None,
                  recheck: dict[str, Any] | None, job_id: int | None, is_recheck: bool) -> int:
    """Record the alerts a judged run gives rise to: a notice issued (inspections), a re-check finished, a veto
    that the previous judgement of the site did not have. Returns how many were recorded."""
    prev_sites = {s["id"]: s for s in (previous or {}).get("sites") or []}
    run_id = results["run"]["id"]
    n = 0
    with store.session() as s:
        for site in results["sites"]:
            unit, name, sid = site.get("unit") or "", site.get("name") or site["id"], site["id"]
            score = "—" if site.get("score") is None else f"{site['score']:.1f} 分"
            if is_recheck and recheck is not None:
                counts = (recheck.get("sites") or {}).get(sid, {}).get("counts") or {}
                parts = "，".join(f"{k} {v} 项" for k, v in counts.items() if v) or "无变化"
                n += _record(s, settings, event="recheck", unit=unit, site_id=sid,
                             subject=f"【复查完成】{name}",
                             body=f"{name} 整改复查已完成（检查编号 {run_id}）：{site['verdict']}，{score}；{parts}。"
                                  f"{CONSOLE_HINT}", job_id=job_id)
            elif not is_recheck and _has_notice(site):
                n += _record(s, settings, event="notice", unit=unit, site_id=sid,
                             subject=f"【整改通知】{name}",
                             body=f"{name} 在第 {run_id} 次检查中发现问题（{site['verdict']}，{score}），"
                                  f"已下发整改通知书，请按时限整改。{CONSOLE_HINT}", job_id=job_id)
            before = set((prev_sites.get(sid) or {}).get("vetoes") or [])
            new_vetoes = [v for v in site.get("vetoes") or [] if v not in before]
            if new_vetoes:
                titles = {c["id"]: c.get("failure_title") or c["id"] for c in site.get("checks") or []}
                n += _record(s, settings, event="veto", unit=unit, site_id=sid,
                             subject=f"【单项否决】{name}",
                             body=f"{name} 出现单项否决问题：{'、'.join(titles.get(v, v) for v in new_vetoes)}"
                                  f"（检查编号 {run_id}），网站判定为不合格。{CONSOLE_HINT}", job_id=job_id)
    return n


# ---------------------------------------------------------------------------------------------- delivery


def webhook_payload(text: str) -> dict[str, Any]:
    """The text message both group robots accept: 企业微信 {"msgtype":"text","text":{"content":…}}, and 钉钉 the
    same shape."""
    return {"msgtype": "text", "text": {"content": text}}


def _dingtalk_signed(url: str, secret: str, now_ms: int | None = None) -> str:
    # 钉钉 加签: sign = base64(HMAC-SHA256(secret, f"{timestamp}\n{secret}")), URL-encoded, on the URL
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def send_webhook(hook: Webhook, text: str, timeout: float = 10.0) -> None:
    import httpx

    url = hook.url
    if hook.kind == "dingtalk" and hook.secret_env and os.environ.get(hook.secret_env):
        url = _dingtalk_signed(url, os.environ[hook.secret_env])
    resp = httpx.post(url, json=webhook_payload(text), timeout=timeout, follow_redirects=False)
    resp.raise_for_status()
    try:
        data = resp.json()
    except ValueError:
        return
    # both robots answer HTTP 200 with an error code in the body when they refuse a message
    code = data.get("errcode", 0) if isinstance(data, dict) else 0
    if code not in (0, None):
        raise RuntimeError(f"机器人拒收：errcode={code} {data.get('errmsg', '')}")


def send_email(settings: Settings, to: str, subject: str, body: str) -> None:
    smtp = settings.smtp
    if smtp is None:
        raise RuntimeError("console.yaml 未配置 smtp，无法发送电子邮件")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, to, subject
    msg["Date"], msg["Message-ID"] = formatdate(localtime=True), make_msgid(domain="govaudit")
    msg.set_content(body)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, os.environ.get(smtp.password_env or "", ""))
        client.send_message(msg)


def _hook_for(settings: Settings, alert: Alert) -> Webhook | None:
    for hook in (settings.units.get(alert.unit) or _NO_CONTACTS).webhooks:
        if hook.name == alert.target and hook.kind == alert.channel:
            return hook
    return None


class _None:
    emails: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()


_NO_CONTACTS = _None()


def deliver_due(store: Any, settings: Settings, *, now: dt.datetime | None = None, limit: int = 20) -> int:
    """Send the alerts that are due; returns how many were sent. Safe to run in several processes: an alert is
    claimed (pending → sending) before it is sent."""
    now = now or utcnow()
    sent = 0
    with store.session() as s:
        due = [a.id for a in s.scalars(select(Alert).where(Alert.status == "pending", Alert.next_at <= now)
                                        .order_by(Alert.id).limit(limit))]
    for alert_id in due:
        with store.session() as s:
            claimed = s.execute(update(Alert).where(Alert.id == alert_id, Alert.status == "pending")
                                .values(status="sending")).rowcount
        if not claimed:
            continue
        with store.session() as s:
            alert = s.get(Alert, alert_id)
            assert alert is not None
            channel, target, subject, body = alert.channel, alert.target, alert.subject, alert.body
            hook = _hook_for(settings, alert) if channel != "email" else None
        error = ""
        try:
            if channel == "email":
                send_email(settings, target, subject, body)
            elif hook is None:
                raise RuntimeError("配置中已没有这个机器人地址")
            else:
                send_webhook(hook, f"{subject}\n{body}")
        except Exception as exc:  # noqa: BLE001 - recorded and retried, never raised into a job
            error = f"{type(exc).__name__}: {exc}"[:500]
        with store.session() as s:
            alert = s.get(Alert, alert_id)
            assert alert is not None
            alert.attempts += 1
            if not error:
                alert.status, alert.sent_at, alert.last_error = "sent", utcnow(), ""
                sent += 1
            else:
                alert.last_error = error
                if alert.attempts >= settings.alert_retries:
                    alert.status = "failed"
                else:
                    alert.status = "pending"
                    delay = settings.alert_backoff_s * (2 ** (alert.attempts - 1))
                    alert.next_at = utcnow() + dt.timedelta(seconds=delay)
                log.warning("alert %s to %s failed (%s): %s", alert_id, target, alert.attempts, error)
    return sent
