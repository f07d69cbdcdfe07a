"""Engine, sessions and schema upgrades. SQLite at var/govaudit.db by default; any SQLAlchemy URL works."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///var/govaudit.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("GOVAUDIT_DB") or DEFAULT_URL


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the report step read while a crawl writes; a crash loses at most the open transaction.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest alembic revision (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Workers on several machines start at once against one database: one of them upgrades the schema,
            # the others wait for it and then find nothing to do (the lock ends with the transaction).
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(74657)")
        cfg.attributes["connection"] = conn
        # "heads": migrations written side by side from the same parent (site jobs, the console) are all applied
        # without one having to be rebased on the other.
        command.upgrade(cfg, "heads")


class Store:
    """One database: engine plus a session factory, schema upgraded on open."""

    def __init__(self, url: str | None = None, *, migrate: bool = True):
        self.url = database_url(url)
        self.engine = make_engine(self.url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
