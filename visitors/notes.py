"""Notes about a visitor kept by the desk ("prefers tea", "uses a wheelchair").

They are the desk's working notes, not a registered fact of any visit (R6.4
covers the visit's registration), so they are edited in place; each edit is
an audit event that says the notes changed, never what they say, because the
trail outlives the visitor's identity (R4.1). Anonymisation clears them with
the rest of the identity (visitors.privacy.IDENTITY_FIELDS).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reception.errors import ReceptionError
from visitors import audit
from visitors.models import Visit, Visitor

NOTES_MAX_LENGTH = 2000


@transaction.atomic
def edit_visitor_notes(
    *, visit: Visit, notes: str, by, client_address: str | None = None, at: datetime | None = None
) -> Visitor:
    """Replace the notes about the visit's visitor. Locks the visitor; refuses
    an anonymised visitor; writes one audit event on the visit's site. An
    unchanged text writes nothing."""
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX_LENGTH:
        raise ReceptionError(
            "notes_too_long",
            _("Keep the notes under %(limit)s characters.") % {"limit": NOTES_MAX_LENGTH},
            field="notes",
        )
    visitor = Visitor.objects.select_for_update().get(pk=visit.visitor_id)
    if visitor.anonymised_at is not None:
        raise ReceptionError("anonymised", _("This visitor has been anonymised; nothing more is kept about them."))
    if visitor.notes == notes:
        return visitor
    visitor.notes = notes
    visitor.save(update_fields=["notes"])
    audit.record(
        site=visit.site,
        actor=by,
        action="visitor.notes",
        obj=visitor,
        changes={"visit": visit.pk, "notes": "changed" if notes else "cleared"},
        client_address=client_address,
        at=at or timezone.now(),
    )
    return visitor
