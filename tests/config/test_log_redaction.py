"""R4.1: no phone or ID numbers in application logs."""

import io
import logging

import pytest

from config.logging import REDACTED, RedactPersonalNumbers, redact


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "+86 138 0013 8000",
        "138-0013-8000",
        "(010) 6552-1234",
        "+49 30 1234567",
        "%2B8613800138000",
        "11010519491231002X",
        "110105194912310021",
        "E12345678",
    ],
)
def test_phone_and_id_numbers_are_redacted(text):
    assert redact(f"visitor {text}, please call") == f"visitor {REDACTED}, please call"
    assert redact(f"q={text}&page=2") == f"q={REDACTED}&page=2"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27 10:00:00",
        "2026-11-27T10:00:00.123456+08:00",
        "127.0.0.1",
        "2001:db8::1",
        "took 0.0012345678s",
        "visit 123456 checked in",
        "Django 5.2.19",
        "badge 7KQ2M9XW",
        "sha256 9f86d081884c7d659a2feaa0c55ad015",
    ],
)
def test_dates_addresses_and_short_numbers_are_kept(text):
    assert redact(text) == text


def record(msg, *args, exc_info=None):
    return logging.LogRecord("visitors", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_the_filter_redacts_the_arguments_and_keeps_the_record():
    entry = record("Visitor %s phoned from %s", "Maria", "13800138000")

    assert RedactPersonalNumbers().filter(entry) is True
    assert entry.getMessage() == f"Visitor Maria phoned from {REDACTED}"


def test_the_filter_redacts_a_traceback():
    try:
        raise ValueError("duplicate key (phone)=(13800138000)")
    except ValueError as error:
        entry = record("Registration failed", exc_info=(type(error), error, error.__traceback__))

    RedactPersonalNumbers().filter(entry)

    assert "13800138000" not in entry.exc_text and REDACTED in entry.exc_text


def configured_handlers():
    """The handlers settings.LOGGING installed (pytest adds its own capture handlers)."""
    loggers = [logging.getLogger(), logging.getLogger("django.server")]
    return [h for logger in loggers for h in logger.handlers if type(h) is logging.StreamHandler]


@pytest.fixture
def log_output():
    """What the configured handlers actually write."""
    stream = io.StringIO()
    handlers = configured_handlers()
    previous = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, old in zip(handlers, previous, strict=True):
        handler.setStream(old)


def test_every_configured_handler_redacts():
    handlers = configured_handlers()

    assert len(handlers) == 2
    for handler in handlers:
        assert any(isinstance(f, RedactPersonalNumbers) for f in handler.filters), handler
    # Django's own unfiltered default handlers are gone; its records reach the root's.
    assert logging.getLogger("django").handlers == []


def test_application_logs_are_written_redacted(log_output):
    logging.getLogger("visitors.services").warning("Visitor registered with phone %s", "+86 138 0013 8000")

    assert log_output.getvalue() == f"Visitor registered with phone {REDACTED}\n"


def test_a_request_log_line_is_written_redacted(client, log_output, db):
    client.get("/desk/nowhere/13800138000/")

    assert "Not Found: /desk/nowhere/" in log_output.getvalue()
    assert "13800138000" not in log_output.getvalue()
