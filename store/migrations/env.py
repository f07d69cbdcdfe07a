"""Alembic environment: runs on the connection handed over by store.db.upgrade()."""

from alembic import context

from store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line: build an engine from the configured URL
    from store.db import database_url, make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or database_url())
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
