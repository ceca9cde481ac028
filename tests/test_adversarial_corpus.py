"""The adversarial corpus (issue #6): hundreds of hostile inputs, built from
families in tests/corpus.py, replayed field by field on every form of the app
(each input in one text field, the rest valid) as the role that uses it.

Whatever is typed: no 5xx; each answer either succeeds (a redirect, or the page
a filter asks for) or re-renders with a form error or message; nothing stored
holds a NUL; and no page shown afterwards carries the raw payload
`<script>alert(1)</script>` unescaped (R4.1: visitors' text never runs in the
desk's browser). The corpus is spread over the fields so that every input is
replayed somewhere and the most hostile ones everywhere, in-process, to stay
within a couple of minutes per database.
"""

import csv
import io
import itertools
import secrets
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reception import registers
from reception.models import ReceptionRoom
from tests.corpus import SCRIPT, corpus, families, form_data
from tests.visitors.desk import QUICK_HASHERS, walk_in
from visitors import links
from visitors.amend_forms import AmendVisitForm
from visitors.models import Visit
from visitors.ratelimit import Limit

# A request's outcome when it did not succeed must say why.
ERROR_MARKERS = (
    "errornote",
    "is-invalid",
    "invalid-feedback",
    "alert-danger",
    "errorlist",
    'role="alert"',
    "text-danger",
)
# What a spreadsheet runs at the start of a cell: OWASP's list, line feed, and
# the full-width and small forms of = + - @ (issue #15).
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠﹦﹢﹣﹫")
UNESCAPED = (SCRIPT, "<img src=x onerror", "<svg onload", "<iframe src=//evil")

# form → (role, the text fields typed into). Every field the app lets a person type.
FORMS = {
    "register": (
        "clerk",
        ["full_name", "company", "phone", "email", "purpose", "hospitality_notes", "materials", "party_size"],
    ),
    "log": ("clerk", ["q", "date_from", "date_to", "page"]),
    "log_export": ("clerk", ["q", "date_from", "date_to"]),
    "amend": (
        "clerk",
        [
            "visitor_full_name",
            "visitor_company",
            "visitor_phone",
            "visitor_email",
            "purpose",
            "hospitality_notes",
            "materials",
            "expected_at",
            "expected_until",
            "reason",
        ],
    ),
    "step": ("clerk", ["note", "kind"]),
    "handover": ("clerk", ["open_items", "incidents", "keys_and_items"]),
    "lost_item_new": ("clerk", ["description", "found_at", "found_where", "found_by", "stored_where"]),
    "lost_item_return": ("clerk", ["returned_to"]),
    "incident_new": ("clerk", ["description", "location", "occurred_at", "kind"]),
    "incident_follow_up": ("clerk", ["note"]),
    "incident_close": ("clerk", ["note"]),
    "invite": ("clerk", ["full_name", "email", "company", "purpose", "expected_at", "expected_until", "party_size"]),
    "desk_check_in": ("clerk", ["code"]),
    "kiosk_walk_in": ("kiosk", ["full_name", "company", "phone", "party_size", "host_search", "host"]),
    "kiosk_code": ("kiosk", ["code"]),
    "kiosk_check_out": ("kiosk", ["badge_code"]),
    "invitation_confirm": ("anonymous", ["full_name", "company", "phone"]),
    "login": ("anonymous", ["username", "password"]),
    "admin_login": ("anonymous", ["username", "password"]),
}

# Forms whose text is kept and shown again on a desk page.
STORES_TEXT = {
    "register",
    "amend",
    "step",
    "handover",
    "lost_item_new",
    "lost_item_return",
    "incident_new",
    "incident_follow_up",
    "incident_close",
    "invite",
    "kiosk_walk_in",
}

# Replayed into every field: one of each family's sharpest edges.
EVERYWHERE = [
    "\x00",
    "Maria\x00Rossi",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% debug %}",
    "\u202eevil",
    "👨‍👩‍👧‍👦",
    "line\r\nInjected-Header: yes",
    "a\rb",
    "=1+1",
    "Robert'); DROP TABLE visitors_visit;--",
    "   ",
    "1" * 5000,
    "e\u0301",
]


# Every field that takes a date or a time gets every date of the corpus (issue #15).
DATE_FIELDS = {"date_from", "date_to", "expected_at", "expected_until", "found_at", "occurred_at"}


