"""Operation scripts: the notifications of each operation, in order.

Each scenario is a generator function ``scenario(ctx, run)`` yielding
``Notification`` objects in time order; the engine interleaves many of
them on one clock. Code placed after a ``yield`` runs once that message is
emitted, which is where the ground truth is updated: truth never runs
ahead of the messages.

The sequences follow real nova/glance/cinder/neutron traffic:

* an instance update comes from the process that saved the instance, as
  service compute (``compute.<host>`` / ``nova-compute:<host>``): the API
  host for the first task state of an operation, a conductor host for
  every save by nova-compute (which has no database access and saves
  through the conductor), never the compute host; only the conductor's
  own update of a boot names it (``conductor.<host>`` /
  ``nova-conductor:<host>``);
* a boot starts with the scheduler's ``select_destinations``; the
  conductor's update (task state still ``scheduling``) follows;
* a boot goes scheduling -> None -> networking (neutron creates the port
  under its own request id, with nova's as global request id) ->
  block_device_mapping (cinder creates and attaches the boot volume when
  there is one) -> spawning (a few no-change progress updates) -> None;
* ``old_task_state`` carries nova's quirk: an old value of None is
  reported as the new one (None -> networking arrives as networking ->
  networking), and progress updates repeat old == new;
* a resize sends ``.exists`` first, prepares and finishes on the
  destination host, migrates on the source, and is confirmed later by a
  second request on the source;
* these sequences are checked against a real nova's traffic
  (``tests/unit/simulator/test_against_real_nova.py``);
* failures: a failed boot sends ``create.error`` and no ``.end``; no valid
  host (placement has no candidate) sends no scheduler notification: the
  conductor's update to ERROR, then its ``compute_task.build_instances``
  error (class ``NoValidHost_Remote``); a failed
  snapshot is ``snapshot.start`` then the ERROR event ``snapshot_instance``
  (legacy) / ``compute.exception`` (versioned);
* a stuck operation simply stops: its task state stays frozen.
"""

import datetime

from stacktach_ng.simulator import formats as F
from stacktach_ng.simulator import model
from stacktach_ng.simulator import truth as T

LAG = datetime.timedelta(microseconds=T.VERSIONED_LAG_US)
MIN_GAP_US = 2000


class Notification:
    """One emitted message and what it is about.

    ``body`` is the wire v1 dict; ``service`` the producing service (and
    RabbitMQ exchange): nova, glance, cinder or neutron; ``format``
    ``legacy`` or ``versioned``; ``resource_type``/``resource_id`` the
    resource the message names (None when it names none, as nova's
    versioned ``compute.exception`` and neutron's ``port.create.start``,
    a request for a port that has no id yet); ``operation`` the
    ``truth.Operation`` it belongs to, or None (audits).
    """

    __slots__ = ('time', 'body', 'service', 'format', 'resource_type',
                 'resource_id', 'operation')

    def __init__(self, time, body, service, fmt, resource_type,
                 resource_id, operation):
        self.time = time
        self.body = body
        self.service = service
        self.format = fmt
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.operation = operation

    @property
    def exchange(self):
        return self.service


class Error:
    """An exception as nova reports it.

    ``remote_traceback``: for an exception raised in another service and
    re-raised by oslo.messaging (``<Class>_Remote``), the remote side's
    traceback, which it appends to the message it reports.
    """

    __slots__ = ('type', 'message', 'code', 'kwargs', 'function', 'module',
                 'remote_traceback')

    def __init__(self, type_, message, code, kwargs, function, module,
                 remote_traceback=None):
        self.type = type_
        self.message = message
        self.code = code
        self.kwargs = kwargs
        self.function = function
        self.module = module
        self.remote_traceback = remote_traceback

    def to_dict(self, event_type):
        return {'type': self.type, 'message': self.message,
                'event_type': event_type}


def boot_error(source, instance):
    choice = source.randrange(4)
    if choice == 0:
        return Error('VirtualInterfaceCreateException',
                     'Virtual Interface creation failed', 500, {},
                     '_build_and_run_instance', 'nova.compute.manager')
    if choice == 1:
        port = instance.ports[0].id if instance.ports else source.uuid()
        return Error('PortBindingFailed',
                     'Binding failed for port %s, please check neutron '
                     'logs for more information.' % port, 500,
                     {'port_id': port}, '_build_and_run_instance',
                     'nova.compute.manager')
    if choice == 2:
        return Error('BuildAbortException',
                     'Build of instance %s aborted: Failed to allocate the '
                     'network(s), not rescheduling.' % instance.uuid, 500,
                     {'instance_uuid': instance.uuid,
                      'reason': 'Failed to allocate the network(s), not '
                                'rescheduling.'},
                     '_build_and_run_instance', 'nova.compute.manager')
    return Error('InstanceNotFound',
                 'Instance %s could not be found.' % instance.uuid, 404,
                 {'instance_id': instance.uuid}, '_build_and_run_instance',
                 'nova.compute.manager')


def snapshot_error(source, instance, image):
    if source.randrange(2):
        return Error('ImageNotFound',
                     'Image %s could not be found.' % image.id, 404,
                     {'image_id': image.id}, 'snapshot_instance',
                     'nova.compute.manager')
    return Error('InstanceInvalidState',
                 'Instance %s in task_state image_uploading. Cannot '
                 'snapshot_instance while the instance is in this state.'
                 % instance.uuid, 409,
                 {'attr': 'task_state', 'instance_uuid': instance.uuid,
                  'state': 'image_uploading', 'method': 'snapshot_instance'},
                 'snapshot_instance', 'nova.compute.manager')


