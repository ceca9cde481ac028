"""Every named address of the app, asked by every role (issue #6 point 5, R4.1,
R1.5 duties as roles): the answer's status class must match the table below.

The addresses come from the URL resolver, so a new address fails
`test_every_named_url_is_in_the_table` until someone decides, in review, who
may open it. The second half posts to every address that changes something,
as each role the table refuses, and checks that nothing changed (R6.4: the
record is only ever written by those allowed to).

Status classes: 200, 204, 302 (a redirect elsewhere), "login" (302 to the
sign-in page), "admin" (302 to the back office's sign-in), 403, 404, 405.
"""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from customers import calls, complaints, followups, rotation
from customers import services as customer_services
from customers.models import ComplaintHandler
from reception import registers, rulebook
from reception.models import NotificationChannel, PhotoPolicy, RulesVersion
from tests.corpus import fingerprint, form_data
from tests.customers import care
from tests.visitors import pictures
from tests.visitors.desk import walk_in
from visitors import agreements, links, photos
from visitors.amend_forms import AmendVisitForm
from visitors.models import Agreement, AgreementKind, SignedAgreement, Visit
from visitors.ratelimit import Limit

ROLES = (
    "anonymous",
    "kiosk",
    "clerk",
    "security",
    "secretary",
    "host",
    "night",
    "manager",
    "director",
    "sales",
    "floor",
)
FIXTURES = {
    "clerk": "clerk",
    "security": "security_guard",
    "secretary": "secretary",
    "host": "host",
    "night": "night_officer",
    "manager": "manager",
    "director": "director",
    "sales": "salesperson",
    "floor": "floor_manager",
}
L, A = "login", "admin"

# Only these of the back office's addresses: the admin is Django's, and its
# permission model is the office manager's (is_staff plus model permissions).
ADMIN_SAMPLES = {
    "admin:index",
    "admin:visitors_visit_changelist",
    "admin:reception_handover_changelist",
    "admin:reception_rosterentry_changelist",
    "admin:auth_user_changelist",
    "admin:reception_rule_tester",  # issue #22: reads only, the category admin's view permission
    "admin:reception_notificationchannel_test_event",  # issue #21: POST only, the channel's change permission
}

