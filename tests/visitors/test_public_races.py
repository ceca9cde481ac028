"""Races on PostgreSQL: many threads, each with its own connection, do the same
thing at the same instant. Without the locks a naive check-in made duplicate
visits in 19 of 20 rounds (docs/dependencies.md)."""

import re
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from reception.errors import ReceptionError
from visitors import invitations, kiosk
from visitors.models import AuditEvent, Visit, VisitEvent
from visitors.ratelimit import take

pytestmark = pytest.mark.postgres

THREADS = 16
ROUNDS = 20


def at_once(work, threads: int = THREADS) -> list:
    """Run work(i) in `threads` threads released together; each thread's
    result or ReceptionError code, in thread order."""
    barrier = threading.Barrier(threads)
    results = [None] * threads

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except ReceptionError as error:
            results[i] = error.code
        except Exception as error:  # reported as the result, so the assertion shows it
            results[i] = repr(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(60)
    return results


def test_one_invitation_checked_in_at_the_kiosk_and_the_desk_at_once_arrives_once(
    transactional_db, daytime, site, clerk, host, business, business_room, lobby_kiosk
):
    business_room.capacity = 500
    business_room.save()
    for round_number in range(ROUNDS):
        invitation = invitations.create_invitation(
            site=site,
            by=host,
            email=f"guest{round_number}@example.com",
            full_name=f"Guest {round_number}",
            category=business,
            host=host,
            room=business_room,
            purpose="Talks",
            expected_at=timezone.now() + timedelta(minutes=5),
        )

        def check_in(i, code=invitation.code, round_number=round_number):
            if i % 2:  # half at the kiosk, each tap its own submission
                visit = invitations.check_in_by_code(
                    site=site,
                    code=code,
                    kiosk=lobby_kiosk,
                    accept_privacy=True,
                    submission_key=f"race-{round_number}-{i}",
                )
            else:  # half at the desk
                visit = invitations.check_in_by_code(site=site, code=code, by=clerk)
            return visit.pk

        results = at_once(check_in)

        arrived = [result for result in results if result == invitation.visit_id]
        assert len(arrived) == 1, (round_number, results)
        assert set(results) - {invitation.visit_id} <= {"already_checked_in", "not_expected"}, results
        visit = Visit.objects.get(pk=invitation.visit_id)
        assert visit.status == "on_site"
        assert VisitEvent.objects.filter(visit=visit, kind="arrived").count() == 1
        assert AuditEvent.objects.filter(action="visit.check_in", object_id=str(visit.pk)).count() == 1


def test_one_kiosk_submission_repeated_at_once_makes_one_visit(
    transactional_db, daytime, site, host, lounge, ordinary, lobby_kiosk
):
    lounge.capacity = 500
    lounge.save()
    for round_number in range(ROUNDS):
        key = kiosk.scoped_submission_key(lobby_kiosk, f"double-tap-key-{round_number:04d}", "walk_in")

        def submit(i, key=key):
            visit = kiosk.kiosk_walk_in(
                kiosk=lobby_kiosk,
                full_name="Maria Rossi",
                company="Rossi Design",
                phone="+39 06 5551234",
                host=host,
                accept_privacy=True,
                submission_key=key,
            )
            return visit.pk

        results = at_once(submit)

        assert Visit.objects.filter(submission_key=key).count() == 1, results
        assert set(results) == {Visit.objects.get(submission_key=key).pk}, results
    assert Visit.objects.count() == ROUNDS
    assert VisitEvent.objects.filter(kind="arrived").count() == ROUNDS


def test_the_rate_limit_admits_exactly_its_limit_across_connections(transactional_db):
    cache.clear()  # the cache table is not flushed between transactional tests
    for round_number in range(5):
        now = 10_000.0 + 60 * round_number
        granted = at_once(lambda i, now=now: take("race:bucket", 5, 60, now=now))

        assert granted.count(True) == 5, granted
        assert granted.count(False) == THREADS - 5, granted
    cache.clear()


def test_both_answers_to_a_double_tap_at_the_kiosk_show_the_same_badge_code(
    transactional_db, daytime, site, host, lounge, ordinary, lobby_kiosk
):
    """Issue #16 item 11: two taps of one walk-in form, answered in either
    order; whichever answer the tablet follows shows the visitor's badge code."""
    lounge.capacity = 500
    lounge.save()
    tablet = Client()
    tablet.post(f"/kiosk/enrol/{lobby_kiosk.token}/")
    for round_number in range(ROUNDS // 2):
        cache.clear()  # the kiosk's rate limit is not what is tested here
        page = tablet.get("/kiosk/walk-in/").content.decode()
        hosts = tablet.get("/kiosk/walk-in/hosts/", {"host_search": "Sun"}).content.decode()
        form = {
            "full_name": f"Maria Rossi {round_number}",
            "phone": "+39 06 5551234",
            "party_size": "1",
            "host": re.search(r'name="host" value="([^"]+)"', hosts).group(1),
            "accept_privacy": "on",
            "submission_key": re.search(r'name="submission_key" value="([^"]*)"', page).group(1),
        }
        taps = [Client() for _ in range(2)]
        for tap in taps:
            for name, morsel in tablet.cookies.items():
                tap.cookies[name] = morsel.value

        answers = at_once(lambda i, taps=taps, form=form: taps[i].post("/kiosk/walk-in/", form)["Location"], 2)

        assert answers == ["/kiosk/done/", "/kiosk/done/"], answers
        visit = Visit.objects.get(visitor__full_name=f"Maria Rossi {round_number}")
        for _answer in answers:
            done = tablet.get("/kiosk/done/")
            assert done.status_code == 200 and visit.badge_code in done.content.decode(), round_number
        tablet.get("/kiosk/")  # the screen resets for the next visitor
