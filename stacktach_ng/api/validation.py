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
            problem = 'must not contain control characters'
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
    return value


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
        when it has none). Date-time values become naive UTC datetimes.
    :raises errors.InvalidParameter: an unknown, repeated or invalid
        parameter.
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
    for name, schema in declared.items():
        given.setdefault(name, schema.get('default'))
    return given