def plan() -> dict[str, dict[str, list[str]]]:
    """form → field → inputs: the corpus dealt round-robin over all fields,
    plus EVERYWHERE in each and every date in each date field, so each input
    is replayed at least once."""
    fields = [(form, field) for form, (_, names) in FORMS.items() for field in names]
    dates = families()["dates"]
    dealt: dict[tuple[str, str], list[str]] = {
        key: list(EVERYWHERE) + (dates if key[1] in DATE_FIELDS else []) for key in fields
    }
    for value, key in zip(corpus(), itertools.cycle(fields), strict=False):
        if value not in dealt[key]:
            dealt[key].append(value)
    return {form: {field: dealt[(form, field)] for field in names} for form, (_, names) in FORMS.items()}


PLAN = plan()


def test_the_corpus_replays_at_least_500_distinct_inputs():
    replayed = {value for fields in PLAN.values() for values in fields.values() for value in values}
    families_seen = {
        "nul": any("\x00" in v for v in replayed),
        "bidi": any("\u202e" in v for v in replayed),
        "script": SCRIPT in replayed,
        "overlong": any(len(v) > 4000 for v in replayed),
    }

    assert len(replayed) >= 500, len(replayed)
    assert set(corpus()) <= replayed
    assert all(families_seen.values()), families_seen


# --- the world --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def quick(settings, daytime):
    """Daytime (outside the R6.8 night window), cheap passwords, and no rate
    limits: the limits are tested elsewhere, here every input must reach the form."""
    settings.PASSWORD_HASHERS = QUICK_HASHERS
    settings.PUBLIC_RATE_LIMITS = {
        name: Limit(per_device=None, per_address=None) for name in ("kiosk", "lookup", "invitation")
    }


@pytest.fixture
def world(
    clerk, host, site, rooms, business, business_room, invitation, lobby_kiosk, manager, found_umbrella, broken_cup
):
    ReceptionRoom.objects.filter(site=site).update(capacity=10_000)
    on_site = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=host, phone="13800138000")
    return {
        "site": site,
        "clerk": clerk,
        "host": host,
        "business": business,
        "business_room": business_room,
        "on_site": on_site,
        "invitation": invitation,
        "item": found_umbrella,
        "incident": broken_cup,
        "kiosk": lobby_kiosk,
    }


@pytest.fixture
def clients(world):

    # A server error must come back as a 500 to count, not as an exception.
    staff = Client(raise_request_exception=False)
    staff.force_login(world["clerk"])
    kiosk = Client(raise_request_exception=False)
    assert kiosk.post(reverse("public:kiosk_enrol", kwargs={"token": world["kiosk"].token})).status_code == 302
    return {"clerk": staff, "kiosk": kiosk, "anonymous": Client(raise_request_exception=False)}


def _local(world, delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta, world["site"].tzinfo).strftime("%Y-%m-%dT%H:%M")


_serial = itertools.count()


