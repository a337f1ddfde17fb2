"""stack and team settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stack_tool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('owner_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('cost_text', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('cost_amount', sa.Numeric(precision=20, scale=6), nullable=True),
    sa.Column('cost_currency', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('cost_period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('renewal_on', sa.Date(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'name_key', name='uq_stack_tool_team_name'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('stack_tool', schema=None) as batch_op:
        batch_op.create_index('ix_stack_tool_team_renewal', ['team_id', 'renewal_on'], unique=False)

    op.create_table('team_settings',
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('feedback_reactions', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('feedback_channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('default_timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('updated_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('team_id')
    )


def downgrade() -> None:
    op.drop_table('team_settings')
    with op.batch_alter_table('stack_tool', schema=None) as batch_op:
        batch_op.drop_index('ix_stack_tool_team_renewal')

    op.drop_table('stack_tool')
