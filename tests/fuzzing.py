"""A deterministic fuzzer of notifications, for the ingest tests.

``Fuzzer(seed).cases(count)`` returns ``count`` ``Case`` objects, the same
ones for the same seed. Each case is one message as it could arrive:

* ``body``: the decoded JSON value (what the listener gets from the broker
  and the importer from a line), or ``NOT_JSON`` when the text is no JSON;
* ``line``: its bytes as one line of a JSON-lines file (or the body of a
  RabbitMQ message), without the newline.

About a third of the cases are realistic messages (the simulator's nova
traffic in both formats, the other producers of ``tests.unit.pipeline.
fixtures``) in one of the four input forms (wire v1, wire v2, listener
callback, nova's sample form), with a few of their fields mutated. The
rest are hostile:

* every envelope field with a wrong type (``None``, booleans, integers
  beyond 64 bits, floats, NaN and infinities, lists, dicts, empty and very
  long strings, NUL, lone surrogates...);
* the payload fields the handlers read (instance ids, states, task
  states, times, flavors, request and tenant ids, image_meta, exception
  payloads, profiler points, CADF initiators, ``nova_object.data`` nested
  wrongly...) under the event types the handlers key on;
* bizarre timestamps, deep nesting, payloads larger than
  ``max_message_size``, bodies that are no JSON object, invalid and
  truncated JSON, an ``oslo.message`` that is no JSON, invalid UTF-8;
* duplicates: the message id of an earlier case with another content.

The fuzzer never reads the wall clock or the global random module.
"""

import copy
import dataclasses
import json
import random
import sys
import uuid

from stacktach_ng.simulator import engine
from tests.unit.pipeline import fixtures

NOT_JSON = object()

FORMS = ('wire_v1', 'wire_v2', 'listener', 'sample')

# Event types the handlers and the normalizer key on.
KEYED_EVENT_TYPES = (
    'compute.instance.create.start', 'compute.instance.create.end',
    'compute.instance.create.error', 'compute.instance.update',
    'instance.update', 'instance.create.start', 'instance.create.end',
    'instance.create.error', 'compute.instance.exists', 'instance.exists',
    'compute.instance.delete.start', 'compute.instance.delete.end',
    'instance.delete.end', 'compute.instance.rebuild.end',
    'compute.instance.finish_resize.end', 'instance.resize_finish.end',
    'compute.instance.resize.revert.end', 'instance.resize_revert.end',
    'compute.instance.rescue.end', 'instance.unrescue.end',
    'compute.instance.resize.prep.start', 'instance.resize_prep.start',
    'compute.instance.live_migration.pre.start',
    'compute.instance.instance.snapshot.start', 'compute.exception',
    'snapshot_instance', 'build_and_run_instance', 'terminate_instance',
    'scheduler.select_destinations.start', 'scheduler.run_instance.end',
    'compute_task.build_instances.error', 'image.exists', 'image.upload',
    'image.delete', 'image.member.create', 'volume.exists',
    'volume.create.end', 'volume.resize.end', 'volume.delete.end',
    'snapshot.create.end', 'port.create.end', 'ports.create.end',
    'port.delete.end', 'router.interface.create', 'network.floating_ip.x',
    'floatingip.update.start', 'identity.authenticate',
    'identity.project.created', 'identity.role_assignment.created',
    'orchestration.stack.create.end', 'dns.zone.create',
    'dns.recordset.create', 'metadef_object.create',
    'baremetal.node.power_set.end', 'baremetal.node.provision_set.error',
    'profiler.nova', 'profiler.cinder', 'profiler.', 'widget.create.error',
    'x.error', '.error', 'error', '.', '..', 'compute.instance.',
    'compute.instance..start', 'instance.', 'instance.start', 'start',
    'compute.instance.instance.start', 'compute.metrics.update',
    'aggregate.create.end', 'keypair.import.end', 'task.run',
)

