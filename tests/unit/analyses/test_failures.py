"""What failed, read from each form of failure notification.

The expected values come from the notifications' own sources: nova's
notification samples, the real NoValidHost capture and the fault Nova
recorded for it (``tests/fixtures/openstack``), or are written out by
hand from the payload given.
"""

import datetime
import traceback

from stacktach_ng.analyses import failures
from stacktach_ng.pipeline import normalize
from tests import captures

# nova's doc/notification_samples/compute-exception.json (the versioned
# notification ``wrap_exception`` sends), whole.
COMPUTE_EXCEPTION = {
    'event_type': 'compute.exception',
    'payload': {
        'nova_object.data': {
            'exception': 'AggregateNameExists',
            'exception_message':
                'Aggregate versioned_exc_aggregate already exists.',
            'function_name': 'aggregate_create',
            'module_name': 'nova.db.sqlalchemy.api',
        },
        'nova_object.name': 'ExceptionPayload',
        'nova_object.namespace': 'nova',
        'nova_object.version': '1.0',
    },
    'priority': 'ERROR',
    'publisher_id': 'nova-api:fake-mini',
}


def _failure(message):
    return failures.failure_of({'event_type': message['event_type']},
                               message['payload'])


def test_a_compute_exception_names_its_exception_and_function():
    assert _failure(COMPUTE_EXCEPTION) == {
        'exception': 'AggregateNameExists',
        'message': 'Aggregate versioned_exc_aggregate already exists.',
        'function_name': 'aggregate_create',
        'module_name': 'nova.db.sqlalchemy.api',
    }


def _no_valid_host(event_type):
    (message,) = [m for m in captures.messages('novalidhost')
                  if m['event_type'] == event_type]
    return message


def test_both_reports_of_a_no_valid_host_say_what_nova_recorded():
    """The legacy report carries the exception as the text of a dict
    (``{'kwargs': ..., 'message': ..., 'class': ...}``), the versioned one
    an ExceptionPayload whose message ends with the scheduler's remote
    traceback: each says the message of the fault Nova recorded, and the
    class the versioned payload names."""
    server = next(iter(captures.nova_records('novalidhost')[
        'servers'].values()))
    legacy = _failure(_no_valid_host('compute_task.build_instances'))
    versioned = _failure(_no_valid_host('compute_task.build_instances.error'))
    assert versioned['exception'] == 'NoValidHost_Remote'
    for failure in (legacy, versioned):
        assert failure['message'] == server['fault']['message']
        assert failure['exception'] == 'NoValidHost_Remote'
    # A legacy payload names no module; it is named after no function
    # (the event type has a dot).
    assert (legacy['function_name'], legacy['module_name']) == (None, None)


def _remote_message(message, exception):
    """The message of an exception oslo.messaging re-raises on the
    calling side: the remote message, a newline, the remote traceback."""
    lines = traceback.format_exception(exception)
    return '%s\n%s' % (message, '\n'.join(lines))


def _raised_while_handling():
    try:
        try:
            raise KeyError('host')
        except KeyError:
            # Chained implicitly, as the remote side's code would.
            raise RuntimeError('No valid host was found.')  # noqa: B904
    except RuntimeError as error:
        return error


def _versioned_error(exception_message):
    return {'event_type': 'compute_task.build_instances.error',
            'payload': {'nova_object.data': {'reason': {
                'nova_object.data': {
                    'exception': 'NoValidHost_Remote',
                    'exception_message': exception_message,
                    'function_name': 'build_instances',
                    'module_name': 'nova.conductor.manager'}}}}}


def test_a_remote_traceback_is_cut_at_its_first_line():
    error = _raised_while_handling()
    message = _remote_message('No valid host was found. ', error)
    # The traceback of an exception raised while handling another holds
    # two tracebacks: the message is what comes before the first.
    assert message.count('\nTraceback (most recent call last):') == 2
    assert _failure(_versioned_error(message))['message'] == (
        'No valid host was found. ')
    # An exception without a message: nothing before the traceback.
    assert _failure(_versioned_error(_remote_message('', error)))[
        'message'] is None


def _legacy_error(**payload):
    return {'event_type': 'compute_task.build_instances',
            'payload': payload}


def test_a_legacy_exception_text_is_read_up_to_its_size_limit():
    """A dict's text up to ``_MAX_REPR`` characters is parsed; a longer
    one is a plain message (its first 2,000 characters)."""
    def text_of(length):
        head = "{'class': 'NoValidHost', 'message': '"
        tail = "'}"
        return head + 'x' * (length - len(head) - len(tail)) + tail

    at_limit = text_of(failures._MAX_REPR)
    assert len(at_limit) == failures._MAX_REPR
    parsed = _failure(_legacy_error(reason=at_limit))
    assert parsed['exception'] == 'NoValidHost'
    assert parsed['message'] == 'x' * (failures._MAX_MESSAGE)
    beyond = text_of(failures._MAX_REPR + 1)
    plain = _failure(_legacy_error(reason=beyond))
    assert plain['exception'] is None
    assert plain['message'] == beyond[:failures._MAX_MESSAGE]


