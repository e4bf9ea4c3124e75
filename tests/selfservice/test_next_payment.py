"""The worker's next payment names the batch that pays it: the month after the one it covers
("a mes vencido"), the current month's for one already overdue, the batch it is in once built."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import TestCase

from payments import batches
from provinces.roles import Role
from selfservice import status
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def words_on(monkeypatch, worker, today):
    monkeypatch.setattr(status.timezone, "localdate", lambda: today)
    return status.worker_status(worker).next_payment_words


def test_the_may_installment_is_announced_for_the_june_batch(monkeypatch, approved):
    words = words_on(monkeypatch, approved.worker, dt.date(2026, 4, 20))
    assert "con el lote de pagos de 06/2026" in words
    assert "05/2026" not in words


def test_an_overdue_installment_is_announced_for_this_months_batch(monkeypatch, approved):
    assert "con el lote de pagos de 09/2026" in words_on(monkeypatch, approved.worker, dt.date(2026, 9, 3))


def test_an_installment_in_a_batch_names_that_batch(monkeypatch, approved):
    with TestCase.captureOnCommitCallbacks(execute=True):
        batches.request_batch(month=dt.date(2026, 6, 1), by=make_user(Role.PAYMENTS_OFFICER))
    assert "con el lote de pagos de 06/2026" in words_on(monkeypatch, approved.worker, dt.date(2026, 9, 3))
