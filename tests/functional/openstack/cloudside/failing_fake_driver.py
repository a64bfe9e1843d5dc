"""A nova virt driver whose spawn fails once on request.

nova-compute loads it with ``compute_driver =
failing_fake_driver.FailFirstSpawnDriver``. It is nova's
``MediumFakeDriver`` (8 GiB of RAM, no hypervisor), except that the first
spawn of a server with the metadata ``fail_first_spawn`` raises
``ComputeResourcesUnavailable``: nova-compute then asks the conductor to
reschedule the boot, and the next host spawns it. Which host comes first
is the scheduler's choice; the marker that makes the failure happen once
lives in ``STACKTACH_TEST_FAULT_DIR``, a directory shared by every compute
host of the cloud.
"""

import os

from nova import exception
from nova.virt import fake

METADATA_KEY = 'fail_first_spawn'
FAULT_DIR_ENV = 'STACKTACH_TEST_FAULT_DIR'


def _first_attempt(instance_uuid):
    """True the first time it is called for a server, on any host."""
    directory = os.environ[FAULT_DIR_ENV]
    os.makedirs(directory, exist_ok=True)
    try:
        os.close(os.open(os.path.join(directory, instance_uuid),
                         os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


class FailFirstSpawnDriver(fake.MediumFakeDriver):

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        if (instance.metadata.get(METADATA_KEY)
                and _first_attempt(instance.uuid)):
            raise exception.ComputeResourcesUnavailable(
                reason='spawn failed on request (metadata %s)'
                % METADATA_KEY)
        super().spawn(context, instance, image_meta, injected_files,
                      admin_password, allocations,
                      network_info=network_info,
                      block_device_info=block_device_info,
                      power_on=power_on, accel_info=accel_info)
