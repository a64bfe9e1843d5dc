"""Simulated cloud traffic published as it happens, as an oslo service.

``stacktach-ng-all --simulate`` runs it in a thread beside the listener.
"""

import os
import threading

from oslo_log import log as logging
from oslo_service import service as os_service

from stacktach_ng.simulator import engine
from stacktach_ng.simulator import sinks

LOG = logging.getLogger(__name__)


class SimulatorService(os_service.Service):
    """Publish simulated traffic on the transport as it happens.

    ``shared_transport``: the transport is shared with the consumers of
    this process (oslo.messaging's in-process one), so it is left open
    when the simulator stops: cleaning it up would empty its exchanges
    under the listener.
    """

    def __init__(self, conf, transport_url, operations_per_minute, seed,
                 shared_transport=False, audit_period='hour'):
        super().__init__()
        self.conf = conf
        self.audit_period = audit_period
        self.transport_url = transport_url
        self.operations_per_minute = operations_per_minute
        self.seed = seed
        self.shared_transport = shared_transport
        self._stop = threading.Event()
        self._thread = None
        self.published = 0

    def start(self):
        super().start()
        self._thread = threading.Thread(target=self._run,
                                        name='stacktach-ng-simulator',
                                        daemon=True)
        self._thread.start()

    def _run(self):
        simulator = engine.Simulator(
            seed=self.seed if self.seed is not None
            else int.from_bytes(os.urandom(4), 'big'),
            realtime=True, audit_period=self.audit_period,
            ops_per_hour=self.operations_per_minute * 60,
            sleep=self._stop.wait)
        sink = sinks.TransportSink(self.transport_url, self.conf.listener
                                   .topics[0], conf=self.conf)
        try:
            for notification in simulator.notifications():
                if self._stop.is_set():
                    break
                sink.publish(notification.body, notification.service)
                self.published += 1
        except Exception:
            LOG.exception('The traffic simulator stopped')
        finally:
            if not self.shared_transport:
                sink.close()

    def stop(self, graceful=False):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().stop(graceful)