def valid(form: str, world) -> tuple[str, str, dict]:
    """(method, address, a submission that succeeds) for each form."""
    n = next(_serial)
    site, on_site = world["site"], world["on_site"]
    if form == "register":
        return (
            "post",
            reverse("visitors:register"),
            {
                "full_name": f"Chen Jing {n}",
                "company": "Chen Ltd",
                "phone": "138 0000 0000",
                "email": "",
                "category": str(world["business"].pk),
                "party_size": "1",
                "room": str(world["business_room"].pk),
                "purpose": "Talks",
                "hospitality_notes": "",
                "materials": "",
            },
        )
    if form == "log":
        return "get", reverse("visitors:log"), {"q": "Zhou", "date_from": "", "date_to": "", "page": "1"}
    if form == "log_export":
        return "get", reverse("visitors:log_export"), {"q": "Zhou", "date_from": "", "date_to": ""}
    if form == "amend":
        data = form_data(AmendVisitForm(visit=Visit.objects.get(pk=on_site.pk)))
        return (
            "post",
            reverse("visitors:amend", kwargs={"pk": on_site.pk}),
            {
                **data,
                "visitor_company": f"Zhou Trading {n}",
                "reason": "Typo at the desk",
            },
        )
    if form == "step":
        return "post", reverse("visitors:record_step", kwargs={"pk": on_site.pk}), {"kind": "seated", "note": "ok"}
    if form == "handover":
        return (
            "post",
            reverse("reception:handover_new"),
            {"open_items": "Call Mr Li", "incidents": "", "keys_and_items": ""},
        )
    if form == "lost_item_new":
        return (
            "post",
            reverse("reception:lost_item_new"),
            {
                "description": "Blue scarf",
                "found_at": _local(world, -timedelta(minutes=30)),
                "found_where": "Lounge",
                "found_by": "Zhang Wei",
                "stored_where": "Desk drawer",
            },
        )
    if form == "lost_item_return":
        item = registers.record_lost_item(
            site=site,
            by=world["clerk"],
            description=f"Umbrella {n}",
            found_at=timezone.now() - timedelta(hours=1),
            found_where="Lounge",
            found_by="Zhang Wei",
            stored_where="Drawer",
        )
        return "post", reverse("reception:lost_item_return", kwargs={"pk": item.pk}), {"returned_to": "Ms Wang"}
    if form == "incident_new":
        return (
            "post",
            reverse("reception:incident_new"),
            {
                "kind": "damage",
                "description": "Chair broken",
                "location": "Lounge",
                "occurred_at": _local(world, -timedelta(minutes=30)),
            },
        )
    if form in {"incident_follow_up", "incident_close"}:
        incident = registers.report_incident(
            site=site,
            by=world["clerk"],
            kind="other",
            description=f"Noise {n}",
            location="",
            occurred_at=timezone.now(),
        )
        name = "reception:incident_follow_up" if form == "incident_follow_up" else "reception:incident_close"
        return "post", reverse(name, kwargs={"pk": incident.pk}), {"note": "Facilities called"}
    if form == "invite":
        return (
            "post",
            reverse("public:invite"),
            {
                "full_name": f"Ana Lima {n}",
                "email": "ana@lima.example",
                "company": "Lima SA",
                "category": str(world["business"].pk),
                "host": str(world["host"].pk),
                "room": "",
                "expected_at": _local(world, timedelta(hours=3)),
                "expected_until": "",
                "purpose": "Contract",
                "party_size": "1",
            },
        )
    if form == "desk_check_in":
        return "post", reverse("public:desk_check_in"), {"code": world["invitation"].code}
    if form == "kiosk_walk_in":
        return (
            "post",
            reverse("public:kiosk_walk_in"),
            {
                "full_name": f"Maria Rossi {n}",
                "company": "Rossi Design",
                "phone": "+39 06 5551234",
                "party_size": "1",
                "host_search": "",
                "host": links.host_token(site, world["host"]),
                "accept_privacy": "on",
                "submission_key": secrets.token_urlsafe(16),
            },
        )
    if form == "kiosk_code":
        return "post", reverse("public:kiosk_code"), {"code": world["invitation"].code, "accept_privacy": "on"}
    if form == "kiosk_check_out":
        return "post", reverse("public:kiosk_check_out"), {"badge_code": on_site.badge_code}
    if form == "invitation_confirm":
        token = links.invitation_token(world["invitation"])
        return (
            "post",
            reverse("public:invitation", kwargs={"token": token}),
            {
                "full_name": "Kenji Tanaka",
                "company": "Tanaka Industries",
                "phone": "+81 3 1234 5678",
                "accept_privacy": "on",
            },
        )
    if form == "login":
        return "post", reverse("login"), {"username": "clerk", "password": "not-the-password"}
    if form == "admin_login":
        return "post", reverse("admin:login"), {"username": "manager", "password": "not-the-password"}
    raise AssertionError(form)


# --- checks -----------------------------------------------------------------------


def text_values():
    """(model, field, value) for every stored text value of the app's tables."""
    for model in [*apps.get_app_config("visitors").get_models(), *apps.get_app_config("reception").get_models()]:
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        for row in model.objects.values_list(*names) if names else []:
            for name, value in zip(names, row, strict=True):
                if isinstance(value, str):
                    yield model._meta.label, name, value


def assert_escaped(response, where: str) -> None:
    if "html" not in response.get("Content-Type", ""):
        return
    body = response.content.decode()
    for raw in UNESCAPED:
        assert raw not in body, f"{where}: {raw!r} appears unescaped"


