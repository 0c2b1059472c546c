"""Reading a delimited catalog file row by row, its columns found by their header names."""

import csv
from collections.abc import Iterator
from typing import TextIO

from kiosk.services.catalog_import.rows import CatalogFileUnreadable

# A product description (Shopify's "Body (HTML)") may exceed csv's default 128 KiB cell.
csv.field_size_limit(16 * 1024 * 1024)


class Cells:
    """One row's cells by canonical column name: None for a column the file does not have."""

    __slots__ = ("_indexes", "_values")

    def __init__(self, values: list[str], indexes: dict[str, int]):
        self._values = values
        self._indexes = indexes

    def get(self, name: str) -> str | None:
        index = self._indexes.get(name)
        if index is None:
            return None
        return self._values[index].strip() if index < len(self._values) else ""

    def has(self, name: str) -> bool:
        return name in self._indexes


class Table:
    """A CSV or TSV file whose first row names the columns.

    `columns` maps each canonical name to the header names that mean it (matched without
    regard to case or surrounding spaces); `required` ones must be there, else the file
    is refused whole (CatalogFileUnreadable) with what it lacks and what it starts with.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        columns: dict[str, tuple[str, ...]],
        required: tuple[str, ...],
        what: str,
        delimiter: str = ",",
    ):
        self._reader = csv.reader(stream, delimiter=delimiter)
        try:
            header = next(self._reader, None)
        except csv.Error as error:
            raise CatalogFileUnreadable(f"The file is not {what}: {error}.") from None
        if not header or not any(name.strip() for name in header):
            raise CatalogFileUnreadable(
                "The file is empty: its first line should name the columns."
            )
        found = {name.strip().casefold(): index for index, name in enumerate(header)}
        self.indexes: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        for name, aliases in columns.items():
            for alias in aliases:
                if alias.casefold() in found:
                    self.indexes[name] = found[alias.casefold()]
                    self.labels[name] = header[found[alias.casefold()]].strip()
                    break
        missing = [columns[name][0] for name in required if name not in self.indexes]
        if missing:
            first_line = ", ".join(name.strip() for name in header[:8])
            raise CatalogFileUnreadable(
                f"The file is not {what}: it has no "
                + " or ".join(f"“{name}”" for name in missing)
                + f" column (its first line reads: {first_line[:200]})."
            )

    def label(self, name: str) -> str:
        """The column's header as the file spells it, for messages."""
        return self.labels.get(name, name)

    def has(self, name: str) -> bool:
        return name in self.indexes

    def __iter__(self) -> Iterator[tuple[int, Cells]]:
        """(row number as a spreadsheet shows it, the header being row 1; the row's cells)."""
        number = 1
        try:
            for values in self._reader:
                number += 1
                if not any(value.strip() for value in values):
                    continue
                yield number, Cells(values, self.indexes)
        except csv.Error as error:
            raise CatalogFileUnreadable(f"Row {number + 1} cannot be read: {error}.") from None
