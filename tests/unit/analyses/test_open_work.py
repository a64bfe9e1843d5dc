"""What is open now (``analyses.open_work``): the derivation of a row, by
hand, and the rows a pipeline keeps whatever the order and repetition of
its batches."""

import datetime
import itertools
import random

import sqlalchemy as sa

from stacktach_ng.analyses import open_work
from stacktach_ng.analyses import times
from stacktach_ng.queries import lifecycles
from tests.unit.pipeline.real import loader

OpenOperation = open_work.OpenOperation


def _resource(task_state=None, task_us=None, task_since_us=None,
              project_id='p'):
    return {'resource_id': 'r1', 'project_id': project_id,
            'task_state': task_state, 'task_us': task_us,
            'task_since_us': task_since_us}


def test_a_resource_in_a_task_state_is_open_since_it_entered_it():
    # Entered "spawning" at 100, still reported at 300; its open
    # operation (started at 50) does not matter.
    row = open_work.resource_work(
        _resource('spawning', task_us=300, task_since_us=100),
        [OpenOperation(50, 1, 'q1', 'p')])
    assert (row['kind'], row['item_key'], row['since_us'],
            row['scoped_since_us'], row['via_request_id']) == (
        open_work.TASK, 'r1', 100, 100, None)


def test_a_resource_with_nothing_open_has_no_row():
    assert open_work.resource_work(_resource(), []) is None
    # A task state whose entry is unknown is never stuck.
    assert open_work.resource_work(
        _resource('spawning', task_us=300, task_since_us=None), []) is None


def test_without_a_task_the_latest_open_operation_counts():
    # Open operations started at 50 (project p) and 80 (project q): every
    # project's list sees 80; p's own list sees only its 50.
    row = open_work.resource_work(_resource(), [
        OpenOperation(50, 7, 'q1', 'p'), OpenOperation(80, 3, 'q2', 'q')])
    assert (row['kind'], row['since_us'], row['via_request_id'],
            row['scoped_since_us'], row['scoped_via_request_id']) == (
        open_work.OPERATION, 80, 'q2', 50, 'q1')


def test_a_resource_without_a_project_is_in_no_project_list():
    row = open_work.resource_work(_resource(project_id=None), [
        OpenOperation(50, 7, 'q1', None)])
    assert (row['since_us'], row['scoped_since_us']) == (50, None)


def test_a_later_report_of_no_task_closes_earlier_operations():
    # The last task report (at 70) said no task: the operation started at
    # 50 is not at work any more, the one started at 80 is.
    no_task = _resource(None, task_us=70, task_since_us=60)
    assert open_work.resource_work(
        no_task, [OpenOperation(50, 1, 'q1', 'p')]) is None
    row = open_work.resource_work(no_task, [
        OpenOperation(50, 1, 'q1', 'p'), OpenOperation(80, 2, 'q2', 'p')])
    assert (row['since_us'], row['scoped_since_us']) == (80, 80)
    # Started at the report's very time: after it (the list's >=).
    row = open_work.resource_work(no_task, [OpenOperation(70, 1, 'q1', 'p')])
    assert row['since_us'] == 70


def test_ties_name_the_operation_the_list_shows():
    # Two operations started at 80: the list shows the greater id (9).
    row = open_work.resource_work(_resource(), [
        OpenOperation(80, 9, 'q9', 'p'), OpenOperation(80, 4, 'q4', 'p')])
    assert row['via_request_id'] == 'q9'


def _operation(**values):
    row = {'resource_id': None, 'request_id': 'req-1',
           'operation': 'port.create', 'attempt': 0, 'project_id': 'p',
           'start_us': 500, 'end_us': None}
    row.update(values)
    return row


def test_an_open_create_without_resource_is_keyed_by_its_request():
    row = open_work.create_work(_operation())
    assert (row['kind'], row['item_key'], row['operation'], row['attempt'],
            row['since_us'], row['project_id']) == (
        open_work.CREATE, 'request:req-1', 'port.create', 0, 500, 'p')
    assert row['item_key'] == lifecycles.stuck_key(
        {'resource_id': None, 'operation': {'request_id': 'req-1'}})


def test_other_operations_are_no_create():
    for values in ({'resource_id': 'port-1'}, {'end_us': 900},
                   {'start_us': None}, {'request_id': ''}):
        assert open_work.create_work(_operation(**values)) is None, values


# -- through the pipeline -------------------------------------------------

NETWORK = '9eaa96ed-c2d2-45a7-a6d5-5f276a3a1b54'
INSTANCE = '178b0921-8f85-4257-88b6-2e743b5a975c'
NETWORK_PROJECT = '0e33d3b1881045c3ac1b1cb9df3e0477'
INSTANCE_PROJECT = '6f70656e737461636b20342065766572'
START = loader.NOW - datetime.timedelta(hours=1)


