"""The simulator: many operations interleaved on one simulated clock.

::

    from stacktach_ng.simulator import engine
    sim = engine.Simulator(seed=42, projects=10, hosts=20, fmt='legacy')
    for body in sim.messages(count=100000):
        ...                      # wire v1 dicts, in time order
    sim.truth.write('truth.json')

Operations arrive as a Poisson process (``ops_per_hour``); each runs its
scenario (see ``scenarios``) from its arrival time, so their messages
interleave. A heap holds the next message of every running operation:
memory stays bounded by the number of operations in flight, whatever the
number of messages asked for. At each audit period boundary (a day by
default, or an hour) every compute host reports ``.exists`` for the
instances alive in the period, glance and cinder those of images and
volumes.

Same seed and options, same messages, byte for byte: nothing reads the
wall clock (except with ``realtime``, which only paces the output) or the
global random module.
"""

import collections
import datetime
import heapq
import time

from stacktach_ng.simulator import model
from stacktach_ng.simulator import scenarios
from stacktach_ng.simulator import truth as T

FORMATS = ('legacy', 'versioned', 'both', 'mixed')
AUDIT_PERIODS = {'hour': datetime.timedelta(hours=1),
                 'day': datetime.timedelta(days=1)}
DEFAULT_START = datetime.datetime(2026, 1, 1)

# Relative frequency of each operation at steady state.
OPERATION_WEIGHTS = {
    'create': 24,
    'delete': 20,
    'reboot': 14,
    'power_off': 5,
    'power_on': 5,
    'snapshot': 10,
    'resize': 9,
    'rebuild': 8,
}

_NEEDS = {
    'delete': lambda i: True,
    'reboot': lambda i: i.vm_state == 'active',
    'power_off': lambda i: i.vm_state == 'active',
    'power_on': lambda i: i.vm_state == 'stopped',
    'snapshot': lambda i: i.vm_state in ('active', 'stopped'),
    'resize': lambda i: i.vm_state == 'active',
    'rebuild': lambda i: i.vm_state == 'active',
}

_ARRIVAL = 0
_AUDIT = 1
_SPAWN = 2


def event_family(event_type):
    """``compute.instance.create.end`` -> ``compute.instance.create``."""
    for suffix in ('.start', '.end', '.error'):
        if event_type.endswith(suffix):
            return event_type[:-len(suffix)]
    return event_type


_EPOCH = datetime.datetime(1970, 1, 1)


