"""Full-text search over feedback: SQLite FTS5 or PostgreSQL tsvector, behind one function.

The index lives outside the SQLModel tables (an FTS5 table kept in step by triggers, or a
GIN expression index), so Alembic creates it with `create_full_text_index`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, text
from sqlmodel import Session

FTS_TABLE = "feedback_fts"
PG_CONFIG = "english"
_FORGET_OLD = (
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text);"
)
_WORD = re.compile(r"\w+", re.UNICODE)


def create_full_text_index(conn: Connection) -> None:
    """Create the index and, on SQLite, the triggers that keep it in step with `feedback`."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE INDEX IF NOT EXISTS ix_feedback_fulltext ON feedback "
                f"USING gin (to_tsvector('{PG_CONFIG}', text))"
            )
        )
        return
    conn.execute(
        text(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "text, content='feedback', content_rowid='id', tokenize='porter unicode61')"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER IF NOT EXISTS feedback_fts_insert AFTER INSERT ON feedback BEGIN "
            f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
        )
    )
    conn.execute(
        text(
            f"CREATE TRIGGER IF NOT EXISTS feedback_fts_delete AFTER DELETE ON feedback BEGIN "
            f"{_FORGET_OLD} END"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER IF NOT EXISTS feedback_fts_update AFTER UPDATE OF text ON feedback "
            f"BEGIN {_FORGET_OLD} "
            f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END"
        )
    )


def drop_full_text_index(conn: Connection) -> None:
    """Undo `create_full_text_index`."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP INDEX IF EXISTS ix_feedback_fulltext"))
        return
    for trigger in ("feedback_fts_insert", "feedback_fts_delete", "feedback_fts_update"):
        conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
    conn.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


def is_index_object(name: str | None) -> bool:
    """True for the full-text index's own objects, which the models don't list."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name == "ix_feedback_fulltext")


def search_words(query: str) -> list[str]:
    """The words of a query, lower-cased, without FTS syntax."""
    return [w.lower() for w in _WORD.findall(query)][:32]


def search_feedback_ids(
    *,
    session: Session,
    team_id: str,
    query: str,
    limit: int = 50,
    any_word: bool = False,
    statuses: Sequence[str] | None = None,
) -> list[int]:
    """Ids of the team's feedback matching `query`, best first.

    All words must match, unless `any_word` (used to gather duplicate candidates).
    """
    words = search_words(query)
    if not words:
        return []
    joiner = " OR " if any_word else " AND "
    params: dict[str, object] = {"team": team_id, "limit": limit}
    status_sql = ""
    if statuses:
        keys = [f"s{i}" for i in range(len(statuses))]
        status_sql = f" AND f.status IN ({', '.join(':' + k for k in keys)})"
        params.update(dict(zip(keys, statuses, strict=True)))
    if session.get_bind().dialect.name == "postgresql":
        params["q"] = joiner.join(words).replace(" AND ", " & ").replace(" OR ", " | ")
        sql = (
            f"SELECT f.id FROM feedback f, to_tsquery('{PG_CONFIG}', :q) q "
            f"WHERE f.team_id = :team AND to_tsvector('{PG_CONFIG}', f.text) @@ q{status_sql} "
            f"ORDER BY ts_rank(to_tsvector('{PG_CONFIG}', f.text), q) DESC, f.id DESC "
            "LIMIT :limit"
        )
    else:
        params["q"] = joiner.join('"' + w.replace('"', "") + '"' for w in words)
        sql = (
            f"SELECT f.id FROM {FTS_TABLE} JOIN feedback f ON f.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH :q AND f.team_id = :team{status_sql} "
            f"ORDER BY bm25({FTS_TABLE}), f.id DESC LIMIT :limit"
        )
    return [int(row[0]) for row in session.execute(text(sql), params)]