def pages_to_render(world) -> list[str]:
    """Every desk page that shows what was typed, and each entry holding markup."""
    site = world["site"]
    pages = [
        reverse("visitors:dashboard"),
        reverse("visitors:dashboard_live"),
        reverse("visitors:on_site_list"),
        reverse("visitors:closing"),
        reverse("visitors:log") + "?q=alert",
        reverse("visitors:log"),
        reverse("reception:handover_list"),
        reverse("reception:lost_item_list") + "?show=all",
        reverse("reception:incident_list") + "?show=all",
        reverse("reception:morning_report"),
        reverse("public:desk_notifications"),
    ]
    marked = models.Q()
    for field in ("visitor__full_name", "visitor__company", "purpose", "hospitality_notes", "materials"):
        marked |= models.Q(**{f"{field}__contains": "<"})
    for visit in Visit.objects.filter(site=site).filter(marked | models.Q(pk=world["on_site"].pk))[:15]:
        pages += [reverse("visitors:visit", args=[visit.pk]), reverse("visitors:badge", args=[visit.pk])]
    pages.append(reverse("visitors:amend", args=[world["on_site"].pk]))
    for model, name in [
        ("Handover", "handover_detail"),
        ("LostItem", "lost_item_detail"),
        ("Incident", "incident_detail"),
    ]:
        entries = apps.get_model("reception", model).objects.filter(site=site)
        marked = models.Q(pk__in=entries.order_by("-pk").values_list("pk", flat=True)[:3])
        for field in entries.model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                marked |= models.Q(**{f"{field.attname}__contains": "<"})
        for pk in entries.filter(marked).order_by("-pk").values_list("pk", flat=True)[:15]:
            pages.append(reverse(f"reception:{name}", args=[pk]))
    return pages


@pytest.mark.parametrize("form", list(FORMS))
def test_every_hostile_input_is_refused_or_stored_harmlessly(form, world, clients):
    role, _ = FORMS[form]
    client = clients[role]
    outcomes = {"stored": 0, "refused": 0, "throttled": 0}
    failures = []

    for field, values in PLAN[form].items():
        for value in values:
            method, url, data = valid(form, world)
            data[field] = value
            extra = {
                "REMOTE_ADDR": f"10.{next(_serial) % 250}.{next(_serial) % 250}.7"
            }  # sign-in lockout is per address
            response = getattr(client, method)(url, data, **extra)
            status = response.status_code
            label = f"{form}.{field}={value[:40]!r}"
            if status >= 500:
                failures.append(f"{label}: {status}")
                continue
            assert_escaped(response, label)
            if status == 429:
                outcomes["throttled"] += 1
            elif status == 302 or (method == "get" and status == 200):
                outcomes["stored"] += 1
            elif status in (200, 400) and (
                any(marker in response.content.decode(errors="replace") for marker in ERROR_MARKERS)
                or response.get("Content-Type", "").startswith("text/plain")
            ):
                outcomes["refused"] += 1
            else:
                failures.append(f"{label}: {status} without an error message")

    assert not failures, "\n".join(failures[:40])
    total = sum(len(values) for values in PLAN[form].values())
    assert sum(outcomes.values()) == total
    assert outcomes["throttled"] == 0, outcomes  # every input reached the form

    stored = list(text_values())
    nul = [(model, name) for model, name, value in stored if "\x00" in value]
    assert not nul, f"NUL stored in {sorted(set(nul))}"
    if form in STORES_TEXT:
        # Otherwise the pages below would prove nothing about escaping.
        assert any(SCRIPT in value for _, _, value in stored), f"{form} stored no markup to render"

    reader = clients["clerk"]
    for page in pages_to_render(world):
        response = reader.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert_escaped(response, page)
    if role == "anonymous" and form == "invitation_confirm":
        token = links.invitation_token(world["invitation"])
        assert_escaped(clients["anonymous"].get(reverse("public:invitation", kwargs={"token": token})), "invitation")

    export = reader.get(reverse("visitors:log_export"))
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    formulas = [cell for row in rows[1:] for cell in row if cell[:1] in FORMULA_STARTS]
    assert not formulas, f"CSV cells that a spreadsheet would run: {formulas[:5]}"
