"""``stacktach-ng-verifier``: the periodic usage verification daemon.

Every ``[verifier] interval`` seconds it runs one verification pass (see
``stacktach_ng.usage.verify``). Several verifiers may run at once, on one
host or many: they share the work through row claims. SIGTERM finishes
the pass in progress and exits.
"""

import logging
import sys

from oslo_config import cfg
from oslo_service import service as os_service

from stacktach_ng import service
from stacktach_ng.cmd import listener as listener_cmd
from stacktach_ng.db import api as db_api
from stacktach_ng.usage import verify

LOG = logging.getLogger(__name__)

PROG = 'stacktach-ng-verifier'


class VerifierService(os_service.Service):
    """Run a verification pass every ``[verifier] interval`` seconds."""

    def __init__(self, conf):
        super().__init__()
        self.conf = conf
        self.database = None
        self.notifier = None
        self.verifier = None

    def start(self):
        super().start()
        # Engines and transports are made here, in the worker process.
        self.database = db_api.Database(self.conf)
        if self.conf.verifier.emit_notifications:
            from stacktach_ng.usage import notifier
            self.notifier = notifier.ExistsNotifier(self.conf)
        self.verifier = verify.Verifier(self.conf, self.database,
                                        self.notifier)
        self.tg.add_timer_args(self.conf.verifier.interval, self.run_pass,
                               initial_delay=0, stop_on_exception=False)

    def run_pass(self):
        """One pass; an error is logged and the next pass tries again."""
        try:
            result = self.verifier.run_pass()
        except Exception:
            LOG.exception('Verification pass failed; retrying in %d s',
                          self.conf.verifier.interval)
            return
        if result.verified or result.failed or result.reconciled or (
                result.periods_checked):
            LOG.info('Verification pass: %s', result.as_dict())

    def stop(self, graceful=False):
        super().stop(graceful)
        if self.notifier is not None:
            self.notifier.close()
            self.notifier = None
        if self.database is not None:
            self.database.dispose()


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        conf = service.prepare_service(argv)
    except cfg.Error as e:
        sys.stderr.write('%s: %s\n' % (PROG, e))
        return 2
    error = listener_cmd.check_schema(conf)
    if error:
        LOG.error('Not starting: %s', error)
        sys.stderr.write('%s: %s\n' % (PROG, error))
        return 1
    launcher = os_service.launch(conf, VerifierService(conf), workers=1,
                                 restart_method='mutate')
    return launcher.wait() or 0


if __name__ == '__main__':
    sys.exit(main())
