"""The simulated cloud: projects, hosts, flavors, images, instances, volumes.

Everything random comes from one ``Source`` seeded by the caller, so the
same seed always builds the same world and the same traffic. Nothing here
reads the wall clock or the global ``random`` module.
"""

import datetime
import random
import uuid

# Flavors as a public cloud offers them: (name, flavorid, memory_mb, vcpus,
# root_gb, ephemeral_gb, swap). Small ones are the most used.
FLAVORS = (
    ('m1.tiny', '1', 512, 1, 1, 0, 0),
    ('m1.small', '2', 2048, 1, 20, 0, 0),
    ('m1.medium', '3', 4096, 2, 40, 0, 0),
    ('m1.large', '4', 8192, 4, 80, 0, 0),
    ('m1.xlarge', '5', 16384, 8, 160, 0, 0),
    ('c1.2xlarge', 'c1-16', 16384, 16, 40, 80, 2048),
    ('r1.large', 'r1-64', 65536, 8, 40, 0, 0),
)
FLAVOR_WEIGHTS = (20, 30, 22, 12, 6, 5, 5)

# Base images: (name, os_distro, os_version, disk_format, size in bytes,
# min_disk, min_ram).
BASE_IMAGES = (
    ('cirros-0.6.2-x86_64-disk', 'cirros', '0.6.2', 'qcow2', 21430272, 0, 0),
    ('ubuntu-24.04-server-cloudimg-amd64', 'ubuntu', '24.04', 'qcow2',
     593821696, 10, 512),
    ('ubuntu-22.04-server-cloudimg-amd64', 'ubuntu', '22.04', 'qcow2',
     679477248, 10, 512),
    ('debian-12-genericcloud-amd64', 'debian', '12', 'qcow2',
     340787200, 5, 512),
    ('rocky-9.4-genericcloud-x86_64', 'rocky', '9.4', 'qcow2',
     1159725056, 10, 1024),
    ('windows-server-2022-standard', 'windows', '2022', 'raw',
     21474836480, 40, 4096),
)
IMAGE_WEIGHTS = (10, 35, 20, 15, 12, 8)

VOLUME_BACKENDS = ('lvmdriver-1', 'ceph-ssd', 'ceph-hdd')
VOLUME_TYPES = {
    'lvmdriver-1': 'a16c8514-616f-4d40-baf7-eb8c8fb18677',
    'ceph-ssd': '3706aa72-cb65-4971-83e8-48e1477efd1d',
    'ceph-hdd': '5e2c6a12-7a3b-4f4e-9b0b-2e1f0a6d3c44',
}


class Source(random.Random):
    """The one random source of a simulation (seeded, reproducible)."""

    def uuid(self):
        """A random (version 4 shaped) UUID string from this source."""
        return str(uuid.UUID(int=self.getrandbits(128), version=4))

    def hex(self, length=32):
        return '%0*x' % (length, self.getrandbits(4 * length))

    def request_id(self):
        return 'req-' + self.uuid()

    def mac(self):
        return 'fa:16:3e:%02x:%02x:%02x' % (
            self.randrange(256), self.randrange(256), self.randrange(256))

    def between(self, low, high):
        """A duration in microseconds, log-uniform-ish between two values
        given in seconds (operation times have long tails)."""
        low_us, high_us = int(low * 1e6), int(high * 1e6)
        # The product of two uniforms leans towards the low end, with a
        # long tail: close enough to measured operation latencies.
        spread = high_us - low_us
        return low_us + int(spread * self.random() * self.random())


class Flavor:
    __slots__ = ('name', 'flavorid', 'memory_mb', 'vcpus', 'root_gb',
                 'ephemeral_gb', 'swap', 'id')

    def __init__(self, index, name, flavorid, memory_mb, vcpus, root_gb,
                 ephemeral_gb, swap):
        self.id = index + 1
        self.name = name
        self.flavorid = flavorid
        self.memory_mb = memory_mb
        self.vcpus = vcpus
        self.root_gb = root_gb
        self.ephemeral_gb = ephemeral_gb
        self.swap = swap

    def to_dict(self):
        return {'name': self.name, 'flavorid': self.flavorid,
                'memory_mb': self.memory_mb, 'vcpus': self.vcpus,
                'root_gb': self.root_gb, 'ephemeral_gb': self.ephemeral_gb}


