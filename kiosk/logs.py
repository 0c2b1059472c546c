"""Log lines that help the engineer on call and carry no customer's data.

Production logs are one JSON object per line on stdout (python-json-logger), request
errors with their traceback. Whatever a message or a traceback holds, email addresses,
phone numbers, bearer tokens and the portal's own secrets are masked before it is
written: the portal's own messages name claims by reference only, but an error from a
mail server or from the API may quote what it was given.
"""

import logging
import re

from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

# An address is found from its "@domain", then its local part is taken back from there:
# a pattern that starts at the local part tries every position of a long run of letters,
# which is quadratic (logging the 404 of a 100,000-character URL took a minute).
EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
LOCAL_PART_PUNCTUATION = "._+-"
# A phone number is at most 30 characters with its separators, for the same reason.
PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d ().-]{6,30}\d(?![\w-])")
BEARER = re.compile(r"(?i)\b(bearer|token)\s+[\w.~+/-]{8,}=*")


def redacted(text: str) -> str:
    """The text with emails, phone numbers, tokens and configured secrets masked."""
    for secret in _secrets():
        text = text.replace(secret, "[secret]")
    text = BEARER.sub(r"\1 [secret]", text)
    text = _emails_masked(text)
    return PHONE.sub("[phone]", text)


def _emails_masked(text: str) -> str:
    kept, end = [], 0
    for domain in EMAIL_DOMAIN.finditer(text):
        start = domain.start()
        while start > end and _in_local_part(text[start - 1]):
            start -= 1
        if start == domain.start():  # no local part: not an address
            continue
        kept += [text[end:start], "[email]"]
        end = domain.end()
    return "".join([*kept, text[end:]])


def _in_local_part(character: str) -> bool:
    return character.isalnum() or character in LOCAL_PART_PUNCTUATION


def _secrets() -> list[str]:
    names = (
        "ORDERPROTECTION_API_TOKEN",
        "ORDERPROTECTION_OAUTH_CLIENT_SECRET",
        "ORDERPROTECTION_WEBHOOK_SECRET",
        "SECRET_KEY",
    )
    values = (getattr(settings, name, "") for name in names)
    return [value for value in values if value and len(value) >= 6]


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(_masked(record))

    def formatException(self, ei) -> str:
        return redacted(super().formatException(ei))


class RedactingTextFormatter(logging.Formatter):
    """The same masking for the plain lines of `make dev`."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(_masked(record))

    def formatException(self, ei) -> str:
        return redacted(super().formatException(ei))


def _masked(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of the record whose message is masked (the time and the names are not)."""
    masked = logging.makeLogRecord(record.__dict__)
    masked.msg, masked.args = redacted(record.getMessage()), None
    return masked
