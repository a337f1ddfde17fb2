"""digests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('rule_json', sa.Text(), nullable=False),
    sa.Column('rule_text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('tz', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('with_channel_summary', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'channel_id', name='uq_digest_subscription_team_channel')
    )
    op.create_table('digest_run',
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.PrimaryKeyConstraint('subscription_id', 'period')
    )
    # The digest's window queries on other features' tables.
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_team_triaged', ['team_id', 'first_triaged_at'], unique=False)
        batch_op.create_index('ix_feedback_team_status_votes', ['team_id', 'status', 'vote_count', 'number'], unique=False)

    with op.batch_alter_table('loop_notice', schema=None) as batch_op:
        batch_op.create_index('ix_loop_notice_team_sent', ['team_id', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('loop_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_loop_notice_team_sent')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_team_status_votes')
        batch_op.drop_index('ix_feedback_team_triaged')

    op.drop_table('digest_run')
    op.drop_table('digest_subscription')
