"""Small named values kept with the data (rule fingerprints, flags)."""

from __future__ import annotations

from leadterm.store.db import database

__all__ = ["get_meta", "set_meta"]


def get_meta(key: str) -> str | None:
    row = database.obj.execute_sql("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(key: str, value: str) -> None:
    database.obj.execute_sql(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
