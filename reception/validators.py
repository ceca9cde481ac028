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


# ID documents (R4.1: recorded only where the site turns it on). Keyed by
# visitors.models.IdType's values; this module sits below visitors, so the
# codes are spelled out here. Numbers are compared in their normal form
# (normalise_id_number): capitals, no spaces.
ID_NUMBER_FORMATS = {
    # Resident identity card of the PRC: 17 digits and a check character.
    "national_id": re.compile(r"^[0-9]{17}[0-9X]$"),
    "passport": re.compile(r"^[A-Z0-9]{5,20}$"),
    "driving_licence": re.compile(r"^[A-Z0-9-]{5,20}$"),
    "other": re.compile(r"^[A-Z0-9-]{4,40}$"),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_id_number(value: str) -> str:
    """An ID number as it is stored: capitals, without spaces."""
    return "".join((value or "").split()).upper()


def validate_id_number(value: str, id_type: str) -> None:
    """An ID number in the form its document type uses (`value` normalised);
    a resident ID card's number must also carry its check character."""
    pattern = ID_NUMBER_FORMATS.get(id_type)
    if pattern is None:
        raise ValidationError(_("Choose the kind of ID document."), code="id_type")
    if not pattern.match(value):
        raise ValidationError(
            {
                "national_id": _("A resident ID card number has 18 characters: 17 digits, then a digit or X."),
                "passport": _("A passport number has 5 to 20 letters and digits."),
                "driving_licence": _("A driving licence number has 5 to 20 letters, digits and dashes."),
                "other": _("An ID number has 4 to 40 letters, digits and dashes."),
            }[id_type],
            code="id_number",
        )
    if id_type == "national_id":
        check = _ID_CHECK[sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11]
        if value[-1] != check:
            raise ValidationError(
                _("This resident ID card number does not add up; please check it against the card."),
                code="id_checksum",
            )
