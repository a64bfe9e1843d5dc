"""Run nova-compute's instance usage audit once, for one host.

``python usage_audit.py HOST PERIOD --config-file nova.conf``

nova-compute audits, from a periodic task, the audit period
(``[DEFAULT] instance_usage_audit_period``) that closed last: it records
the run in ``task_log`` and sends ``compute.instance.exists`` /
``instance.exists`` for every server active on the host during that
period. A test cannot wait for an hourly period to close, and the fake
driver cannot restart nova-compute with another period, so this runs that
same method of nova's ComputeManager, as the compute host HOST, with the
period PERIOD (``hour@MINUTE``: the hour that ended at MINUTE past) and a
configuration file with database access (nova.conf).
"""

import sys
import types

from nova import config
from nova import context
from nova import objects
from nova import rpc
from nova.compute import manager


def main(argv):
    host, period = argv[1], argv[2]
    config.parse_args(['usage_audit'] + argv[3:])
    objects.register_all()
    config.CONF.set_override('instance_usage_audit', True)
    config.CONF.set_override('instance_usage_audit_period', period)
    # What the method reads of its ComputeManager: the host and the
    # notifier nova.manager.Manager gives every compute manager.
    compute = types.SimpleNamespace(
        host=host, notifier=rpc.get_notifier('compute', host))
    manager.ComputeManager._instance_usage_audit(
        compute, context.get_admin_context())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
