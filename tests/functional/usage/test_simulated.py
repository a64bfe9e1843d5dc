"""Simulated traffic: injected mismatches are found exactly, and usage
hours equal the simulator's ground truth."""

import collections
import copy
import datetime
import uuid

import pytest

from stacktach_ng.simulator import engine
from stacktach_ng.usage import report
from stacktach_ng.usage import store
from tests.functional.usage import base

START = datetime.datetime(2026, 1, 1)
DAY = datetime.timedelta(days=1)
EXISTS = 'compute.instance.exists'


@pytest.fixture(scope='module')
def simulation():
    sim = engine.Simulator(seed=5, start=START, projects=3, hosts=3,
                           ops_per_hour=20)
    bodies = list(sim.messages(duration=2 * DAY + datetime.timedelta(
        hours=1)))
    return sim, bodies


def _instance(body):
    return body['payload'].get('instance_id')


def _audit_exists(bodies, instance, beginning):
    text = beginning.strftime('%Y-%m-%d %H:%M:%S')
    return [b for b in bodies if b['event_type'] == EXISTS
            and _instance(b) == instance
            and b['payload']['audit_period_beginning'].startswith(text)]


def _inject(sim, bodies):
    """Mutate the stream; return (bodies, expected failures by message
    id, expected missing (instance, period beginning))."""
    truth = sim.truth
    bodies = copy.deepcopy(bodies)
    day1 = START
    # Instances alive at the end of day 1 with one exists for it.
    steady = sorted(
        r.instance_id for r in truth.instances.values()
        if (r.deleted_at is None or r.deleted_at > day1 + DAY)
        and (r.preexisting or r.launches)
        and len(_audit_exists(bodies, r.instance_id, day1)) == 1)
    deleted = sorted(
        r.instance_id for r in truth.instances.values()
        if r.deleted_at is not None and r.launches
        and day1 < r.deleted_at < day1 + DAY
        and len(_audit_exists(bodies, r.instance_id, day1)) == 1)
    assert len(steady) >= 4 and deleted
    wrong_launch, wrong_flavor, no_launch, no_exists = steady[:4]
    expected = {}
    missing = set()

    (body,) = _audit_exists(bodies, wrong_launch, day1)
    body['payload']['launched_at'] = '2025-12-30 01:02:03.000000'
    expected[body['message_id']] = 'launched_at_mismatch'

    (body,) = _audit_exists(bodies, wrong_flavor, day1)
    body['payload'].update(instance_flavor_id='bogus', instance_type_id=999,
                           instance_type='bogus', vcpus=64)
    expected[body['message_id']] = 'flavor_mismatch'

    # Nothing but its exists records is left of this instance.
    bodies = [b for b in bodies if _instance(b) != no_launch
              or b['event_type'] == EXISTS]
    for body in bodies:
        if _instance(body) == no_launch:
            expected[body['message_id']] = 'no_launch_known'

    # Its exists for day 1 is lost.
    lost = {b['message_id'] for b in _audit_exists(bodies, no_exists, day1)}
    bodies = [b for b in bodies if b['message_id'] not in lost]
    missing.add((no_exists, day1))

    # An exists for day 2 of an instance deleted on day 1.
    (body,) = _audit_exists(bodies, deleted[0], day1)
    ghost = copy.deepcopy(body)
    ghost['message_id'] = str(uuid.uuid4())
    ghost['payload'].update(
        audit_period_beginning=(day1 + DAY).strftime('%Y-%m-%d %H:%M:%S'),
        audit_period_ending=(day1 + 2 * DAY).strftime('%Y-%m-%d %H:%M:%S'),
        deleted_at='', terminated_at='')
    bodies.append(ghost)
    expected[ghost['message_id']] = 'exists_after_deletion'
    return bodies, expected, missing


def _unknowable(bodies):
    """Ids of the volumes that sent nothing but exists records (they
    existed before the simulation began): their exists cannot be verified
    and fail with no_launch_known. (Images in the same case are known
    from their exists, which gives their creation time.)"""
    seen = collections.defaultdict(set)
    for body in bodies:
        payload = body['payload']
        rid = payload.get('volume_id') or (
            payload.get('id') if body['event_type'].startswith('image.')
            else None)
        if rid:
            seen[rid].add(body['event_type'].endswith('.exists'))
    return {rid for rid, kinds in seen.items() if kinds == {True}}


