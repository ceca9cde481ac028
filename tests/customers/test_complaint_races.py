"""R5.4 under load: desks registering written complaints at the same instant
take document numbers without gaps or duplicates (the counter row lock,
customers.complaints.next_document_number). On PostgreSQL with a thread per
desk; the SQLite run of the same rule is test_complaints.py's numbers in a row."""

import pytest
from django.db import transaction

from customers import complaints
from customers.models import Complaint
from tests.customers.care import pdf
from tests.visitors.test_public_races import at_once

pytestmark = pytest.mark.postgres


def test_simultaneous_written_complaints_take_every_number_once(transactional_db, gao, clerk, media):
    def register(i):
        return complaints.open_complaint(
            site=gao.site, by=clerk, customer=gao, channel="written", heard=f"Letter {i}", letter=pdf()
        ).document_number

    results = at_once(register, threads=10)

    assert sorted(results) == [f"HQ-2026-{n:04d}" for n in range(1, 11)], results
    assert Complaint.objects.count() == 10


def test_the_first_numbers_of_a_new_year_taken_at_once_are_not_duplicated(transactional_db, gao, clerk, media):
    # No counter row exists yet: ten desks create it at once.
    def take(i):
        with transaction.atomic():
            return complaints.next_document_number(site=gao.site, year=2030)

    results = at_once(take, threads=10)

    assert sorted(results) == [f"HQ-2030-{n:04d}" for n in range(1, 11)], results
