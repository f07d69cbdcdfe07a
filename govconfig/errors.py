"""The one configuration error: file, line, field and a Chinese reason (the CLI prints it and exits 2)."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A configuration problem, located: file, line and field."""

    def __init__(self, path: str | Path, line: int | None, field_name: str, message: str):
        self.path = str(path)
        self.line = line
        self.field = field_name
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field_name}: {message}" if field_name else f"{where}: {message}")
