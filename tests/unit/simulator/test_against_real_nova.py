"""The simulator against a real nova: the same events, in the same order.

``tests/fixtures/openstack`` holds what a real nova 34 cloud (fake virt
driver, two compute hosts, ``notification_format = both``) sent during
each step of a scenario; SOURCES.rst there says how it was produced. For
a boot, a resize and its confirmation, a delete and a boot that finds no
valid host, the simulator's nova notifications of one request must be
those of the captured request: the same event types in the same order,
from the same service (the publisher id without its host) with the same
priority, in each format (legacy and versioned, the simulator can send
either or both).

Two differences are legitimate and normalised here, explicitly; nothing
else is:

* the number of ``instance.update`` notifications in a row depends on
  the deployment (the virt driver's progress reports while spawning or
  migrating, extra saves of the instance): consecutive identical updates
  (same event type, service and priority) count as one;
* the order is the order nova sent them (the envelope timestamp), not
  the order they arrived in: the copy gathers several queues, so a
  message can overtake an earlier one (the NoValidHost capture receives
  the conductor's error before the update the conductor sent first).

Hosts are not compared (the capture's are ``vm``, ``compute1`` and
``compute2``), nor is the case of the priority: the capture is in the
listener's form (``info``), the simulator writes the wire form (``INFO``).
"""

import json
import pathlib

import pytest

from stacktach_ng.common import timestamps
from stacktach_ng.simulator import engine

CAPTURES = pathlib.Path(__file__).parents[2] / 'fixtures' / 'openstack'

UPDATES = ('compute.instance.update', 'instance.update')


# --- both sources as (sent_at, request_id, format, event, host) ------------

def _publisher(publisher_id):
    """(service, host): ``compute.vm`` -> (``compute``, ``vm``),
    ``nova-compute:compute1`` -> (``nova-compute``, ``compute1``)."""
    if ':' in publisher_id:
        return tuple(publisher_id.split(':', 1))
    return tuple(publisher_id.split('.', 1))


def _event(publisher_id, event_type, priority):
    """(event type, service of the publisher, priority)."""
    return (event_type, _publisher(publisher_id)[0], priority.lower())


def _format(payload):
    versioned = isinstance(payload, dict) and 'nova_object.name' in payload
    return 'versioned' if versioned else 'legacy'


def _captured(step):
    """The captured notifications of ``step``, in the listener's form."""
    entries = []
    with open(CAPTURES / ('%s.jsonl' % step)) as stream:
        for line in stream:
            if not line.strip():
                continue
            message = json.loads(line)
            entries.append((
                timestamps.parse(message['metadata']['timestamp']),
                message['ctxt'].get('request_id'),
                _format(message['payload']),
                _event(message['publisher_id'], message['event_type'],
                       message['priority']),
                _publisher(message['publisher_id'])[1]))
    return entries


def _simulated(notifications):
    """The simulator's nova notifications, from their wire bodies."""
    entries = []
    for notification in notifications:
        if notification.service != 'nova':
            continue
        body = notification.body
        entries.append((
            timestamps.parse(body['timestamp']),
            body.get('_context_request_id'),
            _format(body['payload']),
            _event(body['publisher_id'], body['event_type'],
                   body['priority']),
            _publisher(body['publisher_id'])[1]))
    return entries


def _sequence(entries, request_id, fmt):
    """The events of one request in one format, in the order sent, runs of
    identical instance updates counted once (see the module docstring)."""
    chosen = sorted((e for e in entries
                     if e[1] == request_id and e[2] == fmt),
                    key=lambda e: e[0])
    sequence = []
    for _sent, _request, _fmt, event, _host in chosen:
        if sequence and event == sequence[-1] and event[0] in UPDATES:
            continue
        sequence.append(event)
    return sequence


def _requests(entries):
    """Request ids in order of their first message."""
    seen = []
    for _sent, request_id, _fmt, _event, _host in sorted(
            entries, key=lambda e: e[0]):
        if request_id is not None and request_id not in seen:
            seen.append(request_id)
    return seen


