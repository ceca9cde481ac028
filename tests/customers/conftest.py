"""Fixtures of the customer-care tests (issue #18): a customer of the
salesperson's, the after-sales department with its head, letters stored in a
throwaway MEDIA_ROOT, tasks run at once."""

import pytest

from customers import services
from customers.models import ComplaintHandler
from reception.models import Department


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def after_sales(db):
    return Department.objects.get_or_create(name="After-sales")[0]


@pytest.fixture
def department_head(make_staff, site, after_sales):
    """Ma Jun, head of after-sales, who handles its complaints (R5.2, R5.3)."""
    user = make_staff("head", "Host (handling department)", site=site, department="After-sales", real_name="Ma Jun")
    ComplaintHandler.objects.create(site=site, department=after_sales, user=user, is_head=True)
    return user


@pytest.fixture
def gao(daytime, site, clerk, salesperson):
    """Gao Feng, a gold customer of the salesperson's."""
    return services.create_customer(
        site=site,
        by=clerk,
        name="Gao Feng",
        company="Gao Trading",
        phone="139 1111 2222",
        tier="gold",
        owner=salesperson,
    )
