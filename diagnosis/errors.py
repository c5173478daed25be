"""Errors a user can act on: a code from the i18n table plus the file, row and column it concerns."""

from __future__ import annotations

from diagnosis.i18n import t


class IngestError(Exception):
    """A file that cannot be ingested, with a one-line reason in either language."""

    def __init__(self, code: str, *, file: str, row: int | None = None, column: str | None = None, **params: object):
        self.code = code
        self.file = file
        self.row = row
        self.column = column
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        where = []
        if self.row is not None:
            where.append(t("where.row", lang, row=self.row))
        if self.column is not None:
            where.append(t("where.column", lang, column=self.column))
        reason = t(f"error.{self.code}", lang, **self.params)
        return f"{'; '.join(where)}: {reason}" if where else reason
