"""Opening an image someone sent us, safely (issue #19, R5.4).

One place where Pillow meets untrusted bytes: a visitor's photo, a drawn
signature, a scanned complaint letter. The content decides, never the name;
the picture is decoded in full here (a truncated file fails here, not later);
its size in pixels is capped before it is decoded, and Pillow's
decompression-bomb warning is an error, so a small file that would unpack into
gigabytes is refused without being unpacked.
"""

import base64
import binascii
import io
import warnings

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from reception.errors import ReceptionError

# A 24-megapixel phone photo is the largest honest picture we expect; Pillow's
# own limit (about 89 megapixels, an error at twice that) is far above it.
MAX_PIXELS = 24_000_000
MAX_SIDE = 8_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Pillow's format names of the pictures we take.
JPEG, PNG, WEBP = "JPEG", "PNG", "WEBP"


def _refuse(code: str, message: str, field: str | None):
    raise ReceptionError(code, message, field=field)


def open_image(data: bytes, *, formats: tuple[str, ...], max_bytes: int, field: str | None = None) -> Image.Image:
    """The picture in `data`, fully decoded, if it is one of `formats` (Pillow
    names), not empty, at most `max_bytes` long and of a sane size in pixels.

    Raises ReceptionError "empty_file", "file_too_large", "bad_image"
    (not a picture of those kinds, or a damaged one) or "image_too_large"
    (too many pixels: a decompression bomb, or just too big).
    """
    if not data:
        _refuse("empty_file", _("The file is empty."), field)
    if len(data) > max_bytes:
        _refuse(
            "file_too_large",
            _("The file is %(size)s; the most is %(limit)s.")
            % {"size": filesizeformat(len(data)), "limit": filesizeformat(max_bytes)},
            field,
        )
    names = ", ".join("JPEG" if name == JPEG else name.title() if name == WEBP else name for name in formats)
    not_a_picture = _("This is not a picture we can read. Please use a %(formats)s image.") % {"formats": names}
    too_large = _("The picture is too large (at most %(side)s pixels on a side).") % {"side": MAX_SIDE}
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=formats)
            width, height = image.size
            if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                _refuse("image_too_large", too_large, field)
            # Decodes everything: a truncated file fails here. WeasyPrint, once
            # imported, tells Pillow to accept truncated images everywhere; not ours.
            allowed, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = allowed
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            _refuse("image_too_large", too_large, field)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            _refuse("bad_image", not_a_picture, field)
    return image


def verify_image(data: bytes, *, formats: tuple[str, ...], max_bytes: int, field: str | None = None) -> None:
    """Only check that `data` is a readable picture (see open_image)."""
    open_image(data, formats=formats, max_bytes=max_bytes, field=field).close()


def bytes_of_data_url(value: str, *, media_types: tuple[str, ...], max_bytes: int, field: str | None = None) -> bytes:
    """The bytes a browser's canvas sent as a `data:<type>;base64,…` URL (a
    camera still, a drawn signature); "bad_image" or "file_too_large" otherwise.
    The bytes still have to pass open_image."""
    head, comma, body = (value or "").partition(",")
    media_type = head.removeprefix("data:").removesuffix(";base64")
    if not comma or not head.startswith("data:") or not head.endswith(";base64") or media_type not in media_types:
        _refuse("bad_image", _("The picture did not arrive whole. Please try again."), field)
    # Base64 is four characters for three bytes: refuse the oversized before decoding.
    if len(body) > (max_bytes * 4) // 3 + 4:
        _refuse(
            "file_too_large",
            _("The file is %(size)s; the most is %(limit)s.")
            % {"size": filesizeformat(len(body) * 3 // 4), "limit": filesizeformat(max_bytes)},
            field,
        )
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        _refuse("bad_image", _("The picture did not arrive whole. Please try again."), field)
