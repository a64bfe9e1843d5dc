"""``stacktach-ng-verifier``: the periodic usage verification daemon.

Every ``[verifier] interval`` seconds it runs one verification pass (see
``stacktach_ng.usage.service``). Several verifiers may run at once, on one
host or many: they share the work through row claims. SIGTERM finishes
the pass in progress and exits.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging
from oslo_service import service as os_service

from stacktach_ng import service
from stacktach_ng.db import migration
from stacktach_ng.usage import service as usage_service

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-verifier'


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
    launcher = os_service.launch(conf, usage_service.VerifierService(conf),
                                 workers=1, restart_method='mutate')
    return launcher.wait() or 0


if __name__ == '__main__':
    sys.exit(main())
