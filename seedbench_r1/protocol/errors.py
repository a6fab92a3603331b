"""Errors that name exactly where bad input is, so a user can fix a file without a debugger."""

from __future__ import annotations

from pathlib import Path


class SeedBenchError(Exception):
    """Base class of the project's own errors."""


class AnnotationError(SeedBenchError, ValueError):
    """A bad annotation row: names the file, the 1-based line, the sample id (when readable) and the field."""

    def __init__(
        self,
        path: str | Path,
        line: int | None,
        field: str | None,
        reason: str,
        sample_id: object = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        self.sample_id = sample_id
        where = self.path if line is None else f"{self.path}:{line}"
        parts = [where]
        if sample_id is not None:
            parts.append(f"sample {sample_id!r}")
        if field is not None:
            parts.append(f"field {field!r}")
        super().__init__(f"{': '.join(parts)}: {reason}")


def project_error(exc: BaseException) -> SeedBenchError | None:
    """The project's own error inside ``exc``: itself, or one a framework wrapped (tenacity's ``RetryError``
    raises ``from`` the last attempt's error; others chain with ``raise ... from`` or while handling)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, SeedBenchError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class UsageError(SeedBenchError):
    """A command-line value that cannot work (an output path that is a folder, a target that holds data)."""


class MediaError(SeedBenchError):
    """A clip or image that is missing, escapes the dataset root, or cannot be decoded under the protocol."""
