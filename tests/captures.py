"""The captured traffic of a real OpenStack cloud (``tests/fixtures/
openstack``, see its ``SOURCES.rst``), read for tests."""

import datetime
import json
import os
import random

from stacktach_ng.pipeline import forms

DIRECTORY = os.path.join(os.path.dirname(__file__), 'fixtures', 'openstack')


def messages(step):
    """The notifications of a step, in arrival order, as the listener
    callback received them."""
    with open(os.path.join(DIRECTORY, step + '.jsonl')) as stream:
        return [json.loads(line) for line in stream if line.strip()]


def nova_records(step):
    """What Nova recorded at the end of a step."""
    with open(os.path.join(DIRECTORY, step + '.nova.json')) as stream:
        return json.load(stream)


def nova_time(text):
    """A time of Nova's API (naive UTC, whole seconds in instance
    actions)."""
    return datetime.datetime.strptime(text[:19], '%Y-%m-%dT%H:%M:%S')


def envelopes(bodies):
    return [forms.to_envelope(body) for body in bodies]


def shuffled_batches(bodies, seed):
    """The bodies in a shuffled order, cut into batches of random sizes."""
    chance = random.Random(seed)
    bodies = list(bodies)
    chance.shuffle(bodies)
    batches = []
    while bodies:
        size = chance.randint(1, 12)
        batches.append(bodies[:size])
        bodies = bodies[size:]
    return batches
