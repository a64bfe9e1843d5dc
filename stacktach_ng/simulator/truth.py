"""Ground truth: what the simulator did, recorded as its messages go out.

The analyses (timings, lifecycles, traces, errors, usage, verification)
are checked against exactly these records, so each field is defined
precisely below. Every record is updated when the message that carries
the fact is *emitted*: a run cut short by ``count`` or ``duration`` holds
the truth of the messages it produced, not of the ones it planned.

Times are naive UTC datetimes in memory; ``to_dict()`` writes them as
``YYYY-MM-DD HH:MM:SS.ffffff`` (always with the microseconds). They are
the envelope ``timestamp`` of the message concerned. With format
``both``, nova's versioned copy of an event follows its legacy copy by
``VERSIONED_LAG_US`` microseconds (``compute_task.build_instances.error``,
which nova builds separately, by 100 to 200 ms); the truth gives the
legacy (first) time, so durations are the same measured on either
format.
"""

import json

VERSIONED_LAG_US = 350

OUTCOMES = ('success', 'error', 'stuck', 'in_progress')


def _t(moment):
    if moment is None:
        return None
    return moment.strftime('%Y-%m-%d %H:%M:%S.%f')


def duration_us(start, end):
    """Microseconds from ``start`` to ``end`` (exact integer)."""
    delta = end - start
    return (delta.days * 86400 + delta.seconds) * 1000000 + \
        delta.microseconds


class Phase:
    """One ``X.start`` .. ``X.end``/``X.error`` pair inside an operation.

    * ``name``: the legacy event type without ``.start`` (for example
      ``compute.instance.resize.prep``, ``scheduler.select_destinations``,
      ``port.create``, ``volume.attach``);
    * ``versioned_name``: nova's versioned counterpart, or None;
    * ``service``/``host``: who published it (``nova``, ``glance``,
      ``cinder``, ``neutron``; the host part of its publisher id);
    * ``request_id``: that service's own request id (neutron and cinder
      have their own; their global request id is the nova request id);
    * ``started_at``/``ended_at``/``duration_us``/``outcome``: the pair's
      times and result (``ended_at`` is None while open or stuck);
    * ``ended_by``: the event type that closed it: ``<name>.end``,
      ``<name>.error``, or for failures nova reports otherwise the ERROR
      event that ended it (``snapshot_instance`` for a snapshot); None
      while open.
    """

    __slots__ = ('name', 'versioned_name', 'service', 'host', 'request_id',
                 'started_at', 'ended_at', 'outcome', 'ended_by')

    def __init__(self, name, versioned_name, service, host, request_id,
                 started_at):
        self.name = name
        self.versioned_name = versioned_name
        self.service = service
        self.host = host
        self.request_id = request_id
        self.started_at = started_at
        self.ended_at = None
        self.outcome = 'in_progress'
        self.ended_by = None

    def end(self, moment, outcome='success', ended_by=None):
        self.ended_at = moment
        self.outcome = outcome
        self.ended_by = ended_by or (self.name + (
            '.end' if outcome == 'success' else '.error'))

    def to_dict(self):
        return {
            'name': self.name, 'versioned_name': self.versioned_name,
            'ended_by': self.ended_by,
            'service': self.service, 'host': self.host,
            'request_id': self.request_id,
            'started_at': _t(self.started_at), 'ended_at': _t(self.ended_at),
            'duration_us': (duration_us(self.started_at, self.ended_at)
                            if self.ended_at else None),
            'outcome': self.outcome,
        }