def _captured_requests():
    """{case: (entries, request id)} of the real traffic."""
    cases = {}
    boot = _captured('boot')
    # Three servers were booted one after the other; the first one will do.
    cases['boot'] = (boot, _requests(boot)[0])
    resize = _captured('resize-confirm')
    resize_request, confirm_request = _requests(resize)
    cases['resize'] = (resize, resize_request)
    cases['resize_confirm'] = (resize, confirm_request)
    delete = _captured('delete')
    cases['delete'] = (delete, _requests(delete)[0])
    failed = _captured('novalidhost')
    cases['no_valid_host'] = (failed, _requests(failed)[0])
    # Nothing else happened during the steps.
    wanted = {'boot': 3, 'resize': 2, 'resize_confirm': 2, 'delete': 1,
              'no_valid_host': 1}
    for case, (entries, _request) in cases.items():
        assert len(_requests(entries)) == wanted[case], case
    return cases


CAPTURED = _captured_requests()
CASES = sorted(CAPTURED)


# --- the simulator's requests ----------------------------------------------

def _is_case(case, op):
    if case == 'boot':
        return op.name == 'create' and op.outcome == 'success'
    if case == 'no_valid_host':
        return (op.name == 'create' and op.outcome == 'error'
                and op.error['event_type'] == 'compute_task.build_instances')
    if case == 'delete':
        # A server that was on a host (nova-api deletes one that never
        # was without asking any compute host).
        return (op.name == 'delete' and op.outcome == 'success'
                and op.hosts and op.hosts[0] is not None)
    return op.name == case and op.outcome == 'success'


class _Runs:
    """Simulator runs, one per format, made on first use: (nova entries,
    truth, compute hosts) of a run with every case at least once."""

    def __init__(self):
        self._runs = {}

    def get(self, fmt):
        if fmt not in self._runs:
            sim = engine.Simulator(seed=3, fmt=fmt, projects=2, hosts=4,
                                   failure_rate=0.3, stuck_rate=0.0)
            entries = _simulated(sim.notifications(count=8000))
            self._runs[fmt] = (entries, sim.truth,
                               set(sim.world.compute_hosts))
        return self._runs[fmt]


@pytest.fixture(scope='module')
def runs():
    return _Runs()


def _simulated_request(truth, case):
    for op in truth.operations.values():
        if _is_case(case, op):
            return op.request_id
    raise AssertionError('the simulation has no %s' % case)


# (the simulator's format option, the format compared): a ``both`` run
# sends each event in both formats, each half must match on its own.
FORMATS = [('legacy', 'legacy'), ('versioned', 'versioned'),
           ('both', 'legacy'), ('both', 'versioned')]


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('sim_format,fmt', FORMATS)
def test_same_events_as_real_nova(runs, sim_format, fmt, case):
    sim_entries, truth, _hosts = runs.get(sim_format)
    real_entries, real_request = CAPTURED[case]
    want = _sequence(real_entries, real_request, fmt)
    assert want, (case, fmt)
    got = _sequence(sim_entries, _simulated_request(truth, case), fmt)
    assert got == want


def test_normalisation_only_merges_repeated_updates():
    # The capture's first boot: five compute updates in a row between
    # create.start and create.end become one; the conductor's update and
    # the next one, from another service, stay two.
    entries, request = CAPTURED['boot']
    raw = [e[3] for e in sorted(entries, key=lambda e: e[0])
           if e[1] == request and e[2] == 'legacy']
    merged = _sequence(entries, request, 'legacy')
    assert len(raw) == 11 and len(merged) == 7
    assert [e for e in raw if e[0] not in UPDATES] == \
        [e for e in merged if e[0] not in UPDATES]
    assert merged[2:4] == [('compute.instance.update', 'conductor', 'info'),
                           ('compute.instance.update', 'compute', 'info')]


def _update_and_action_hosts(entries, request_id):
    """The publisher hosts of a request's instance updates and those of
    its other nova events (compute hosts, scheduler, conductor)."""
    updates, others = set(), set()
    for _sent, request, _fmt, event, host in entries:
        if request == request_id:
            (updates if event[0] in UPDATES else others).add(host)
    return updates, others


@pytest.mark.parametrize('case', ['boot', 'resize', 'delete'])
def test_updates_never_come_from_the_compute_host(runs, case):
    """nova-compute saves an instance through the conductor: its updates
    are published from the conductor's (or the API's) host, never from
    the compute host that sends the action's own events."""
    real_entries, real_request = CAPTURED[case]
    updates, others = _update_and_action_hosts(real_entries, real_request)
    compute_hosts = {'compute1', 'compute2'}
    assert updates and not updates & compute_hosts
    assert others & compute_hosts

    sim_entries, truth, compute_hosts = runs.get('both')
    updates, others = _update_and_action_hosts(
        sim_entries, _simulated_request(truth, case))
    assert updates and not updates & compute_hosts
    assert others & compute_hosts
