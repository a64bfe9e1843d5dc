"""Validation of query parameters against their declared schemas.

The parameters of an endpoint are declared once, as OpenAPI parameter
objects (``stacktach_ng.api.schemas.parameters``); this module reads the
query string with them, so what is accepted is what the OpenAPI document
says. Every failure is an ``InvalidParameter`` (a 400) whose message starts
with the name of the parameter.
"""

import re

import jsonschema
from oslo_utils import strutils

from stacktach_ng.api import errors
from stacktach_ng.api.schemas import parameters
from stacktach_ng.common import durations
from stacktach_ng.common import timestamps

_INTEGER = re.compile(r'^-?[0-9]{1,18}$')


_VALIDATORS = {}


def _validator(schema):
    # One validator per declared schema; the schemas are module constants,
    # so their identity is a stable key (the entry keeps them alive).
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = (schema, jsonschema.Draft202012Validator(schema))
        _VALIDATORS[id(schema)] = entry
    return entry[1]


def _convert(name, schema, raw):
    kind = schema.get('type')
    if kind == 'integer':
        if not _INTEGER.match(raw):
            raise errors.InvalidParameter(name, 'must be an integer, got %r'
                                          % _shorten(raw))
        return int(raw)
    if kind == 'boolean':
        try:
            return strutils.bool_from_string(raw, strict=True)
        except ValueError:
            raise errors.InvalidParameter(
                name, 'must be true or false, got %r'
                % _shorten(raw)) from None
    return raw


def _check(name, schema, value):
    for error in _validator(schema).iter_errors(value):
        if error.validator == 'pattern':
            problem = _pattern_problem(schema, value)
        elif error.validator == 'enum':
            problem = 'must be one of %s, got %r' % (
                ', '.join(schema['enum']), _shorten(value))
        elif error.validator == 'minLength':
            problem = 'must not be empty'
        else:
            problem = error.message
        raise errors.InvalidParameter(name, problem)
    if schema.get('format') == 'date-time':
        moment = timestamps.parse(value)
        if moment is None:
            raise errors.InvalidParameter(
                name, 'must be an ISO 8601 time such as '
                      '2026-01-31T12:00:00Z, got %r' % _shorten(value))
        return moment
    if 'x-duration' in schema:
        return _seconds(name, schema, value)
    return value


def _pattern_problem(schema, value):
    """What a value failing its schema's pattern did wrong, in words."""
    if schema['pattern'] == parameters.CONTROL_CHARACTERS:
        return 'must not contain control characters'
    if 'x-comma-list' in schema:
        return 'must be a comma-separated list of %s, got %r' % (
            ', '.join(schema['x-comma-list']), _shorten(value))
    if 'x-duration' in schema:
        return ('must be a duration: seconds (600) or a whole number and '
                'a unit, one of s, m, h, d, w (10m, 1h), got %r'
                % _shorten(value))
    return 'must match %s, got %r' % (schema['pattern'], _shorten(value))


def _seconds(name, schema, value):
    """The whole seconds of a duration value (``600``, ``10m``, ``1h``)."""
    try:
        seconds = int(durations.parse(value, what=name, bare_unit='s',
                                      whole=True).total_seconds())
    except ValueError as error:
        raise errors.InvalidParameter(name, str(error)) from None
    maximum = schema['x-duration']['maximum']
    if seconds > maximum:
        raise errors.InvalidParameter(
            name, 'must be at most %d seconds, got %r'
            % (maximum, _shorten(value)))
    return seconds


def _check_together(declared, given):
    """A 400 for a parameter given without the values it needs
    (``x-requires``) or with values it does not apply with
    (``x-excludes``)."""
    for name in sorted(given):
        schema = declared[name]
        for other, value in schema.get('x-requires', {}).items():
            if given.get(other) != value:
                raise errors.InvalidParameter(
                    name, 'only applies with %s=%s'
                    % (other, _query_value(value)))
        for other, value in schema.get('x-excludes', {}).items():
            if given.get(other) == value:
                raise errors.InvalidParameter(
                    name, 'does not apply with %s=%s'
                    % (other, _query_value(value)))


def _query_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def _shorten(value, size=64):
    text = str(value)
    return text if len(text) <= size else text[:size] + '...'


def query_string(request):
    """The query parameters of a webob request as ``[(name, value)]``.

    :raises errors.BadRequest: the query string is not UTF-8.
    """
    try:
        return list(request.GET.items())
    except UnicodeDecodeError:
        raise errors.BadRequest('The query string is not valid UTF-8.') \
            from None


def validate(request, params):
    """The query parameters of ``request``, read with ``params``.

    :param params: the OpenAPI parameter objects the endpoint accepts.
    :returns: ``{name: value}`` for every declared parameter: the given
        value, converted and checked, else the schema's default (None
        when it has none). Date-time values become naive UTC datetimes,
        durations whole seconds.
    :raises errors.InvalidParameter: an unknown, repeated or invalid
        parameter, or one given without (or with) the parameters it only
        applies with (does not apply with).
    """
    declared = {param['name']: param['schema'] for param in params}
    given = {}
    for name, raw in query_string(request):
        if name not in declared:
            accepted = ', '.join(sorted(declared)) or 'none'
            raise errors.InvalidParameter(
                _shorten(name), 'unknown parameter (accepted: %s)'
                % accepted)
        if name in given:
            raise errors.InvalidParameter(name, 'given more than once')
        schema = declared[name]
        given[name] = _check(name, schema, _convert(name, schema, raw))
    _check_together(declared, given)
    for name, schema in declared.items():
        if name not in given:
            default = schema.get('default')
            if default is not None and 'x-duration' in schema:
                default = _seconds(name, schema, default)
            given[name] = default
    return given
