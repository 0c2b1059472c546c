"""How PINs are stored: PBKDF2 keyed with the SECRET_KEY, which the database does not hold.

A PIN has at most a million values, so no iteration count makes a stolen hash safe: at
1,500,000 iterations (Django's for passwords) a GPU still tries them all in minutes, while
each unlock cost a tablet's associate 0.7 CPU-seconds of the server. What protects a PIN
offline is a key the database does not hold (a copy of the database alone guesses
nothing), and online the lockouts of kiosk/throttling.py. PIN_HASH_ITERATIONS adds a
modest cost for someone who has both the database and the key.

The key follows Django's rotation: SECRET_KEY signs new hashes and SECRET_KEY_FALLBACKS
still verify; a PIN verified by an old key, with other iterations, or stored by Django's
password hashers before this module, is stored again at the next right unlock.
"""

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password
from django.utils.crypto import constant_time_compare, salted_hmac

KEY_SALT = "kiosk.pin"


class PinHasher(PBKDF2PasswordHasher):
    algorithm = "pin_pbkdf2_sha256"

    @property
    def iterations(self) -> int:
        return settings.PIN_HASH_ITERATIONS

    def encode(self, password: str, salt: str, iterations: int | None = None, *, key=None) -> str:
        keyed = salted_hmac(KEY_SALT, password, secret=key, algorithm="sha256").hexdigest()
        return super().encode(keyed, salt, iterations)

    def matching_key(self, password: str, encoded: str) -> str | None:
        """The key (SECRET_KEY or one of its fallbacks) that `encoded` was made with, if
        `password` is right; None if it is wrong."""
        decoded = self.decode(encoded)
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
            candidate = self.encode(password, decoded["salt"], decoded["iterations"], key=key)
            if constant_time_compare(encoded, candidate):
                return key
        return None

    def verify(self, password: str, encoded: str) -> bool:
        return self.matching_key(password, encoded) is not None


def pin_hash(pin: str) -> str:
    hasher = PinHasher()
    return hasher.encode(pin, hasher.salt())


def pin_check(pin: str, encoded: str) -> tuple[bool, bool]:
    """Whether `pin` matches `encoded`, and whether `encoded` should be stored again."""
    hasher = PinHasher()
    if not encoded.startswith(f"{hasher.algorithm}$"):
        right = check_password(pin, encoded)  # stored before this module: upgrade it
        return right, right
    key = hasher.matching_key(pin, encoded)
    if key is None:
        return False, False
    return True, key != settings.SECRET_KEY or hasher.must_update(encoded)