PRIORITY_SPELLINGS = ('INFO', 'info', 'ERROR', 'error', 'WARN', 'warning',
                      'CRITICAL', 'critical', 'fatal', 'AUDIT', 'debug',
                      'SAMPLE', 'Info')

BIZARRE_TIMES = (
    '', ' ', '0000-00-00', '0000-00-00 00:00:00', '0000-00-00T00:00:00Z',
    '2026-13-45T99:99:99', '2026-02-30T00:00:00', '2026-01-01T24:00:00',
    '9999-12-31T23:59:59.999999', '9998-12-31T23:59:59-12:00',
    '10000-01-01T00:00:00', '1899-12-31T23:59:59', '1900-01-01T00:00:00+14:00',
    '0001-01-01T00:00:00', '1970-01-01T00:00:00Z', 'now', 'T', 'Z', '-',
    '2026-01-01T00:00:00.1234567890', ' 2026-01-01 10:00:00 ',
    '2026-01-01T00:00:00+25:00', '2026-01-01T00:00:00+99:99',
    '2026-01-01T00:00:00-23:59', '2026-01-01 10:00:00.123456',
    '2026-01-01T10:00:00Z', '2026-01-01T10:00:00.000000+00:00',
    '20260101T100000Z', '2026-W01-1', '2026-001', '1700000000',
    '1e10', 'NaN', '2026-01-01T10:00:00\x00', '2026-01-01\ud800',
    '٢٠٢٦-٠١-٠١', '2026-01-01T10:00:00' + '0' * 5000,
    0, -1, 1, 1700000000, 1700000000.5, 10 ** 12, -10 ** 12, 2 ** 63,
    2 ** 64 + 1, -(2 ** 70), 10 ** 30, 1e300, float('nan'), float('inf'),
    float('-inf'), True, False, None, [], {}, ['2026-01-01T10:00:00'],
    {'nova_object.data': '2026-01-01T10:00:00'},
)

_LONG_TEXT = 'x' * 300


def bizarre_time(rng):
    """One of ``BIZARRE_TIMES``, a copy (a message may be mutated
    further, and the tuple is shared)."""
    return copy.deepcopy(rng.choice(BIZARRE_TIMES))


def _strings(rng):
    return (
        '', ' ', '\t', 'null', 'None', 'true', '0', '-1', 'x',
        _LONG_TEXT, 'y' * 5000, '\x00', 'a\x00b', 'a' * 127 + '\x00',
        '\ud800', '\udfff', 'left\ud83d', 'ok\udc00ok', '\ufeff\u200b',
        '\u2028\u2029', 'é' * 100, '😀' * 80, '\U0010ffff',
        'ש' * 10 + 'a', 'e\u0301' * 50, "'; DROP TABLE notifications; --",
        '%s%s%n%d', '{{}}', '\\', '"', '\\u0000', '<script>x</script>',
        '../../etc/passwd', 'compute.host', 'nova-compute:', ':', '.',
        'password=hunter2 token: abc', 'mysql://u:secret@db/x',
        str(uuid.UUID(int=rng.getrandbits(128))),
        '-----BEGIN RSA PRIVATE KEY-----\nabc',
    )


def hostile_scalar(rng):
    """A value of a wrong type or an odd one where a string is expected."""
    choice = rng.random()
    if choice < 0.45:
        return rng.choice(_strings(rng))
    if choice < 0.6:
        return rng.choice((None, True, False, 0, 1, -1, 2 ** 31, 2 ** 63,
                           2 ** 64, 2 ** 64 + 1, -(2 ** 63) - 1, 2 ** 70,
                           -(2 ** 70), 10 ** 40, 10 ** 300))
    if choice < 0.75:
        return rng.choice((0.0, -0.0, 1.5, 1e-300, 1e300, 1e308,
                           float('nan'), float('inf'), float('-inf')))
    if choice < 0.9:
        return rng.choice(([], {}, [None], ['a', 'b'], [[]], {'a': 1},
                           {'': None}, {'nova_object.data': {}},
                           {'nova_object.data': []}, [{'uuid': 1}]))
    return bizarre_time(rng)


