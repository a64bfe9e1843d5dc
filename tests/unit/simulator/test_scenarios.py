"""Each operation's messages form the sequence real services send."""

from stacktach_ng.common import timestamps

BOOT_TASK_STATES = ['scheduling', None, 'networking',
                    'block_device_mapping', 'spawning', None]

def _legacy(notifications):
    return [n for n in notifications if n.format == 'legacy']


def _events(notifications):
    return [n.body['event_type'] for n in notifications]


def _host(body):
    publisher = body['publisher_id']
    if ':' in publisher:
        return publisher.split(':', 1)[1]
    return publisher.split('.', 1)[1]


def _task_changes(notifications):
    """new_task_state of each legacy update, consecutive repeats merged."""
    states = []
    for n in notifications:
        if n.body['event_type'] == 'compute.instance.update':
            value = n.body['payload']['new_task_state']
            if not states or states[-1] != value:
                states.append(value)
    return states


def test_start_paired_with_end_or_error(legacy_run):
    for op in legacy_run.truth.operations.values():
        messages = _legacy(legacy_run.by_operation[op.id])
        open_pairs = {}
        for n in messages:
            event = n.body['event_type']
            request = n.body.get('_context_request_id')
            if event.endswith('.start'):
                key = (event[:-len('.start')], request)
                assert key not in open_pairs, (op.name, event)
                open_pairs[key] = n
            elif event.endswith('.end') or event.endswith('.error'):
                family = event.rsplit('.', 1)[0]
                assert open_pairs.pop((family, request), None) is not None, \
                    (op.name, op.outcome, event)
        leftovers = {family for family, _ in open_pairs}
        if op.outcome == 'success':
            assert not leftovers, (op.name, leftovers)
        elif op.outcome == 'stuck':
            # Frozen inside an operation that never ends.
            assert leftovers, op.name
            assert op.started_at is not None
        elif op.outcome == 'error' and op.name == 'snapshot':
            # No snapshot.error exists: the ERROR event ends it.
            assert leftovers == {'compute.instance.snapshot'}
            assert 'snapshot_instance' in _events(messages)
        elif op.outcome == 'error' and \
                op.error['type'] == 'NoValidHost_Remote':
            # The scheduler raised before it said anything.
            assert not leftovers


def test_boot_task_states(legacy_run):
    creates = legacy_run.operations('create', 'success')
    assert len(creates) > 20
    for op in creates:
        messages = _legacy(legacy_run.by_operation[op.id])
        assert _task_changes(messages) == BOOT_TASK_STATES
        assert [s['task_state'] for s in op.task_states] == \
            BOOT_TASK_STATES
        assert op.task_states[-1]['vm_state'] == 'active'
        events = _events(messages)
        assert events.index('scheduler.select_destinations.start') < \
            events.index('compute.instance.create.start') < \
            events.index('compute.instance.create.end')
        assert events[-1] == 'compute.instance.create.end'
        # nova's quirk: None -> networking arrives as networking ->
        # networking; progress updates repeat old == new.
        updates = [n.body['payload'] for n in messages
                   if n.body['event_type'] == 'compute.instance.update']
        networking = [p for p in updates
                      if p['new_task_state'] == 'networking']
        assert networking[0]['old_task_state'] == 'networking'
        spawning = [p for p in updates if p['new_task_state'] == 'spawning']
        assert len(spawning) >= 3
        assert all(p['old_task_state'] == 'spawning' for p in spawning[1:])


def test_boot_publishers(legacy_run):
    op = legacy_run.operations('create', 'success')[0]
    messages = _legacy(legacy_run.by_operation[op.id])
    first = messages[0].body
    assert first['event_type'] == 'scheduler.select_destinations.start'
    scheduler = [n.body for n in messages
                 if n.body['event_type'].startswith('scheduler.')]
    assert all(b['publisher_id'].startswith('scheduler.') for b in scheduler)
    updates = [n.body for n in messages
               if n.body['event_type'] == 'compute.instance.update']
    # The conductor's own update names it; every other one is a save that
    # went through the conductor, published from its host as compute.
    assert updates[0]['publisher_id'].startswith('conductor.ctl-')
    assert {b['publisher_id'].split('.', 1)[1] for b in updates} == \
        {updates[0]['publisher_id'].split('.', 1)[1]}
    assert {b['publisher_id'].split('.', 1)[0] for b in updates[1:]} == \
        {'compute'}
    compute = [n.body for n in messages if n.body['event_type'].startswith(
        'compute.instance.create')]
    assert {b['publisher_id'] for b in compute} == {'compute.' + op.hosts[0]}