class Project:
    __slots__ = ('id', 'name', 'users', 'network_id', 'subnet_id',
                 'cidr_prefix', 'next_ip', 'security_group_id')

    def __init__(self, source, index):
        self.id = source.hex()
        self.name = 'project-%03d' % index
        self.users = [source.hex() for _ in range(source.randint(1, 4))]
        self.network_id = source.uuid()
        self.subnet_id = source.uuid()
        self.security_group_id = source.uuid()
        self.cidr_prefix = '10.%d.%d' % (index // 250, index % 250)
        self.next_ip = 10

    def allocate_ip(self):
        address = '%s.%d' % (self.cidr_prefix, self.next_ip)
        self.next_ip = 10 + (self.next_ip - 9) % 240
        return address


class Image:
    """A glance image: a public base image or a project's snapshot."""

    __slots__ = ('id', 'name', 'owner', 'os_distro', 'os_version',
                 'disk_format', 'container_format', 'size', 'min_disk',
                 'min_ram', 'visibility', 'status', 'created_at',
                 'updated_at', 'deleted_at', 'checksum', 'instance_uuid',
                 'base_image_ref')

    def __init__(self, source, name, owner, os_distro, os_version,
                 disk_format, size, min_disk, min_ram, visibility,
                 created_at):
        self.id = source.uuid()
        self.name = name
        self.owner = owner
        self.os_distro = os_distro
        self.os_version = os_version
        self.disk_format = disk_format
        self.container_format = 'bare'
        self.size = size
        self.min_disk = min_disk
        self.min_ram = min_ram
        self.visibility = visibility
        self.status = 'active'
        self.created_at = created_at
        self.updated_at = created_at
        self.deleted_at = None
        self.checksum = source.hex()
        self.instance_uuid = None
        self.base_image_ref = None


class Volume:
    __slots__ = ('id', 'project', 'user_id', 'size', 'backend',
                 'cinder_host', 'display_name', 'status', 'created_at',
                 'launched_at', 'deleted_at', 'instance_uuid',
                 'attachment_id', 'image_id', 'attached_at')

    def __init__(self, source, project, user_id, size, backend,
                 cinder_host, created_at):
        self.id = source.uuid()
        self.project = project
        self.user_id = user_id
        self.size = size
        self.backend = backend
        self.cinder_host = cinder_host
        self.display_name = ''
        self.status = 'creating'
        self.created_at = created_at
        self.launched_at = None
        self.deleted_at = None
        self.instance_uuid = None
        self.attachment_id = None
        self.image_id = None
        self.attached_at = None

    @property
    def host(self):
        """The volume's host as cinder writes it: ``host@backend#pool``."""
        return '%s@%s#%s' % (self.cinder_host, self.backend, self.backend)

    @property
    def publisher_host(self):
        return '%s@%s' % (self.cinder_host, self.backend)


class Port:
    __slots__ = ('id', 'mac', 'address', 'network_id', 'subnet_id',
                 'created_at', 'device_name')

    def __init__(self, source, project, created_at):
        self.id = source.uuid()
        self.mac = source.mac()
        self.address = project.allocate_ip()
        self.network_id = project.network_id
        self.subnet_id = project.subnet_id
        self.created_at = created_at
        self.device_name = 'tap' + self.id[:11]


class Instance:
    """A server, with the fields nova's notifications report."""

    __slots__ = ('uuid', 'project', 'user_id', 'display_name', 'hostname',
                 'flavor', 'image', 'host', 'node', 'vm_state',
                 'task_state', 'power_state', 'created_at', 'launched_at',
                 'terminated_at', 'deleted_at', 'reservation_id', 'ports',
                 'volume', 'key_name', 'busy', 'stuck', 'launched_here',
                 'progress', 'updated_at', 'display_description', 'id')

    def __init__(self, source, project, user_id, flavor, image, created_at,
                 number):
        self.uuid = source.uuid()
        self.id = number
        self.project = project
        self.user_id = user_id
        self.display_name = 'server-%06d' % number
        self.hostname = self.display_name
        self.display_description = self.display_name
        self.flavor = flavor
        self.image = image
        self.host = None
        self.node = None
        self.vm_state = 'building'
        self.task_state = None
        self.power_state = 0
        self.created_at = created_at
        self.updated_at = None
        self.launched_at = None
        self.terminated_at = None
        self.deleted_at = None
        self.reservation_id = 'r-' + source.hex(8)
        self.ports = []
        self.volume = None
        self.key_name = 'key-%s' % project.name
        # True while an operation runs on it: one operation at a time.
        self.busy = False
        # True once an operation got stuck on it: nothing touches it again.
        self.stuck = False
        # Whether launched_at was set by the request now running, so that
        # its notifications carry the microseconds (see formats).
        self.launched_here = False
        self.progress = 0


class World:
    """Projects, hosts, flavors, images, and the live instances."""

    def __init__(self, source, start, projects=10, hosts=20):
        self.source = source
        self.projects = [Project(source, i) for i in range(projects)]
        self.admin_project = source.hex()
        self.admin_user = source.hex()
        self.compute_hosts = ['cmp-r%02d-%03d' % (i // 40 + 1, i + 1)
                              for i in range(hosts)]
        controllers = max(1, min(3, hosts // 10 + 1))
        self.api_hosts = ['ctl-%02d' % (i + 1) for i in range(controllers)]
        self.conductor_hosts = self.api_hosts
        self.scheduler_hosts = self.api_hosts
        self.network_hosts = ['net-%02d.cloud.example.org' % (i + 1)
                              for i in range(controllers)]
        self.cinder_hosts = ['blk-%02d' % (i + 1)
                             for i in range(controllers)]
        self.glance_api = 'http://%s:9292' % '192.0.2.10'
        self.flavors = [Flavor(i, *spec) for i, spec in enumerate(FLAVORS)]
        self.images = []
        self.base_images = []
        for spec in BASE_IMAGES:
            image = Image(source, spec[0], self.admin_project, spec[1],
                          spec[2], spec[3], spec[4], spec[5], spec[6],
                          'public', start - datetime.timedelta(days=90))
            self.images.append(image)
            self.base_images.append(image)
        self.volumes = []
        self.instances = []
        # Deleted since the last audit: the audit still reports them.
        self.deleted_instances = []
        self.deleted_volumes = []
        self._instance_index = {}
        self.instance_count = 0

    # Live instances, with O(1) removal and a deterministic order.
    def add_instance(self, instance):
        self._instance_index[instance.uuid] = len(self.instances)
        self.instances.append(instance)

    def remove_instance(self, instance):
        index = self._instance_index.pop(instance.uuid)
        last = self.instances.pop()
        if last is not instance:
            self.instances[index] = last
            self._instance_index[last.uuid] = index

    def new_instance(self, project, created_at):
        source = self.source
        flavor = source.choices(self.flavors, FLAVOR_WEIGHTS)[0]
        image = source.choices(self.base_images, IMAGE_WEIGHTS)[0]
        self.instance_count += 1
        return Instance(source, project, source.choice(project.users),
                        flavor, image, created_at, self.instance_count)

    def new_volume(self, instance, created_at):
        source = self.source
        backend = source.choice(VOLUME_BACKENDS)
        volume = Volume(source, instance.project, instance.user_id,
                        max(instance.flavor.root_gb, 10), backend,
                        source.choice(self.cinder_hosts), created_at)
        volume.image_id = instance.image.id
        return volume

    def pick(self, predicate, tries=8):
        """A random live instance for which ``predicate`` is true, or
        None (a few random tries: good enough, and O(1))."""
        if not self.instances:
            return None
        for _ in range(tries):
            instance = self.source.choice(self.instances)
            if not instance.busy and not instance.stuck and predicate(
                    instance):
                return instance
        return None

    def other_host(self, host):
        if len(self.compute_hosts) < 2:
            return host
        while True:
            candidate = self.source.choice(self.compute_hosts)
            if candidate != host:
                return candidate
