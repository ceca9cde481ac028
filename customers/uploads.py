"""R5.4: the scanned letters of written complaints and their written replies.

One check for every upload (desk form and service alike): a PDF, JPEG or PNG
by its content, not its name; not empty; at most MAX_BYTES; a plain file name
(no folders, no "..") whose extension agrees with the content. The name typed
by whoever scanned it is never used to store the file: it is kept under
MEDIA_ROOT/complaints/<site>/ under a random name, and served only through a
permission-checked view (customers.views.complaint_file).
"""

import secrets
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from reception import images
from reception.errors import ReceptionError

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("pdf", "application/pdf", (".pdf",))
JPEG = Kind("jpg", "image/jpeg", (".jpg", ".jpeg"))
PNG = Kind("png", "image/png", (".png",))
KINDS = {kind.extension: kind for kind in (PDF, JPEG, PNG)}


def _refuse(code: str, message: str, field: str):
    raise ReceptionError(code, message, field=field)


def _kind_of(head: bytes) -> Kind | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def check_letter(upload: UploadedFile, *, field: str = "letter") -> Kind:
    """The upload's kind, if it is an acceptable letter; ReceptionError
    ("bad_file_name", "empty_file", "file_too_large", "bad_file_type") otherwise."""
    name = upload.name or ""
    if not name or "/" in name or "\\" in name or ".." in name or name.startswith(".") or "\x00" in name:
        _refuse("bad_file_name", _("The file name %(name)r is not a plain file name.") % {"name": name}, field)
    if not upload.size:
        _refuse("empty_file", _("The file is empty."), field)
    if upload.size > MAX_BYTES:
        _refuse(
            "file_too_large",
            _("The file is %(size)s; the most is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_BYTES)},
            field,
        )
    upload.seek(0)
    kind = _kind_of(upload.read(16))
    upload.seek(0)
    wrong = _("Only PDF, JPEG or PNG files are accepted, and the file's content must be one of those.")
    if kind is None or not name.lower().endswith(kind.extensions):
        _refuse("bad_file_type", wrong, field)
    if kind is PDF:
        upload.seek(max(upload.size - 2048, 0))
        tail = upload.read()
        upload.seek(0)
        if b"%%EOF" not in tail:
            _refuse("bad_file_type", wrong, field)
    else:
        # Decoded in full with the pixel cap of reception.images: a truncated
        # scan or a decompression bomb is refused here.
        try:
            images.verify_image(upload.read(), formats=(images.JPEG, images.PNG), max_bytes=MAX_BYTES, field=field)
        except ReceptionError:
            _refuse("bad_file_type", wrong, field)
        finally:
            upload.seek(0)
    return kind


def stored_name(kind: Kind) -> str:
    """A random file name for a checked upload: nothing of the typed name."""
    return f"{secrets.token_hex(16)}.{kind.extension}"


def kind_of_stored(name: str) -> Kind:
    return KINDS[name.rsplit(".", 1)[-1]]
