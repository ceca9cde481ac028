"""The host list of the desk's forms (register, visitor log): hosts as
"Department-Name" (R3.1), read as plain values and written by QuickSelect,
with the same markup Django's own Select would give (issue #7)."""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from visitors.forms import LogFilterForm, WalkInForm


def tidy(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def as_django_renders_it(bound_field) -> str:
    """The same field through Django's template-rendered Select."""
    field = bound_field.field
    widget = forms.Select(attrs=field.widget.attrs, choices=list(field.choices))
    return widget.render(bound_field.html_name, bound_field.value(), attrs={"id": bound_field.auto_id})


@pytest.fixture
def lab_head(make_staff, site):
    return make_staff("lab", site=site, department="<R&D>", real_name='Li "Lab" Na')


@pytest.mark.parametrize(
    "make_form",
    [
        lambda data, site, clerk: LogFilterForm(data, site=site),
        lambda data, site, clerk: WalkInForm(data, site=site, user=clerk),
    ],
    ids=["visitor log", "register"],
)
def test_the_host_list_is_what_djangos_select_would_write(make_form, site, clerk, host, lab_head):
    form = make_form({"host": str(lab_head.pk)}, site, clerk)

    quick = form["host"].as_widget(attrs={"id": "id_host"})

    assert tidy(quick) == tidy(as_django_renders_it(form["host"]))
    assert f'<option value="{lab_head.pk}" selected>&lt;R&amp;D&gt;-Li &quot;Lab&quot; Na</option>' in quick
    assert f'<option value="{host.pk}">{host.profile.label}</option>' in quick


def test_the_host_list_is_one_query_whatever_the_staff(site, clerk, host, lab_head, make_staff):
    for n in range(30):
        make_staff(f"staff{n}", site=site, department=f"Dept {n % 4}")
    form = LogFilterForm({}, site=site)

    with CaptureQueriesContext(connection) as captured:
        html = form["host"].as_widget()

    assert len(captured.captured_queries) == 1
    assert html.count("<option") == 1 + 33  # "All" and every active member of staff


def test_a_host_is_still_checked_against_the_site_when_submitted(site, other_site, make_staff, host):
    stranger = make_staff("stranger", site=other_site)
    form = LogFilterForm({"host": str(stranger.pk)}, site=site)

    assert not form.is_valid()
    assert "host" in form.errors


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"q": 'Li "<b>" & Co', "date_from": "2026-11-01", "date_to": "2026-11-30"},
        {"q": "x" * 200, "date_from": "not a day", "date_to": "0001-01-01"},
    ],
    ids=["empty", "filled", "invalid"],
)
def test_the_log_filters_text_and_day_inputs_are_what_djangos_would_write(site, data):
    """QuickInput (issue #24) writes the search and day boxes as Django's
    templates do, values, errors' classes and all."""
    form = LogFilterForm(data or None, site=site)
    form.is_valid()

    for name in ("q", "date_from", "date_to"):
        field = form[name]
        attrs = {"class": "form-control is-invalid" if field.errors else "form-control"}
        quick = field.as_widget(attrs=attrs)
        plain = forms.TextInput if name == "q" else forms.DateInput
        django_widget = plain(attrs=field.field.widget.attrs)
        django_widget.input_type = field.field.widget.input_type
        field.field.widget, original = django_widget, field.field.widget
        try:
            assert quick == field.as_widget(attrs=attrs)
        finally:
            field.field.widget = original
