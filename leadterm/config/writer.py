"""Writing config.toml: validated first, atomically, keeping the previous file as .bak."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadterm.config.loader import parse_config

__all__ = ["write_config", "backup_path"]


def backup_path(path: Path) -> Path:
    """``config.toml`` -> ``config.toml.bak``, next to it."""
    return path.with_name(path.name + ".bak")


def write_config(path: Path, data: Mapping[str, Any]) -> Path | None:
    """Validate ``data`` (raising ConfigError, writing nothing, if it is invalid) and write it.

    The new text goes to a temporary file in the same folder and replaces ``path`` in one
    rename, so a reader never sees half a file. An existing file is first copied to
    ``config.toml.bak``; returns that backup's path, or None when there was no file before.
    """
    # imported here: every command loads this module, few write a config (shutil alone: 4 ms)
    import shutil

    import tomli_w

    path = Path(path)
    parse_config(data, source=str(path), path=path)
    text = tomli_w.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        # os.open with 0o666 lets the umask decide permissions, as a plain open() would.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        backup: Path | None = None
        if path.exists():
            backup = backup_path(path)
            shutil.copy2(path, backup)
            shutil.copymode(path, temporary)  # keep the permissions someone chose for it
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return backup
