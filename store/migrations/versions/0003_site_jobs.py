"""site jobs: the state of one site's job (crawl, probes, inspection) when run by workers

Revision ID: sj0002
Revises: 0002
Create Date: 2026-12-01 21:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'sj0002'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('run_sites') as batch:
        batch.add_column(sa.Column('job', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('stage', sa.String(length=16), nullable=False, server_default=''))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('worker', sa.String(length=200), nullable=False, server_default=''))
        batch.add_column(sa.Column('heartbeat', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('run_sites') as batch:
        for name in ('priority', 'heartbeat', 'worker', 'attempts', 'stage', 'job'):
            batch.drop_column(name)