# The scheduler's NoValidHost (no allocation candidate: an empty reason),
# as the conductor gets it back through oslo.messaging.
NO_VALID_HOST = Error(
    'NoValidHost_Remote', 'No valid host was found. ', 500, {'reason': ''},
    '_send', 'oslo_messaging._drivers.amqpdriver',
    remote_traceback=(
        'Traceback (most recent call last):\n\n'
        '  File "oslo_messaging/rpc/server.py", line 274, in inner\n'
        '    return func(*args, **kwargs)\n\n'
        '  File "nova/scheduler/manager.py", line 283, in '
        'select_destinations\n'
        '    raise exception.NoValidHost(reason="")\n\n'
        'nova.exception.NoValidHost: No valid host was found. \n'))


class Run:
    """The running state of one scenario: its clock, request, instance,
    truth record and planned outcome (``success``, ``error``,
    ``no_valid_host`` or ``stuck``)."""

    __slots__ = ('t', 'request', 'instance', 'op', 'plan', 'extra')

    def __init__(self, t, request, instance, op, plan='success', **extra):
        self.t = t
        self.request = request
        self.instance = instance
        self.op = op
        self.plan = plan
        self.extra = extra


class Context:
    """What scenarios share: the world, the random source, the truth,
    the message format of each host and the engine's ``spawn``."""

    def __init__(self, world, source, truth, host_formats, with_tokens,
                 audit_start, spawn, volume_rate=0.3):
        self.world = world
        self.source = source
        self.truth = truth
        self.host_formats = host_formats
        self.with_tokens = with_tokens
        # audit_start(moment) -> beginning of the audit period of moment.
        self.audit_start = audit_start
        self.spawn = spawn
        self.volume_rate = volume_rate

    # --- clock -------------------------------------------------------
    def wait(self, run, low, high):
        """Advance the run's clock by a random time between ``low`` and
        ``high`` seconds (never less than 2 ms, so that a versioned copy
        always comes before the next event)."""
        gap = max(MIN_GAP_US, self.source.between(low, high))
        run.t += datetime.timedelta(microseconds=gap)

    # --- requests ----------------------------------------------------
    def user_request(self, project, user_id, moment):
        return F.Request(self.source, project.id, project.name, user_id,
                         moment)

    def service_request(self, run):
        """A neutron or cinder request made on behalf of nova's."""
        nova = run.request
        request = F.Request(self.source, nova.project_id, nova.project_name,
                            nova.user_id, run.t,
                            global_request_id=nova.request_id)
        request.roles = nova.roles
        return request

    def admin_request(self, moment):
        return F.Request(self.source, self.world.admin_project, 'admin',
                         self.world.admin_user, moment, is_admin=True,
                         roles=['admin', 'member', 'reader'])

    # --- emitters ----------------------------------------------------
    def nova(self, run, host, binary, legacy_event, versioned_event,
             legacy, versioned, priority='INFO', legacy_service='compute',
             legacy_resource=True, versioned_resource=True,
             request=None, versioned_lag=LAG):
        """nova's notification(s) of one event, in the host's format(s).

        ``legacy``/``versioned`` are callables building the payloads
        (only the needed ones are called). ``*_resource`` True means the
        instance of the run. ``versioned_lag``: how long after the legacy
        copy the versioned one is sent (with format ``both``).
        """
        request = request or run.request
        fmt = self.host_formats[host]
        instance = run.instance
        moment = run.t
        if fmt != 'versioned':
            ctxt = F.nova_context(request, self.with_tokens)
            body = F.message(self.source, ctxt,
                             '%s.%s' % (legacy_service, host), legacy_event,
                             priority, legacy(), moment)
            rid = instance.uuid if legacy_resource is True else \
                legacy_resource
            yield Notification(moment, body, 'nova', 'legacy',
                               'instance' if rid else None, rid, run.op)
            moment = moment + versioned_lag
        if fmt != 'legacy':
            ctxt = F.nova_context(request, self.with_tokens)
            body = F.message(self.source, ctxt,
                             'nova-%s:%s' % (binary, host), versioned_event,
                             priority, versioned(), moment)
            rid = instance.uuid if versioned_resource is True else \
                versioned_resource
            yield Notification(moment, body, 'nova', 'versioned',
                               'instance' if rid else None, rid, run.op)

    def glance(self, run, event_type, image, payload=None):
        body = F.message(self.source, {}, 'image.localhost', event_type,
                         'INFO', payload or F.glance_image(image), run.t)
        yield Notification(run.t, body, 'glance', 'legacy', 'image',
                           image.id, run.op)

    def cinder(self, run, request, event_type, volume, payload=None):
        body = F.message(self.source,
                         F.openstack_context(request, self.with_tokens),
                         'volume.%s' % volume.publisher_host, event_type,
                         'INFO', payload or F.cinder_volume(volume), run.t)
        yield Notification(run.t, body, 'cinder', 'legacy', 'volume',
                           volume.id, run.op)

    def neutron(self, run, request, event_type, payload, resource_id,
                host):
        body = F.message(self.source,
                         F.openstack_context(request, self.with_tokens),
                         'network.%s' % host, event_type, 'INFO', payload,
                         run.t)
        yield Notification(run.t, body, 'neutron', 'legacy', 'port',
                           resource_id, run.op)

    # --- common steps ------------------------------------------------
    def conductor_of(self, run):
        """The conductor that serves the run's compute host(s)."""
        if 'conductor' not in run.extra:
            run.extra['conductor'] = self.source.choice(
                self.world.conductor_hosts)
        return run.extra['conductor']

    def update(self, run, host, saved_by, vm_state, task_state,
               service='compute'):
        """``compute.instance.update`` / ``instance.update`` for a state
        change (or none: a progress update).

        ``saved_by`` is the service that saves the instance: ``api`` or
        ``conductor`` (on ``host``), or ``compute``. nova publishes the
        update from the process that writes the row, as service
        ``compute`` whatever the process (``service``: the conductor
        names itself in its update of a boot): a save by nova-compute
        goes through the conductor (compute has no database access), so
        it is published from a conductor's host, never from the compute
        host.
        """
        if saved_by == 'compute':
            host = self.conductor_of(run)
        instance = run.instance
        old_state = instance.vm_state
        old_task = instance.task_state
        instance.vm_state = vm_state
        instance.task_state = task_state
        instance.updated_at = run.t
        # nova reports an old task state of None as the new one.
        reported_old = task_state if old_task is None else old_task
        begin = self.audit_start(run.t)
        yield from self.nova(
            run, host, service, 'compute.instance.update', 'instance.update',
            lambda: F.legacy_update(self.world, instance, old_state,
                                    reported_old, begin, run.t),
            lambda: F.versioned_update(instance, run.request, old_state,
                                       reported_old, begin, run.t),
            legacy_service=service)
        run.op.state(run.t, vm_state, task_state)
        self.truth.instances[instance.uuid].vm_state = vm_state

    def action(self, run, host, legacy_event, versioned_event,
               payload_name='InstanceActionPayload', priority='INFO',
               fault=None, legacy_extra=None, **versioned_extra):
        """An instance action notification (``.start``/``.end``/...)."""
        instance = run.instance
        legacy_extra = legacy_extra or {}

        def legacy():
            if fault is not None:
                return F.legacy_fault(self.world, instance, fault,
                                      **legacy_extra)
            return F.legacy_instance(self.world, instance, **legacy_extra)

        def versioned():
            return F.versioned_instance(instance, run.request, payload_name,
                                        fault=fault, **versioned_extra)

        yield from self.nova(run, host, 'compute', legacy_event,
                             versioned_event, legacy, versioned, priority)

    def phase_start(self, run, name, versioned_name, host,
                    service='nova', request=None):
        phase = T.Phase(name, versioned_name, service, host,
                        (request or run.request).request_id, run.t)
        run.op.phases.append(phase)
        return phase

    def phase_end(self, run, phase, outcome='success', ended_by=None):
        phase.end(run.t, outcome, ended_by)

    def pair(self, run, host, name, versioned_name, work, **kwargs):
        """``name.start``, ``work`` seconds (low, high), ``name.end``."""
        yield from self.action(run, host, name + '.start',
                               versioned_name + '.start', **kwargs)
        phase = self.phase_start(run, name, versioned_name, host)
        self.wait(run, *work)
        yield from self.action(run, host, name + '.end',
                               versioned_name + '.end', **kwargs)
        self.phase_end(run, phase)

    def exists(self, run, host, reason, request=None, begin=None, end=None):
        """An instance's ``.exists`` (audit, or before resize/rebuild)."""
        instance = run.instance
        begin = begin or self.audit_start(run.t)
        end = end or run.t
        request = request or run.request
        yield from self.nova(
            run, host, 'compute', 'compute.instance.exists',
            'instance.exists',
            lambda: F.legacy_exists(self.world, instance, begin, end),
            lambda: F.versioned_exists(instance, request, begin, end),
            request=request)
        launched = instance.launched_at
        self.truth.exists.append({
            'kind': 'instance', 'resource_id': instance.uuid,
            'project_id': instance.project.id,
            'audit_period_beginning': begin, 'audit_period_ending': end,
            'reason': reason, 'request_id': request.request_id,
            'sent_at': run.t, 'host': host,
            'launched_at': launched.replace(microsecond=0)
            if launched else None,
            'deleted_at': instance.deleted_at,
            'flavor': instance.flavor.flavorid,
            'flavor_name': instance.flavor.name,
            'image_id': instance.image.id,
        })

    def begin(self, run):
        """Bookkeeping once the first message of an operation is out."""
        self.truth.register(run.op)

    def finish(self, run, outcome, error=None, error_event=None):
        op = run.op
        op.outcome = outcome
        if outcome in ('success', 'error'):
            op.ended_at = run.t
        if error is not None:
            op.error = error.to_dict(error_event)