def _floor(moment, period):
    """The start of the period containing ``moment``: periods are counted
    from the epoch, so hours and days start on the hour and at midnight
    UTC, and a 5 minute period on a multiple of 5 minutes."""
    return _EPOCH + ((moment - _EPOCH) // period) * period


class Simulator:
    """A reproducible stream of realistic notifications.

    :param seed: the random seed; same seed and options, same output.
    :param start: the simulated clock's start (naive UTC datetime);
        default 2026-01-01 00:00, or now with ``realtime``.
    :param projects: number of projects (tenants).
    :param hosts: number of compute hosts.
    :param fmt: nova's notification format: ``legacy``, ``versioned``,
        ``both`` (each nova event twice, as ``notification_format=both``)
        or ``mixed`` (a format per host).
    :param failure_rate: probability that a create or a snapshot fails
        (half the failed creates find no valid host).
    :param stuck_rate: probability that an operation gets stuck.
    :param ops_per_hour: operations started per simulated hour (default
        30 per compute host).
    :param audit_period: ``day`` or ``hour`` (nova's
        ``instance_usage_audit_period``), or a ``timedelta`` dividing a
        day (a demo's few minutes, so that verdicts come soon).
    :param with_tokens: put ``auth_token`` and ``service_catalog`` in the
        contexts, as oslo.messaging did before it redacted them.
    :param realtime: pace the output so that each message comes out when
        the wall clock reaches its timestamp (``start`` defaults to now).
    :param volume_rate: share of boots with a cinder boot volume.
    :param instances_per_project: instances living before the start, per
        project (and the population the operations hover around).
    """

    def __init__(self, seed=42, start=None, projects=10, hosts=20,
                 fmt='legacy', failure_rate=0.05, stuck_rate=0.01,
                 ops_per_hour=None, audit_period='day', with_tokens=False,
                 realtime=False, volume_rate=0.3, instances_per_project=5,
                 sleep=time.sleep, clock=time.monotonic):
        if fmt not in FORMATS:
            raise ValueError('format must be one of %s, not %r'
                             % (', '.join(FORMATS), fmt))
        for name, value in (('failure_rate', failure_rate),
                            ('stuck_rate', stuck_rate),
                            ('volume_rate', volume_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError('%s must be between 0 and 1, not %r'
                                 % (name, value))
        if projects < 1 or hosts < 1:
            raise ValueError('projects and hosts must be at least 1')
        period = (audit_period
                  if isinstance(audit_period, datetime.timedelta)
                  else AUDIT_PERIODS.get(audit_period))
        if period is None or period <= datetime.timedelta(0) or (
                datetime.timedelta(days=1) % period and period.days < 1):
            raise ValueError('audit_period must be one of %s or a duration '
                             'dividing a day, not %r'
                             % (', '.join(AUDIT_PERIODS), audit_period))
        if start is None:
            start = (datetime.datetime.now(datetime.timezone.utc).replace(
                tzinfo=None) if realtime else DEFAULT_START)
        elif start.tzinfo is not None:
            start = start.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        self.seed = seed
        self.start = start
        self.now = start
        self.fmt = fmt
        self.failure_rate = failure_rate
        self.stuck_rate = stuck_rate
        self.ops_per_hour = ops_per_hour or 30 * hosts
        if self.ops_per_hour <= 0:
            raise ValueError('ops_per_hour must be positive')
        self.realtime = realtime
        self._sleep = sleep
        self._clock = clock
        self._wall_start = None
        self.period = period

        self.source = model.Source(seed)
        self.world = model.World(self.source, start, projects, hosts)
        self.truth = T.GroundTruth()
        self.target_population = projects * instances_per_project
        self.stats = {'services': collections.Counter(),
                      'families': collections.Counter(),
                      'bytes': 0}
        self.context = scenarios.Context(
            self.world, self.source, self.truth, self._host_formats(fmt),
            with_tokens, self.audit_start, self._spawn, volume_rate)

        self._heap = []
        self._seq = 0
        self._populate(instances_per_project)
        self._push(start + self._interarrival(), _ARRIVAL, None)
        first_audit = _floor(start, self.period)
        if first_audit < start:
            first_audit += self.period
        self._push(first_audit, _AUDIT, None)

    # --- setup -------------------------------------------------------
    def _host_formats(self, fmt):
        world = self.world
        hosts = (world.compute_hosts + world.api_hosts +
                 world.conductor_hosts + world.scheduler_hosts)
        formats = {}
        for host in hosts:
            if host in formats:
                continue
            if fmt == 'mixed':
                formats[host] = self.source.choice(
                    ('legacy', 'versioned', 'both'))
            else:
                formats[host] = fmt
        return formats

    def _populate(self, per_project):
        """Instances (and their volumes) that exist before the start."""
        world, source = self.world, self.source
        for image in world.images:
            self.truth.images[image.id] = T.ImageRecord(image)
        for project in world.projects:
            for _ in range(per_project):
                created = self.start - datetime.timedelta(
                    seconds=source.randint(3600, 60 * 86400))
                instance = world.new_instance(project, created)
                instance.launched_at = created + datetime.timedelta(
                    microseconds=source.randint(20000000, 120000000))
                instance.host = instance.node = source.choice(
                    world.compute_hosts)
                instance.vm_state = ('stopped' if source.random() < 0.1
                                     else 'active')
                instance.power_state = 4 if instance.vm_state == 'stopped' \
                    else 1
                instance.updated_at = instance.launched_at
                instance.ports.append(model.Port(source, project, created))
                if source.random() < self.context.volume_rate:
                    volume = world.new_volume(instance, created)
                    volume.status = 'in-use'
                    volume.launched_at = created + datetime.timedelta(
                        seconds=source.randint(3, 15))
                    volume.instance_uuid = instance.uuid
                    volume.attachment_id = source.uuid()
                    volume.attached_at = volume.launched_at
                    instance.volume = volume
                    world.volumes.append(volume)
                    self.truth.volumes[volume.id] = T.VolumeRecord(volume)
                world.add_instance(instance)
                record = T.InstanceRecord(instance, preexisting=True)
                record.launches.append({'at': instance.launched_at,
                                        'operation': 'create',
                                        'request_id': None})
                self.truth.instances[instance.uuid] = record

    # --- clock and queue ---------------------------------------------
    def audit_start(self, moment):
        """Beginning of the audit period that contains ``moment``."""
        return _floor(moment, self.period)

    def _push(self, moment, kind, item):
        self._seq += 1
        heapq.heappush(self._heap, (moment, self._seq, kind, item))

    def _spawn(self, moment, scenario, run):
        """Start ``scenario`` at ``moment`` (scenarios' follow-ups)."""
        self._push(moment, _SPAWN, (scenario, run))

    def _interarrival(self):
        seconds = self.source.expovariate(self.ops_per_hour / 3600.0)
        return datetime.timedelta(microseconds=max(1000, int(seconds * 1e6)))

    def _start(self, scenario, run):
        generator = scenario(self.context, run)
        self._advance(generator, run)

    def _advance(self, generator, run):
        try:
            notification = next(generator)
        except StopIteration:
            self._finished(run)
            return
        self._push(notification.time, notification, (generator, run))

    def _finished(self, run):
        instance = run.instance
        if run.op is None or instance is None:
            return
        if run.op.outcome == 'stuck':
            instance.stuck = True
        elif not run.extra.get('keep_busy'):
            instance.busy = False

    # --- operations --------------------------------------------------
    def _choose(self):
        weights = dict(OPERATION_WEIGHTS)
        alive = len(self.world.instances)
        if alive < 0.8 * self.target_population:
            weights['create'] *= 2
            weights['delete'] //= 2
        elif alive > 1.2 * self.target_population:
            weights['delete'] *= 2
            weights['create'] //= 2
        names = sorted(weights)
        return self.source.choices(names, [weights[n] for n in names])[0]

    def _arrive(self, moment):
        name = self._choose()
        instance = None
        if name != 'create':
            instance = self.world.pick(_NEEDS[name])
            if instance is None:
                name = 'create'
        source = self.source
        plan = 'success'
        # Progress updates while spawning/migrating: production boots
        # send a dozen, which is why instance.update dominates traffic.
        extra = {'progress': source.randint(12, 26) if name == 'create'
                 else source.randint(6, 18)}
        if source.random() < self.stuck_rate:
            plan = 'stuck'
        elif name in ('create', 'snapshot') and \
                source.random() < self.failure_rate:
            plan = 'error'
            if name == 'create' and source.random() < 0.5:
                plan = 'no_valid_host'
        if name == 'create':
            project = source.choice(self.world.projects)
            created = moment - datetime.timedelta(
                microseconds=source.randint(50000, 400000))
            instance = self.world.new_instance(project, created)
            self.world.add_instance(instance)
            extra['volume'] = source.random() < self.context.volume_rate
            if plan == 'stuck' and source.random() < 0.3:
                extra['stuck_at'] = 'networking'
        instance.busy = True
        request = self.context.user_request(instance.project,
                                            instance.user_id, moment)
        op = self.truth.new_operation(name, request, instance.uuid)
        run = scenarios.Run(moment, request, instance, op, plan, **extra)
        self._start(scenarios.SCENARIOS[name], run)
        self._push(moment + self._interarrival(), _ARRIVAL, None)

    def _audit(self, boundary):
        """Start the audits of the period that ends at ``boundary``."""
        world, source = self.world, self.source
        begin, end = boundary - self.period, boundary
        alive = [i for i in world.instances
                 if i.launched_at is not None and i.launched_at < end]
        gone = [i for i in world.deleted_instances
                if i.deleted_at is not None and i.deleted_at >= begin
                and i.launched_at is not None and i.launched_at < end]
        world.deleted_instances = [i for i in world.deleted_instances
                                   if i.deleted_at >= end]
        by_host = collections.defaultdict(list)
        for instance in sorted(alive + gone, key=lambda i: i.id):
            by_host[instance.host].append(instance)
        # Nova's audits run a while after the boundary: minutes after a
        # day, seconds after an hour, a few seconds after a demo's short
        # period (a tenth of it at most).
        if self.period.days:
            delay = (60.0, 600.0)
        elif self.period >= AUDIT_PERIODS['hour']:
            delay = (5.0, 60.0)
        else:
            tenth = self.period.total_seconds() / 10
            delay = (min(2.0, tenth), tenth)
        for host in sorted(by_host):
            at = boundary + datetime.timedelta(
                microseconds=source.between(*delay))
            run = scenarios.Run(at, self.context.admin_request(at), None,
                                None)
            self._spawn_generator(at, scenarios.audit_instances(
                self.context, run, host, by_host[host], begin, end), run)
        images = [i for i in world.images if i.created_at < end]
        at = boundary + datetime.timedelta(
            microseconds=source.between(*delay))
        run = scenarios.Run(at, None, None, None)
        self._spawn_generator(at, scenarios.audit_images(
            self.context, run, images, begin, end), run)
        volumes = [v for v in world.volumes + world.deleted_volumes
                   if v.launched_at is not None and v.launched_at < end and
                   (v.deleted_at is None or v.deleted_at >= begin)]
        world.deleted_volumes = [v for v in world.deleted_volumes
                                 if v.deleted_at >= end]
        at = boundary + datetime.timedelta(
            microseconds=source.between(*delay))
        run = scenarios.Run(at, self.context.admin_request(at), None, None)
        self._spawn_generator(at, scenarios.audit_volumes(
            self.context, run, volumes, begin, end), run)
        self._push(boundary + self.period, _AUDIT, None)

    def _special(self, moment, kind, item):
        if kind == _ARRIVAL:
            self._arrive(moment)
        elif kind == _AUDIT:
            self._audit(moment)
        else:
            first, run = item
            if callable(first):
                self._start(first, run)
            else:
                self._advance(first, run)

    def _spawn_generator(self, moment, generator, run):
        self._push(moment, _SPAWN, (generator, run))

    # --- output ------------------------------------------------------
    def _pace(self, moment):
        if self._wall_start is None:
            self._wall_start = self._clock()
        due = self._wall_start + (moment - self.start).total_seconds()
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)

    def _account(self, notification):
        op = notification.operation
        if op is not None:
            if op.first_at is None:
                op.first_at = notification.time
            op.last_at = notification.time
        body = notification.body
        self.truth.messages += 1
        self.stats['services'][notification.service] += 1
        self.stats['families'][event_family(body['event_type'])] += 1

    def notifications(self, count=None, duration=None):
        """Generate ``scenarios.Notification`` objects in time order.

        Stops after ``count`` messages or when the clock passes
        ``duration`` (a ``timedelta`` or seconds) from where this call
        started, whichever comes first; with neither, runs forever.
        Calling again continues the same stream.
        """
        if duration is not None and not isinstance(duration,
                                                   datetime.timedelta):
            duration = datetime.timedelta(seconds=float(duration))
        until = self.now + duration if duration is not None else None
        produced = 0
        heap = self._heap
        while count is None or produced < count:
            moment, _seq, kind, item = heap[0]
            if until is not None and moment > until:
                self.now = until
                return
            heapq.heappop(heap)
            if not isinstance(kind, scenarios.Notification):
                self._special(moment, kind, item)
                continue
            notification = kind
            generator, run = item
            self.now = moment
            # Advance first: the scenario's code after this message's
            # yield updates the truth, which must be complete for every
            # message handed out even if the caller stops here.
            self._advance(generator, run)
            self._account(notification)
            if self.realtime:
                self._pace(moment)
            produced += 1
            yield notification

    def messages(self, count=None, duration=None):
        """Generate wire v1 message bodies (dicts) in time order; see
        ``notifications()`` for ``count`` and ``duration``."""
        for notification in self.notifications(count, duration):
            yield notification.body


def sample_messages(count=1000, seed=0, **options):
    """A realistic mixed list of ``count`` wire v1 bodies, for tests."""
    return list(Simulator(seed=seed, **options).messages(count=count))

