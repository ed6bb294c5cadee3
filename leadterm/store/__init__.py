"""Persistence: peewee models, queries and transactions. Hands out plain records."""

from leadterm.store.db import (
    OPERATIONAL_ERRORS,
    Checkpoints,
    StoreError,
    backup_to,
    checkpoints_aside,
    close_database,
    data_version,
    database,
    database_path,
    forget_inherited_connection,
    open_database,
    outside_failure,
    snapshot,
    thread_connection,
    write,
)

__all__ = ["OPERATIONAL_ERRORS", "Checkpoints", "StoreError", "backup_to", "checkpoints_aside", "close_database", "data_version", "database", "database_path", "forget_inherited_connection", "open_database", "outside_failure", "snapshot", "thread_connection", "write"]