def _rows(database):
    with database.reader() as connection:
        return sorted(
            tuple(row) for row in connection.execute(sa.select(*[
                open_work.OPEN_WORK.c[name] for name in open_work._COLUMNS])))


def _scenario():
    """A network whose delete never ends and an instance left
    scheduling, as batches of (minutes after START, event type)."""
    neutron = loader.by_event_type('neutron')
    nova = loader.by_event_type('nova')
    return [
        [(0, neutron['network.create.end'])],
        [(1, neutron['network.delete.start'])],
        [(2, nova['instance.create.start']),
         (3, nova['instance.update'])],
    ]


def _process(pipeline, batches):
    for batch in batches:
        pipeline.process([
            loader.at(message, START + datetime.timedelta(minutes=minutes))
            for minutes, message in batch])


def _us(minutes):
    return times.to_us(START + datetime.timedelta(minutes=minutes))


def test_the_rows_of_a_scenario(tmp_path):
    with loader.pipeline(tmp_path) as (pipeline, database):
        _process(pipeline, _scenario())
        rows = {row[0]: row for row in _rows(database)}
    # By hand: the network has been deleting since minute 1 (no task
    # state, its delete open). Its project's list does not see it: the
    # delete's start names no project (the network's project comes from
    # the create's payload). The instance has been scheduling since
    # minute 3 (its update), in its project's list too; its boot's start
    # does not matter.
    assert sorted(rows) == [INSTANCE, NETWORK]
    network = dict(zip(open_work._COLUMNS, rows[NETWORK], strict=True))
    assert (network['kind'], network['project_id'], network['since_us'],
            network['scoped_since_us']) == (
        open_work.OPERATION, NETWORK_PROJECT, _us(1), None)
    instance = dict(zip(open_work._COLUMNS, rows[INSTANCE], strict=True))
    assert (instance['kind'], instance['project_id'], instance['since_us'],
            instance['scoped_since_us']) == (
        open_work.TASK, INSTANCE_PROJECT, _us(3), _us(3))


def test_order_and_duplicates_do_not_matter(tmp_path):
    events = [event for batch in _scenario() for event in batch]
    expected = None
    source = random.Random(5)
    for index in range(6):
        shuffled = list(events) + source.sample(events, 2)
        source.shuffle(shuffled)
        size = 1 + index % 3
        batches = [shuffled[start:start + size]
                   for start in range(0, len(shuffled), size)]
        with loader.pipeline(tmp_path / str(index)) as (pipeline, database):
            _process(pipeline, batches)
            rows = _rows(database)
        if expected is None:
            (tmp_path / 'ordered').mkdir()
            with loader.pipeline(tmp_path / 'ordered') as (pipeline,
                                                           database):
                _process(pipeline, _scenario())
                expected = _rows(database)
            assert len(expected) == 2
        assert rows == expected, index


def test_an_end_closes_the_item(tmp_path):
    neutron = loader.by_event_type('neutron')
    nova = loader.by_event_type('nova')
    with loader.pipeline(tmp_path) as (pipeline, database):
        _process(pipeline, _scenario())
        # The end first, then the start again (a redelivery): closed.
        _process(pipeline, [[(4, neutron['network.delete.end'])],
                            [(1, neutron['network.delete.start'])],
                            [(5, nova['instance.create.end'])]])
        # The network's delete ended; the boot ended with the instance
        # active, no task: nothing is open.
        assert _rows(database) == []


def test_the_new_list_is_the_old_one(tmp_path):
    with loader.pipeline(tmp_path) as (pipeline, database):
        _process(pipeline, _scenario())
        with database.reader() as connection:
            assert len(lifecycles.list_stuck(
                connection, now=loader.NOW, older_than=0)[0]) == 2
            for older_than, project in itertools.product(
                    (0, 90, 150, 3000, 3600),
                    (None, NETWORK_PROJECT, INSTANCE_PROJECT, 'other')):
                args = dict(connection=connection, now=loader.NOW,
                            older_than=older_than, project_id=project)
                old = lifecycles.list_stuck(**args)
                assert lifecycles.list_stuck(
                    use_open_work=True, **args) == old, (older_than, project)
                # Page by page, each page's marker its last item's key.
                marker, pages = None, []
                while True:
                    items, more = lifecycles.list_stuck(
                        use_open_work=True, marker=marker, limit=1, **args)
                    pages.extend(items)
                    if not more:
                        break
                    marker = lifecycles.stuck_key(items[-1])
                assert pages == old[0]
