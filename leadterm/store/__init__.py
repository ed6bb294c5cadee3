"""Persistence: peewee models, queries and transactions. Hands out plain records."""

from leadterm.store.db import StoreError, close_database, database, open_database, write

__all__ = ["StoreError", "close_database", "database", "open_database", "write"]
