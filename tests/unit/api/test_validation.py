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


@pytest.mark.parametrize('query,params,fragment', [
    ('priority=error', parameters.NOTIFICATION_LIST,
     "must be one of AUDIT, CRITICAL, DEBUG, ERROR, INFO, SAMPLE, WARN, "
     "WARNING, got 'error'"),
    ('priority=bogus', parameters.NOTIFICATION_LIST, "got 'bogus'"),
    ('group_by=bogus', parameters.TIMING_SUMMARY,
     'comma-separated list of operation, host, service, hour, day'),
    ('group_by=operation,', parameters.TIMING_SUMMARY,
     "comma-separated list"),
    ('older_than=10x&stuck=true', parameters.RESOURCE_LIST,
     'must be a duration: seconds (600)'),
    ('older_than=0&stuck=true', parameters.RESOURCE_LIST, 'positive'),
    ('older_than=400d&stuck=true', parameters.RESOURCE_LIST,
     'at most 31536000 seconds'),
    ('older_than=10m', parameters.RESOURCE_LIST,
     'only applies with stuck=true'),
    ('older_than=10m&stuck=false', parameters.RESOURCE_LIST,
     'only applies with stuck=true'),
    ('resource_type=instance&stuck=true', parameters.RESOURCE_LIST,
     'does not apply with stuck=true'),
])
def test_contract_errors_say_what_is_accepted(query, params, fragment):
    with pytest.raises(errors.InvalidParameter) as raised:
        _validate(query, params)
    assert fragment in raised.value.message
    assert 'control characters' not in raised.value.message


@pytest.mark.parametrize('given,seconds', [
    ('600', 600), ('10m', 600), ('1h', 3600), ('2d', 172800), (None, 600)])
def test_durations_are_read_in_every_form(given, seconds):
    query = 'stuck=true' + ('&older_than=%s' % given if given else '')
    assert _validate(query, parameters.RESOURCE_LIST)['older_than'] == \
        seconds


def test_priority_in_the_documented_case_is_accepted():
    assert _validate('priority=ERROR')['priority'] == 'ERROR'


def test_every_enum_and_pattern_of_the_document_has_a_clear_error():
    # Every declared parameter with a closed set or a pattern, given a
    # value outside it, names the parameter and says what is accepted.
    from stacktach_ng.api import openapi
    for path, item in openapi.document()['paths'].items():
        declared = item['get'].get('parameters', [])
        for param in declared:
            schema = param.get('schema', {})
            if param['in'] != 'query' or not (
                    'enum' in schema or 'pattern' in schema) or schema.get(
                    'pattern') == parameters.CONTROL_CHARACTERS:
                continue
            request = webob.Request.blank('/?%s=%s' % (
                param['name'], 'bogus%20value'))
            with pytest.raises(errors.InvalidParameter) as raised:
                validation.validate(request, declared)
            message = raised.value.message
            assert message.startswith(param['name'] + ': '), (path, message)
            assert "'bogus value'" in message, (path, message)
