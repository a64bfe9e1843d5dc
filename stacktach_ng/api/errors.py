"""The errors of the REST API and their one JSON shape.

Every error response, whatever raised it (a controller, the router, a
middleware, keystonemiddleware), has this body::

    {"error": {"code": 400,
               "title": "Bad Request",
               "message": "limit: must be an integer >= 1",
               "parameter": "limit"}}

``code`` repeats the HTTP status, ``title`` is its reason phrase,
``message`` says what went wrong in words a user can act on, and
``parameter`` (only for a bad query parameter) names the parameter. It is
the shape keystonemiddleware already uses for its 401, so a client parses
one format. No traceback is ever sent: an unexpected exception is logged
with its traceback and answered with a 500 whose message is generic.
"""

import http.client

import orjson
import webob
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

JSON_TYPE = 'application/json'


class ApiError(Exception):
    """An error with an HTTP status and a message meant for the client."""

    code = 500

    def __init__(self, message, parameter=None, headers=None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.headers = headers or {}


class BadRequest(ApiError):
    code = 400


class InvalidParameter(BadRequest):
    """A query parameter that is unknown, repeated or invalid."""

    def __init__(self, parameter, problem):
        super().__init__('%s: %s' % (parameter, problem),
                         parameter=parameter)


class Unauthorized(ApiError):
    code = 401


class Forbidden(ApiError):
    code = 403


class NotFound(ApiError):
    code = 404


class MethodNotAllowed(ApiError):
    code = 405


def title(code):
    return http.client.responses.get(code, 'Error')


def body(code, message, parameter=None):
    """The JSON bytes of an error response."""
    error = {'code': code, 'title': title(code), 'message': message}
    if parameter is not None:
        error['parameter'] = parameter
    return orjson.dumps({'error': error})


def response(code, message, parameter=None, headers=None):
    """A ``webob.Response`` carrying an error."""
    resp = webob.Response(body=body(code, message, parameter), status=code,
                          content_type=JSON_TYPE, charset=None)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def from_exception(error):
    """The error response for any exception raised while serving.

    ``ApiError`` keeps its status and message; webob's HTTP exceptions
    (raised by the router for an unknown path or method) keep their status
    with a plain message; anything else is a bug, logged with its
    traceback and answered with a generic 500.
    """
    if isinstance(error, ApiError):
        return response(error.code, error.message, error.parameter,
                        error.headers)
    if isinstance(error, webob.exc.HTTPException):
        code = error.code
        if code == 404:
            message = 'The resource could not be found.'
        elif code == 405:
            message = 'The method is not allowed for this resource.'
        else:
            message = error.detail or error.explanation or title(code)
        headers = {}
        if getattr(error, 'allow', None):
            headers['Allow'] = ', '.join(error.allow)
        return response(code, message, headers=headers)
    LOG.exception('Unexpected error while serving an API request')
    return response(500, 'The server could not complete the request; the '
                         'error was logged.')


class JsonErrors:
    """WSGI middleware: the last line of defence.

    Turns an exception that escapes the application into a JSON 500 and
    rewrites non-JSON error responses (from middleware that write HTML or
    plain text) into the error shape above, keeping their status.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers
            return lambda data: None  # the legacy write() is not used here

        try:
            chunks = self.application(environ, capture)
        except Exception as error:
            return from_exception(error)(environ, start_response)
        if 'status' not in captured:
            # An application that starts its response while iterating.
            chunks = [b''.join(chunks)]
        code = int(captured['status'].split(' ', 1)[0])
        content_type = next((value for name, value in captured['headers']
                             if name.lower() == 'content-type'), '')
        if code < 400 or content_type.startswith(JSON_TYPE):
            start_response(captured['status'], captured['headers'])
            return chunks
        try:
            text = b''.join(chunks).decode('utf-8', 'replace')
        finally:
            if hasattr(chunks, 'close'):
                chunks.close()
        message = _plain_message(text) or title(code)
        kept = [(name, value) for name, value in captured['headers']
                if name.lower() not in ('content-type', 'content-length')]
        return response(code, message, headers=dict(kept))(
            environ, start_response)


def _plain_message(text):
    """The first line of a short plain-text error body, without markup."""
    if '<' in text:
        return None
    line = text.strip().splitlines()[0] if text.strip() else ''
    return line[:500] or None
