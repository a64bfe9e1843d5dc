"""The verifier service: a verification pass every ``[verifier] interval``.

Run by ``stacktach-ng-verifier`` and, in a thread, by ``stacktach-ng-all``.
A pass is ``verify.Verifier.run_pass()``; an error is logged and the next
pass tries again. Stopping finishes the pass in progress.
"""


from oslo_log import log as logging
from oslo_service import service as os_service

from stacktach_ng.db import api as db_api
from stacktach_ng.usage import notifier
from stacktach_ng.usage import verify

LOG = logging.getLogger(__name__)


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