def _record_launch(ctx, run, name):
    record = ctx.truth.instances[run.instance.uuid]
    record.launched_at = run.instance.launched_at
    record.launches.append({'at': run.instance.launched_at,
                            'operation': name,
                            'request_id': run.request.request_id})
    record.host = run.instance.host


def _progress(ctx, run, host, task_state, count, low, high):
    for _ in range(count):
        ctx.wait(run, low, high)
        instance = run.instance
        if instance.progress is not None and instance.progress < 90:
            instance.progress = min(90, (instance.progress or 0) + 10)
        yield from ctx.update(run, host, 'compute', instance.vm_state,
                              task_state)


# --- scenarios --------------------------------------------------------------

def _select_destinations(ctx, run, scheduler, instance, image, edge):
    """The scheduler's ``select_destinations.<edge>`` (start or end), the
    same in both formats, for a boot and a resize alike."""
    event_type = 'scheduler.select_destinations.' + edge
    yield from ctx.nova(
        run, scheduler, 'scheduler', event_type, event_type,
        lambda: F.legacy_request_spec(instance, image),
        lambda: F.request_spec(instance, image),
        legacy_service='scheduler')


def _no_valid_host(ctx, run, conductor, image):
    """A boot for which placement has no allocation candidate: the
    scheduler raises before its first notification, the conductor puts
    the instance in ERROR (an update published as compute's, the save is
    the conductor's own) and reports the failure, the versioned copy a
    good while after the legacy one (nova builds it separately)."""
    instance = run.instance
    error = NO_VALID_HOST
    ctx.wait(run, 0.2, 2.0)
    yield from ctx.update(run, conductor, 'conductor', 'error', None)
    ctx.begin(run)
    ctx.wait(run, 0.01, 0.1)
    run.op.started_at = run.t
    yield from ctx.nova(
        run, conductor, 'conductor', 'compute_task.build_instances',
        'compute_task.build_instances.error',
        lambda: F.legacy_build_error(instance, image, error),
        lambda: F.nova_object('ComputeTaskPayload', '1.0', {
            'instance_uuid': instance.uuid,
            'reason': F.versioned_exception(error),
            'request_spec': F.request_spec(instance, image),
            'state': 'error'}),
        priority='ERROR', legacy_service='compute_task',
        versioned_lag=datetime.timedelta(
            microseconds=ctx.source.between(0.1, 0.2)))
    ctx.finish(run, 'error', error, 'compute_task.build_instances')


