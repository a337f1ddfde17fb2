"""A start-up shortcut: is a SQLite database already at the newest migration?

Uses only the standard library, so `productops serve` need not import SQLAlchemy and
Alembic (most of a second) just to learn that there is nothing to do. Relies on the
convention that each migration's revision id is its file name's number (a test keeps it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def head_revision() -> str:
    """The newest migration's revision id, from the file names."""
    return max(path.name.split("_", 1)[0] for path in VERSIONS.glob("[0-9]*_*.py"))


def sqlite_is_current(database_url: str) -> bool:
    """True when `database_url` is a SQLite file whose schema is at the newest migration."""
    if not database_url.startswith("sqlite:///"):
        return False
    path = Path(database_url.removeprefix("sqlite:///"))
    if not path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and row[0] == head_revision()
