"""Names and texts the office manager types in two languages (issue #16).

A site, room, visitor category or department has its `name` (English, the
primary value that constraints, ordering, the audit trail and machine payloads
use) and a `name_zh` (Simplified Chinese, may be empty). People read the one
in their language, or the other when theirs is empty.
"""

from django.utils import translation


def in_chinese() -> bool:
    """Is the active language Chinese? ("zh-hans"; English otherwise.)"""
    return (translation.get_language() or "").lower().startswith("zh")


def localized(english: str | None, chinese: str | None) -> str:
    """The value for the active language, falling back to the other one when
    it is empty; "" when both are."""
    english, chinese = (english or "").strip(), (chinese or "").strip()
    return (chinese or english) if in_chinese() else (english or chinese)


class BilingualName:
    """For models with `name` (English) and `name_zh` (Chinese) fields."""

    name: str
    name_zh: str

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_zh)