def create(ctx, run):
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    conductor = source.choice(world.conductor_hosts)
    run.extra['conductor'] = conductor
    scheduler = source.choice(world.scheduler_hosts)
    image = instance.image
    ctx.truth.instances[instance.uuid] = T.InstanceRecord(instance)
    # nova-api creates the instance in BUILD/scheduling and says nothing.
    instance.task_state = 'scheduling'

    if run.plan == 'no_valid_host':
        yield from _no_valid_host(ctx, run, conductor, image)
        return
    yield from _select_destinations(ctx, run, scheduler, instance, image,
                                    'start')
    ctx.begin(run)
    phase = ctx.phase_start(run, 'scheduler.select_destinations',
                            'scheduler.select_destinations', scheduler)
    ctx.wait(run, 0.1, 0.9)
    yield from _select_destinations(ctx, run, scheduler, instance, image,
                                    'end')
    ctx.phase_end(run, phase)
    # The conductor creates the instance in its cell (its own update,
    # task state unchanged), then casts the build to the compute host.
    ctx.wait(run, 0.05, 0.6)
    yield from ctx.update(run, conductor, 'conductor', 'building',
                          'scheduling', service='conductor')
    host = source.choice(world.compute_hosts)
    ctx.wait(run, 0.1, 0.8)
    yield from ctx.update(run, host, 'compute', 'building', None)
    instance.host = host
    instance.node = host
    op.add_host(host)
    ctx.truth.instances[instance.uuid].host = host
    ctx.wait(run, 0.05, 0.4)
    yield from ctx.action(run, host, 'compute.instance.create.start',
                          'instance.create.start', 'InstanceCreatePayload',
                          legacy_extra={'image_name': image.name})
    op.started_at = run.t
    create_phase = ctx.phase_start(run, 'compute.instance.create',
                                   'instance.create', host)
    ctx.wait(run, 0.05, 0.4)
    yield from ctx.update(run, host, 'compute', 'building', None)
    ctx.wait(run, 0.1, 0.5)
    yield from ctx.update(run, host, 'compute', 'building', 'networking')
    if run.plan == 'stuck' and run.extra.get('stuck_at') == 'networking':
        ctx.finish(run, 'stuck')
        return

    network_host = source.choice(world.network_hosts)
    nreq = ctx.service_request(run)
    port = model.Port(source, instance.project, run.t)
    ctx.wait(run, 0.1, 0.8)
    yield from ctx.neutron(run, nreq, 'port.create.start',
                           F.neutron_port_request(port, instance), None,
                           network_host)
    port_phase = ctx.phase_start(run, 'port.create', None, network_host,
                                 'neutron', nreq)
    ctx.wait(run, 0.2, 2.5)
    port.created_at = run.t
    yield from ctx.neutron(run, nreq, 'port.create.end',
                           F.neutron_port(port, instance, host, 'DOWN',
                                          run.t), port.id, network_host)
    ctx.phase_end(run, port_phase)
    instance.ports.append(port)
    op.related['port_ids'] = [port.id]
    ctx.wait(run, 0.1, 1.0)
    yield from ctx.update(run, host, 'compute', 'building',
                          'block_device_mapping')

    if run.extra.get('volume'):
        volume = world.new_volume(instance, run.t)
        creq = ctx.service_request(run)
        ctx.wait(run, 0.1, 0.6)
        yield from ctx.cinder(run, creq, 'volume.create.start', volume)
        ctx.truth.volumes[volume.id] = T.VolumeRecord(volume)
        vol_phase = ctx.phase_start(run, 'volume.create', None,
                                    volume.publisher_host, 'cinder', creq)
        ctx.wait(run, 2.0, 20.0)
        volume.status = 'available'
        volume.launched_at = run.t
        yield from ctx.cinder(run, creq, 'volume.create.end', volume)
        ctx.phase_end(run, vol_phase)
        ctx.truth.volumes[volume.id].launched_at = volume.launched_at
        world.volumes.append(volume)
        creq = ctx.service_request(run)
        ctx.wait(run, 0.2, 1.5)
        volume.status = 'attaching'
        yield from ctx.cinder(run, creq, 'volume.attach.start', volume)
        att_phase = ctx.phase_start(run, 'volume.attach', None,
                                    volume.publisher_host, 'cinder', creq)
        ctx.wait(run, 0.5, 6.0)
        volume.status = 'in-use'
        volume.instance_uuid = instance.uuid
        volume.attachment_id = source.uuid()
        volume.attached_at = run.t
        yield from ctx.cinder(run, creq, 'volume.attach.end', volume)
        ctx.phase_end(run, att_phase)
        instance.volume = volume
        ctx.truth.volumes[volume.id].instance_id = instance.uuid
        ctx.truth.instances[instance.uuid].volume_id = volume.id
        op.related['volume_id'] = volume.id

    ctx.wait(run, 0.1, 1.0)
    yield from ctx.update(run, host, 'compute', 'building', 'spawning')
    progress = run.extra.get('progress', 8)
    if run.plan == 'stuck':
        yield from _progress(ctx, run, host, 'spawning', progress // 2,
                             0.3, 12.0)
        ctx.finish(run, 'stuck')
        return
    yield from _progress(ctx, run, host, 'spawning', 1, 0.3, 4.0)
    # The port gets bound to the host (a neutron request of its own).
    nreq = ctx.service_request(run)
    ctx.wait(run, 0.2, 2.0)
    yield from ctx.neutron(run, nreq, 'port.update.start',
                           {'port': {'binding:host_id': host,
                                     'device_id': instance.uuid},
                            'id': port.id}, port.id, network_host)
    bind_phase = ctx.phase_start(run, 'port.update', None, network_host,
                                 'neutron', nreq)
    ctx.wait(run, 0.1, 1.5)
    yield from ctx.neutron(run, nreq, 'port.update.end',
                           F.neutron_port(port, instance, host, 'ACTIVE',
                                          run.t), port.id, network_host)
    ctx.phase_end(run, bind_phase)
    yield from _progress(ctx, run, host, 'spawning', progress - 1,
                         0.3, 12.0)

    if run.plan == 'error':
        error = boot_error(source, instance)
        ctx.wait(run, 0.5, 8.0)
        yield from ctx.action(run, host, 'compute.instance.create.error',
                              'instance.create.error',
                              'InstanceCreatePayload', priority='ERROR',
                              fault=error,
                              legacy_extra={'image_name': image.name})
        ctx.phase_end(run, create_phase, 'error')
        ctx.finish(run, 'error', error, 'compute.instance.create.error')
        ctx.wait(run, 0.1, 1.0)
        instance.power_state = 0
        yield from ctx.update(run, host, 'compute', 'error', None)
        yield from _delete_ports(ctx, run, network_host)
        return

    ctx.wait(run, 0.5, 6.0)
    instance.power_state = 1
    instance.launched_at = run.t
    instance.launched_here = True
    instance.progress = 0
    yield from ctx.update(run, host, 'compute', 'active', None)
    _record_launch(ctx, run, 'create')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, 'compute.instance.create.end',
                          'instance.create.end', 'InstanceCreatePayload',
                          legacy_extra={'image_name': image.name,
                                        'message': 'Success',
                                        'fixed_ips': True})
    ctx.phase_end(run, create_phase)
    ctx.finish(run, 'success')
    instance.launched_here = False


