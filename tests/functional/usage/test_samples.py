"""The real exists samples are tracked and verified as they say."""

import copy
import datetime
import json
import os
import re
import uuid

import pytest

from stacktach_ng.usage import store
from tests.functional.usage import base

_PLACEHOLDER = re.compile(r'\[\[\[\[([A-Za-z_]+?)(?:_(\d+))?\]\]\]\]')
BASE_TIME = datetime.datetime(2026, 3, 5, 0, 0, 0, 133588)


def expand_template(path, base_time=BASE_TIME):
    """The messages of a notigen template with its placeholders filled:
    times from the template's time map relative to ``base_time``, fresh
    uuids, and a stable value for every other name."""
    with open(path, encoding='utf-8') as stream:
        header, *messages = json.load(stream)
    values = {}

    def fill(match):
        token = match.group(0)
        if token not in values:
            name = match.group(1)
            if name == 'DT':
                days, seconds, micro = header['time_map'][token]
                moment = base_time + datetime.timedelta(
                    days=days, seconds=seconds, microseconds=micro)
                values[token] = moment.strftime('%Y-%m-%d %H:%M:%S.%f')
            elif name in ('UUID', 'XUUID'):
                values[token] = str(uuid.uuid4())
            else:
                values[token] = '%s-%s' % (name.lower(),
                                           match.group(2) or '0')
        return values[token]

    text = _PLACEHOLDER.sub(fill, json.dumps(messages))
    return json.loads(text)


@pytest.fixture
def usage(migrated_conf):
    db = base.UsageDB(migrated_conf)
    yield db
    db.close()


def _notigen(samples_dir, name):
    return expand_template(os.path.join(samples_dir, 'stacktach-notigen',
                                        'templates', name))


def test_end_of_day_exists_alone(usage, samples_dir):
    (exists,) = _notigen(samples_dir, 'eod_exists.json')
    usage.load([exists])
    (row,) = usage.rows(store.EXISTS)
    payload = exists['payload']
    assert row.resource_id == payload['instance_id']
    assert row.project_id == payload['tenant_id']
    assert row.instance_type_id == '7' and row.flavor_id == '7'
    assert row.launched_at.isoformat(sep=' ') == payload['launched_at'][:19]
    assert (row.audit_period_ending - row.audit_period_beginning
            == datetime.timedelta(days=1))
    # A day's audit period is a regular one, checked for missing exists.
    assert len(usage.rows(store.PERIODS)) == 1
    # Its launch, 75 days earlier, was never seen.
    usage.verifier().run_pass()
    assert usage.exists() == {exists['message_id']: ('failed',
                                                     'no_launch_known')}


@pytest.mark.parametrize('name', [
    'compute.instance.rescue.start_19.json',
    'compute.instance.resize.prep.start_24.json',
    'compute.instance.rebuild.start_24.json'])
def test_exists_before_an_operation_verify(usage, samples_dir, name):
    # Production sequences where StackTach sent exists.verified: the
    # updates before the operation tell the launch the exists refers to.
    messages = _notigen(samples_dir, name)
    usage.load(messages)
    exists = [m for m in messages
              if m['event_type'] == 'compute.instance.exists']
    assert len(exists) == 1
    # The exists.verified StackTach sent is not an exists record.
    assert len(usage.rows(store.EXISTS)) == 1
    usage.verifier().run_pass()
    assert usage.exists() == {exists[0]['message_id']: ('verified', None)}


def _load_json(samples_dir, *parts):
    with open(os.path.join(samples_dir, *parts), encoding='utf-8') as f:
        return json.load(f)


def test_legacy_exists_sample(usage, samples_dir):
    folder = ('ceilometer-extracted',
              'db2c252b2ddf1907c75a5a52eedf923572d99aa8', 'ceilometer',
              'tests', 'unit', 'compute', 'notifications',
              'test_instance_py')
    exists = _load_json(samples_dir, *folder, 'INSTANCE_EXISTS.json')
    usage.load([exists])
    (row,) = usage.rows(store.EXISTS)
    assert (row.audit_period_beginning, row.audit_period_ending) == (
        datetime.datetime(2012, 5, 8, 15), datetime.datetime(2012, 5, 8, 16))
    assert row.launched_at == datetime.datetime(2012, 5, 7, 23, 1, 27)
    # Its launch is known once the create.end of that instance is seen
    # (the sample's own create.end is of another instance).
    create = copy.deepcopy(_load_json(samples_dir, *folder,
                                      'INSTANCE_CREATE_END.json'))
    create['message_id'] = str(uuid.uuid4())
    create['payload'].update(instance_id=exists['payload']['instance_id'],
                             launched_at='2012-05-07 23:01:27.148000')
    usage.load([create])
    usage.verifier().run_pass()
    assert usage.exists() == {exists['message_id']: ('verified', None)}


def test_versioned_exists_sample(usage, samples_dir):
    exists = _load_json(samples_dir, 'nova-resolved', 'instance-exists.json')
    create = _load_json(samples_dir, 'nova-resolved',
                        'instance-create-end.json')
    usage.load([exists, create])
    (row,) = usage.rows(store.EXISTS)
    data = exists['payload']['nova_object.data']
    assert row.resource_id == data['uuid']
    assert row.flavor_id == data['flavor']['nova_object.data']['flavorid']
    assert (row.audit_period_beginning, row.audit_period_ending) == (
        datetime.datetime(2012, 10, 1), datetime.datetime(2012, 10, 29, 13,
                                                          42, 11))
    usage.verifier().run_pass()
    assert list(usage.exists().values()) == [('verified', None)]
