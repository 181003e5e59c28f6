"""Errors a user can cause, with the place that caused them."""
from __future__ import annotations


class TermbaseError(Exception):
    """Bad input: a message naming the file and, where known, the line/column, row/cell or element."""

    exit_code = 1

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.where = where

    def location(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        location = ":".join(parts)
        return f"{location}: {self.where}" if self.where else location

    def __str__(self) -> str:
        if self.path is None and self.line is None and not self.where:
            return self.message
        return f"{self.location()}: {self.message}"


class NotStreamable(Exception):
    """A file that cannot be read concept by concept (e.g. a workbook whose concepts' rows are
    apart): the caller reads it whole instead."""


class UsageError(TermbaseError):
    """The command was called wrongly (exit code 2)."""

    exit_code = 2


class Finding:
    """A reported problem or warning with its location: `path:line: severity: message [check]`."""

    __slots__ = ("path", "line", "severity", "message", "check", "column", "where")

    def __init__(self, path, line, severity: str, message: str, check: str,
                 column: int | None = None, where: str | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.severity = severity
        self.message = message
        self.check = check
        self.column = column
        self.where = where

    def __str__(self) -> str:
        location = self.path or "<input>"
        if self.line is not None:
            location += f":{self.line}"
            if self.column is not None:
                location += f":{self.column}"
        if self.where:
            location += f": {self.where}"
        return f"{location}: {self.severity}: {self.message} [{self.check}]"

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __repr__(self) -> str:
        return f"Finding({str(self)!r})"


def malformed_xml(error, path) -> TermbaseError:
    """A TermbaseError for an lxml XMLSyntaxError: its line and column in the location, not the message."""
    import re

    line, column = error.position if getattr(error, "position", None) and error.position[0] else (None, None)
    message = getattr(error, "msg", None) or str(error)
    message = re.sub(r",? line \d+, column \d+.*$", "", message) or str(error)
    return TermbaseError(f"malformed XML: {message}", path, line or 1, column)
