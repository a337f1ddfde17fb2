"""summaries: the summary cache and the claim on posting a summary into its thread

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('latest_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prompt_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_count', sa.Integer(), nullable=False),
    sa.Column('model_calls', sa.Integer(), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint(
        'team_id', 'channel_id', 'scope', 'latest_ts', 'model', 'prompt_version',
        name='uq_conversation_summary_key',
    ),
    )
    with op.batch_alter_table('conversation_summary', schema=None) as batch_op:
        batch_op.create_index(
            'ix_conversation_summary_team_created', ['team_id', 'created_at'], unique=False
        )

    op.create_table('summary_post',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('summary_id', sa.Integer(), nullable=False),
    sa.Column('posted_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['summary_id'], ['conversation_summary.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'summary_id')
    )


def downgrade() -> None:
    op.drop_table('summary_post')
    with op.batch_alter_table('conversation_summary', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_summary_team_created')

    op.drop_table('conversation_summary')
