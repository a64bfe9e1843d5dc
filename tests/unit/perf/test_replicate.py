"""The copy plans of the month made of copies of a day: a table or a time
column nobody said how to copy fails the build instead of being left
out or left unshifted."""

import pytest

from tests.perf import replicate


def test_every_table_of_the_models_has_a_plan():
    replicate.check_plans(['alembic_version', 'notifications_p20260101',
                           'notifications_default'])


def test_a_table_of_the_database_without_a_plan_fails():
    with pytest.raises(ValueError, match='usage_invoices'):
        replicate.check_plans(['notifications', 'usage_invoices'])


def test_a_table_of_the_models_without_a_plan_fails(monkeypatch):
    plans = dict(replicate.PLANS)
    del plans['requests']
    monkeypatch.setattr(replicate, 'PLANS', plans)
    with pytest.raises(ValueError, match='requests'):
        replicate.check_plans()


def test_a_time_column_left_unshifted_fails(monkeypatch):
    plans = dict(replicate.PLANS)
    plans['operations'] = replicate.Plan(
        shift=('start_us',), rename=('scope_id', 'request_id'))
    monkeypatch.setattr(replicate, 'PLANS', plans)
    with pytest.raises(ValueError, match='end_us'):
        replicate.check_plans()


def test_a_unique_key_left_as_it_is_fails(monkeypatch):
    plans = dict(replicate.PLANS)
    # The shift moves the times, but the message id is the whole key.
    plans['notification_ids'] = replicate.Plan(shift=('generated_at',))
    monkeypatch.setattr(replicate, 'PLANS', plans)
    with pytest.raises(ValueError, match='message_id'):
        replicate.check_plans()


def test_a_plan_naming_a_missing_column_fails(monkeypatch):
    plans = dict(replicate.PLANS)
    plans['requests'] = replicate.Plan(
        shift=('first_us', 'last_us', 'end_us', 'operation_us',
               'closed_us'),
        rename=('request_id',))
    monkeypatch.setattr(replicate, 'PLANS', plans)
    with pytest.raises(ValueError, match='closed_us'):
        replicate.check_plans()
