"""``stacktach-ng-listener``: the notification listener daemon.

Runs ``[listener] workers`` worker processes with oslo.service (threading
backend). SIGTERM stops consuming, lets the batches in flight commit and be
acknowledged, and exits 0; SIGHUP re-reads the mutable options of the
config files and restarts the workers with them.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import service as os_service

from stacktach_ng import service
from stacktach_ng.db import migration
from stacktach_ng.listener import service as listener

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-listener'


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        conf = service.prepare_service(argv)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    error = migration.check_schema(conf)
    if error:
        LOG.error('Not starting: %s', error)
        sys.stderr.write('%s: %s\n' % (PROG, error))
        return 1
    if (conf.database.connection.startswith('sqlite')
            and conf.listener.workers > 1):
        LOG.warning('[listener] workers is %d on SQLite: SQLite has one '
                    'writer at a time, so the workers wait for each other; '
                    'use MySQL/MariaDB or PostgreSQL to scale out',
                    conf.listener.workers)
    launcher = os_service.launch(
        conf, listener.ListenerService(conf),
        workers=conf.listener.workers, restart_method='mutate')
    return launcher.wait() or 0


if __name__ == '__main__':
    sys.exit(main())
