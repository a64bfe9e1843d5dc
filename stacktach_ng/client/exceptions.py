"""Errors raised by the stacktach-ng client.

The API answers errors with a JSON body carrying a message; the client
turns them into ``ClientError`` subclasses whose ``str()`` is that message,
so that a command can print one line instead of a traceback.
"""


class ClientError(Exception):
    """An error talking to the stacktach-ng API.

    :ivar status_code: the HTTP status, or None when no answer came.
    :ivar message: the error message (the API's, when it gave one).
    """

    def __init__(self, message, status_code=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code

    def __str__(self):
        if self.status_code:
            return '%s (HTTP %s)' % (self.message, self.status_code)
        return self.message


class ConnectionFailed(ClientError):
    """The API could not be reached (refused, reset, timed out)."""


class EndpointNotFound(ClientError):
    """No ``stacktach`` endpoint in the catalog and no endpoint given."""


class BadRequest(ClientError):
    """400: a parameter was rejected."""


class Unauthorized(ClientError):
    """401: no valid token."""


class Forbidden(ClientError):
    """403: the policy does not allow it."""


class NotFound(ClientError):
    """404: no such notification, request, resource, error..."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden,
              404: NotFound}


def from_response(status_code, body, default_message):
    """The exception for an HTTP error answer.

    :param status_code: the HTTP status.
    :param body: the parsed JSON body, or None when it was not JSON.
    :param default_message: used when the body has no message.
    """
    message = message_of(body) or default_message
    return _BY_STATUS.get(status_code, ClientError)(message, status_code)


def message_of(body):
    """The message of an API error body, whatever its usual shape:
    ``{"error": {"message": ...}}``, ``{"error": "..."}``,
    ``{"message": ...}``, ``{"faultstring": ...}`` (Pecan/WSME) or
    ``{"title": ..., "description": ...}`` (oslo.middleware)."""
    if not isinstance(body, dict):
        return None
    error = body.get('error')
    if isinstance(error, dict):
        body = error
    elif isinstance(error, str) and error:
        return error
    for key in ('message', 'faultstring', 'description', 'detail',
                'title'):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None
