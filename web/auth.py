"""Accounts, passwords, sessions, CSRF tokens, API tokens, login throttling, the audit log.

- Passwords: argon2id (argon2-cffi's PasswordHasher defaults, RFC 9106 low-memory profile).
- Sessions: a random 256-bit token in an HttpOnly, SameSite=Lax cookie, signed with the console's secret
  (itsdangerous); the database keeps only its SHA-256, so a copy of the database opens no session.
- CSRF: every form carries HMAC(secret, session token); the login form (no session yet) a signed random value
  that must equal its cookie (double submit).
- API tokens: `ga_` + 256 random bits, shown once, stored as SHA-256 (a slow hash buys nothing against a random
  256-bit secret).
- Failed logins are counted per account and per address in the database (so two `serve` processes share them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from store.models import ApiToken, AuditEntry, LoginAttempt, User, WebSession, utcnow

ROLES = ("office", "department")
ROLE_NAMES = {"office": "市政务公开办", "department": "部门 / 区县"}
SESSION_COOKIE = "ga_session"
LOGIN_CSRF_COOKIE = "ga_login_csrf"
_hasher = PasswordHasher()
# verified against when the account does not exist, so an unknown name costs the same time as a wrong password
_DUMMY_HASH = _hasher.hash("govaudit-no-such-account")
MIN_PASSWORD = 10


class AuthError(Exception):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"密码至少 {MIN_PASSWORD} 个字符")


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def load_secret(data_dir: Path) -> bytes:
    """The console's secret: generated on first start into data_dir/session-secret, readable by its owner only.
    Two processes starting at once: O_EXCL lets one write it; the other reads it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "session-secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it: the secret is for the owner only
        for _ in range(50):
            data = path.read_bytes().strip()
            if data:
                return bytes.fromhex(data.decode())
            import time

            time.sleep(0.05)
        raise RuntimeError(f"{path} 为空") from None
    with os.fdopen(fd, "w") as fh:
        value = secrets.token_hex(32)
        fh.write(value + "\n")
    return bytes.fromhex(value)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Principal:
    """Who is asking: an account with its role and units; `via` is session or token."""

    id: int
    name: str
    role: str
    units: list[str] = field(default_factory=list)
    via: str = "session"
    session_token: str = ""

    @property
    def is_office(self) -> bool:
        return self.role == "office"

    def can_see_unit(self, unit: str | None) -> bool:
        return self.is_office or (unit is not None and unit in self.units)


