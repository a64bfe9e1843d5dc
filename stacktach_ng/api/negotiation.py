"""Content negotiation, answered before Pecan.

Every path of the API but ``/metrics`` (Prometheus text) answers
``application/json`` only. A client whose ``Accept`` header refuses it
(a browser asking for ``text/html`` alone, a script asking for XML) gets
a 406 in the JSON error shape saying what the API offers, instead of
Pecan's generic 406 and the ERROR line Pecan logs for it.
"""

import webob

from stacktach_ng.api import errors

# The paths that are not JSON, and their type.
OTHER_TYPES = {'/metrics': 'text/plain'}


class JsonOnly:
    """WSGI middleware: a clear 406 for a request refusing JSON."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        path = (environ.get('PATH_INFO') or '/').rstrip('/') or '/'
        accept = environ.get('HTTP_ACCEPT')
        offered = OTHER_TYPES.get(path, errors.JSON_TYPE)
        if accept and not webob.Request(environ).accept.acceptable_offers(
                [offered]):
            return errors.response(
                406, 'This path answers in %s only, and the Accept header '
                     'asks for %s. The web UI is at /ui/.'
                % (offered, accept[:100]))(environ, start_response)
        return self.application(environ, start_response)
