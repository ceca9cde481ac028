"""Issue #19 (A12): the visitor's photo, for the badge and the visit page.

Taken with the browser's camera at the kiosk or the desk (static/js/camera.js
sends a JPEG still as a data URL), or uploaded as a file where there is no
camera. Whatever arrives is decoded by reception.images (content, not name;
pixel cap; no decompression bombs; a damaged file refused) and re-encoded here
as a plain JPEG of at most MAX_SIDE pixels, without EXIF (no location, no
device): only what we made is ever stored, under a random name below
MEDIA_ROOT, and served only by visitors.file_views.photo. Each category says
whether it is taken (reception.models.PhotoPolicy).
"""

import io
import secrets
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from reception import images
from reception.errors import ReceptionError
from reception.models import PhotoPolicy, VisitorCategory
from visitors import audit
from visitors.models import Visit, VisitStatus

# What we accept from a camera or a file, and what we keep.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
FORMATS = (images.JPEG, images.PNG, images.WEBP)
DATA_URL_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_SIDE = 1024
QUALITY = 85


def reencode(data: bytes, *, field: str = "photo") -> bytes:
    """`data` (JPEG, PNG or WebP) as a new JPEG of at most MAX_SIDE pixels a
    side, turned upright, with no EXIF or other metadata; ReceptionError (see
    reception.images.open_image) for anything else."""
    image = images.open_image(data, formats=FORMATS, max_bytes=MAX_UPLOAD_BYTES, field=field)
    with image:
        upright = ImageOps.exif_transpose(image)
        picture = upright.convert("RGB")
        picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=QUALITY, optimize=True)  # no exif= : nothing is carried over
    return out.getvalue()


def photo_from_request(files, data, *, field: str = "photo", data_field: str = "photo_data") -> bytes | None:
    """The re-encoded photo a form sent, by camera (a data URL in `data_field`)
    or as a file (`field`); None when it sent neither."""
    upload = files.get(field)
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:  # refused before it is read into memory
            raise ReceptionError(
                "file_too_large",
                _("The file is %(size)s; the most is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
                field=field,
            )
        return reencode(upload.read(), field=field)
    still = (data.get(data_field) or "").strip()
    if still:
        raw = images.bytes_of_data_url(still, media_types=DATA_URL_TYPES, max_bytes=MAX_UPLOAD_BYTES, field=field)
        return reencode(raw, field=field)
    return None


def refuse_missing_photo(category: VisitorCategory, photo: bytes | None) -> None:
    """A category that requires a photo (PhotoPolicy.REQUIRED) gets one."""
    if photo is None and category.photo == PhotoPolicy.REQUIRED:
        raise ReceptionError("photo_required", _("Please take a photo for your visitor badge."), field="photo")


def stored_name() -> str:
    return f"{secrets.token_hex(16)}.jpg"


@transaction.atomic
def take_photo(
    *, visit: Visit, photo: bytes, by, via: str, client_address: str | None = None, at: datetime | None = None
) -> Visit:
    """Keep `photo` (already re-encoded by reencode) as the visit's photo,
    replacing any earlier one (deleted once this commits). Only for a visitor
    expected or on site. Audited without the image: who, how, and whether it
    replaced one."""
    at = at or timezone.now()
    visit = Visit.objects.select_for_update(of=("self",)).select_related("site", "category").get(pk=visit.pk)
    if visit.category.photo == PhotoPolicy.OFF:
        # Data minimisation (R4.1): a category that takes no photo keeps none.
        raise ReceptionError("photo_off", _("Visitors of this category are not photographed."), field="photo")
    if visit.status not in (VisitStatus.EXPECTED, VisitStatus.ON_SITE):
        raise ReceptionError("photo_closed", _("A photo is taken only of a visitor who is expected or on site."))
    earlier = visit.photo.name if visit.photo else ""
    visit.photo.save(stored_name(), ContentFile(photo), save=False)
    visit.save(update_fields=["photo"])
    if earlier:
        storage = visit.photo.storage
        transaction.on_commit(lambda: storage.delete(earlier))
    audit.record(
        site=visit.site,
        actor=by,
        action="visit.photo",
        obj=visit,
        changes={"via": via, "replaced": bool(earlier), "bytes": len(photo)},
        client_address=client_address,
        at=at,
    )
    return visit
