"""R3.1: staff appear as "Department-Name". Long lists (the desk dashboard's
hosts, the duty panel's roster) read users as values; staff_label_of must label
them exactly as staff_label labels the user itself."""

import pytest
from django.contrib.auth import get_user_model

from reception.models import STAFF_LABEL_VALUES, StaffProfile, staff_label, staff_label_of


@pytest.fixture
def without_department(site):
    user = get_user_model().objects.create_user("intern", first_name="Li", last_name="Lei")
    StaffProfile.objects.create(user=user, site=site, real_name="Li Lei")
    return user


@pytest.fixture
def without_profile(db):
    return get_user_model().objects.create_user("contractor", first_name="Maria", last_name="Rossi")


@pytest.fixture
def nameless(db):
    return get_user_model().objects.create_user("temp-7")


@pytest.mark.parametrize("person", ["host", "without_department", "without_profile", "nameless"])
def test_a_user_read_as_values_is_labelled_as_the_user_is(request, person):
    user = request.getfixturevalue(person)
    row = get_user_model().objects.values(*STAFF_LABEL_VALUES).get(pk=user.pk)

    assert staff_label_of(row, "") == staff_label(get_user_model().objects.get(pk=user.pk))


def test_the_labels_read_as_r3_1_says(host, without_department, without_profile, nameless):
    rows = get_user_model().objects.values("username", *STAFF_LABEL_VALUES).order_by("pk")
    labels = {row["username"]: staff_label_of(row, "") for row in rows}

    assert labels["host"] == "Sales-Sun Li"
    assert labels["intern"] == "Li Lei" and labels["contractor"] == "Maria Rossi" and labels["temp-7"] == "temp-7"
