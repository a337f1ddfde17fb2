"""Alembic environment: runs migrations on the engine handed over by storage.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.search import is_index_object

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=lambda name, type_, parent: not is_index_object(name),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
