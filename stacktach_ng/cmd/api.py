"""``stacktach-ng-api``: the API on a simple threaded server, for development.

Listens on ``[api] host``:``[api] port`` and serves each request in its own
thread (see ``stacktach_ng.api.server``). Production runs
``stacktach_ng.wsgi.api:application`` under uwsgi or gunicorn instead.
SIGTERM and Ctrl-C stop it cleanly.
"""

import signal
import sys

from oslo_config import cfg
from oslo_log import log as logging

from stacktach_ng import service
from stacktach_ng.api import app as api_app
from stacktach_ng.api import server as api_server
from stacktach_ng.common import patches

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-api'


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
        patches.install_api_speedups()
        application = api_app.setup_app(conf)
        server = api_server.make_server(conf, application)
    except (OSError, cfg.Error, patches.LibraryChanged) as e:
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
