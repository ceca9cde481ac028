"""Pictures for the tests of photos and signatures (issue #19): real ones, and
the bad input a camera, a file picker or an attacker might send."""

import base64
import io

from PIL import Image


def picture(fmt: str = "JPEG", size=(1600, 1200), *, exif: bool = False, mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, "teal" if mode == "RGB" else 0)
    out = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "Spy Camera Co"  # Make
        tags[0x0131] = "Secret firmware"  # Software
        extra["exif"] = tags.tobytes()
    image.save(out, format=fmt, **extra)
    return out.getvalue()


def data_url(data: bytes, media_type: str = "image/jpeg") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def bomb() -> bytes:
    """A small PNG that unpacks into 49 million pixels."""
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def huge_sides() -> bytes:
    """Few pixels, but a side far longer than any photo."""
    out = io.BytesIO()
    Image.new("RGB", (20000, 4)).save(out, format="PNG")
    return out.getvalue()


def truncated() -> bytes:
    whole = picture("JPEG", (800, 600))
    return whole[: len(whole) // 2]


NOT_A_PICTURE = b"%PDF-1.4 this is not a picture at all, whatever its name says\n" * 10


def signature(blank: bool = False) -> str:
    """A signature as the canvas sends it: a PNG data URL, ink on transparency."""
    from PIL import ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(40, 150), (200, 40), (360, 160), (560, 50)], fill=(17, 17, 17, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return data_url(out.getvalue(), "image/png")
