"""Names and texts the office manager types in two languages (issue #16).

A site, room, visitor category or department has its `name` (English, the
primary value that constraints, ordering, the audit trail and machine payloads
use) and a `name_zh` (Simplified Chinese, may be empty). People read the one
in their language, or the other when theirs is empty.
"""

from collections.abc import Callable

from django.utils import translation


def in_chinese() -> bool:
    """Is the active language Chinese? ("zh-hans"; English otherwise.)"""
    return (translation.get_language() or "").lower().startswith("zh")


def localized(english: str | None, chinese: str | None) -> str:
    """The value for the active language, falling back to the other one when
    it is empty; "" when both are."""
    return localizer()(english, chinese)


def localizer() -> Callable[[str | None, str | None], str]:
    """localized() for a list of names: the active language is looked up
    once, not for each of a hundred hosts (issue #24)."""
    return _chinese_first if in_chinese() else _english_first


def _english_first(english: str | None, chinese: str | None) -> str:
    return (english or "").strip() or (chinese or "").strip()


def _chinese_first(english: str | None, chinese: str | None) -> str:
    return (chinese or "").strip() or (english or "").strip()


class BilingualName:
    """For models with `name` (English) and `name_zh` (Chinese) fields."""

    name: str
    name_zh: str

    @property
    def display_name(self) -> str:
        return localized(self.name, self.name_zh)