def _delete_ports(ctx, run, network_host):
    instance = run.instance
    for port in list(instance.ports):
        nreq = ctx.service_request(run)
        ctx.wait(run, 0.05, 0.5)
        yield from ctx.neutron(run, nreq, 'port.delete.start',
                               {'port_id': port.id}, port.id, network_host)
        phase = ctx.phase_start(run, 'port.delete', None, network_host,
                                'neutron', nreq)
        ctx.wait(run, 0.2, 2.0)
        payload = F.neutron_port(port, instance, None, 'DOWN', run.t)
        payload['port_id'] = port.id
        yield from ctx.neutron(run, nreq, 'port.delete.end', payload,
                               port.id, network_host)
        ctx.phase_end(run, phase)
        instance.ports.remove(port)


def delete(ctx, run):
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    api = source.choice(world.api_hosts)
    host = instance.host
    yield from ctx.update(run, api, 'api', instance.vm_state, 'deleting')
    ctx.begin(run)
    if host is None:
        # Never scheduled: nova-api deletes it locally.
        op.add_host(None)
        ctx.wait(run, 0.05, 0.5)
        yield from ctx.nova(
            run, api, 'api', 'compute.instance.delete.start',
            'instance.delete.start',
            lambda: F.legacy_instance(world, instance),
            lambda: F.versioned_instance(instance, run.request))
        op.started_at = run.t
        phase = ctx.phase_start(run, 'compute.instance.delete',
                                'instance.delete', api)
        ctx.wait(run, 0.05, 0.5)
        _mark_deleted(run)
        yield from ctx.nova(
            run, api, 'api', 'compute.instance.delete.end',
            'instance.delete.end',
            lambda: F.legacy_instance(world, instance),
            lambda: F.versioned_instance(instance, run.request))
        ctx.phase_end(run, phase)
        _deleted(ctx, run)
        return
    op.add_host(host)
    ctx.wait(run, 0.1, 1.5)
    # The compute manager saves the instance again before it starts.
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'deleting')
    ctx.wait(run, 0.01, 0.4)
    yield from ctx.action(run, host, 'compute.instance.delete.start',
                          'instance.delete.start')
    op.started_at = run.t
    phase = ctx.phase_start(run, 'compute.instance.delete',
                            'instance.delete', host)
    ctx.wait(run, 0.05, 0.5)
    yield from ctx.action(run, host, 'compute.instance.shutdown.start',
                          'instance.shutdown.start')
    shutdown = ctx.phase_start(run, 'compute.instance.shutdown',
                               'instance.shutdown', host)
    if run.plan == 'stuck':
        ctx.finish(run, 'stuck')
        return
    ctx.wait(run, 0.5, 15.0)
    instance.power_state = 4
    yield from ctx.action(run, host, 'compute.instance.shutdown.end',
                          'instance.shutdown.end')
    ctx.phase_end(run, shutdown)
    # The power state change is saved: a no-change task state update.
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'deleting')
    yield from _delete_ports(ctx, run, source.choice(world.network_hosts))
    volume = instance.volume
    if volume is not None:
        creq = ctx.service_request(run)
        ctx.wait(run, 0.1, 1.0)
        volume.status = 'detaching'
        yield from ctx.cinder(run, creq, 'volume.detach.start', volume)
        vphase = ctx.phase_start(run, 'volume.detach', None,
                                 volume.publisher_host, 'cinder', creq)
        ctx.wait(run, 0.5, 5.0)
        volume.status = 'available'
        volume.instance_uuid = None
        volume.attachment_id = None
        yield from ctx.cinder(run, creq, 'volume.detach.end', volume)
        ctx.phase_end(run, vphase)
        creq = ctx.service_request(run)
        ctx.wait(run, 0.1, 1.0)
        volume.status = 'deleting'
        yield from ctx.cinder(run, creq, 'volume.delete.start', volume)
        vphase = ctx.phase_start(run, 'volume.delete', None,
                                 volume.publisher_host, 'cinder', creq)
        ctx.wait(run, 0.5, 8.0)
        volume.deleted_at = run.t.replace(microsecond=0)
        volume.status = 'deleted'
        yield from ctx.cinder(run, creq, 'volume.delete.end', volume)
        ctx.phase_end(run, vphase)
        ctx.truth.volumes[volume.id].deleted_at = volume.deleted_at
        world.volumes.remove(volume)
        world.deleted_volumes.append(volume)
    ctx.wait(run, 0.1, 2.0)
    _mark_deleted(run)
    yield from ctx.update(run, host, 'compute', 'deleted', None)
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, 'compute.instance.delete.end',
                          'instance.delete.end')
    ctx.phase_end(run, phase)
    _deleted(ctx, run)


