"""The written reception rules (issue #22 item 2): versions the office manager
publishes in two languages, never changed nor deleted; staff are asked to read
the version in force until they acknowledge it; the manager sees who has; the
visitor-facing parts reach the kiosk and the invitation page; publishing and
acknowledging are events of the hash-chained audit trail (R6.4); and the
Markdown is rendered without ever letting HTML or scripts through."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from reception import rulebook
from reception.models import RulesAcknowledgement, RulesVersion
from visitors import audit
from visitors.models import AuditEvent

# --- Markdown, safely ----------------------------------------------------------------

ALLOWED_TAG = re.compile(
    r"</?(p|br|h3|h4|h5|ul|ol|li|strong|em)>|<a href=\"https?://[^\"<>]*\" rel=\"nofollow noopener noreferrer\">|</a>"
)


def tags_of(html: str) -> list[str]:
    return re.findall(r"<[^>]*>", html)


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JavaScript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '[click](https://example.com/" onmouseover="alert(1))',
        '[click](https://example.com/"><script>alert(1)</script>)',
        "**<b onclick=alert(1)>bold</b>**",
        "# <svg onload=alert(1)>",
        "- <iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
        "<!-- comment --><div>raw</div>",
    ],
)
def test_markdown_never_lets_html_or_scripts_through(source):
    html = str(rulebook.render_markdown(source))
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html
    assert 'href="javascript' not in html.lower() and 'href="data' not in html.lower()
    for tag in tags_of(html):
        assert ALLOWED_TAG.fullmatch(tag), (tag, html)


def test_markdown_renders_the_subset_a_rulebook_needs():
    source = (
        "# Reception rules\n\nVisitors are received in **designated rooms** only (*R1.3*).\n\n"
        "- Sign in\n- Wear the badge\n\n1. Ring the night officer\n2. Wait\n\n"
        "See [the handbook](https://example.com/handbook?a=1&b=2)."
    )
    html = str(rulebook.render_markdown(source))
    assert "<h3>Reception rules</h3>" in html
    assert "<strong>designated rooms</strong>" in html and "<em>R1.3</em>" in html
    assert "<ul><li>Sign in</li><li>Wear the badge</li></ul>" in html
    assert "<ol><li>Ring the night officer</li><li>Wait</li></ol>" in html
    assert (
        '<a href="https://example.com/handbook?a=1&amp;b=2" rel="nofollow noopener noreferrer">the handbook</a>' in html
    )


def test_a_javascript_link_stays_text():
    html = str(rulebook.render_markdown("[click](javascript:alert(1))"))
    assert "<a" not in html and "[click](javascript:alert(1))" in html


# --- versions -------------------------------------------------------------------------


def publish(site, by, *, body="Be kind to visitors.", effective_from=None, **texts):
    return rulebook.publish_rules_version(
        version=RulesVersion(site=site, effective_from=effective_from or timezone.now().date(), body_en=body, **texts),
        by=by,
    )


def test_versions_are_numbered_per_site_and_audited_with_their_texts(site, other_site, manager, daytime):
    first = publish(site, manager, body="Rules one", body_zh="规则一")
    second = publish(site, manager, body="Rules two")
    river = publish(other_site, None, body="River rules")
    assert (first.number, second.number, river.number) == (1, 2, 1)
    event = AuditEvent.objects.filter(site=site, action="rulesversion.publish").order_by("seq").first()
    assert event.changes["body_en"] == "Rules one" and event.changes["body_zh"] == "规则一"
    assert event.actor_id == manager.pk
    assert audit.verify_chain(site).intact


def test_the_version_in_force_is_the_latest_effective_one(site, manager, daytime):
    today = timezone.localdate()
    now_in_force = publish(site, manager, body="Now", effective_from=today - timedelta(days=3))
    publish(site, manager, body="Next week", effective_from=today + timedelta(days=7))
    assert rulebook.current_version(site) == now_in_force
    assert rulebook.current_version(site, timezone.now() + timedelta(days=8)).body_en == "Next week"


def test_a_published_version_is_never_changed_again(site, manager, daytime):
    version = publish(site, manager)
    with pytest.raises(ValueError):
        rulebook.publish_rules_version(version=version, by=manager)


# --- the desk ---------------------------------------------------------------------------


def test_the_desk_loads_the_banner_after_the_page(client, clerk, daytime, rooms):
    client.force_login(clerk)
    page = client.get("/desk/").content.decode()
    assert 'hx-get="/desk/rules/banner/"' in page


def test_staff_are_asked_to_read_new_rules_until_they_acknowledge(client, clerk, manager, site, daytime):
    version = publish(site, manager, body="# Rules\n\nBe **kind**.")
    client.force_login(clerk)
    assert "New rules to read: version 1." in client.get("/desk/rules/banner/").content.decode()
    page = client.get("/desk/rules/").content.decode()
    assert "<strong>kind</strong>" in page

    response = client.post("/desk/rules/1/acknowledge/")
    client.post("/desk/rules/1/acknowledge/")  # a double click records one

    assert response.status_code == 302
    assert RulesAcknowledgement.objects.filter(version=version, user=clerk).count() == 1
    assert AuditEvent.objects.filter(site=site, action="rulesversion.acknowledge", actor=clerk).count() == 1
    assert "New rules to read" not in client.get("/desk/rules/banner/").content.decode()
    assert "You have acknowledged this version." in client.get("/desk/rules/").content.decode()


def test_a_new_version_asks_again(client, clerk, manager, site, daytime):
    first = publish(site, manager)
    rulebook.acknowledge_rules(version=first, by=clerk)
    publish(site, manager, body="Changed")
    client.force_login(clerk)
    assert "New rules to read: version 2." in client.get("/desk/rules/banner/").content.decode()


def test_old_versions_stay_readable_and_other_sites_are_not_found(client, clerk, manager, site, other_site, daytime):
    publish(site, manager, body="Old rules")
    publish(site, manager, body="New rules")
    publish(other_site, None, body="River rules")
    client.force_login(clerk)
    old = client.get("/desk/rules/1/").content.decode()
    assert "Old rules" in old and "not the version in force" in old
    assert client.get("/desk/rules/3/").status_code == 404
    assert client.post("/desk/rules/3/acknowledge/").status_code == 404
    assert not RulesAcknowledgement.objects.exists()


def test_without_rules_there_is_no_banner(client, clerk, daytime):
    client.force_login(clerk)
    assert client.get("/desk/rules/banner/").content.decode().strip() == ""
    assert "has not published written rules" in client.get("/desk/rules/").content.decode()


# --- the back office ------------------------------------------------------------------------


def test_the_manager_publishes_a_version_in_the_admin(client, manager, site, daytime):
    client.force_login(manager)
    response = client.post(
        "/admin/reception/rulesversion/add/",
        {"site": site.pk, "effective_from": "2026-11-27", "body_en": "Be kind.", "body_zh": "待人友善。"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    version = RulesVersion.objects.get(site=site)
    assert (version.number, version.published_by) == (1, manager)
    assert AuditEvent.objects.filter(site=site, action="rulesversion.publish").count() == 1


def test_the_manager_cannot_change_or_delete_a_version(client, manager, site, daytime):
    version = publish(site, manager, body="Be kind.")
    client.force_login(manager)
    client.post(f"/admin/reception/rulesversion/{version.pk}/change/", {"site": site.pk, "body_en": "Changed"})
    assert client.post(f"/admin/reception/rulesversion/{version.pk}/delete/", {"post": "yes"}).status_code == 403
    version.refresh_from_db()
    assert version.body_en == "Be kind."


def test_the_manager_sees_who_has_and_has_not_acknowledged(client, manager, clerk, night_officer, site, daytime):
    version = publish(site, manager)
    rulebook.acknowledge_rules(version=version, by=clerk)
    client.force_login(manager)
    page = client.get(f"/admin/reception/rulesversion/{version.pk}/change/").content.decode()
    done = page.split('data-testid="acknowledged"')[1].split("</ul>")[0]
    waiting = page.split('data-testid="not-acknowledged"')[1].split("</ul>")[0]
    assert "Front Desk-Zhang Wei" in done and "Liu Yang" not in done
    assert "Front Desk-Liu Yang" in waiting and "Zhang Wei" not in waiting


def test_a_manager_does_not_see_another_sites_rules(client, manager, other_site, daytime):
    river = publish(other_site, None, body="River rules")
    client.force_login(manager)
    assert client.get(f"/admin/reception/rulesversion/{river.pk}/change/").status_code == 302  # "not found"
    assert "River rules" not in client.get("/admin/reception/rulesversion/").content.decode()


# --- what visitors see ----------------------------------------------------------------------


def test_the_kiosk_shows_the_house_rules_and_privacy_notice_of_the_rules_in_force(
    kiosk_client, site, manager, lounge, daytime
):
    publish(
        site,
        manager,
        house_rules_en="Please **wear your badge**. <script>alert(1)</script>",
        privacy_notice_en="We keep your name for 30 days.",
    )
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()
    assert "<strong>wear your badge</strong>" in page
    assert "<script>alert(1)" not in page
    assert "We keep your name for 30 days." in page


def test_without_rules_the_kiosk_shows_the_sites_own_notice(kiosk_client, site, lounge, daytime):
    site.privacy_notice_en = "Our own notice."
    site.save()
    page = kiosk_client.get("/kiosk/walk-in/").content.decode()
    assert "Our own notice." in page and 'data-testid="house-rules"' not in page


def test_the_invitation_page_shows_the_house_rules_in_chinese(client, invitation, site, manager):
    from visitors import links

    publish(site, manager, house_rules_en="Wear your badge.", house_rules_zh="请佩戴访客证。")
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/i/{links.invitation_token(invitation)}/").content.decode()
    assert "请佩戴访客证。" in page


def test_the_accepted_notice_version_follows_the_rules_in_force(site, manager, daytime):
    from visitors import privacy

    before = privacy.notice_version(site)
    publish(site, manager, house_rules_en="Only house rules.")
    assert privacy.notice_version(site) == before  # the notice shown has not changed
    publish(site, manager, privacy_notice_en="A new notice.")
    assert privacy.notice_version(site) != before


def test_seed_demo_loads_a_first_version(db):
    from django.core.management import call_command

    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))
    version = RulesVersion.objects.order_by("pk").first()
    assert version is not None and version.number == 1
    assert version.body_en.strip() and version.body_zh.strip()
    call_command(
        "seed_demo", allow_production=True, stdout=open("/dev/null", "w")
    )  # run twice: still one first version per site
    assert RulesVersion.objects.filter(site=version.site).count() == 1


def test_effective_dates_are_read_on_the_sites_clock(site, manager, time_machine):
    time_machine.move_to("2026-11-27 23:30:00+08:00", tick=False)  # 15:30 UTC
    publish(site, manager, effective_from=date(2026, 11, 27))
    assert rulebook.current_version(site) is not None