# fmt: off
_TABLE = {
    #                                    anon  kiosk clerk secur secre host  night mgr   dir   sales floor
    # sign-in and the odd ones out
    "home":                              (L,   L,    302,  302,  302,  302,  302,  302,  302,  302,  302),
    "login":                             (200, 200,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    "logout":                            (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "set_language":                      (302, 302,  302,  302,  302,  302,  302,  302,  302,  302,  302),
    "reception:healthz":                 (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    # the desk (visitors.view_visit: everyone but the host)
    "visitors:dashboard":                (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "visitors:dashboard_live":           (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "visitors:visit":                    (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "visitors:on_site_list":             (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "reception:duty_panel":              (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "public:desk_notifications":         (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    # registration (visitors.register_visit)
    "visitors:register":                 (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    "visitors:room_options":             (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    "visitors:host_options":             (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    "visitors:returning_visitors":       (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    "visitors:badge":                    (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    # the visitor's photo (issue #19): seen by whoever sees the visit, taken by
    # whoever checks visitors in (visitors.check_in_visit; POST only)
    "visitors:photo":                    (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "visitors:take_photo":               (L,   L,    405,  405,  405,  403,  405,  403,  405,  403,  403),
    # the signed copy of an agreement (issue #19): whoever sees the visit
    "visitors:signed_agreement":         (L,   L,    200,  200,  200,  403,  200,  200,  200,  403,  403),
    "visitors:cancel":                   (L,   L,    405,  403,  405,  403,  405,  403,  405,  403,  403),
    "visitors:no_show":                  (L,   L,    405,  403,  405,  403,  405,  403,  405,  403,  403),
    # check-in (visitors.check_in_visit) and check-out (visitors.check_out_visit)
    "visitors:check_in":                 (L,   L,    200,  200,  200,  403,  200,  403,  200,  403,  403),
    "visitors:record_step":              (L,   L,    405,  405,  405,  403,  405,  403,  405,  403,  403),
    # R3.2 without the email: the desk records that the host met the visitor
    # (check_in_visit); the host, or someone told of the visit, acknowledges
    # (visitors.acknowledge_visit: host, secretary, director; POST only)
    "visitors:host_met":                 (L,   L,    405,  405,  405,  403,  405,  403,  405,  403,  403),
    "visitors:acknowledge":              (L,   L,    403,  403,  405,  405,  403,  403,  405,  403,  403),
    # where each acknowledger starts (issue #16): their own visitors, nobody else's
    "visitors:my_visitors":              (L,   L,    403,  403,  200,  200,  403,  403,  200,  403,  403),
    # hospitality to serve (visitors.serve_hospitality: the desk and the secretary, R1.5.3)
    "visitors:hospitality":              (L,   L,    200,  403,  200,  403,  200,  403,  200,  403,  403),
    "visitors:serve_hospitality":        (L,   L,    405,  403,  405,  403,  405,  403,  405,  403,  403),
    # the desk's notes about a visitor (visitors.register_visit)
    "visitors:visitor_notes":            (L,   L,    405,  403,  405,  403,  405,  403,  405,  403,  403),
    "public:desk_check_in":              (L,   L,    200,  200,  200,  403,  200,  403,  200,  403,  403),
    "visitors:check_out":                (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    "visitors:closing":                  (L,   L,    200,  200,  403,  403,  200,  403,  200,  403,  403),
    "visitors:check_out_everyone":       (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    # the visitor log (R4.1: who reads and who takes it out of the building)
    "visitors:log":                      (L,   L,    200,  403,  200,  403,  200,  200,  200,  403,  403),
    "visitors:log_export":               (L,   L,    200,  403,  403,  403,  200,  200,  200,  403,  403),
    # insights (issue #20: visitors.view_insights, the office director and manager)
    "visitors:insights":                 (L,   L,    403,  403,  403,  403,  403,  200,  200,  403,  403),
    "visitors:insights_csv":             (L,   L,    403,  403,  403,  403,  403,  200,  200,  403,  403),
    # amendments (R6.4), ID numbers (security), erasure (the office manager)
    "visitors:amend":                    (L,   L,    200,  403,  403,  403,  200,  403,  200,  403,  403),
    "visitors:reveal_id_number":         (L,   L,    403,  405,  403,  403,  403,  403,  403,  403,  403),
    "visitors:erase":                    (L,   L,    403,  403,  403,  403,  403,  200,  403,  403,  403),
    # the watchlist's holds (issue #19: visitors.clear_security_hold, security alone)
    "visitors:security_holds":           (L,   L,    403,  200,  403,  403,  403,  403,  403,  403,  403),
    "visitors:clear_hold":               (L,   L,    403,  405,  403,  403,  403,  403,  403,  403,  403),
    "visitors:refuse_hold":              (L,   L,    403,  405,  403,  403,  403,  403,  403,  403,  403),
    # a walk-up waiting for the host (issue #19, A13): its host, or the desk once
    # the host's time is up (the service decides which); POST only
    "visitors:approve_walk_up":          (L,   L,    405,  405,  405,  405,  405,  403,  405,  403,  403),
    "visitors:decline_walk_up":          (L,   L,    405,  405,  405,  405,  405,  403,  405,  403,  403),
    # invitations (visitors.invite_visitor: hosts too, not security or the manager)
    "public:invite":                     (L,   L,    200,  403,  200,  200,  200,  403,  200,  403,  403),
    "public:invite_rooms":               (L,   L,    200,  403,  200,  200,  200,  403,  200,  403,  403),
    # the night side: roster for all staff, handover and registers for the desk
    # and security, read-only for the manager (R6.2, R6.3, R6.6)
    "reception:roster":                  (L,   L,    200,  200,  200,  200,  200,  200,  200,  200,  200),
    "reception:handover_list":           (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:handover_detail":         (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:handover_new":            (L,   L,    200,  200,  403,  403,  200,  403,  200,  403,  403),
    "reception:handover_acknowledge":    (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    "reception:lost_item_list":          (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:lost_item_detail":        (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:lost_item_new":           (L,   L,    200,  200,  403,  403,  200,  403,  200,  403,  403),
    "reception:lost_item_return":        (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    "reception:incident_list":           (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:incident_detail":         (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    "reception:incident_new":            (L,   L,    200,  200,  403,  403,  200,  403,  200,  403,  403),
    "reception:incident_follow_up":      (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    "reception:incident_close":          (L,   L,    405,  405,  403,  403,  405,  403,  405,  403,  403),
    # needs both visitors.view_visit and reception.view_handover
    "reception:morning_report":          (L,   L,    200,  200,  403,  403,  200,  200,  200,  403,  403),
    # issue #22: the written rules, read and acknowledged by all staff of the site
    "reception:rules":                   (L,   L,    200,  200,  200,  200,  200,  200,  200,  200,  200),
    "reception:rules_banner":            (L,   L,    200,  200,  200,  200,  200,  200,  200,  200,  200),
    "reception:rules_version":           (L,   L,    200,  200,  200,  200,  200,  200,  200,  200,  200),
    "reception:rules_acknowledge":       (L,   L,    405,  405,  405,  405,  405,  405,  405,  405,  405),
    # the kiosk: only an enrolled kiosk; the enrolment link is the secret itself
    "public:kiosk_start":                (403, 200,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    "public:kiosk_enrol":                (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "public:kiosk_walk_in":              (403, 200,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    "public:kiosk_hosts":                (403, 200,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    "public:kiosk_code":                 (403, 200,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    "public:kiosk_check_out":            (403, 200,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    "public:kiosk_done":                 (403, 302,  403,  403,  403,  403,  403,  403,  403,  403,  403),
    # links in emails: the token is the key, whoever opens it
    "public:invitation":                 (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "public:acknowledge":                (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "public:approve":                    (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    # the back office: staff status (the office manager) and model permissions
    "admin:index":                       (A,   A,    A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:visitors_visit_changelist":   (A,   A,    A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:reception_handover_changelist": (A, A,    A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:reception_rosterentry_changelist": (A, A, A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:auth_user_changelist":        (A,   A,    A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:reception_rule_tester":       (A,   A,    A,    A,    A,    A,    A,    200,  A,  A,  A),
    "admin:reception_notificationchannel_test_event": (A, A, A, A, A, A, A, 405, A,  A,  A),
    # the sales floor (R2, R9.2, R10.1; issue #17): the desk registers, links
    # and logs; a salesperson sees their own customers and calls and greets;
    # the floor manager sees the floor, overrides and reads the fairness;
    # security, the secretary and hosts see none of it.
    "customers:customer_list":           (L,   L,    200,  403,  403,  403,  200,  200,  200,  200,  200),
    "customers:customer_detail":         (L,   L,    200,  403,  403,  403,  200,  200,  200,  200,  200),
    "customers:customer_new":            (L,   L,    200,  403,  403,  403,  200,  403,  200,  403,  200),
    "customers:customer_edit":           (L,   L,    403,  403,  403,  403,  403,  200,  403,  403,  200),
    "customers:link_visit":              (L,   L,    200,  403,  403,  403,  200,  403,  200,  403,  200),
    "customers:rotation":                (L,   L,    200,  403,  403,  403,  200,  200,  200,  200,  200),
    "customers:next":                    (L,   L,    405,  403,  403,  403,  405,  403,  405,  403,  405),
    "customers:override":                (L,   L,    403,  403,  403,  403,  403,  403,  403,  403,  405),
    "customers:greet":                   (L,   L,    405,  403,  403,  403,  405,  403,  405,  405,  405),
    "customers:away":                    (L,   L,    403,  403,  403,  403,  403,  403,  403,  200,  200),
    "customers:back":                    (L,   L,    403,  403,  403,  403,  403,  403,  403,  405,  405),
    "customers:fairness":                (L,   L,    403,  403,  403,  403,  403,  200,  403,  403,  200),
    "customers:call_list":               (L,   L,    200,  403,  403,  403,  200,  200,  200,  200,  200),
    "customers:call_new":                (L,   L,    200,  403,  403,  403,  200,  403,  200,  403,  200),
    "customers:call_export":             (L,   L,    200,  403,  403,  403,  200,  403,  200,  403,  200),
    # the integrations' API (issue #21): its document and docs are public; its
    # operations open to a bearer token only, never to a signed-in session
    # (tests/visitors/test_api.py asks each scope); POST-only ones answer GET 405
    "api:api-root":                      (404, 404,  404,  404,  404,  404,  404,  404,  404,  404,  404),
    "api:openapi-json":                  (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "api:openapi-view":                  (200, 200,  200,  200,  200,  200,  200,  200,  200,  200,  200),
    "api:visits":                        (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:create_visit":                  (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:visit":                         (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:check_in":                      (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "api:check_out":                     (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "api:check_in_by_badge":             (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "api:check_out_by_badge":            (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "api:erase_visitor":                 (405, 405,  405,  405,  405,  405,  405,  405,  405,  405,  405),
    "api:on_site":                       (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:rooms":                         (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:hosts":                         (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:visitors":                      (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    "api:audit_events":                  (401, 401,  401,  401,  401,  401,  401,  401,  401,  401,  401),
    # customer care (R5, R9.3, R10.2; issue #18): the desk, the director and
    # the floor manager see every complaint; a salesperson those of their own
    # customers (the world's is theirs); a department handler (the host, who
    # handles the world's department) what is routed to them; security and
    # the secretary none. Handling (route, reply, close) is the desk's, the
    # floor manager's, the director's and the handler's; the office manager reads.
    "customers:complaint_list":          (L,   L,    200,  403,  403,  200,  200,  200,  200,  200,  200),
    "customers:complaint_new":           (L,   L,    200,  403,  403,  403,  200,  403,  200,  200,  200),
    "customers:complaint_detail":        (L,   L,    200,  403,  403,  200,  200,  200,  200,  200,  200),
    "customers:complaint_file":          (L,   L,    200,  403,  403,  200,  200,  200,  200,  200,  200),
    "customers:complaint_route":         (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:complaint_supervisor":    (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:complaint_reply":         (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:complaint_close":         (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:complaint_reopen":        (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:complaint_acknowledge":   (L,   L,    405,  403,  403,  405,  405,  403,  405,  403,  405),
    "customers:due":                     (L,   L,    200,  403,  403,  200,  200,  200,  200,  200,  200),
    "customers:follow_up_new":           (L,   L,    200,  403,  403,  403,  200,  403,  200,  200,  200),
    "customers:follow_up_done":          (L,   L,    200,  403,  403,  403,  200,  403,  200,  200,  200),
    "customers:feedback_new":            (L,   L,    200,  403,  403,  403,  200,  403,  200,  200,  200),
    "customers:feedback_resolve":        (L,   L,    405,  403,  403,  405,  405,  403,  405,  405,  405),
    # R5.5: the monthly summary, for the director, the office and floor managers
    "customers:complaint_summary":       (L,   L,    403,  403,  403,  403,  403,  200,  200,  403,  200),
    "customers:complaint_summary_csv":   (L,   L,    403,  403,  403,  403,  403,  200,  200,  403,  200),
}
# fmt: on
EXPECTED: dict[str, dict[str, object]] = {name: dict(zip(ROLES, row, strict=True)) for name, row in _TABLE.items()}


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


def named_urls() -> list[str]:
    """Every named address of the project, namespaced; of the admin, only the samples."""
    names = {name for name in _walk(get_resolver().url_patterns) if not name.startswith("admin:")}
    return sorted(names | ADMIN_SAMPLES)


def status_class(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return L
        if location.startswith("/admin/login/"):
            return A
    return response.status_code


# --- the world every request is asked about -----------------------------------


@pytest.fixture(autouse=True)
def quick(settings, daytime):
    """Daytime (outside the R6.8 night window), cheap passwords, no rate limits."""
    settings.PUBLIC_RATE_LIMITS = {name: Limit(per_device=None, per_address=None) for name in ("kiosk", "lookup")}
    settings.PUBLIC_RATE_LIMITS["invitation"] = Limit(per_device=None, per_address=None)


@pytest.fixture
def people(
    request, clerk, security_guard, secretary, host, night_officer, manager, director, salesperson, floor_manager
):
    return {role: request.getfixturevalue(fixture) for role, fixture in FIXTURES.items()}


@pytest.fixture
def world(
    settings,
    tmp_path,
    people,
    site,
    rooms,
    business,
    business_room,
    invitation,
    lobby_kiosk,
    found_umbrella,
    broken_cup,
    sales_floor,
    sales3,
):
    """One of each thing an address can name, all at the user's site."""
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = people["clerk"]
    on_site = walk_in(category=business, room=business_room, by=clerk, name="Zhou Jie", host=people["host"], meals=True)
    on_site.visitor.id_number = "110101199003070011"
    on_site.visitor.save(update_fields=["id_number"])
    on_site.category.photo = PhotoPolicy.OPTIONAL  # issue #19: business visitors may be photographed
    on_site.category.save(update_fields=["photo"])
    photos.take_photo(visit=on_site, photo=photos.reencode(pictures.picture(size=(64, 48))), by=clerk, via="desk")
    nda = Agreement.objects.create(site=site, category=on_site.category, kind=AgreementKind.NDA)
    version = agreements.publish_version(
        agreement=nda, title_en="NDA", title_zh="保密协议", text_en="Secret.", text_zh="保密。", by=people["manager"]
    )
    signed = SignedAgreement(site=site, visit=on_site, visitor=on_site.visitor, version=version, signed_name="Zhou Jie")
    signed.document.save("copy.html", ContentFile(b"<p>signed</p>"), save=False)
    signed.save()
    expected = Visit.objects.get(pk=invitation.visit_id)
    # Issue #19 (A13): a walk-up whose category needs the host's approval, waiting for it.
    business.walk_ups_need_approval = True
    business.save()
    awaiting = walk_in(category=business, room=business_room, by=clerk, name="Qian Hao", host=people["host"])
    business.walk_ups_need_approval = False
    business.save()
    handover = registers.write_handover(site=site, by=clerk, open_items="Call Mr Li", incidents="", keys_and_items="")
    # The sales floor: the salesperson's own customer, a call given to them
    # (not yet greeted), and Xu Jing away at lunch.
    customer = customer_services.create_customer(
        site=site, by=clerk, name="Gao Feng", company="Gao Trading", owner=people["sales"]
    )
    call = calls.log_call(site=site, by=clerk, caller="Gao Feng", phone="", topic="enquiry", customer=customer)
    away = rotation.mark_away(site=site, user=sales3, by=sales3, reason="Lunch")
    rules = rulebook.publish_rules_version(
        version=RulesVersion(site=site, effective_from=timezone.now().date(), body_en="Be kind."), by=people["manager"]
    )
    # Customer care: a written major complaint of Gao Feng's routed to the
    # host's department, which the host handles; a follow-up and a request.
    department = people["host"].profile.department
    ComplaintHandler.objects.create(site=site, department=department, user=people["host"], is_head=True)
    complaint = complaints.open_complaint(
        site=site,
        by=clerk,
        customer=customer,
        channel="written",
        severity="major",
        heard="See the letter",
        letter=care.pdf(),
        department=department,
    )
    follow_up = followups.schedule_follow_up(customer=customer, by=clerk)
    feedback = followups.log_feedback(
        customer=customer,
        by=clerk,
        kind="after_sales",
        summary="Filter change",
        department=department,
        owner=people["host"],
        due_on=timezone.localdate(),
    )
    # A generic webhook for "Send test event" (issue #21), subscribed to nothing.
    channel = NotificationChannel.objects.create(site=site, name="Door", url="https://hooks.example/", secret="s")
    return {
        "signed": signed,
        "channel": channel,
        "rules": rules,
        "complaint": complaint,
        "follow_up": follow_up,
        "feedback": feedback,
        "customer": customer,
        "assignment": call.assignment,
        "away": away,
        "sales2": sales_floor.members.get(position=2).user,
        "on_site": on_site,
        "expected": expected,
        "invitation": invitation,
        "handover": handover,
        "item": found_umbrella,
        "incident": broken_cup,
        "kiosk": lobby_kiosk,
        "visit_token": links.invitation_token(invitation),
        "ack_token": links.ack_token(on_site, people["host"]),
        "awaiting": awaiting,
        "approval_token": links.approval_token(awaiting, people["host"]),
    }


# Which visit an address acts on: an invited (expected) one for the actions
# that need it, the visitor on site for the rest.
ON_EXPECTED = {"visitors:check_in", "visitors:cancel", "visitors:no_show"}
ON_SITE = {
    "visitors:photo",
    "visitors:take_photo",
    "visitors:clear_hold",
    "visitors:refuse_hold",
    "visitors:visit",
    "visitors:amend",
    "visitors:reveal_id_number",
    "visitors:badge",
    "visitors:check_out",
    "visitors:record_step",
    "visitors:host_met",
    "visitors:acknowledge",
    "visitors:visitor_notes",
    "visitors:serve_hospitality",
}


def url_of(name: str, world) -> str:
    if name in ON_SITE:
        return reverse(name, kwargs={"pk": world["on_site"].pk})
    if name in ON_EXPECTED:
        return reverse(name, kwargs={"pk": world["expected"].pk})
    kwargs = {
        # the invited visitor: one on site cannot be erased until checked out
        "visitors:erase": {"pk": world["expected"].visitor_id},
        "reception:handover_detail": {"pk": world["handover"].pk},
        "reception:handover_acknowledge": {"pk": world["handover"].pk},
        "reception:rules_version": {"number": world["rules"].number},
        "reception:rules_acknowledge": {"number": world["rules"].number},
        "reception:lost_item_detail": {"pk": world["item"].pk},
        "reception:lost_item_return": {"pk": world["item"].pk},
        "reception:incident_detail": {"pk": world["incident"].pk},
        "reception:incident_follow_up": {"pk": world["incident"].pk},
        "reception:incident_close": {"pk": world["incident"].pk},
        "public:kiosk_enrol": {"token": world["kiosk"].token},
        "public:invitation": {"token": world["visit_token"]},
        "public:acknowledge": {"token": world["ack_token"]},
        "public:approve": {"token": world["approval_token"]},
        "visitors:approve_walk_up": {"pk": world["awaiting"].pk},
        "visitors:decline_walk_up": {"pk": world["awaiting"].pk},
        "visitors:insights_csv": {"table": "summary"},
        "customers:customer_detail": {"pk": world["customer"].pk},
        "customers:customer_edit": {"pk": world["customer"].pk},
        "customers:link_visit": {"visit_id": world["on_site"].pk},
        "customers:greet": {"pk": world["assignment"].pk},
        "customers:back": {"pk": world["away"].pk},
        "api:visit": {"visit_id": world["on_site"].pk},
        "api:check_in": {"visit_id": world["expected"].pk},
        "api:check_out": {"visit_id": world["on_site"].pk},
        "api:check_in_by_badge": {"code": world["expected"].badge_code},
        "api:check_out_by_badge": {"code": world["on_site"].badge_code},
        "api:erase_visitor": {"visitor_id": world["expected"].visitor_id},
        "admin:reception_notificationchannel_test_event": {"object_id": world["channel"].pk},
        "customers:complaint_file": {"pk": world["complaint"].pk, "which": "letter"},
        "visitors:signed_agreement": {"pk": world["on_site"].pk, "signed": world["signed"].pk},
        "customers:complaint_summary_csv": {"table": "channel"},
        "customers:follow_up_done": {"pk": world["follow_up"].pk},
        "customers:feedback_resolve": {"pk": world["feedback"].pk},
    }.get(name, {})
    if name.startswith("customers:complaint_") and not kwargs:
        if name not in {"customers:complaint_list", "customers:complaint_new", "customers:complaint_summary"}:
            kwargs = {"pk": world["complaint"].pk}
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def as_role(people, world):
    """A fresh client for a role: signed in (force_login), enrolled as the
    kiosk through its enrolment link, or anonymous."""

    def make(role: str):
        client = Client()
        if role == "kiosk":
            response = client.post(reverse("public:kiosk_enrol", kwargs={"token": world["kiosk"].token}))
            assert response.status_code == 302
        elif role != "anonymous":
            client.force_login(people[role])
        return client

    return make


# --- the matrix -------------------------------------------------------------------


def test_every_named_url_is_in_the_table():
    missing = [name for name in named_urls() if name not in EXPECTED]
    stale = [name for name in EXPECTED if name not in named_urls()]

    assert not missing, "; ".join(f"add {name} to EXPECTED" for name in missing)
    assert not stale, "; ".join(f"{name} is no longer an address: remove it from EXPECTED" for name in stale)


def test_the_table_names_every_role():
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


AUDITED_READS = {"visitors:log_export", "customers:call_export"}
AUDIT = "visitors.AuditEvent"


@pytest.mark.parametrize("name", named_urls())
def test_each_role_gets_the_expected_answer(name, world, as_role):
    assert name in EXPECTED, f"add {name} to EXPECTED"
    url = url_of(name, world)
    clients = {role: as_role(role) for role in ROLES}  # enrolling the kiosk is itself audited
    before = fingerprint()

    actual = {role: status_class(client.get(url)) for role, client in clients.items()}

    mismatches = {role: (EXPECTED[name][role], got) for role, got in actual.items() if got != EXPECTED[name][role]}
    assert not mismatches, f"{name} ({url}): role → (expected, got): {mismatches}"
    after = fingerprint()
    if name in AUDITED_READS:
        # Taking the log out of the building is audited (R6.4, R4.1): one entry per export.
        exports = sum(1 for expected in EXPECTED[name].values() if expected == 200)
        assert after.pop(AUDIT) == before.pop(AUDIT) + exports
    assert after == before, f"GET {url} changed the database"


# --- refused changes change nothing ----------------------------------------------

REFUSED = {L, A, 403, 404}


def _payload(name: str, world, role_client) -> dict:
    """A submission the allowed roles would see accepted, so that a refusal
    below is the permission's doing, not the form's."""
    on_site = world["on_site"]
    if name == "visitors:register":
        return {
            "full_name": "Chen Jing",
            "category": str(on_site.category_id),
            "party_size": "1",
            "room": str(on_site.room_id),
            "purpose": "Talks",
        }
    if name == "visitors:amend":
        data = form_data(AmendVisitForm(visit=on_site))
        return {**data, "visitor_company": "Zhou Trading", "reason": "Typo at the desk"}
    if name == "visitors:record_step":
        return {"kind": "seated"}
    if name == "visitors:serve_hospitality":
        return {"item": "meals"}
    if name == "visitors:visitor_notes":
        return {"notes": "Prefers green tea"}
    if name == "visitors:take_photo":
        return {"photo_data": pictures.data_url(pictures.picture(size=(64, 48)))}
    if name == "visitors:erase":
        return {"confirm": "on"}
    if name == "reception:handover_new":
        return {"open_items": "Keys to room 3", "incidents": "", "keys_and_items": "Key 3"}
    if name == "reception:lost_item_new":
        found = timezone.localtime(timezone.now() - timedelta(minutes=30), on_site.site.tzinfo)
        return {
            "description": "Blue scarf",
            "found_at": found.strftime("%Y-%m-%dT%H:%M"),
            "found_where": "Lounge",
            "found_by": "Zhang Wei",
            "stored_where": "Desk drawer",
        }
    if name == "reception:lost_item_return":
        return {"returned_to": "Ms Wang, phone 138"}
    if name == "reception:incident_new":
        when = timezone.localtime(timezone.now() - timedelta(minutes=30), on_site.site.tzinfo)
        return {
            "kind": "damage",
            "description": "Chair broken",
            "location": "Lounge",
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        }
    if name in {"reception:incident_follow_up", "reception:incident_close"}:
        return {"note": "Facilities called"}
    if name == "public:invite":
        expected_at = timezone.localtime(timezone.now() + timedelta(hours=3), on_site.site.tzinfo)
        return {
            "full_name": "Ana Lima",
            "email": "ana@lima.example",
            "category": str(on_site.category_id),
            "host": str(on_site.host_id),
            "expected_at": expected_at.strftime("%Y-%m-%dT%H:%M"),
            "purpose": "Contract",
            "party_size": "1",
        }
    if name in {"public:desk_check_in", "public:kiosk_code"}:
        return {"code": world["invitation"].code, "accept_privacy": "on", "submission_key": "k" * 20}
    if name == "public:kiosk_check_out":
        return {"badge_code": on_site.badge_code}
    if name == "customers:customer_new":
        return {"name": "Qian Li", "company": "Qian Ltd", "phone": "139 0000 1111", "tier": "general"}
    if name == "customers:customer_edit":
        return {"name": "Gao Feng", "company": "Gao Trading", "tier": "gold", "owner": str(world["sales2"].pk)}
    if name == "customers:link_visit":
        return {"customer": str(world["customer"].pk)}
    if name == "customers:next":
        return {"visit": str(on_site.pk)}
    if name == "customers:override":
        return {"visit": str(on_site.pk), "salesperson": str(world["sales2"].pk), "reason": "Speaks German"}
    if name == "customers:away":
        return {"user": str(world["customer"].owner_id), "reason": "Site visit"}
    if name == "customers:call_new":
        return {"caller": "Mr Sun", "phone": "139 3333 5555", "topic": "enquiry"}
    if name == "customers:complaint_new":
        return {
            "customer": str(world["customer"].pk),
            "channel": "phone",
            "source": "desk",
            "severity": "general",
            "heard": "Late delivery",
        }
    if name == "customers:complaint_route":
        return {"department": str(world["complaint"].department_id)}
    if name == "customers:complaint_supervisor":
        return {"supervisor": str(world["sales2"].pk), "promised_on": timezone.localdate().isoformat()}
    if name == "customers:complaint_reply":
        return {"reply": "We will replace it", "reply_letter": care.pdf("reply.pdf")}
    if name == "customers:follow_up_new":
        return {"customer": str(world["customer"].pk), "method": "phone"}
    if name == "customers:follow_up_done":
        return {"satisfaction": "4", "shortcomings": "", "relationship_note": "Good"}
    if name == "customers:feedback_new":
        return {
            "customer": str(world["customer"].pk),
            "kind": "feedback",
            "summary": "Likes the new showroom",
            "department": str(world["complaint"].department_id),
            "owner": str(world["sales2"].pk),
            "due_on": timezone.localdate().isoformat(),
        }
    if name == "customers:feedback_resolve":
        return {"resolution": "Filter changed"}
    if name == "customers:complaint_acknowledge":
        return {}
    if name in ("visitors:approve_walk_up", "visitors:decline_walk_up"):
        return {"reason": "Not expected today"}
    if name == "public:kiosk_walk_in":
        page = role_client.get(reverse("public:kiosk_walk_in")).content.decode()
        key = re.search(r'name="submission_key" value="([^"]*)"', page)
        return {
            "full_name": "Maria Rossi",
            "phone": "+39 06 5551234",
            "party_size": "1",
            "host": links.host_token(on_site.site, on_site.host),
            "accept_privacy": "on",
            "submission_key": key.group(1) if key else "k" * 20,
        }
    return {}


def changing_urls() -> list[str]:
    """Addresses that change something and that some role must not use."""
    return sorted(
        name
        for name, row in EXPECTED.items()
        if name
        in {
            "visitors:register",
            "visitors:amend",
            "visitors:reveal_id_number",
            "visitors:erase",
            "visitors:check_in",
            "visitors:check_out",
            "visitors:cancel",
            "visitors:no_show",
            "visitors:record_step",
            "visitors:host_met",
            "visitors:acknowledge",
            "visitors:approve_walk_up",
            "visitors:decline_walk_up",
            "visitors:visitor_notes",
            "visitors:take_photo",
            "visitors:serve_hospitality",
            "visitors:check_out_everyone",
            "reception:handover_new",
            "reception:handover_acknowledge",
            "reception:lost_item_new",
            "reception:lost_item_return",
            "reception:incident_new",
            "reception:incident_follow_up",
            "reception:incident_close",
            "public:invite",
            "public:desk_check_in",
            "public:kiosk_walk_in",
            "public:kiosk_code",
            "public:kiosk_check_out",
            "customers:customer_new",
            "customers:customer_edit",
            "customers:link_visit",
            "customers:next",
            "customers:override",
            "customers:greet",
            "customers:away",
            "customers:back",
            "customers:call_new",
            "customers:complaint_new",
            "customers:complaint_route",
            "customers:complaint_supervisor",
            "customers:complaint_reply",
            "customers:complaint_acknowledge",
            "customers:follow_up_new",
            "customers:follow_up_done",
            "customers:feedback_new",
            "customers:feedback_resolve",
            "admin:reception_notificationchannel_test_event",
        }
        and any(expected in REFUSED for expected in row.values())
    )


# One role per address that may do it, to prove the payload does change
# something when allowed (the writer cannot acknowledge their own handover;
# a visit is acknowledged in the app by its host).
ALLOWED_SAMPLE = {
    "visitors:acknowledge": "host",
    # the host answers at once; the desk only once the host's time is up
    "visitors:approve_walk_up": "host",
    "visitors:decline_walk_up": "host",
    "visitors:reveal_id_number": "security",
    "visitors:erase": "manager",
    "admin:reception_notificationchannel_test_event": "manager",
    "reception:handover_acknowledge": "night",
    "public:kiosk_walk_in": "kiosk",
    "public:kiosk_code": "kiosk",
    "public:kiosk_check_out": "kiosk",
    "customers:customer_edit": "floor",
    "customers:override": "floor",
    "customers:away": "sales",
    "customers:back": "floor",
}


@pytest.mark.parametrize("name", changing_urls())
def test_roles_refused_a_change_leave_the_database_alone(name, world, as_role):
    url = url_of(name, world)
    refused = [role for role, expected in EXPECTED[name].items() if expected in REFUSED]
    clients = {role: as_role(role) for role in [*refused, "kiosk"]}
    payloads = {role: _payload(name, world, client) for role, client in clients.items()}
    before = fingerprint()

    answers = {role: status_class(clients[role].post(url, payloads[role])) for role in refused}

    wrong = {role: got for role, got in answers.items() if got not in REFUSED}
    assert not wrong, f"POST {url}: refused roles answered {wrong}"
    assert fingerprint() == before, f"POST {url} by a refused role changed the database"

    allowed = ALLOWED_SAMPLE.get(name, "director" if EXPECTED[name]["director"] not in REFUSED else "clerk")
    client = as_role(allowed)
    response = client.post(url, _payload(name, world, client))
    assert response.status_code in (200, 302), response
    assert fingerprint() != before, f"POST {url} as {allowed} changed nothing: the refusals above prove little"