class Auth:
    def __init__(self, store: Any, secret: bytes, *, session_hours: float = 12.0, max_failures_account: int = 5,
                 max_failures_address: int = 20, window_minutes: int = 15):
        self.store = store
        self.secret = secret
        self.signer = URLSafeTimedSerializer(secret, salt="govaudit-session")
        self.login_signer = URLSafeTimedSerializer(secret, salt="govaudit-login-csrf")
        self.session_hours = session_hours
        self.max_account, self.max_address = max_failures_account, max_failures_address
        self.window = dt.timedelta(minutes=window_minutes)

    # ---- users
    def add_user(self, name: str, role: str, units: list[str], password: str) -> int:
        if role not in ROLES:
            raise AuthError(f"角色应为 office 或 department，而不是 {role!r}")
        if role == "department" and not units:
            raise AuthError("部门账号至少要绑定一个单位（--unit）")
        name = name.strip()
        if not name or len(name) > 64:
            raise AuthError("账号名不能为空，且不超过 64 个字符")
        check_password_rules(password)
        with self.store.session() as s:
            if s.scalars(select(User).where(User.name == name)).first():
                raise AuthError(f"账号 {name} 已存在")
            u = User(name=name, role=role, units=list(units) if role == "department" else [],
                     password_hash=hash_password(password))
            s.add(u)
            s.flush()
            return u.id

    def set_password(self, user_id: int, password: str) -> None:
        check_password_rules(password)
        with self.store.session() as s:
            u = s.get(User, user_id)
            if u is None:
                raise AuthError("没有这个账号")
            u.password_hash = hash_password(password)
            for ws in s.scalars(select(WebSession).where(WebSession.user_id == user_id)):
                s.delete(ws)

    # ---- login
    def throttled(self, name: str, address: str) -> str | None:
        since = utcnow() - self.window
        with self.store.session() as s:
            by_name = s.scalar(select(func.count(LoginAttempt.id)).where(
                LoginAttempt.name == name, LoginAttempt.ok.is_(False), LoginAttempt.at >= since))
            by_addr = s.scalar(select(func.count(LoginAttempt.id)).where(
                LoginAttempt.address == address, LoginAttempt.ok.is_(False), LoginAttempt.at >= since))
        minutes = int(self.window.total_seconds() // 60)
        if by_name >= self.max_account:
            return f"该账号登录失败次数过多，请 {minutes} 分钟后再试"
        if by_addr >= self.max_address:
            return f"本机地址登录失败次数过多，请 {minutes} 分钟后再试"
        return None

    def login(self, name: str, password: str, address: str) -> tuple[str | None, str]:
        """(session token, '') on success; (None, Chinese reason) otherwise."""
        name = (name or "").strip()[:64]
        reason = self.throttled(name, address)
        if reason:
            return None, reason
        with self.store.session() as s:
            u = s.scalars(select(User).where(User.name == name)).first()
            ok = verify_password(u.password_hash if u else _DUMMY_HASH, password or "")
            ok = ok and u is not None and u.active
            s.add(LoginAttempt(name=name, address=address, ok=ok))
            s.add(AuditEntry(user=name or "-", address=address, action="login" if ok else "login.failed"))
            if not ok:
                return None, "账号或密码错误"
            assert u is not None
            token = secrets.token_urlsafe(32)
            s.add(WebSession(token_hash=sha256(token), user_id=u.id, address=address,
                             expires=utcnow() + dt.timedelta(hours=self.session_hours)))
            return token, ""

    def logout(self, token: str) -> None:
        with self.store.session() as s:
            for ws in s.scalars(select(WebSession).where(WebSession.token_hash == sha256(token))):
                s.delete(ws)

    def cookie_value(self, token: str) -> str:
        return self.signer.dumps(token)

    def from_cookie(self, value: str | None) -> Principal | None:
        if not value:
            return None
        try:
            token = self.signer.loads(value, max_age=int(self.session_hours * 3600))
        except BadSignature:
            return None
        with self.store.session() as s:
            ws = s.scalars(select(WebSession).where(WebSession.token_hash == sha256(str(token)))).first()
            if ws is None or ws.expires < utcnow():
                return None
            u = s.get(User, ws.user_id)
            if u is None or not u.active:
                return None
            return Principal(u.id, u.name, u.role, list(u.units or []), "session", str(token))

    def from_bearer(self, header: str | None) -> Principal | None:
        if not header or not header.lower().startswith("bearer "):
            return None
        token = header[7:].strip()
        if not token.startswith("ga_"):
            return None
        with self.store.session() as s:
            row = s.scalars(select(ApiToken).where(ApiToken.token_hash == sha256(token),
                                                   ApiToken.revoked.is_(False))).first()
            if row is None:
                return None
            u = s.get(User, row.user_id)
            if u is None or not u.active:
                return None
            row.last_used = utcnow()
            return Principal(u.id, u.name, u.role, list(u.units or []), "token")

    # ---- CSRF
    def csrf_token(self, principal: Principal) -> str:
        return hmac.new(self.secret, b"csrf:" + principal.session_token.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, principal: Principal, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(self.csrf_token(principal), str(value))

    def new_login_csrf(self) -> tuple[str, str]:
        raw = secrets.token_urlsafe(24)
        return raw, self.login_signer.dumps(raw)

    def check_login_csrf(self, form_value: str | None, cookie_value: str | None) -> bool:
        if not form_value or not cookie_value:
            return False
        try:
            raw = self.login_signer.loads(cookie_value, max_age=3600)
        except BadSignature:
            return False
        return hmac.compare_digest(str(raw), str(form_value))

    # ---- API tokens
    def new_api_token(self, user_id: int, name: str) -> str:
        token = "ga_" + secrets.token_urlsafe(32)
        with self.store.session() as s:
            s.add(ApiToken(user_id=user_id, name=name[:64] or "脚本", token_hash=sha256(token), prefix=token[:9]))
        return token


def audit(store: Any, who: Principal | str | None, address: str, action: str, target: str = "",
          **detail: Any) -> None:
    """One line of the audit log: who, what, when, from where."""
    name = who.name if isinstance(who, Principal) else (who or "-")
    with store.session() as s:
        s.add(AuditEntry(user=name, address=address, action=action, target=target, detail=detail))
