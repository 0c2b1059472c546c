"""The Hamming distance between two 64-bit perceptual hashes, computed by the database.

PostgreSQL counts the differing bits with bit_count (14+); SQLite has no such function,
so each of its connections gets one (`hamming_register`, on connection_created).
"""

from django.db.models import Func, IntegerField

SQLITE_FUNCTION = "kiosk_hamming"
UNSIGNED_64 = (1 << 64) - 1


class HammingDistance(Func):
    """How many bits differ between two signed 64-bit integers (columns or values)."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="bit_count((%(expressions)s)::bit(64))",
            arg_joiner=" # ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function=SQLITE_FUNCTION, **extra_context)


def signed_64(value: int) -> int:
    """A 64-bit pattern as the signed integer a bigint column stores."""
    value &= UNSIGNED_64
    return value - (1 << 64) if value >> 63 else value


def hamming(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return None
    return ((a ^ b) & UNSIGNED_64).bit_count()


def hamming_register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 2, hamming, deterministic=True)