def _mark_deleted(run):
    instance = run.instance
    # The columns nova reads back are whole seconds.
    moment = run.t.replace(microsecond=0)
    instance.terminated_at = moment
    instance.deleted_at = moment
    instance.vm_state = 'deleted'
    instance.task_state = None
    instance.power_state = 0


def _deleted(ctx, run):
    instance = run.instance
    ctx.finish(run, 'success')
    record = ctx.truth.instances[instance.uuid]
    record.deleted_at = instance.deleted_at
    record.vm_state = 'deleted'
    ctx.world.remove_instance(instance)
    ctx.world.deleted_instances.append(instance)


def resize(ctx, run):
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    api = source.choice(world.api_hosts)
    scheduler = source.choice(world.scheduler_hosts)
    source_host = instance.host
    dest = world.other_host(source_host)
    old_flavor = instance.flavor
    new_flavor = old_flavor
    while new_flavor is old_flavor:
        new_flavor = source.choice(world.flavors)
    op.related.update(source_host=source_host, dest_host=dest,
                      new_flavor=new_flavor.flavorid,
                      old_flavor=old_flavor.flavorid)
    image = instance.image

    yield from ctx.update(run, api, 'api', 'active', 'resize_prep')
    ctx.begin(run)
    op.add_host(source_host)
    op.add_host(dest)
    ctx.wait(run, 0.05, 0.5)
    yield from _select_destinations(ctx, run, scheduler, instance, image,
                                    'start')
    phase = ctx.phase_start(run, 'scheduler.select_destinations',
                            'scheduler.select_destinations', scheduler)
    ctx.wait(run, 0.1, 0.9)
    yield from _select_destinations(ctx, run, scheduler, instance, image,
                                    'end')
    ctx.phase_end(run, phase)
    ctx.wait(run, 0.1, 1.0)
    yield from ctx.exists(run, dest, 'resize')
    ctx.wait(run, 0.01, 0.2)
    yield from ctx.action(
        run, dest, 'compute.instance.resize.prep.start',
        'instance.resize_prep.start', 'InstanceActionResizePrepPayload',
        new_flavor=F.versioned_flavor(new_flavor),
        legacy_extra={'new_instance_type': new_flavor.name,
                      'new_instance_type_id': new_flavor.id})
    op.started_at = run.t
    phase = ctx.phase_start(run, 'compute.instance.resize.prep',
                            'instance.resize_prep', dest)
    # The destination saves the instance (its migration context): a
    # no-change update inside the prep.
    ctx.wait(run, 0.05, 0.5)
    yield from ctx.update(run, dest, 'compute', 'active', 'resize_prep')
    ctx.wait(run, 0.1, 1.0)
    yield from ctx.action(
        run, dest, 'compute.instance.resize.prep.end',
        'instance.resize_prep.end', 'InstanceActionResizePrepPayload',
        new_flavor=F.versioned_flavor(new_flavor),
        legacy_extra={'new_instance_type': new_flavor.name,
                      'new_instance_type_id': new_flavor.id})
    ctx.phase_end(run, phase)
    ctx.wait(run, 0.2, 2.0)
    yield from ctx.update(run, source_host, 'compute', 'active',
                          'resize_migrating')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, source_host, 'compute.instance.resize.start',
                          'instance.resize.start')
    phase = ctx.phase_start(run, 'compute.instance.resize',
                            'instance.resize', source_host)
    if run.plan == 'stuck':
        yield from _progress(ctx, run, source_host, 'resize_migrating', 2,
                             1.0, 20.0)
        ctx.finish(run, 'stuck')
        return
    yield from _progress(ctx, run, source_host, 'resize_migrating',
                         run.extra.get('progress', 4), 1.0, 25.0)
    ctx.wait(run, 0.5, 5.0)
    yield from ctx.update(run, source_host, 'compute', 'active',
                          'resize_migrated')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, source_host, 'compute.instance.resize.end',
                          'instance.resize.end')
    ctx.phase_end(run, phase)
    ctx.wait(run, 0.2, 2.0)
    instance.host = dest
    instance.node = dest
    instance.flavor = new_flavor
    yield from ctx.update(run, dest, 'compute', 'active', 'resize_finish')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, dest, 'compute.instance.finish_resize.start',
                          'instance.resize_finish.start')
    phase = ctx.phase_start(run, 'compute.instance.finish_resize',
                            'instance.resize_finish', dest)
    ctx.wait(run, 2.0, 40.0)
    instance.launched_at = run.t
    instance.launched_here = True
    yield from ctx.update(run, dest, 'compute', 'resized', None)
    record = ctx.truth.instances[instance.uuid]
    record.flavor = new_flavor.to_dict()
    record.flavor_changes.append({'at': run.t, 'from': old_flavor.flavorid,
                                  'to': new_flavor.flavorid})
    _record_launch(ctx, run, 'resize')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, dest, 'compute.instance.finish_resize.end',
                          'instance.resize_finish.end')
    ctx.phase_end(run, phase)
    ctx.finish(run, 'success')
    instance.launched_here = False
    # The user confirms later, with a request of its own.
    confirm_at = run.t + datetime.timedelta(
        microseconds=source.between(20.0, 900.0))
    confirm_request = ctx.user_request(instance.project, instance.user_id,
                                       confirm_at)
    confirm_op = ctx.truth.new_operation('resize_confirm', confirm_request,
                                         instance.uuid)
    ctx.spawn(confirm_at, resize_confirm,
              Run(confirm_at, confirm_request, instance, confirm_op,
                  source_host=source_host))
    run.extra['keep_busy'] = True


