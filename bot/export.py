"""Writing exports: CSV (one row per item, lists joined) or JSON (the full structure)."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO


def write_feedback(rows: list[dict[str, Any]], sink: TextIO, format: str) -> None:
    """Write feedback rows as `csv` or `json`."""
    if format == "json":
        json.dump(rows, sink, ensure_ascii=False, indent=2)
        sink.write("\n")
        return
    columns = list(rows[0]) if rows else ["id"]
    writer = csv.DictWriter(sink, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: json.dumps(value, ensure_ascii=False)
                if isinstance(value, list | dict)
                else value
                for key, value in row.items()
            }
        )
