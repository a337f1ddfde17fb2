"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from storage.db import current_revision
from storage.search import is_index_object


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        opts = {
            "compare_type": True,
            "include_name": lambda name, type_, parent: not is_index_object(name),
        }
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_schema_is_at_head(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head


def test_every_table_carries_the_team_id(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:  # the FTS index is keyed by feedback.id
        if table.name == "slack_oauth_states":
            continue  # an OAuth state exists before Slack says which team installs
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert "team_id" in columns, table.name


def test_revision_ids_are_file_numbers_so_the_startup_check_holds(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config
    from storage.schema_check import head_revision, sqlite_is_current

    script = ScriptDirectory.from_config(alembic_config(engine))
    for revision in script.walk_revisions():
        assert revision.path.split("/")[-1].startswith(f"{revision.revision}_")
    assert head_revision() == script.get_current_head()
    if engine.dialect.name == "sqlite":
        assert sqlite_is_current(str(engine.url)) is True
    assert sqlite_is_current("sqlite:////nonexistent/x.db") is False