def resize_confirm(ctx, run):
    instance = run.instance
    source_host = run.extra['source_host']
    run.op.add_host(source_host)
    yield from ctx.action(run, source_host,
                          'compute.instance.resize.confirm.start',
                          'instance.resize_confirm.start')
    ctx.begin(run)
    run.op.started_at = run.t
    phase = ctx.phase_start(run, 'compute.instance.resize.confirm',
                            'instance.resize_confirm', source_host)
    ctx.wait(run, 0.5, 8.0)
    yield from ctx.update(run, source_host, 'compute', 'active', None)
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, source_host,
                          'compute.instance.resize.confirm.end',
                          'instance.resize_confirm.end')
    ctx.phase_end(run, phase)
    ctx.finish(run, 'success')
    # The migration context is dropped afterwards: one more save.
    ctx.wait(run, 0.05, 0.4)
    yield from ctx.update(run, source_host, 'compute', 'active', None)
    instance.busy = False


def snapshot(ctx, run):
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    api = source.choice(world.api_hosts)
    host = instance.host
    base = instance.image
    image = model.Image(source, 'snapshot-of-%s' % instance.display_name,
                        instance.project.id, base.os_distro, base.os_version,
                        'qcow2', 0, base.min_disk, base.min_ram, 'private',
                        run.t)
    image.status = 'queued'
    image.checksum = None
    image.instance_uuid = instance.uuid
    image.base_image_ref = base.id
    op.related['image_id'] = image.id
    op.add_host(host)

    yield from ctx.update(run, api, 'api', instance.vm_state,
                          'image_snapshot_pending')
    ctx.begin(run)
    ctx.wait(run, 0.05, 0.8)
    image.created_at = image.updated_at = run.t.replace(microsecond=0)
    yield from ctx.glance(run, 'image.create', image)
    ctx.truth.images[image.id] = T.ImageRecord(image)
    ctx.wait(run, 0.1, 1.5)
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'image_snapshot')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'image_snapshot')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, 'compute.instance.snapshot.start',
                          'instance.snapshot.start',
                          'InstanceActionSnapshotPayload',
                          snapshot_image_id=image.id)
    op.started_at = run.t
    phase = ctx.phase_start(run, 'compute.instance.snapshot',
                            'instance.snapshot', host)
    ctx.wait(run, 1.0, 20.0)
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'image_pending_upload')
    if run.plan == 'stuck':
        ctx.finish(run, 'stuck')
        return
    ctx.wait(run, 0.5, 5.0)
    yield from ctx.update(run, host, 'compute', instance.vm_state,
                          'image_uploading')
    if run.plan == 'error':
        error = snapshot_error(source, instance, image)
        ctx.wait(run, 3.0, 90.0)
        yield from ctx.nova(
            run, host, 'compute', 'snapshot_instance', 'compute.exception',
            lambda: F.wrap_exception_payload(instance, error,
                                             image_id=image.id),
            lambda: F.versioned_exception(error),
            priority='ERROR', versioned_resource=None)
        ctx.phase_end(run, phase, 'error', 'snapshot_instance')
        ctx.finish(run, 'error', error, 'snapshot_instance')
        ctx.wait(run, 0.05, 0.5)
        yield from ctx.update(run, host, 'compute', instance.vm_state, None)
        ctx.wait(run, 0.1, 1.0)
        image.status = 'deleted'
        image.deleted_at = image.updated_at = run.t.replace(microsecond=0)
        yield from ctx.glance(run, 'image.delete', image)
        record = ctx.truth.images[image.id]
        record.status = 'deleted'
        record.deleted_at = image.deleted_at
        return
    ctx.wait(run, 5.0, 240.0)
    image.size = int(instance.flavor.root_gb * 1024 ** 3 *
                     (0.05 + 0.3 * source.random()))
    image.status = 'saving'
    image.updated_at = run.t.replace(microsecond=0)
    yield from ctx.glance(run, 'image.upload', image)
    ctx.wait(run, 0.05, 0.5)
    image.status = 'active'
    image.checksum = source.hex()
    yield from ctx.glance(run, 'image.activate', image)
    record = ctx.truth.images[image.id]
    record.status = 'active'
    record.size = image.size
    world.images.append(image)
    ctx.wait(run, 0.1, 1.5)
    yield from ctx.update(run, host, 'compute', instance.vm_state, None)
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, 'compute.instance.snapshot.end',
                          'instance.snapshot.end',
                          'InstanceActionSnapshotPayload',
                          snapshot_image_id=image.id)
    ctx.phase_end(run, phase)
    ctx.finish(run, 'success')


