"""config.toml: the SLA agreement between marketing and sales, as typed frozen objects."""

from __future__ import annotations

from leadterm.config.loader import (
    ConfigError,
    default_config_data,
    default_config_text,
    load_config,
    parse_config,
)
from leadterm.config.schema import *  # noqa: F403 - the schema's __all__ is part of ours
from leadterm.config.schema import __all__ as _schema_all
from leadterm.config.writer import write_config

__all__ = [
    *_schema_all,
    "ConfigError",
    "parse_config",
    "load_config",
    "default_config_text",
    "default_config_data",
    "write_config",
]
