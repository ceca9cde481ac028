"""Issue #19 (A12): the visitor's photo, taken at the kiosk or the desk,
re-encoded, stored outside the static tree and served only to staff who may
see the visit (R4.1)."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from reception.errors import ReceptionError
from reception.models import PhotoPolicy
from tests.visitors import pictures
from tests.visitors.desk import walk_in as register_walk_in
from visitors import photos
from visitors.models import AuditEvent, Visit


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@pytest.fixture
def media(settings):
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def photographed(business, settings):
    business.photo = PhotoPolicy.OPTIONAL
    business.save(update_fields=["photo"])
    return business


@pytest.fixture
def zhou(daytime, photographed, business_room, clerk, host):
    """Zhou Jie, a business visitor on site, not yet photographed."""
    return register_walk_in(category=photographed, room=business_room, by=clerk, name="Zhou Jie", host=host)


def upload(data: bytes, name: str = "me.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


# --- re-encoding ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_picture_is_kept_as_a_small_jpeg_without_its_exif(fmt):
    kept = photos.reencode(pictures.picture(fmt, (3000, 2000), exif=fmt != "PNG"))

    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == photos.MAX_SIDE and image.size == (1024, 683)
        assert not image.getexif()
    assert b"Spy Camera Co" not in kept


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (pictures.NOT_A_PICTURE, "bad_image"),
        (pictures.truncated(), "bad_image"),
        (pictures.bomb(), "image_too_large"),
        (pictures.huge_sides(), "image_too_large"),
        (pictures.picture("GIF", (50, 50)), "bad_image"),
    ],
    ids=["zero-bytes", "not-a-picture", "truncated", "decompression-bomb", "huge-sides", "gif"],
)
def test_bad_input_is_refused_with_a_reason(data, code):
    with pytest.raises(ReceptionError) as refusal:
        photos.reencode(data)

    assert refusal.value.code == code and refusal.value.field == "photo"


def test_a_truncated_picture_is_refused_even_once_weasyprint_is_loaded(monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing WeasyPrint does

    with pytest.raises(ReceptionError) as refusal:
        photos.reencode(pictures.truncated())

    assert refusal.value.code == "bad_image" and ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_a_data_url_of_another_type_is_refused():
    with pytest.raises(ReceptionError) as refusal:
        photos.photo_from_request({}, {"photo_data": pictures.data_url(b"<svg/>", "image/svg+xml")})

    assert refusal.value.code == "bad_image"


def test_an_oversized_upload_is_refused_before_it_is_read():
    big = upload(b"\xff\xd8\xff" + b"0" * (photos.MAX_UPLOAD_BYTES + 1))

    with pytest.raises(ReceptionError) as refusal:
        photos.photo_from_request({"photo": big}, {})

    assert refusal.value.code == "file_too_large"


# --- at the desk ---------------------------------------------------------------------


def test_the_desk_takes_a_photo_and_staff_see_it_never_cached(client, clerk, zhou, media):
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo_data": pictures.data_url(pictures.picture())})

    assert response.status_code == 302
    zhou.refresh_from_db()
    assert zhou.photo.name.startswith(f"visitors/photos/{zhou.site_id}/") and zhou.photo.name.endswith(".jpg")
    assert [path.name for path in stored_files(media)] == [Path(zhou.photo.name).name]
    assert "static" not in str(media)
    event = AuditEvent.objects.get(action="visit.photo", object_id=str(zhou.pk))
    assert event.changes["via"] == "desk" and not event.changes["replaced"]
    assert "base64" not in str(event.changes)

    shown = client.get(f"/desk/visits/{zhou.pk}/photo/")
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-store"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content)[:3] == b"\xff\xd8\xff"
    page = client.get(f"/desk/visits/{zhou.pk}/").content.decode()
    assert f'src="/desk/visits/{zhou.pk}/photo/"' in page


def test_a_retaken_photo_replaces_the_old_file(client, clerk, zhou, media, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(pictures.picture())})
    first = Visit.objects.get(pk=zhou.pk).photo.name

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(pictures.picture("PNG"), "me.png")})

    second = Visit.objects.get(pk=zhou.pk).photo.name
    assert second != first
    assert [path.name for path in stored_files(media)] == [Path(second).name]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (pictures.NOT_A_PICTURE, "This is not a picture we can read."),
        (pictures.truncated(), "This is not a picture we can read."),
        (pictures.bomb(), "The picture is too large"),
        (pictures.huge_sides(), "The picture is too large"),
    ],
    ids=["zero-bytes", "not-a-picture-named-jpg", "truncated", "decompression-bomb", "huge-sides"],
)
def test_the_desk_is_told_what_is_wrong_and_nothing_is_stored(client, clerk, zhou, media, data, message):
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(data)}, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    zhou.refresh_from_db()
    assert not zhou.photo
    assert stored_files(media) == []
    assert not AuditEvent.objects.filter(action="visit.photo").exists()


def test_the_photo_is_on_the_badge(client, clerk, zhou):
    client.force_login(clerk)
    client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(pictures.picture())})

    badge = client.get(f"/desk/visits/{zhou.pk}/badge/").content.decode()

    assert f'src="/desk/visits/{zhou.pk}/photo/"' in badge and 'data-testid="badge-photo"' in badge


def test_a_category_without_photos_shows_no_camera(client, clerk, daytime, business, business_room, host):
    visit = register_walk_in(category=business, room=business_room, by=clerk, name="Li Lei", host=host)
    client.force_login(clerk)

    page = client.get(f"/desk/visits/{visit.pk}/").content.decode()

    assert "data-camera" not in page and "camera.js" not in page


def test_a_category_without_photos_keeps_none(client, clerk, daytime, business, business_room, host, media):
    visit = register_walk_in(category=business, room=business_room, by=clerk, name="Li Lei", host=host)
    client.force_login(clerk)

    response = client.post(f"/desk/visits/{visit.pk}/photo/take/", {"photo": upload(pictures.picture())}, follow=True)

    assert "Visitors of this category are not photographed." in response.content.decode()
    visit.refresh_from_db()
    assert not visit.photo and stored_files(media) == []


def test_a_photo_sent_to_the_kiosk_for_a_category_without_photos_is_not_kept(ordinary, walk_in, media):
    response = walk_in(photo_data=pictures.data_url(pictures.picture()))

    assert response.status_code == 302
    assert not Visit.objects.get().photo and stored_files(media) == []


def test_a_host_cannot_see_the_photo_and_another_site_finds_nothing(client, clerk, host, other_clerk, zhou):
    client.force_login(clerk)
    client.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(pictures.picture())})

    host_client, other = Client(), Client()
    host_client.force_login(host)
    other.force_login(other_clerk)
    assert host_client.get(f"/desk/visits/{zhou.pk}/photo/").status_code == 403
    assert other.get(f"/desk/visits/{zhou.pk}/photo/").status_code == 404
    assert other.post(f"/desk/visits/{zhou.pk}/photo/take/", {"photo": upload(pictures.picture())}).status_code == 404


def test_a_visit_without_a_photo_answers_404(client, clerk, zhou):
    client.force_login(clerk)

    assert client.get(f"/desk/visits/{zhou.pk}/photo/").status_code == 404


# --- at the kiosk --------------------------------------------------------------------


@pytest.fixture
def photo_required(ordinary):
    ordinary.photo = PhotoPolicy.REQUIRED
    ordinary.save(update_fields=["photo"])
    return ordinary


def test_the_kiosk_asks_for_a_required_photo_and_registers_nobody_without_it(photo_required, walk_in, kiosk_client):
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()
    assert "data-camera" in page and "js/camera.js" in page and 'enctype="multipart/form-data"' in page

    response = walk_in()

    assert response.status_code == 200
    assert "Please take a photo for your visitor badge." in response.content.decode()
    assert not Visit.objects.exists()


def test_a_walk_in_with_a_camera_photo_has_it_on_their_visit(photo_required, walk_in, media):
    response = walk_in(photo_data=pictures.data_url(pictures.picture()))

    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.photo and stored_files(media) == [media / visit.photo.name]
    assert AuditEvent.objects.get(action="visit.photo").changes["via"] == "kiosk"


def test_a_bad_photo_at_the_kiosk_is_explained_and_nothing_is_kept(photo_required, walk_in, media):
    response = walk_in(photo=upload(pictures.NOT_A_PICTURE))

    assert response.status_code == 200
    assert "This is not a picture we can read." in response.content.decode()
    assert not Visit.objects.exists() and stored_files(media) == []


def test_the_kiosk_shows_no_camera_when_photos_are_off(ordinary, walk_in, kiosk_client):
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()

    assert "data-camera" not in page and "camera.js" not in page