def test_launched_at_microseconds_only_in_the_launch(legacy_run):
    checked = 0
    for op in legacy_run.operations('create', 'success'):
        messages = _legacy(legacy_run.by_operation[op.id])
        end = [n.body for n in messages
               if n.body['event_type'] == 'compute.instance.create.end'][0]
        launched = timestamps.parse(end['payload']['launched_at'])
        record = legacy_run.truth.instances[op.resource_id]
        assert launched == record.launches[0]['at']
        assert end['payload']['launched_at'].endswith(
            '.%06d' % launched.microsecond)
        later = [n.body for n in legacy_run.notifications
                 if n.service == 'nova' and n.format == 'legacy' and
                 n.resource_id == op.resource_id and
                 n.operation is not op and
                 n.body['payload'].get('launched_at')]
        for body in later:
            if body['payload']['launched_at'].startswith(
                    launched.strftime('%Y-%m-%dT%H:%M:%S')):
                assert body['payload']['launched_at'].endswith('.000000')
                checked += 1
    assert checked > 0


def test_no_valid_host(legacy_run):
    failed = [op for op in legacy_run.operations('create', 'error')
              if op.error['type'] == 'NoValidHost_Remote']
    assert failed
    for op in failed:
        messages = _legacy(legacy_run.by_operation[op.id])
        events = _events(messages)
        # No allocation candidate: the scheduler sends nothing.
        assert events == ['compute.instance.update',
                          'compute_task.build_instances']
        error = [n.body for n in messages
                 if n.body['event_type'] == 'compute_task.build_instances']
        assert error[0]['priority'] == 'ERROR'
        assert error[0]['publisher_id'].startswith('compute_task.')
        payload = error[0]['payload']
        assert payload['instance_id'] == op.resource_id
        # The text of the exception's dict form, as nova's serializer
        # writes it.
        assert payload['reason'] == (
            "{'kwargs': {'reason': '', 'code': 500}, "
            "'message': 'No valid host was found. ', "
            "'class': 'NoValidHost_Remote'}")
        assert op.error['message'] == 'No valid host was found. '
        assert op.started_at == op.ended_at
        assert op.phases == []
        assert op.hosts == []
        assert op.task_states[-1] == {'at': op.task_states[-1]['at'],
                                      'vm_state': 'error',
                                      'task_state': None}


def test_failed_boot(legacy_run):
    failed = [op for op in legacy_run.operations('create', 'error')
              if op.error['type'] != 'NoValidHost_Remote']
    assert failed
    for op in failed:
        messages = _legacy(legacy_run.by_operation[op.id])
        events = _events(messages)
        assert 'compute.instance.create.end' not in events
        error = [n.body for n in messages
                 if n.body['event_type'] == 'compute.instance.create.error']
        assert len(error) == 1
        payload = error[0]['payload']
        assert error[0]['priority'] == 'ERROR'
        assert payload['message'] == op.error['message']
        assert isinstance(payload['code'], int)
        assert 'kwargs' in payload['exception']
        assert op.task_states[-1]['vm_state'] == 'error'


def test_failed_snapshot(both_run):
    failed = both_run.operations('snapshot', 'error')
    assert failed
    for op in failed:
        events = _events(both_run.by_operation[op.id])
        assert 'compute.instance.snapshot.start' in events
        assert 'instance.snapshot.start' in events
        assert 'compute.instance.snapshot.end' not in events
        assert 'snapshot.error' not in ' '.join(events)
        assert events.index('snapshot_instance') > events.index(
            'compute.instance.snapshot.start')
        exception = [n.body for n in both_run.by_operation[op.id]
                     if n.body['event_type'] == 'compute.exception'][0]
        assert exception['priority'] == 'ERROR'
        assert exception['payload']['nova_object.data']['exception'] == \
            op.error['type']
        # The image nova created is deleted again.
        assert events[-1] == 'image.delete'