class Operation:
    """One user (or periodic) operation and everything it caused.

    * ``id``: ``op-000001``, in order of the first message;
    * ``name``: ``create``, ``delete``, ``resize``, ``resize_confirm``,
      ``snapshot``, ``reboot``, ``power_off``, ``power_on``, ``rebuild``;
    * ``request_id``: nova's request id (context and versioned payloads);
      ``global_request_id``: None for nova (as nova sends it);
    * ``resource_type``/``resource_id``/``project_id``/``user_id``: the
      instance operated on and who asked;
    * ``hosts``: compute hosts involved, in order (two for a resize:
      source then destination; none when no host was found);
    * ``first_at``/``last_at``: the first and last message of the request,
      all services included (request latency = last_at - first_at);
    * ``started_at``/``ended_at``/``duration_us``: the operation's main
      ``.start`` and its ``.end`` or ``.error`` (for ``create``,
      ``compute.instance.create.start`` -> ``.end``; for ``resize``,
      ``resize.prep.start`` -> ``finish_resize.end``; a no-valid-host
      failure has no ``.start`` (nor any scheduler notification, nor
      phase): it starts and ends at the conductor's error, the legacy
      ``compute_task.build_instances``); ``ended_at`` is None when stuck
      or unfinished;
    * ``outcome``: ``success``, ``error``, ``stuck`` (stopped for good
      with its task state frozen) or ``in_progress`` (the run ended first);
    * ``error``: for errors, ``{"type", "message", "event_type"}``: the
      exception class, its message and the legacy event that reported it;
    * ``task_states``: the timeline of ``{"at", "vm_state",
      "task_state"}``, one entry per change of either, from the update
      notifications (the new values, never the unreliable old ones);
    * ``phases``: the ``Phase`` list (all start/end pairs of the request);
    * ``related``: ids of the other resources touched (``image_id`` of a
      snapshot, ``volume_id``, ``port_ids``, ``source_host``,
      ``dest_host``, ``new_flavor``).
    """

    __slots__ = ('id', 'name', 'request_id', 'global_request_id',
                 'resource_type', 'resource_id', 'project_id', 'user_id',
                 'hosts', 'first_at', 'last_at', 'started_at', 'ended_at',
                 'outcome', 'error', 'task_states', 'phases', 'related')

    def __init__(self, op_id, name, request, resource_id):
        self.id = op_id
        self.name = name
        self.request_id = request.request_id
        self.global_request_id = request.global_request_id
        self.resource_type = 'instance'
        self.resource_id = resource_id
        self.project_id = request.project_id
        self.user_id = request.user_id
        self.hosts = []
        self.first_at = None
        self.last_at = None
        self.started_at = None
        self.ended_at = None
        self.outcome = 'in_progress'
        self.error = None
        self.task_states = []
        self.phases = []
        self.related = {}

    @property
    def duration_us(self):
        if self.started_at is None or self.ended_at is None:
            return None
        return duration_us(self.started_at, self.ended_at)

    @property
    def last_task_state(self):
        return self.task_states[-1]['task_state'] if self.task_states \
            else None

    def add_host(self, host):
        if host and host not in self.hosts:
            self.hosts.append(host)

    def state(self, at, vm_state, task_state):
        if self.task_states:
            last = self.task_states[-1]
            if last['vm_state'] == vm_state and \
                    last['task_state'] == task_state:
                return
        self.task_states.append({'at': at, 'vm_state': vm_state,
                                 'task_state': task_state})

    def to_dict(self):
        return {
            'id': self.id, 'name': self.name,
            'request_id': self.request_id,
            'global_request_id': self.global_request_id,
            'resource_type': self.resource_type,
            'resource_id': self.resource_id,
            'project_id': self.project_id, 'user_id': self.user_id,
            'hosts': list(self.hosts),
            'first_at': _t(self.first_at), 'last_at': _t(self.last_at),
            'started_at': _t(self.started_at),
            'ended_at': _t(self.ended_at),
            'duration_us': self.duration_us,
            'outcome': self.outcome,
            'error': self.error,
            'task_states': [{'at': _t(s['at']), 'vm_state': s['vm_state'],
                             'task_state': s['task_state']}
                            for s in self.task_states],
            'phases': [phase.to_dict() for phase in self.phases],
            'related': dict(self.related),
        }


class InstanceRecord:
    """An instance as the usage analyses must see it.

    * ``launched_at``: the latest launch time, full precision (payloads
      after the launching request carry it to the second only);
      ``launches``: every ``{"at", "operation", "request_id"}`` (create,
      rebuild and resize each launch again, as nova sets launched_at);
    * ``deleted_at``: when ``delete.end`` was sent, else None;
    * ``flavor``: the current flavor ``{name, flavorid, memory_mb, vcpus,
      root_gb, ephemeral_gb}``; ``flavor_changes``: ``{"at", "from",
      "to"}`` flavorids of finished resizes;
    * ``image_id``, ``project_id``, ``user_id``, ``host`` (current or
      last), ``vm_state`` (last reported), ``volume_id`` (boot volume);
    * ``preexisting``: true for instances that existed before the run
      (their launch sent no message in it).
    """

    __slots__ = ('instance_id', 'project_id', 'user_id', 'flavor',
                 'image_id', 'created_at', 'launched_at', 'launches',
                 'deleted_at', 'flavor_changes', 'host', 'vm_state',
                 'volume_id', 'preexisting')

    def __init__(self, instance, preexisting=False):
        self.instance_id = instance.uuid
        self.project_id = instance.project.id
        self.user_id = instance.user_id
        self.flavor = instance.flavor.to_dict()
        self.image_id = instance.image.id
        self.created_at = instance.created_at
        self.launched_at = instance.launched_at
        self.launches = []
        self.deleted_at = None
        self.flavor_changes = []
        self.host = instance.host
        self.vm_state = instance.vm_state
        self.volume_id = instance.volume.id if instance.volume else None
        self.preexisting = preexisting

    def to_dict(self):
        return {
            'instance_id': self.instance_id, 'project_id': self.project_id,
            'user_id': self.user_id, 'flavor': dict(self.flavor),
            'image_id': self.image_id, 'created_at': _t(self.created_at),
            'launched_at': _t(self.launched_at),
            'launches': [{'at': _t(launch['at']),
                          'operation': launch['operation'],
                          'request_id': launch['request_id']}
                         for launch in self.launches],
            'deleted_at': _t(self.deleted_at),
            'flavor_changes': [{'at': _t(c['at']), 'from': c['from'],
                                'to': c['to']}
                               for c in self.flavor_changes],
            'host': self.host, 'vm_state': self.vm_state,
            'volume_id': self.volume_id, 'preexisting': self.preexisting,
        }


