"""Notifications of two projects, stored through the real ingest pipeline.

Project A and project B each boot instances on their own hosts; one
notification (an image upload from glance's empty context) belongs to no
project. Times are one second apart from ``BASE_TIME``, so orders and time
ranges are predictable.
"""

import datetime
import uuid

from stacktach_ng.pipeline import runner as pipeline

BASE_TIME = datetime.datetime(2026, 3, 1, 12, 0, 0)


def envelope(event_type, generated_at, project_id=None, host='host1',
             publisher='compute', request_id=None, instance_id=None,
             priority='INFO', task_state=None, message_id=None,
             user_id='user-1'):
    """A notification in the listener-callback form."""
    ctxt = {}
    if project_id is not None:
        ctxt = {'request_id': request_id, 'project_id': project_id,
                'user_id': user_id, 'auth_token': 'a-token-never-stored'}
    payload = {}
    if instance_id is not None:
        payload = {'instance_id': instance_id, 'tenant_id': project_id,
                   'state': 'building', 'new_task_state': task_state,
                   'host': host}
    return {
        'priority': priority,
        'ctxt': ctxt,
        'publisher_id': '%s.%s' % (publisher, host),
        'event_type': event_type,
        'payload': payload,
        'metadata': {'message_id': message_id or str(uuid.uuid4()),
                     'timestamp': generated_at.strftime(
                         '%Y-%m-%d %H:%M:%S.%f')},
    }


class Dataset:
    """What was stored, to compare the API's answers with."""

    def __init__(self, project_a, project_b):
        self.project_a = project_a
        self.project_b = project_b
        self.envelopes = []
        self._clock = 0

    def _next_time(self):
        self._clock += 1
        return BASE_TIME + datetime.timedelta(seconds=self._clock)

    def boot(self, project_id, host, steps=('scheduling', 'networking',
                                            'spawning')):
        """The notifications of one instance boot; returns its ids."""
        instance_id = str(uuid.uuid4())
        request_id = 'req-' + str(uuid.uuid4())
        kwargs = {'project_id': project_id, 'host': host,
                  'request_id': request_id, 'instance_id': instance_id}
        self.add(envelope('compute.instance.create.start',
                          self._next_time(), **kwargs))
        for step in steps:
            self.add(envelope('compute.instance.update', self._next_time(),
                              task_state=step, **kwargs))
        self.add(envelope('compute.instance.create.end', self._next_time(),
                          **kwargs))
        return instance_id, request_id

    def error(self, project_id, host):
        self.add(envelope('compute.instance.create.error',
                          self._next_time(), project_id=project_id,
                          host=host, priority='ERROR',
                          request_id='req-' + str(uuid.uuid4()),
                          instance_id=str(uuid.uuid4())))

    def image_upload(self):
        self.add(envelope('image.upload', self._next_time(),
                          publisher='image', host='localhost'))

    def add(self, item):
        self.envelopes.append(item)

    def of(self, project_id):
        """The envelopes of a project (None: every envelope)."""
        if project_id is None:
            return list(self.envelopes)
        return [e for e in self.envelopes
                if e['ctxt'].get('project_id') == project_id]

    def message_ids(self, project_id):
        return {e['metadata']['message_id'] for e in self.of(project_id)}


def standard(project_a='project-a', project_b='project-b'):
    """Two boots and an error in A, three boots in B, an image upload."""
    data = Dataset(project_a, project_b)
    data.instance_a, data.request_a = data.boot(project_a, 'host-a1')
    data.boot(project_b, 'host-b1')
    data.boot(project_a, 'host-a2')
    data.error(project_a, 'host-a1')
    data.instance_b, data.request_b = data.boot(project_b, 'host-b1')
    data.image_upload()
    data.boot(project_b, 'host-b2')
    return data


def store(conf, database, data):
    """Store the dataset with every default handler, as ingest does."""
    result = pipeline.Pipeline(conf, database,
                               source='import').process(data.envelopes)
    assert result.stored == len(data.envelopes), result
    return result


def path_ids(client, dataset, **error_params):
    """The values of the OpenAPI paths' placeholders in ``dataset``: the
    fingerprint is that of the first error group ``/v1/errors`` lists
    with ``error_params``."""
    fingerprint = client.get_json('/v1/errors', error_params)[
        'errors'][0]['fingerprint']
    return {'{message_id}': dataset.envelopes[0]['metadata']['message_id'],
            '{request_id}': dataset.request_a,
            '{resource_id}': dataset.instance_a,
            '{fingerprint}': fingerprint}


def concrete(path, ids):
    """An OpenAPI path with its placeholders replaced by ``ids``."""
    for name, value in ids.items():
        path = path.replace(name, value)
    return path
