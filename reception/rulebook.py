"""The written reception rules (issue #22): versions a site's office manager
publishes in English and Simplified Chinese, the version in force, staff
acknowledging they have read it, and the Markdown they are written in.

A version is published once and never changed nor deleted (a new version is a
new row); publishing it and each acknowledgement are events of the site's
hash-chained audit trail (R6.4), the published texts included, so the trail
proves what staff were asked to read.

The Markdown is a small subset rendered here rather than by a Markdown library
plus an HTML sanitiser: paragraphs, headings (#, ##, ###), bulleted and
numbered lists, **strong**, *emphasis* and [links](https://…) to http(s)
addresses only. Every character of the source is HTML-escaped before any tag
is added, so raw HTML, scripts and event handlers can only ever show as text;
the only attribute written is an href that starts with http:// or https://.
"""

import hashlib
import re
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reception.i18n import in_chinese
from reception.models import RulesAcknowledgement, RulesVersion, Site
from visitors import audit

# --- Markdown, a safe subset -------------------------------------------------------

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
# Matched on escaped text: the URL cannot hold a raw quote or angle bracket.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s()]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")


def _inline(text: str) -> str:
    html = escape(text)
    html = _LINK.sub(r'<a href="\2" rel="nofollow noopener noreferrer">\1</a>', html)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    return _EMPHASIS.sub(r"<em>\1</em>", html)


def render_markdown(source: str) -> SafeString:
    """The Markdown subset above as HTML that is safe to show as it is."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in (source or "").replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
        if not line.strip():
            close()
        elif heading:
            close()
            level = len(heading.group(1)) + 2  # under the page's own h1 and h2
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or (items and list_tag != tag):
                close()
            list_tag = tag
            items.append((bullet or numbered).group(1))
        elif items:
            items[-1] += " " + line.strip()  # a list item's continuation line
        else:
            paragraph.append(line.strip())
    close()
    return mark_safe("\n".join(blocks))  # noqa: S308 - every text went through escape() in _inline


# --- versions ----------------------------------------------------------------------


def current_version(site: Site, at: datetime | None = None) -> RulesVersion | None:
    """The version in force on the site's local day of `at` (now), or None."""
    day = site.local(at or timezone.now()).date()
    return RulesVersion.objects.in_force(site, day).first()


def rules_to_read(user, site: Site, at: datetime | None = None) -> RulesVersion | None:
    """The version in force if `user` has not acknowledged it yet, else None. Two queries at most."""
    version = current_version(site, at)
    if version is None or RulesAcknowledgement.objects.filter(version=version, user=user).exists():
        return None
    return version


def localized_text(english: str, chinese: str, language: str) -> str:
    """`english` or `chinese` for a visitor's `language`, the other when empty."""
    english, chinese = (english or "").strip(), (chinese or "").strip()
    return (chinese or english) if (language or "").lower().startswith("zh") else (english or chinese)


def house_rules(site: Site, language: str, at: datetime | None = None) -> SafeString:
    """The visitor-facing house rules of the version in force, rendered; "" without one."""
    version = current_version(site, at)
    if version is None:
        return mark_safe("")
    return render_markdown(localized_text(version.house_rules_en, version.house_rules_zh, language))


def _texts(version: RulesVersion) -> dict:
    return {
        name: getattr(version, name)
        for name in (
            "summary",
            "body_en",
            "body_zh",
            "house_rules_en",
            "house_rules_zh",
            "privacy_notice_en",
            "privacy_notice_zh",
        )
    }


def digest(version: RulesVersion) -> str:
    return hashlib.sha256(repr(sorted(_texts(version).items())).encode()).hexdigest()[:16]


@transaction.atomic
def publish_rules_version(
    *, version: RulesVersion, by, client_address: str | None = None, at: datetime | None = None
) -> RulesVersion:
    """Save a new version of `version.site`'s rules as the next number.

    Locks the site row, so two managers publishing at once get two numbers.
    The audit event holds the texts as published (they are rules, not
    personal data), so the trail proves what staff were asked to read.
    """
    at = at or timezone.now()
    if version.pk is not None:
        raise ValueError("a published version is never changed; publish a new one")
    Site.objects.select_for_update().only("pk").get(pk=version.site_id)
    last = RulesVersion.objects.filter(site_id=version.site_id).aggregate(last=Max("number"))["last"]
    version.number = (last or 0) + 1
    version.published_at = at
    version.published_by = by if getattr(by, "pk", None) else None
    version.save()
    audit.record(
        site=version.site,
        actor=version.published_by,
        action="rulesversion.publish",
        obj=version,
        changes={
            "number": version.number,
            "effective_from": version.effective_from.isoformat(),
            "digest": digest(version),
            **_texts(version),
        },
        client_address=client_address,
        at=at,
    )
    return version


@transaction.atomic
def acknowledge_rules(
    *, version: RulesVersion, by, client_address: str | None = None, at: datetime | None = None
) -> RulesAcknowledgement:
    """Record that `by` has read `version`. The version row is locked, so a
    double click records one acknowledgement; a repeat returns the first."""
    at = at or timezone.now()
    version = RulesVersion.objects.select_for_update().select_related("site").get(pk=version.pk)
    existing = RulesAcknowledgement.objects.filter(version=version, user=by).first()
    if existing is not None:
        return existing
    acknowledgement = RulesAcknowledgement.objects.create(version=version, user=by, acknowledged_at=at)
    audit.record(
        site=version.site,
        actor=by,
        action="rulesversion.acknowledge",
        obj=version,
        changes={"number": version.number, "digest": digest(version)},
        client_address=client_address,
        at=at,
    )
    return acknowledgement


def staff_body(version: RulesVersion) -> SafeString:
    """The staff rules in the reader's language, rendered."""
    return render_markdown(version.body_zh if in_chinese() and version.body_zh.strip() else version.body_en)
