"""The API on a simple threaded WSGI server, for development.

``stacktach-ng-api`` serves it in the foreground; ``stacktach-ng-all``
runs it as ``ApiService``, in a thread beside the listener and the
verifier. Production runs ``stacktach_ng.wsgi.api:application`` under
uwsgi or gunicorn instead.
"""

import socketserver
import threading
from wsgiref import simple_server

from oslo_log import log as logging
from oslo_service import service as os_service

from stacktach_ng.api import app as api_app

LOG = logging.getLogger(__name__)


class ThreadingWSGIServer(socketserver.ThreadingMixIn,
                          simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class RequestHandler(simple_server.WSGIRequestHandler):
    """Access log lines go to the service log, not to stderr."""

    def log_message(self, format, *args):  # noqa: A002 - base signature
        LOG.info('%s %s', self.address_string(), format % args)


def make_server(conf, application):
    """A server bound to ``[api] host``/``port`` (port 0: any free one)."""
    return simple_server.make_server(
        conf.api.host, conf.api.port, application,
        server_class=ThreadingWSGIServer, handler_class=RequestHandler)


class ApiService(os_service.Service):
    """The development API server in a thread of its own."""

    def __init__(self, conf, database):
        super().__init__()
        self.conf = conf
        self.database = database
        self.server = None
        self._thread = None
        self.ready = threading.Event()

    def start(self):
        super().start()
        application = api_app.setup_app(self.conf, self.database)
        self.server = make_server(self.conf, application)
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name='stacktach-ng-api',
                                        daemon=True)
        self._thread.start()
        self.ready.set()

    @property
    def address(self):
        host, port = self.server.server_address[:2]
        return host, port

    def stop(self, graceful=False):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        super().stop(graceful)
