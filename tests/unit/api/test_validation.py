import datetime

import pytest
import webob

from stacktach_ng import queries
from stacktach_ng.api import errors
from stacktach_ng.api import validation
from stacktach_ng.api.schemas import parameters


def _validate(query, params=parameters.NOTIFICATION_LIST):
    return validation.validate(webob.Request.blank('/?' + query), params)


def test_defaults_and_conversions():
    values = _validate('limit=5&details=yes&since=2026-01-01T02:00:00%2B02:00')
    assert values['limit'] == 5
    assert values['details'] is True
    assert values['since'] == datetime.datetime(2026, 1, 1, 0, 0)
    assert values['sort_dir'] == 'desc'
    assert values['all_projects'] is False
    assert values['host'] is None


@pytest.mark.parametrize('query,parameter,fragment', [
    ('limit=0', 'limit', 'minimum'),
    ('limit=abc', 'limit', 'integer'),
    ('limit=1&limit=2', 'limit', 'more than once'),
    ('sort_dir=up', 'sort_dir', 'desc, asc'),
    ('details=2', 'details', 'true or false'),
    ('since=tomorrow', 'since', 'ISO 8601'),
    ('host=', 'host', 'empty'),
    ('host=a%00b', 'host', 'control characters'),
    ('nope=1', 'nope', 'unknown parameter'),
])
def test_errors_name_the_parameter(query, parameter, fragment):
    with pytest.raises(errors.InvalidParameter) as raised:
        _validate(query)
    assert raised.value.parameter == parameter
    assert raised.value.message.startswith(parameter + ': ')
    assert fragment in raised.value.message


@pytest.mark.parametrize('glob,like', [
    ('compute.*', 'compute.%'),
    ('?mage', '_mage'),
    ('a_b%c', 'a\\_b\\%c'),
    ('back\\slash*', 'back\\\\slash%'),
])
def test_glob_to_like(glob, like):
    assert queries.glob_to_like(glob) == like


def test_page_splits_the_extra_row():
    assert queries.page(range(4), 3) == ([0, 1, 2], True)
    assert queries.page(range(3), 3) == ([0, 1, 2], False)
