"""Ceilometer's notification agent as a peer of the ingest benchmark.

It is what an operator would otherwise run to keep OpenStack's
notifications: ``ceilometer-agent-notification`` with the events pipeline
only, every notification turned into an event (``[event]
drop_unmatched_notifications = false``: one that no event definition
matches gets the default traits) and the events written by the file
publisher, one JSON line each. Its listener is an oslo.messaging batch
notification listener like stacktach-ng's, with the same batch size and
batch timeout, on the same queue type.

Ceilometer runs from a virtualenv of its own (``--ceilometer-venv``, by
default ``$STACKTACH_CEILOMETER_VENV`` or
``~/.cache/stacktach-ng/ceilometer-venv``), built with ``pip install
ceilometer`` when missing. ``Agent`` starts it, counts the lines of its
event file and stops it; ``tests.perf.consumers`` times it as it times the
others.
"""

import os
import signal
import subprocess

from tests.fixtures import venvs

VENV_ENV = 'STACKTACH_CEILOMETER_VENV'
DEFAULT_VENV = os.path.join(venvs.CACHE, 'ceilometer-venv')
PACKAGES = ('ceilometer',)
AGENT = 'ceilometer-agent-notification'

# Where the consumer process finds the agent: set by the benchmark.
ENV_VENV = 'STACKTACH_BENCH_CEILOMETER_VENV'
ENV_CONFIG = 'STACKTACH_BENCH_CEILOMETER_CONFIG'
ENV_EVENTS = 'STACKTACH_BENCH_CEILOMETER_EVENTS'

_STOP_TIMEOUT = 30

_PIPELINE = """---
sources:
  - name: every_event
    events:
      - "*"
    sinks:
      - event_file
sinks:
  - name: event_file
    publishers:
      - file://{events}?json
"""


def venv_path(path=None):
    return path or os.environ.get(VENV_ENV) or DEFAULT_VENV


def ensure_venv(path=None, timeout=900):
    """The path of a virtualenv with Ceilometer, built when missing."""
    return venvs.ensure(venv_path(path), PACKAGES, (AGENT,),
                        timeout=timeout)


def _lines(name, values):
    # MultiStrOpt options take one line per value.
    return ['%s = %s' % (name, value) for value in values]


def write_config(directory, transport_url, topic, exchanges, rabbit_options,
                 batch_size, batch_timeout):
    """Write the agent's configuration and event pipeline in
    ``directory``; return (config path, events path)."""
    events = os.path.join(directory, 'ceilometer-events.jsonl')
    pipeline = os.path.join(directory, 'ceilometer-event-pipeline.yaml')
    with open(pipeline, 'w', encoding='utf-8') as output:
        output.write(_PIPELINE.format(events=events))
    lines = ['[DEFAULT]',
             'transport_url = %s' % transport_url,
             'event_pipeline_cfg_file = %s' % pipeline,
             'log_file = %s' % os.path.join(directory, 'ceilometer.log'),
             '',
             '[notification]',
             'workers = 1',
             'batch_size = %d' % batch_size,
             'batch_timeout = %d' % batch_timeout,
             *_lines('pipelines', ['event']),
             *_lines('notification_control_exchanges', sorted(exchanges)),
             '',
             '[event]',
             'drop_unmatched_notifications = false',
             '',
             '[oslo_messaging_notifications]',
             'topics = %s' % topic,
             '',
             '[oslo_messaging_rabbit]']
    lines.extend('%s = %s' % (name, str(value).lower()
                              if isinstance(value, bool) else value)
                 for name, value in sorted(rabbit_options.items()))
    config = os.path.join(directory, 'ceilometer.conf')
    with open(config, 'w', encoding='utf-8') as output:
        output.write('\n'.join(lines) + '\n')
    return config, events


def environment(venv, config, events):
    """The variables that tell the consumer process where the agent is."""
    return {ENV_VENV: venv, ENV_CONFIG: config, ENV_EVENTS: events}


class Agent:
    """The agent process, and the count of events it wrote."""

    def __init__(self, venv, config, events):
        self.command = [os.path.join(venv, 'bin', AGENT),
                        '--config-file', config]
        self.events = events
        self.process = None
        self._offset = 0
        self._count = 0

    @classmethod
    def from_environment(cls):
        return cls(os.environ[ENV_VENV], os.environ[ENV_CONFIG],
                   os.environ[ENV_EVENTS])

    def start(self):
        self.process = subprocess.Popen(self.command,
                                        stdin=subprocess.DEVNULL)

    def written(self):
        """Events written so far (complete lines of the event file)."""
        try:
            with open(self.events, 'rb') as output:
                output.seek(self._offset)
                data = output.read()
        except FileNotFoundError:
            return 0
        end = data.rfind(b'\n') + 1
        self._count += data.count(b'\n', 0, end)
        self._offset += end
        return self._count

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
