"""attachments (extracted text of linked documents) and review_items (待核实 findings and the office's decisions)

Revision ID: 0003
Revises: sj0002 (after the console's 0002 and the site jobs' sj0002; re-chained on merge)
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = 'sj0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('truncated', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('text', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'site_id', 'url')
    )
    op.create_index(op.f('ix_attachments_run_id'), 'attachments', ['run_id'], unique=False)
    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('check_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_run_id', sa.Integer(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index(op.f('ix_review_items_site_id'), 'review_items', ['site_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_items_site_id'), table_name='review_items')
    op.drop_table('review_items')
    op.drop_index(op.f('ix_attachments_run_id'), table_name='attachments')
    op.drop_table('attachments')
