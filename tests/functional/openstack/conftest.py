"""The session of the OpenStack oracle tests: one cloud, one scenario.

``oracle`` brings the cloud up (``cloud``), starts stacktach-ng's
listener, verifier and API against it with the devstack plugin's
configuration (``stacktach``), keeps its own copy of the traffic
(``capture``), plays the scenario (``scenario``) while asking
stacktach-ng's API what it sees when a service is frozen, waits until
stacktach-ng stored everything and verified the audit records, and hands
the tests what both sides recorded. Everything is torn down at the end
of the session; with ``STACKTACH_TEST_KEEP_CLOUD_FILES`` set, the cloud's
directory (configuration files, every service's log, what stacktach-ng
answered while a service was frozen) is left in place.
"""

import json
import os
import shutil
import tempfile
import time

import pytest

from tests.functional import services
from tests.functional.openstack import capture as capture_mod
from tests.functional.openstack import cloud as cloud_mod
from tests.functional.openstack import processes
from tests.functional.openstack import scenario as scenario_mod
from tests.functional.openstack import stacktach as stacktach_mod
from tests.functional.openstack import venvs

# The stuck threshold of the issue: a server stuck for 35 s must be listed.
STUCK_OLDER_THAN = 25


class Oracle:
    """What the cloud did and what stacktach-ng answers."""

    def __init__(self, cloud, capture, stacktach, run):
        self.cloud = cloud
        self.capture = capture
        self.stacktach = stacktach
        self.run = run
        self.frozen = {}      # step -> what stacktach-ng answered then
        self.stored = None    # stacktach-ng-manage export

    def observe_frozen(self, step, server_id):
        api = self.stacktach
        self.frozen[step] = {
            'server_id': server_id,
            'stuck': api.get_all('/v1/resources', 'resources', stuck='true',
                                 older_than=STUCK_OLDER_THAN),
            'resource': api.get('/v1/resources/%s' % server_id),
            'requests': api.get_all('/v1/requests', 'requests'),
        }

    def server(self, name):
        return self.run.servers[name]

    def step(self, name):
        return self.run.steps[name]


def _wait_stored(oracle, timeout=180):
    """Until stacktach-ng stored as many notifications as the capture
    holds, and that number stays put for a few seconds."""
    def settled():
        stored = oracle.stacktach.export()
        if len(stored) >= oracle.capture.count():
            time.sleep(5)
            again = oracle.stacktach.export()
            if len(again) == len(stored):
                oracle.stored = again
                return True
        return False
    try:
        processes.wait_until(settled, timeout, 'stacktach-ng storing the '
                             'captured traffic', interval=5)
    except TimeoutError:
        oracle.stored = oracle.stacktach.export()


def _wait_verified(oracle, timeout=90):
    def verified():
        exists = oracle.stacktach.get_all('/v1/usage/exists', 'exists')
        return exists and all(e.get('status') != 'pending' for e in exists)
    try:
        processes.wait_until(verified, timeout, 'the audit records '
                             'verified', interval=5)
    except TimeoutError:
        pass  # the tests say what is still pending


@pytest.fixture(scope='session')
def oracle():
    workdir = tempfile.mkdtemp(prefix='openstack-oracle-')
    try:
        cloud = cloud_mod.Cloud(workdir)
        cloud.prepare()
    except venvs.InstallFailed as e:
        services.unavailable('the OpenStack packages from PyPI', str(e))
    database = services.TestDatabase('mysql')
    capture = stacktach = None
    try:
        database.create()
        topics, exchanges = capture_mod.listener_targets(
            cloud.paths['stacktach_plugin'])
        capture = capture_mod.Capture(cloud.infra.transport_url, topics,
                                      exchanges).start()
        cloud.start()
        stacktach = stacktach_mod.Stacktach(workdir, cloud, database.url)
        stacktach.configure().start()
        run = scenario_mod.Run(cloud, capture)
        result = Oracle(cloud, capture, stacktach, run)
        run.while_frozen = result.observe_frozen
        run.play()
        _wait_stored(result)
        _wait_verified(result)
        # For whoever reads a failure: what stacktach-ng answered while a
        # service was frozen.
        with open(os.path.join(workdir, 'frozen-answers.json'), 'w') as f:
            json.dump(result.frozen, f, indent=1, sort_keys=True)
        yield result
    finally:
        if stacktach is not None:
            stacktach.stop()
        if capture is not None:
            capture.stop()
        cloud.stop()
        database.drop()
        if os.environ.get('STACKTACH_TEST_KEEP_CLOUD_FILES') is None:
            shutil.rmtree(workdir, ignore_errors=True)
