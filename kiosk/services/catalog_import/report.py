"""What an import did, or (dry run) would do."""

from dataclasses import dataclass, field

ERRORS_KEPT = 100
EXAMPLES_KEPT = 20


@dataclass
class ImportReport:
    file_format: str
    dry_run: bool
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    refused: int = 0
    # The first ERRORS_KEPT refused rows' messages ("Row 7, column “Barcode”: ..."); the
    # others are only counted in `refused`.
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A few of what was (would be) created and updated, for the preview.
    created_examples: list[str] = field(default_factory=list)
    updated_examples: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return (
            self.variants_created + self.variants_updated + self.variants_unchanged + self.refused
        )

    @property
    def errors_not_shown(self) -> int:
        return self.refused - len(self.errors)

    @property
    def changes(self) -> int:
        return (
            self.products_created
            + self.products_updated
            + self.variants_created
            + self.variants_updated
        )

    def refuse(self, message: str) -> None:
        self.refused += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(message)

    def example(self, kind: str, text: str) -> None:
        examples = self.created_examples if kind == "created" else self.updated_examples
        if len(examples) < EXAMPLES_KEPT:
            examples.append(text)

    def counts(self) -> dict[str, int]:
        """The numbers, for the desk's record of an import."""
        names = ("products", "variants")
        counted = {
            f"{name}_{what}": getattr(self, f"{name}_{what}")
            for name in names
            for what in ("created", "updated", "unchanged")
        }
        return counted | {"refused": self.refused}

    def summary(self) -> str:
        text = (
            f"Variants: {self.variants_created} created, {self.variants_updated} updated, "
            f"{self.variants_unchanged} unchanged, {self.refused} refused. "
            f"Products: {self.products_created} created, {self.products_updated} updated, "
            f"{self.products_unchanged} unchanged."
        )
        return f"Dry run, nothing saved. {text}" if self.dry_run else text

    def lines(self) -> list[str]:
        """The whole report as text lines (the command prints them)."""
        lines = [self.summary(), *self.notes]
        if self.errors:
            lines.append("Refused rows:")
            lines.extend(f"  {error}" for error in self.errors)
            if self.errors_not_shown:
                lines.append(f"  … and {self.errors_not_shown} more refused rows.")
        return lines