def test_a_message_that_is_no_text_gives_way_to_the_next():
    # ``message`` holding the exception's kwargs (a dict) says nothing;
    # the ``error`` text after it does.
    failure = _failure(_legacy_error(message={'code': 500},
                                     error='Disk full'))
    assert failure['message'] == 'Disk full'


def test_a_failure_is_cut_to_what_its_columns_hold():
    """The exception class to its column's 255 characters (a longer one
    fails the insert on PostgreSQL and MariaDB), the message to 2,000."""
    failure = _failure(_versioned_error('m' * 2500))
    assert len(failure['message']) == 2000
    data = COMPUTE_EXCEPTION['payload']['nova_object.data']
    long_names = dict(COMPUTE_EXCEPTION, payload={'nova_object.data': dict(
        data, exception='E' * 300, function_name='f' * 300,
        module_name='m' * 300)})
    failure = _failure(long_names)
    assert (len(failure['exception']), len(failure['function_name']),
            len(failure['module_name'])) == (255, 255, 255)


def test_a_legacy_failure_is_cut_likewise():
    failure = _failure(_legacy_error(exception='E' * 300,
                                     message='m' * 2500))
    assert (len(failure['exception']), len(failure['message'])) == (
        255, 2000)


def test_a_wrap_exception_failure_is_named_after_its_function():
    """Legacy ``wrap_exception`` sends the failure under the name of the
    failed function, with the exception's kwargs (no class)."""
    failure = failures.failure_of({'event_type': 'snapshot_instance'}, {
        'exception': {'code': 500}, 'args': {'instance': 'vm-1'}})
    assert failure == {'exception': None, 'message': None,
                       'function_name': 'snapshot_instance',
                       'module_name': None}
    # An event type is no function name.
    assert _failure(_legacy_error(message='boom'))['function_name'] is None


_EPOCH = datetime.datetime(1970, 1, 1)


def _epoch_us(text):
    moment = datetime.datetime.strptime(text, '%Y-%m-%d %H:%M:%S.%f')
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def test_the_rows_of_a_no_valid_host_are_one_failure_in_two_formats():
    """Each row names the notification it comes from (its id, type,
    priority and time as sent), the conductor that sent it, the request,
    the server Nova recorded and its project; the two formats make one
    group (fingerprint) and one failure (twin key) of the conductor's
    build_instances."""
    records = captures.nova_records('novalidhost')
    server_id = next(iter(records['servers']))
    (action,) = records['instance_actions'][server_id]
    rows = {}
    for message in captures.messages('novalidhost'):
        if not message['event_type'].startswith('compute_task.'):
            continue
        (envelope,) = captures.envelopes([message])
        record = normalize.normalize(envelope, datetime.datetime(2026, 12, 4))
        row = failures.error_row(record.row, record.payload, record.failure)
        rows[message['event_type']] = row
        assert row['message_id'] == message['metadata']['message_id']
        assert (row['event_type'], row['priority']) == (
            message['event_type'], 'ERROR')
        assert row['generated_us'] == _epoch_us(
            message['metadata']['timestamp'])
        assert (row['service'], row['host']) == (
            'nova-conductor', action['events'][0]['host'])
        assert (row['request_id'], row['resource_id'],
                row['project_id']) == (action['request_id'], server_id,
                                       action['project_id'])
        assert row['operation'] == 'compute_task.build_instances'
        assert row['exception'] == 'NoValidHost_Remote'
        assert row['message'] == row['masked_message'] == (
            'No valid host was found. ')
    legacy = rows['compute_task.build_instances']
    versioned = rows['compute_task.build_instances.error']
    assert (legacy['versioned'], versioned['versioned']) == (False, True)
    # The function and module the versioned ExceptionPayload names; the
    # legacy payload names neither.
    (sent,) = [m for m in captures.messages('novalidhost')
               if m['event_type'] == 'compute_task.build_instances.error']
    payload = sent['payload']['nova_object.data']['reason'][
        'nova_object.data']
    assert (versioned['function_name'], versioned['module_name']) == (
        payload['function_name'], payload['module_name'])
    assert (legacy['function_name'], legacy['module_name']) == (None, None)
    assert legacy['fingerprint'] == versioned['fingerprint']
    assert legacy['twin_key'] == versioned['twin_key']


