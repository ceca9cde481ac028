"""No phone or ID numbers in application logs (R4.1).

RedactPersonalNumbers sits on every log handler (settings.LOGGING) and
rewrites the message, its arguments and any traceback before it is written:
runs of seven or more digits (optionally with +, spaces, hyphens or an area
code in brackets — phone numbers) and ID-document-like tokens (18-character
national IDs ending in X, passport-style letter+digits) become "[redacted]".
Dates, times, IP addresses and decimals are left alone.
"""

import logging
import re

REDACTED = "[redacted]"

# A national ID (15-18 characters, the last may be X) or a passport-style
# number: one or two letters then 6-9 digits.
_ID_NUMBER = re.compile(r"(?<!\w)(?<!\d[.:])(?:\d{14,17}[0-9Xx]|[A-Za-z]{1,2}\d{6,9})(?!\w|[.:]\d)")
# A phone-like digit run: an optional +country code (also URL-encoded, %2B) and
# (area code), then digits separated by at most one space or hyphen. Counted
# below: seven digits or more.
_PHONE = re.compile(r"(?<!\w)(?<!\d[.:])(?:(?:\+|%2[Bb])\d{1,3}[ -]?)?(?:\(\d{1,5}\)[ -]?)?\d(?:[ -]?\d)*(?!\w|[.:]\d)")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[ T])")
_MIN_DIGITS = 7


def _phone(match: re.Match) -> str:
    text = match.group(0)
    if sum(c.isdigit() for c in text) < _MIN_DIGITS or _DATE.match(text):
        return text
    return REDACTED


def redact(text: str) -> str:
    """`text` with phone-number-like and ID-number-like runs replaced."""
    return _PHONE.sub(_phone, _ID_NUMBER.sub(REDACTED, text))


class RedactPersonalNumbers(logging.Filter):
    """A handler filter: never drops a record, only redacts it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let the handler report it as usual
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
