"""Content negotiation, answered before Pecan.

Every path of the API but ``/metrics`` answers ``application/json`` only.
A client whose ``Accept`` header refuses it (a browser asking for
``text/html`` alone, a script asking for XML) gets a 406 in the JSON
error shape saying what the API offers, instead of Pecan's generic 406
and the ERROR line Pecan logs for it.
"""

import webob

from stacktach_ng.api import errors

# Paths that are not JSON: their controllers choose their own type.
OTHER_TYPES = frozenset(['/metrics'])


class JsonOnly:
    """WSGI middleware: a clear 406 for a request refusing JSON."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        path = (environ.get('PATH_INFO') or '/').rstrip('/') or '/'
        accept = environ.get('HTTP_ACCEPT')
        if accept and path not in OTHER_TYPES and not (
                webob.Request(environ).accept.acceptable_offers(
                    [errors.JSON_TYPE])):
            return errors.response(
                406, 'This API answers in %s only, and the Accept header '
                     'asks for %s. The web UI is at /ui/.'
                % (errors.JSON_TYPE, accept[:100]))(environ, start_response)
        return self.application(environ, start_response)