def _row(**values):
    row = {'event_type': 'compute.instance.create.error',
           'priority': 'ERROR', 'message_id': 'm1', 'resource_id': 'vm-1',
           'request_id': 'req-1', 'project_id': 'p1',
           'resource_type': 'instance', 'host': 'cmp-1',
           'service': 'nova-compute', 'object_name': None,
           'generated_at': datetime.datetime(2026, 1, 1)}
    row.update(values)
    return row


def test_a_failure_without_a_class_is_grouped_by_its_operation():
    """Without an exception class the failed operation stands for it:
    the same message on two hosts is one group, the same message of
    another operation another one."""
    disk = {'message': 'Disk of cmp-1 is full'}
    one = failures.error_row(_row(), disk)
    other_host = failures.error_row(
        _row(host='cmp-2', message_id='m2'),
        {'message': 'Disk of cmp-2 is full'})
    other_operation = failures.error_row(
        _row(event_type='compute.instance.resize.error', message_id='m3'),
        disk)
    assert one['exception'] is None
    assert one['masked_message'] == 'Disk of <host> is full'
    assert one['fingerprint'] == other_host['fingerprint']
    assert one['fingerprint'] != other_operation['fingerprint']
    # Another message of the same class is another group.
    assert failures.error_row(_row(), dict(disk, exception='DiskFull'))[
        'fingerprint'] != failures.error_row(_row(), {
            'message': 'Disk of cmp-1 is read-only',
            'exception': 'DiskFull'})['fingerprint']
    # A class names the group whatever the operation.
    with_class = dict(disk, exception='DiskFull')
    assert failures.error_row(_row(), with_class)['fingerprint'] == (
        failures.error_row(_row(
            event_type='compute.instance.resize.error'),
            with_class)['fingerprint'])


def test_a_failure_an_info_notification_reports_has_its_outcome():
    """A CADF ``outcome: failure`` (an info notification) has the reason
    it gives as its message when the payload has none."""
    info = _row(event_type='identity.authenticate', priority='INFO')
    assert failures.error_row(info, {}, 'Bad password')['message'] == (
        'outcome failure: Bad password')
    assert failures.error_row(info, {}, '')['message'] == 'outcome failure'
    assert failures.error_row(info, {'message': 'Locked'}, 'Bad password')[
        'message'] == 'Locked'
    nothing = failures.error_row(_row(), {})
    assert (nothing['message'], nothing['masked_message']) == (None, None)


def test_a_failure_without_a_request_is_keyed_by_its_resource():
    """The twin key names the request, or the resource without one: two
    failures of one operation of one resource without request are one."""
    first = failures.error_row(_row(request_id=None), {'message': 'x'})
    again = failures.error_row(_row(request_id=None, message_id='m2',
                                    object_name='InstanceActionPayload'),
                               {'message': 'x'})
    other = failures.error_row(_row(request_id=None, resource_id='vm-2'),
                               {'message': 'x'})
    requested = failures.error_row(_row(), {'message': 'x'})
    assert first['twin_key'] == again['twin_key']
    assert len({first['twin_key'], other['twin_key'],
                requested['twin_key']}) == 3


def test_a_failure_without_phase_is_the_operation_its_function_does():
    """Legacy ``wrap_exception`` names the failure after the compute
    manager's method: ``snapshot_instance`` is a failed instance
    snapshot, ``terminate_instance`` (in a compute.exception) a failed
    delete."""
    snapshot = failures.error_row(_row(event_type='snapshot_instance'), {})
    assert snapshot['operation'] == 'instance.snapshot'
    payload = {'nova_object.data': {'function_name': 'terminate_instance',
                                    'exception': 'InstanceNotFound',
                                    'exception_message': 'gone'}}
    terminate = failures.error_row(_row(event_type='compute.exception',
                                        object_name='ExceptionPayload'),
                                   payload)
    assert terminate['operation'] == 'instance.delete'


def test_an_operation_is_cut_to_its_column():
    # ``operation`` holds 128 characters.
    row = failures.error_row(_row(event_type='x' * 200 + '.error'), {})
    assert row['operation'] == 'x' * 128


class _Record:
    def __init__(self, row, payload, failure=None):
        self.row = row
        self.payload = payload
        self.failure = failure


def test_a_batch_s_failures_are_its_errors_and_reported_outcomes():
    """A batch's error rows: its ERROR notifications, and the info ones
    that report a failure (with the reason they give)."""
    error = _Record(_row(), {'message': 'Disk full'})
    info = _row(event_type='identity.authenticate', priority='INFO',
                message_id='m2')
    refused = _Record(info, {}, failure='Bad password')
    fine = _Record(dict(info, message_id='m3'), {})
    rows = failures.error_rows([error, refused, fine])
    assert [(row['message_id'], row['message']) for row in rows] == [
        ('m1', 'Disk full'), ('m2', 'outcome failure: Bad password')]