def test_injected_mismatches_are_found_exactly(migrated_conf, simulation):
    sim, clean = simulation
    bodies, expected, missing = _inject(sim, clean)
    usage = base.UsageDB(migrated_conf)
    try:
        for start in range(0, len(bodies), 1000):
            usage.load(bodies[start:start + 1000])
        result = usage.verifier().run_pass()
        unknowable = _unknowable(bodies)
        failures = {}
        with usage.database.reader() as connection:
            for row in connection.execute(
                    store.EXISTS.select().where(
                        store.EXISTS.c.status == 'failed')):
                if (row.resource_type == 'volume'
                        and row.resource_id in unknowable
                        and row.reason == 'no_launch_known'):
                    continue
                failures[row.message_id] = row.reason
        assert failures == expected
        found = {(row.instance_id, row.audit_period_beginning)
                 for row in usage.rows(store.MISSING)}
        assert found == missing
        assert result.verified > 100
        assert result.failed == usage.count(store.EXISTS) - result.verified
    finally:
        usage.close()


def _flavor_sizes(bodies):
    sizes = {}
    for body in bodies:
        payload = body['payload']
        flavor = payload.get('instance_flavor_id')
        if flavor and payload.get('vcpus') is not None:
            sizes[flavor] = (payload['vcpus'], payload['memory_mb'],
                             payload['root_gb'] + payload['ephemeral_gb'])
    return sizes


def _truth_hours(sim, bodies, start, end):
    """{project: [instance hours, vcpu, memory MB, disk GB hours]} from
    the simulator's records."""
    sizes = _flavor_sizes(bodies)
    hours = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for record in sim.truth.instances.values():
        if record.preexisting:
            begin = start
        elif record.launches:
            begin = record.launches[0]['at']
        else:
            continue
        stop = min(record.deleted_at or end, end)
        changes = sorted(record.flavor_changes, key=lambda c: c['at'])
        flavor = changes[0]['from'] if changes else record.flavor['flavorid']
        points = [(begin, flavor)] + [(c['at'], c['to']) for c in changes]
        for index, (at, flavor) in enumerate(points):
            first = max(at, start)
            last = min(points[index + 1][0] if index + 1 < len(points)
                       else stop, stop)
            if last <= first:
                continue
            length = (last - first).total_seconds() / 3600.0
            vcpus, memory_mb, disk_gb = sizes[flavor]
            figures = hours[record.project_id]
            figures[0] += length
            figures[1] += vcpus * length
            figures[2] += memory_mb * length
            figures[3] += disk_gb * length
    return hours


def test_usage_hours_equal_the_ground_truth(migrated_conf, simulation):
    sim, bodies = simulation
    usage = base.UsageDB(migrated_conf)
    try:
        for start in range(0, len(bodies), 1000):
            usage.load(bodies[start:start + 1000])
        window = (START + datetime.timedelta(hours=6), START + DAY
                  + datetime.timedelta(hours=18))
        with usage.database.reader() as connection:
            got = report.compute(connection, *window)
    finally:
        usage.close()
    truth = _truth_hours(sim, bodies, *window)
    # The owners of images, billed for their images (those uploaded
    # before the simulation too: their exists tell their creation), may
    # run no instance.
    owners = {record.owner for record in sim.truth.images.values()}
    instance_projects = sorted(p['project_id'] for p in got['projects']
                               if p['instances'])
    assert instance_projects == sorted(truth)
    for entry in got['projects']:
        if not entry['instances']:
            assert entry['project_id'] in owners
            assert entry['image_gb_hours'] > 0
    got['projects'] = [p for p in got['projects'] if p['instances']]
    counts = collections.Counter(r.project_id
                                 for r in sim.truth.instances.values())
    for entry in got['projects']:
        expected = truth[entry['project_id']]
        # Launch times are tracked to the second (exists carry no more):
        # at most a second per instance separates the two.
        slack = counts[entry['project_id']] / 3600.0
        for name, value in zip(('instance_hours', 'vcpu_hours',
                                'memory_mb_hours', 'disk_gb_hours'),
                               expected, strict=True):
            scale = {'instance_hours': 1, 'vcpu_hours': 8,
                     'memory_mb_hours': 16384, 'disk_gb_hours': 200}[name]
            assert abs(entry[name] - value) <= slack * scale, (
                entry['project_id'], name, entry[name], value)
        assert entry['instance_hours'] > 0