def _simple(ctx, run, name, versioned, api_task, steps, final_state,
            final_power, work):
    """reboot, power_off, power_on: API task state, ``.start``, compute
    task steps, final state, ``.end``."""
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    api = source.choice(world.api_hosts)
    host = instance.host
    op.add_host(host)
    yield from ctx.update(run, api, 'api', instance.vm_state, api_task)
    ctx.begin(run)
    ctx.wait(run, 0.1, 1.5)
    yield from ctx.action(run, host, name + '.start', versioned + '.start')
    op.started_at = run.t
    phase = ctx.phase_start(run, name, versioned, host)
    for step in steps:
        ctx.wait(run, 0.1, 2.0)
        yield from ctx.update(run, host, 'compute', instance.vm_state, step)
    if run.plan == 'stuck':
        ctx.finish(run, 'stuck')
        return
    ctx.wait(run, *work)
    instance.power_state = final_power
    yield from ctx.update(run, host, 'compute', final_state, None)
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, name + '.end', versioned + '.end')
    ctx.phase_end(run, phase)
    ctx.finish(run, 'success')


def reboot(ctx, run):
    yield from _simple(ctx, run, 'compute.instance.reboot',
                       'instance.reboot', 'rebooting',
                       ('reboot_pending', 'reboot_started'), 'active', 1,
                       (3.0, 90.0))


def power_off(ctx, run):
    yield from _simple(ctx, run, 'compute.instance.power_off',
                       'instance.power_off', 'powering-off', (), 'stopped',
                       4, (2.0, 60.0))


def power_on(ctx, run):
    yield from _simple(ctx, run, 'compute.instance.power_on',
                       'instance.power_on', 'powering-on', (), 'active', 1,
                       (2.0, 30.0))


def rebuild(ctx, run):
    world, source = ctx.world, ctx.source
    instance = run.instance
    op = run.op
    api = source.choice(world.api_hosts)
    host = instance.host
    op.add_host(host)
    yield from ctx.update(run, api, 'api', 'active', 'rebuilding')
    ctx.begin(run)
    for _ in range(2):
        ctx.wait(run, 0.1, 1.5)
        yield from ctx.update(run, host, 'compute', 'active', 'rebuilding')
    ctx.wait(run, 0.2, 2.0)
    yield from ctx.exists(run, host, 'rebuild')
    ctx.wait(run, 0.01, 0.3)
    if source.random() < 0.5:
        instance.image = source.choices(world.base_images,
                                        model.IMAGE_WEIGHTS)[0]
        ctx.truth.instances[instance.uuid].image_id = instance.image.id
    op.related['image_id'] = instance.image.id
    yield from ctx.action(run, host, 'compute.instance.rebuild.start',
                          'instance.rebuild.start',
                          'InstanceActionRebuildPayload')
    op.started_at = run.t
    phase = ctx.phase_start(run, 'compute.instance.rebuild',
                            'instance.rebuild', host)
    ctx.wait(run, 0.2, 3.0)
    yield from ctx.update(run, host, 'compute', 'active',
                          'rebuild_block_device_mapping')
    ctx.wait(run, 0.2, 3.0)
    yield from ctx.update(run, host, 'compute', 'active', 'rebuild_spawning')
    if run.plan == 'stuck':
        yield from _progress(ctx, run, host, 'rebuild_spawning', 2, 0.5,
                             10.0)
        ctx.finish(run, 'stuck')
        return
    yield from _progress(ctx, run, host, 'rebuild_spawning',
                         run.extra.get('progress', 6), 0.5, 12.0)
    ctx.wait(run, 0.5, 5.0)
    instance.launched_at = run.t
    instance.launched_here = True
    instance.progress = 0
    yield from ctx.update(run, host, 'compute', 'active', None)
    _record_launch(ctx, run, 'rebuild')
    ctx.wait(run, 0.01, 0.3)
    yield from ctx.action(run, host, 'compute.instance.rebuild.end',
                          'instance.rebuild.end',
                          'InstanceActionRebuildPayload')
    ctx.phase_end(run, phase)
    ctx.finish(run, 'success')
    instance.launched_here = False


# --- periodic audits --------------------------------------------------------

def audit_instances(ctx, run, host, instances, begin, end):
    """nova's instance usage audit on one compute host."""
    for instance in instances:
        ctx.wait(run, 0.005, 0.08)
        run.instance = instance
        yield from ctx.exists(run, host, 'audit', begin=begin, end=end)


def audit_images(ctx, run, images, begin, end):
    for image in images:
        ctx.wait(run, 0.002, 0.05)
        yield from ctx.glance(run, 'image.exists', image,
                              F.glance_exists(image, begin, end))
        ctx.truth.exists.append({
            'kind': 'image', 'resource_id': image.id,
            'project_id': image.owner, 'audit_period_beginning': begin,
            'audit_period_ending': end, 'reason': 'audit',
            'request_id': None, 'sent_at': run.t, 'host': 'localhost',
            'size': image.size, 'deleted_at': image.deleted_at})


def audit_volumes(ctx, run, volumes, begin, end):
    for volume in volumes:
        ctx.wait(run, 0.005, 0.05)
        yield from ctx.cinder(run, run.request, 'volume.exists', volume,
                              F.cinder_volume(volume, begin, end))
        ctx.truth.exists.append({
            'kind': 'volume', 'resource_id': volume.id,
            'project_id': volume.project.id,
            'audit_period_beginning': begin, 'audit_period_ending': end,
            'reason': 'audit', 'request_id': run.request.request_id,
            'sent_at': run.t, 'host': volume.publisher_host,
            'size': volume.size, 'deleted_at': volume.deleted_at})


SCENARIOS = {
    'create': create,
    'delete': delete,
    'resize': resize,
    'snapshot': snapshot,
    'reboot': reboot,
    'power_off': power_off,
    'power_on': power_on,
    'rebuild': rebuild,
}