def test_snapshot_with_glance(legacy_run):
    op = legacy_run.operations('snapshot', 'success')[0]
    messages = legacy_run.by_operation[op.id]
    glance = [n.body for n in messages if n.service == 'glance']
    assert [b['event_type'] for b in glance] == [
        'image.create', 'image.upload', 'image.activate']
    for body in glance:
        assert body['publisher_id'] == 'image.localhost'
        assert body['payload']['id'] == op.related['image_id']
        assert not [k for k in body if k.startswith('_context_')]
    assert glance[-1]['payload']['status'] == 'active'


def test_resize_spans_two_hosts(legacy_run):
    resizes = legacy_run.operations('resize', 'success')
    assert resizes
    for op in resizes:
        source, dest = op.hosts
        assert source != dest
        messages = _legacy(legacy_run.by_operation[op.id])
        hosts = {}
        for n in messages:
            hosts.setdefault(n.body['event_type'], _host(n.body))
        assert hosts['compute.instance.exists'] == dest
        assert hosts['compute.instance.resize.prep.start'] == dest
        assert hosts['compute.instance.resize.start'] == source
        assert hosts['compute.instance.resize.end'] == source
        assert hosts['compute.instance.finish_resize.end'] == dest
        events = _events(messages)
        assert events.index('compute.instance.exists') < \
            events.index('compute.instance.resize.prep.start')
        end = [n.body for n in messages if n.body['event_type'] ==
               'compute.instance.finish_resize.end'][0]
        assert end['payload']['instance_flavor_id'] == \
            op.related['new_flavor']


def test_rebuild_sends_exists_first(legacy_run):
    for op in legacy_run.operations('rebuild', 'success'):
        events = _events(_legacy(legacy_run.by_operation[op.id]))
        assert events.index('compute.instance.exists') < \
            events.index('compute.instance.rebuild.start')


def test_neutron_and_cinder_link_by_global_request_id(legacy_run):
    seen = set()
    for n in legacy_run.notifications:
        if n.service not in ('neutron', 'cinder') or n.operation is None:
            continue
        body = n.body
        assert body['_context_request_id'] != n.operation.request_id
        assert body['_context_global_request_id'] == n.operation.request_id
        if n.service == 'cinder':
            service, host = body['publisher_id'].split('.', 1)
            assert service == 'volume' and '@' in host
        else:
            assert body['publisher_id'].startswith('network.')
        seen.add(n.service)
    assert seen == {'neutron', 'cinder'}


def test_stuck_operations_freeze(legacy_run):
    stuck = legacy_run.operations(outcome='stuck')
    assert stuck
    for op in stuck:
        messages = _legacy(legacy_run.by_operation[op.id])
        updates = [n.body['payload'] for n in messages
                   if n.body['event_type'] == 'compute.instance.update']
        assert updates[-1]['new_task_state'] == op.last_task_state
        assert op.last_task_state is not None
        assert op.ended_at is None and op.duration_us is None
        # Nothing else ever happens to the instance.
        later = [n for n in legacy_run.notifications
                 if n.resource_id == op.resource_id and n.operation is not
                 None and n.operation is not op and n.time > op.last_at]
        assert not later


def test_audit_exists_for_every_live_instance(legacy_run):
    audits = [record for record in legacy_run.truth.exists
              if record['reason'] == 'audit' and
              record['kind'] == 'instance']
    assert audits
    periods = {record['audit_period_ending'] for record in audits}
    period_end = sorted(periods)[1]
    period_begin = [r['audit_period_beginning'] for r in audits
                    if r['audit_period_ending'] == period_end][0]
    reported = {r['resource_id'] for r in audits
                if r['audit_period_ending'] == period_end}
    expected = set()
    for record in legacy_run.truth.instances.values():
        # Alive in the period: launched (first launch) before its end...
        if not record.launches or record.launches[0]['at'] >= period_end:
            continue
        # ... and not deleted before its beginning.
        if record.deleted_at is not None and \
                record.deleted_at < period_begin:
            continue
        expected.add(record.instance_id)
    assert reported == expected
    kinds = {record['kind'] for record in legacy_run.truth.exists}
    assert kinds == {'instance', 'image', 'volume'}