class ImageRecord:
    """A glance image: ``image_id``, ``owner`` (project), ``size`` (bytes),
    ``created_at``, ``deleted_at``, ``status`` (last sent),
    ``instance_id`` (the instance a snapshot was taken of, else None)."""

    __slots__ = ('image_id', 'owner', 'size', 'created_at', 'deleted_at',
                 'status', 'instance_id')

    def __init__(self, image):
        self.image_id = image.id
        self.owner = image.owner
        self.size = image.size
        self.created_at = image.created_at
        self.deleted_at = image.deleted_at
        self.status = image.status
        self.instance_id = image.instance_uuid

    def to_dict(self):
        return {'image_id': self.image_id, 'owner': self.owner,
                'size': self.size, 'created_at': _t(self.created_at),
                'deleted_at': _t(self.deleted_at), 'status': self.status,
                'instance_id': self.instance_id}


class VolumeRecord:
    """A cinder volume: ``volume_id``, ``project_id``, ``size`` (GB),
    ``created_at``, ``launched_at`` (available), ``deleted_at``,
    ``instance_id`` (attached to, at boot)."""

    __slots__ = ('volume_id', 'project_id', 'size', 'created_at',
                 'launched_at', 'deleted_at', 'instance_id')

    def __init__(self, volume):
        self.volume_id = volume.id
        self.project_id = volume.project.id
        self.size = volume.size
        self.created_at = volume.created_at
        self.launched_at = volume.launched_at
        self.deleted_at = volume.deleted_at
        self.instance_id = volume.instance_uuid

    def to_dict(self):
        return {'volume_id': self.volume_id, 'project_id': self.project_id,
                'size': self.size, 'created_at': _t(self.created_at),
                'launched_at': _t(self.launched_at),
                'deleted_at': _t(self.deleted_at),
                'instance_id': self.instance_id}


class GroundTruth:
    """All the records of a run.

    * ``operations``: ``Operation`` by id, in order of first message;
    * ``instances``/``images``/``volumes``: records by resource id;
    * ``exists``: one dict per ``.exists`` sent (legacy and versioned
      copies of one event are one record): ``kind`` (instance, image,
      volume), ``resource_id``, ``project_id``, ``audit_period_beginning``,
      ``audit_period_ending``, ``reason`` (``audit`` for the periodic
      audit, ``resize``/``rebuild`` for the ones nova sends before those),
      ``request_id``, ``sent_at``, ``host`` and, for instances,
      ``launched_at`` (to the second, as in the payload), ``deleted_at``,
      ``flavor`` (flavorid), ``flavor_name``, ``image_id``; for images and
      volumes ``size`` and ``deleted_at``;
    * ``stuck``: derived: ``{"operation", "resource_id", "request_id",
      "name", "task_state", "vm_state", "since"}`` of every stuck
      operation, ``since`` being its last message;
    * ``messages``: number of messages emitted.
    """

    def __init__(self):
        self.operations = {}
        self.instances = {}
        self.images = {}
        self.volumes = {}
        self.exists = []
        self.messages = 0
        self._next_op = 0

    def new_operation(self, name, request, resource_id):
        self._next_op += 1
        op = Operation('op-%06d' % self._next_op, name, request,
                       resource_id)
        return op

    def register(self, op):
        self.operations[op.id] = op

    def by_request(self, request_id):
        """The operation whose nova request id is ``request_id``."""
        for op in self.operations.values():
            if op.request_id == request_id:
                return op
        return None

    @property
    def stuck(self):
        found = []
        for op in self.operations.values():
            if op.outcome == 'stuck':
                last = op.task_states[-1] if op.task_states else {}
                found.append({
                    'operation': op.id, 'name': op.name,
                    'resource_id': op.resource_id,
                    'request_id': op.request_id,
                    'task_state': last.get('task_state'),
                    'vm_state': last.get('vm_state'),
                    'since': op.last_at})
        return found

    def to_dict(self):
        return {
            'messages': self.messages,
            'operations': [op.to_dict() for op in self.operations.values()],
            'instances': [r.to_dict() for r in self.instances.values()],
            'images': [r.to_dict() for r in self.images.values()],
            'volumes': [r.to_dict() for r in self.volumes.values()],
            'exists': [{key: (_t(value) if hasattr(value, 'strftime')
                              else value) for key, value in record.items()}
                       for record in self.exists],
            'stuck': [dict(entry, since=_t(entry['since']))
                      for entry in self.stuck],
        }

    def write(self, path):
        """Write ``to_dict()`` as indented JSON to ``path``."""
        with open(path, 'w', encoding='utf-8') as stream:
            json.dump(self.to_dict(), stream, indent=1)
            stream.write('\n')