def hostile_value(rng, depth=0):
    """Any hostile value, sometimes a container of them."""
    if depth < 3 and rng.random() < 0.15:
        if rng.random() < 0.5:
            return [hostile_value(rng, depth + 1)
                    for _ in range(rng.randint(0, 3))]
        return {rng.choice(('a', '', 'id', 'uuid', 'nova_object.data',
                            '\x00', '\ud800', 'password')):
                hostile_value(rng, depth + 1)
                for _ in range(rng.randint(0, 3))}
    return hostile_scalar(rng)


def nested(depth, leaf=1, kind='dict'):
    """A value nested ``depth`` levels deep (built without recursion)."""
    value = leaf
    for _ in range(depth):
        value = {'a': value} if kind == 'dict' else [value]
    return value


# -- realistic payload templates of what the handlers read -------------

def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128)))


def _nova_object(name, data, namespace='nova'):
    return {namespace + '_object.name': name,
            namespace + '_object.namespace': namespace,
            namespace + '_object.version': '1.0',
            namespace + '_object.data': data}


def handler_payload(rng, event_type):
    """A payload with every field a handler reads, for ``event_type``."""
    instance = _uuid(rng)
    times = '2026-01-02T03:04:05.000000'
    legacy = {
        'instance_id': instance, 'tenant_id': 'p-%d' % rng.randint(1, 5),
        'user_id': 'u-1', 'state': 'active', 'old_state': 'building',
        'new_task_state': None, 'old_task_state': 'spawning',
        'state_description': 'spawning', 'power_state': 1,
        'launched_at': times, 'deleted_at': '', 'terminated_at': '',
        'instance_type': 'm1.small', 'instance_type_id': 5,
        'instance_flavor_id': '2', 'vcpus': 1, 'memory_mb': 2048,
        'root_gb': 20, 'ephemeral_gb': 0,
        'image_ref_url': 'http://glance/images/' + _uuid(rng),
        'image_meta': {'base_image_ref': _uuid(rng)},
        'audit_period_beginning': '2026-01-02T00:00:00.000000',
        'audit_period_ending': '2026-01-03T00:00:00.000000',
        'message': 'Success', 'code': 500,
        'exception': {'kwargs': {'instance_uuid': instance, 'code': 500}},
        'args': {'instance': {'uuid': instance}, 'instance_uuid': instance},
        'request_spec': {'instance_properties': {'uuid': instance},
                         'instance_uuids': [instance]},
        'instance': {'uuid': instance},
    }
    flavor = _nova_object('FlavorPayload', {
        'flavorid': '2', 'name': 'm1.small', 'vcpus': 1,
        'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0})
    fault = _nova_object('ExceptionPayload', {
        'exception': 'NoValidHost', 'exception_message': 'No valid host',
        'function_name': 'build_and_run_instance',
        'module_name': 'nova.compute.manager'})
    versioned = _nova_object('InstanceActionPayload', {
        'uuid': instance, 'tenant_id': 'p-1', 'user_id': 'u-1',
        'request_id': 'req-' + _uuid(rng), 'state': 'active',
        'task_state': None, 'power_state': 'running',
        'launched_at': '2026-01-02T03:04:05Z', 'deleted_at': None,
        'terminated_at': None, 'image_uuid': _uuid(rng), 'flavor': flavor,
        'audit_period': _nova_object('AuditPeriodPayload', {
            'audit_period_beginning': '2026-01-02T00:00:00Z',
            'audit_period_ending': '2026-01-03T00:00:00Z'}),
        'state_update': _nova_object('InstanceStateUpdatePayload', {
            'state': 'active', 'old_state': 'building',
            'new_task_state': None, 'old_task_state': 'spawning'}),
        'fault': fault, 'exception': 'NoValidHost',
        'exception_message': 'No valid host for %s' % instance,
        'function_name': 'build_and_run_instance',
        'module_name': 'nova.compute.manager',
        'action_initiator_user': 'u-2', 'action_initiator_project': 'p-2',
        'instance': _nova_object('InstancePayload', {'uuid': instance}),
        'reason': fault,
    })
    storage = {
        'id': _uuid(rng), 'image_id': _uuid(rng), 'volume_id': _uuid(rng),
        'owner': 'p-1', 'tenant_id': 'p-1', 'size': 1073741824,
        'status': 'active', 'volume_type': 'lvm',
        'created_at': '2026-01-02T03:04:05Z',
        'deleted_at': '2026-01-03T03:04:05Z',
        'audit_period_beginning': '2026-01-02T00:00:00Z',
        'audit_period_ending': '2026-01-03T00:00:00Z',
        'images': [{'id': _uuid(rng), 'owner': 'p-1', 'size': 10,
                    'created_at': '2026-01-02T03:04:05Z'}],
    }
    profiler = {
        'trace_id': _uuid(rng), 'parent_id': _uuid(rng),
        'base_id': _uuid(rng),
        'name': rng.choice(('wsgi-start', 'wsgi-stop', 'db-start',
                            'db-stop', 'rpc')),
        'service': 'nova-api', 'project': 'nova',
        'timestamp': '2026-01-02T03:04:05.123456',
        'info': {'host': 'api-1', 'request_id': 'req-' + _uuid(rng),
                 'request': {'request_id': 'req-' + _uuid(rng)},
                 'etype': 'ValueError', 'error': True},
    }
    other = {
        'typeURI': 'http://schemas.dmtf.org/cloud/audit/1.0/event',
        'target': {'typeURI': 'service/security/account/user',
                   'id': _uuid(rng)},
        'initiator': {'user_id': 'u-1', 'id': 'u-1', 'project_id': 'p-1',
                      'request_id': 'req-' + _uuid(rng)},
        'resource_info': 'r-1', 'project': 'p-1',
        'port': {'id': _uuid(rng), 'tenant_id': 'p-1'},
        'ports': [{'id': _uuid(rng), 'tenant_id': 'p-1'}],
        'port_id': _uuid(rng), 'router_interface': {'id': _uuid(rng)},
        'floating_ip': '10.0.0.1',
        'stack_identity': 'arn:openstack:heat::p:stacks/web/' + _uuid(rng),
        'namespace': 'OS::Compute', 'name': 'hw:cpu',
        'widget': {'id': 'w-1', 'project_id': 'p-1'},
        'resource_id': 'r-2', 'uuid': _uuid(rng),
        'provision_state': 'active', 'previous_provision_state': 'deploying',
        'error': 'boom', 'error_message': 'boom', 'fault_message': 'boom',
        'reason': 'boom',
    }
    if event_type.startswith('profiler'):
        return profiler
    if event_type.startswith(('image', 'volume', 'snapshot')):
        return storage
    if event_type.startswith(('instance.', 'compute.exception')):
        return versioned
    if event_type.startswith(('compute', 'scheduler')) or '.' not in (
            event_type):
        return legacy
    if event_type.startswith('baremetal'):
        return _nova_object('NodePayload', other, 'ironic')
    return other


def _paths(value, prefix=()):
    """Every (path) to a value inside nested dicts and lists."""
    stack = [(value, prefix)]
    found = []
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            for key, item in current.items():
                found.append(path + (key,))
                stack.append((item, path + (key,)))
        elif isinstance(current, list):
            for index, item in enumerate(current):
                found.append(path + (index,))
                stack.append((item, path + (index,)))
    return found


def _parent(value, path):
    for step in path[:-1]:
        value = value[step]
    return value


@dataclasses.dataclass
class Case:
    """One fuzzed message: its decoded body (or ``NOT_JSON``), the line
    it is written as, and what kind of fuzzing made it."""

    kind: str
    body: object
    line: bytes


class Fuzzer:
    """Deterministic fuzzed messages (see the module doc)."""

    def __init__(self, seed=0, realistic=400):
        self.rng = random.Random(seed)
        self.seed = seed
        self.templates = self._templates(seed, realistic)
        self._ids = []
        self._number = 0

    # -- realistic material ---------------------------------------------

    @staticmethod
    def _templates(seed, count):
        """Envelope-like dicts (``fixtures`` shape) of realistic traffic."""
        templates = []
        for fmt in ('legacy', 'versioned'):
            simulator = engine.Simulator(seed=seed, fmt=fmt,
                                         failure_rate=0.3, with_tokens=True)
            for body in simulator.messages(count=count // 2):
                ctxt = {key[len('_context_'):]: value
                        for key, value in body.items()
                        if key.startswith('_context_')}
                templates.append({
                    'priority': body['priority'],
                    'publisher_id': body['publisher_id'],
                    'event_type': body['event_type'],
                    'payload': body['payload'], 'ctxt': ctxt,
                    'message_id': body['message_id'],
                    'timestamp': body['timestamp']})
        for builder in fixtures.ALL_BUILDERS:
            templates.append(builder())
        return templates

    def _fresh_id(self):
        self._number += 1
        return 'fuzz-%d-%06d' % (self.seed, self._number)

    def _realistic(self):
        message = copy.deepcopy(self.rng.choice(self.templates))
        message['message_id'] = self._fresh_id()
        return message

    # -- the forms --------------------------------------------------------

    def _as_form(self, message, form):
        """``message`` in ``form``; values are kept as they are (no copy)."""
        rng = self.rng
        if form == 'listener':
            out = {'ctxt': message.get('ctxt'),
                   'publisher_id': message.get('publisher_id'),
                   'event_type': message.get('event_type'),
                   'payload': message.get('payload'),
                   'metadata': {'message_id': message.get('message_id'),
                                'timestamp': message.get('timestamp')}}
            priority = message.get('priority')
            if isinstance(priority, str) and rng.random() < 0.8:
                priority = priority.lower()
            out[rng.choice(('priority', 'endpoint_method'))] = priority
            return out
        if form == 'sample':
            return {'priority': message.get('priority'),
                    'publisher_id': message.get('publisher_id'),
                    'event_type': message.get('event_type'),
                    'payload': message.get('payload')}
        ctxt = message.get('ctxt')
        body = {}
        if isinstance(ctxt, dict):
            body.update(('_context_' + key, value)
                        for key, value in ctxt.items())
        for key in ('message_id', 'timestamp', 'priority', 'publisher_id',
                    'event_type', 'payload'):
            if key in message:
                body[key] = message[key]
        if form == 'wire_v1':
            return body
        return {'oslo.version': '2.0', 'oslo.message': _dumps(body, rng)}

    # -- mutations ------------------------------------------------------

    def _mutate(self, value, count):
        """Change ``count`` places inside ``value`` (a dict) in place."""
        rng = self.rng
        for _ in range(count):
            paths = _paths(value)
            if not paths:
                return
            path = rng.choice(paths)
            parent = _parent(value, path)
            key = path[-1]
            action = rng.random()
            if action < 0.55:
                parent[key] = hostile_value(rng)
            elif action < 0.7 and isinstance(parent, dict):
                del parent[key]
            elif action < 0.8:
                parent[key] = [parent[key]]
            elif action < 0.88:
                parent[key] = {'nova_object.data': parent[key]}
            elif action < 0.94 and isinstance(parent[key], str):
                parent[key] = parent[key] + rng.choice(_strings(rng))
            else:
                parent[key] = bizarre_time(rng)

    def _envelope_field(self, message):
        """A wrong type or an odd value for one envelope field."""
        rng = self.rng
        field = rng.choice(('message_id', 'timestamp', 'priority',
                            'publisher_id', 'event_type', 'payload', 'ctxt',
                            'ctxt.timestamp', 'ctxt.request_id',
                            'ctxt.global_request_id', 'ctxt.project_id',
                            'ctxt.tenant', 'ctxt.user_id', 'ctxt.user'))
        value = (bizarre_time(rng) if 'timestamp' in field
                 and rng.random() < 0.7 else hostile_value(rng))
        if rng.random() < 0.1:
            message.pop(field, None)
        elif field.startswith('ctxt.'):
            if not isinstance(message.get('ctxt'), dict):
                message['ctxt'] = {}
            message['ctxt'][field[5:]] = value
        else:
            message[field] = value

    def _handler_targeted(self):
        rng = self.rng
        event_type = rng.choice(KEYED_EVENT_TYPES)
        payload = handler_payload(rng, event_type)
        self._mutate(payload, rng.randint(1, 6))
        message = self._realistic()
        message['event_type'] = event_type
        message['payload'] = payload
        if rng.random() < 0.3:
            message['priority'] = rng.choice(('ERROR', 'CRITICAL', 'error'))
        return message

    def _structural(self):
        """Bodies that are no notification at all, or absurd ones."""
        rng = self.rng
        message = self._realistic()
        choice = rng.random()
        if choice < 0.2:
            return rng.choice((None, True, 0, 2 ** 70, 1.5, float('nan'),
                               'a string', '', [], [message], [1, 2, 3],
                               {}, {'oslo.version': '2.0'}))
        if choice < 0.35:
            message['payload'] = nested(rng.choice((20, 200, 300, 900)),
                                        kind=rng.choice(('dict', 'list')))
            return message
        if choice < 0.36:
            # Larger than the default max_message_size (1 MiB).
            message['payload'] = {'blob': 'z' * (1024 * 1024 + 10)}
            return message
        if choice < 0.55:
            message['payload'] = {str(i): hostile_scalar(rng)
                                  for i in range(rng.randint(50, 400))}
            return message
        if choice < 0.65:
            message['payload'] = rng.choice((
                [], [1, 2], 'text', 0, 2 ** 70, True, float('nan'),
                [{'counter_name': 'cpu', 'volume': 1}]))
            return message
        if choice < 0.75:
            message['event_type'] = rng.choice((
                'a' * 255, 'a' * 256, 'é' * 255, '\x00', 'x\x00y',
                '\ud800', 'compute.instance.update\x00', ' ', '\n',
                '😀.error', 'compute.instance.create.end' + '\ud83d'))
            return message
        if choice < 0.85:
            message['ctxt'] = {key: hostile_value(rng) for key in (
                'request_id', 'global_request_id', 'timestamp', 'tenant',
                'project_id', 'user', 'auth_token', 'roles',
                'service_catalog')}
            return message
        message['payload'] = {'a' * rng.choice((1, 300, 70000)):
                              'b' * rng.choice((1, 300, 70000)),
                              '\x00': '\x00', '\ud800': '\udfff'}
        return message

    # -- the cases --------------------------------------------------------

    def cases(self, count):
        rng = self.rng
        out = []
        for _ in range(count):
            roll = rng.random()
            if roll < 0.1:
                case = self._form_case('realistic', self._realistic())
            elif roll < 0.4:
                message = self._realistic()
                self._mutate(message, rng.randint(1, 4))
                case = self._form_case('mutated', message)
            elif roll < 0.65:
                case = self._form_case('handler', self._handler_targeted())
            elif roll < 0.8:
                message = self._realistic()
                for _ in range(rng.randint(1, 3)):
                    self._envelope_field(message)
                case = self._form_case('envelope', message)
            elif roll < 0.87:
                case = self._form_case('structural', self._structural())
            elif roll < 0.94:
                case = self._text_case()
            else:
                case = self._duplicate()
            body = case.body
            if isinstance(body, dict):
                found = _id_of(body)
                if isinstance(found, str):
                    self._ids.append(found)
            out.append(case)
        return out

    def _form_case(self, kind, message):
        rng = self.rng
        if not isinstance(message, dict):
            return self._case(kind, message)
        form = rng.choice(FORMS)
        return self._case(kind, self._as_form(message, form))

    def _case(self, kind, body):
        return Case(kind, body, _dumps(body, self.rng).encode(
            'utf-8', 'surrogatepass'))

    def _duplicate(self):
        """An earlier message id with another content."""
        rng = self.rng
        message = (self._handler_targeted() if rng.random() < 0.5
                   else self._realistic())
        if self._ids:
            message['message_id'] = rng.choice(self._ids)
        return self._case('duplicate', self._as_form(message,
                                                     rng.choice(FORMS)))

    def _text_case(self):
        """Text that is no JSON, or a wire v2 body whose inner message
        is broken."""
        rng = self.rng
        message = self._realistic()
        wire = self._as_form(message, 'wire_v1')
        text = _dumps(wire, rng)
        choice = rng.random()
        if choice < 0.25:
            cut = rng.randint(1, max(1, len(text) - 1))
            return Case('text', NOT_JSON, text[:cut].encode(
                'utf-8', 'surrogatepass'))
        if choice < 0.45:
            inner = text[:rng.randint(0, len(text))] if rng.random() < 0.5 \
                else rng.choice(('not json', '', '[1, 2]', '"str"', 'null',
                                 '{"event_type": NaN}', '{' * 2000))
            body = {'oslo.version': rng.choice(('2.0', 2.0, None, '3')),
                    'oslo.message': inner}
            return self._case('text', body)
        if choice < 0.55:
            body = {'oslo.version': '2.0',
                    'oslo.message': rng.choice((
                        None, 1, [], {}, True, wire, [wire], 2 ** 70))}
            return self._case('text', body)
        if choice < 0.7:
            raw = rng.choice((
                b'this is not JSON', b'{', b'}', b'[', b'{"a":}', b'{,}',
                b'\xff\xfe\x00', b'{"event_type": "\xc3\x28"}',
                b"{'event_type': 'single quotes'}", b'{"a": 1}{"b": 2}',
                b'NaN', b'-', b'0x10', b'{"a": 1e999999}',
                b'{"payload": ' + b'[' * 5000 + b']' * 5000 + b'}',
                b'{"event_type": "x", "payload": ' + b'1' * 5000 + b'}',
                b'\x00\x00\x00', b'\xef\xbb\xbf{"event_type": "bom"}'))
            return Case('text', NOT_JSON, raw)
        # A valid line with bytes flipped here and there.
        data = bytearray(text.encode('utf-8', 'surrogatepass'))
        for _ in range(rng.randint(1, 5)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data).replace(b'\n', b' ').replace(b'\r', b' ')
        return Case('text', NOT_JSON, data)


def _id_of(body):
    if 'metadata' in body and isinstance(body['metadata'], dict):
        return body['metadata'].get('message_id')
    return body.get('message_id')


def _dumps(value, rng):
    """JSON text of any value the fuzzer makes (NaN, big integers, lone
    surrogates, deep nesting included)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return json.dumps(value, ensure_ascii=rng.random() < 0.5)
    finally:
        sys.setrecursionlimit(limit)


def decode(case):
    """What the listener hands the pipeline for a case: the envelope, or
    the ``Rejected`` error raised decoding it (an import line that is no
    JSON becomes ``Rejected`` too)."""
    from stacktach_ng.pipeline import forms
    from stacktach_ng.pipeline.rejection import Rejected

    if case.body is NOT_JSON:
        return Rejected('not valid JSON', case.line)
    try:
        return forms.to_envelope(case.body)
    except Rejected as error:
        return error


def write_lines(cases, path, extra_invalid=()):
    """Write the cases as a JSON-lines file (plus ``extra_invalid`` lines);
    return the number of lines."""
    lines = [case.line.replace(b'\n', b' ').replace(b'\r', b' ')
             for case in cases]
    lines.extend(extra_invalid)
    with open(path, 'wb') as out:
        out.write(b'\n'.join(lines) + b'\n')
    return len(lines)
