"""One validator per kind of input, shared by the desk, kiosk, admin and API
forms, so the rules cannot drift apart again (issue #14).

Free text refuses what would corrupt a register, an export or a log line, or
what PostgreSQL rejects where SQLite silently stores it: control characters,
unpaired surrogates, and the invisible direction overrides that make "Zhang"
display as "gnahZ". NUL is left to Django's own ProhibitNullCharactersValidator,
which every CharField already has, so it is reported once. Lengths are each
field's max_length, no longer than its column.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Allowed only where the widget lets a person type them: a textarea.
LINE_BREAKS = frozenset("\t\n\r")

# An optional leading +, then digits with spaces, brackets and dashes between:
# what a phone number looks like on a card, and nothing a spreadsheet would
# run as a formula ("=HYPERLINK(...)").
PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,38}$")


def _check_text(value: str, *, multiline: bool) -> None:
    for char in value or "":
        if char in DIRECTION_CONTROLS:
            raise ValidationError(
                _("Remove the invisible text-direction characters (such as right-to-left override)."), code="bidi"
            )
        if char in LINE_BREAKS:
            if multiline:
                continue
            raise ValidationError(_("Please remove special characters such as tabs or line breaks."), code="control")
        if char != "\x00" and unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValidationError(_("Remove the control characters from this text."), code="control")


def validate_line_of_text(value: str) -> None:
    """Free text typed on one line: a name, a company, a place."""
    _check_text(value, multiline=False)


def validate_text(value: str) -> None:
    """Free text that may run over several lines (a note, a description)."""
    _check_text(value, multiline=True)


def validate_phone(value: str) -> None:
    """A phone number as people write one; blank is for the field's `required` to judge."""
    if value and not PHONE.match(value):
        raise ValidationError(
            _("Enter a phone number: digits, spaces, brackets, dashes and a leading +."), code="phone"
        )
