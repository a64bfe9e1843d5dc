"""``stacktach-ng-api``: the API on a simple threaded server, for development.

Listens on ``[api] host``:``[api] port`` and serves each request in its own
thread. Production runs ``stacktach_ng.wsgi.api:application`` under uwsgi
or gunicorn instead. SIGTERM and Ctrl-C stop it cleanly.
"""

import logging
import signal
import socketserver
import sys
from wsgiref import simple_server

from oslo_config import cfg

from stacktach_ng import service
from stacktach_ng.api import app as api_app

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-api'


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


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        conf = service.prepare_service(argv)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    try:
        application = api_app.setup_app(conf)
        server = make_server(conf, application)
    except (OSError, cfg.Error) as e:
        LOG.error('Not starting: %s', e)
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 1
    host, port = server.server_address[:2]
    LOG.info('Serving the API on http://%s:%d/ (auth_strategy = %s)',
             host, port, conf.api.auth_strategy)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        LOG.info('Stopping the API server')
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
