"""The scenario played on the cloud, step by step, with the ``openstack``
client.

Each step returns the servers it touched. ``Run.play()`` plays the steps
in order; after each one it waits until the notifications stop coming,
then keeps the notifications captured during the step and what Nova
recorded about its servers (``records``) under the step's name.

Steps: boot (three servers), stop-start, resize-confirm, delete,
novalidhost (a flavor no host can take), reschedule (the first spawn
fails on request, the boot is rescheduled), stuck-boot (nova-compute of
the forced host frozen with SIGSTOP for a while, then thawed), stuck-delete
(neutron-server frozen during a delete, then thawed), audit (nova-compute's
own usage audit of the period that has just closed, for both hosts).
"""

import datetime
import json
import os
import time

from tests.functional.openstack import capture as capture_mod
from tests.functional.openstack import cloud as cloud_mod
from tests.functional.openstack import processes
from tests.functional.openstack import records as records_mod

# How long a frozen service keeps a server stuck: past the 25 s threshold
# the stuck queries of the tests use, below nova's service_down_time (60 s).
STUCK_SECONDS = 35
STEPS = ('boot', 'stop-start', 'resize-confirm', 'delete', 'novalidhost',
         'reschedule', 'stuck-boot', 'stuck-delete', 'audit')


def _parse(value):
    return datetime.datetime.fromisoformat(value)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Run:

    def __init__(self, cloud, capture):
        self.cloud = cloud
        self.capture = capture
        self.records = records_mod.Records(cloud)
        self.servers = {}
        self.started_at = utcnow()
        self.steps = {}
        self.notes = {}
        # Called as while_frozen(step, server_id) while a stuck step keeps
        # its service frozen: what an observer must see then.
        self.while_frozen = None

    # -- helpers ---------------------------------------------------------

    def boot(self, name, flavor='tiny', *extra):
        server = self.cloud.openstack(
            'server', 'create', '--image', cloud_mod.IMAGE_NAME,
            '--flavor', flavor, '--nic', 'none', *extra, name)
        self.servers[name] = server['id']
        return server['id']

    def wait_status(self, server_id, statuses, timeout=180):
        def reached():
            server = self.records.server(server_id)
            status = server['status'] if server else 'DELETED'
            if status in statuses:
                return server or {'status': 'DELETED'}
            if status == 'ERROR' and 'ERROR' not in statuses:
                raise AssertionError('server %s went to ERROR: %s' % (
                    server_id, server.get('fault')))
            return None
        return processes.wait_until(reached, timeout, 'server %s %s' % (
            server_id, '/'.join(statuses)), interval=1)

    def wait_task_state(self, server_id, task_state, timeout=120):
        def reached():
            rows = self.records.instance_rows([server_id])
            return rows and rows[0]['task_state'] == task_state
        processes.wait_until(reached, timeout, 'server %s task_state %s'
                             % (server_id, task_state))

    # -- steps -----------------------------------------------------------

    def step_boot(self):
        ids = [self.boot('boot-%d' % i) for i in (1, 2, 3)]
        for server_id in ids:
            self.wait_status(server_id, ('ACTIVE',))
        return ids

    def step_stop_start(self):
        server_id = self.servers['boot-1']
        self.cloud.openstack('server', 'stop', server_id, parse=False)
        self.wait_status(server_id, ('SHUTOFF',))
        self.cloud.openstack('server', 'start', server_id, parse=False)
        self.wait_status(server_id, ('ACTIVE',))
        return [server_id]

    def step_resize_confirm(self):
        server_id = self.servers['boot-2']
        self.cloud.openstack('server', 'resize', '--flavor', 'small',
                             server_id, parse=False)
        self.wait_status(server_id, ('VERIFY_RESIZE',))
        self.cloud.openstack('server', 'resize', 'confirm', server_id,
                             parse=False)
        self.wait_status(server_id, ('ACTIVE',))
        return [server_id]

    def step_delete(self):
        server_id = self.servers['boot-3']
        self.cloud.openstack('server', 'delete', server_id, parse=False)
        self.wait_status(server_id, ('DELETED',))
        return [server_id]

    def step_novalidhost(self):
        server_id = self.boot('novalidhost', 'huge')
        self.wait_status(server_id, ('ERROR',))
        return [server_id]

    def step_reschedule(self):
        server_id = self.boot('reschedule', 'tiny', '--property',
                              'fail_first_spawn=yes')
        self.wait_status(server_id, ('ACTIVE',))
        return [server_id]

    def step_stuck_boot(self):
        compute = self.cloud.services['nova-compute-compute1']
        compute.pause()
        try:
            start = self.capture.count()
            server_id = self.boot('stuck-boot', 'tiny',
                                  '--availability-zone', 'nova:compute1')
            self.capture.wait_for(
                lambda m: m['event_type'] in (
                    'scheduler.select_destinations.end',
                    'select_destinations.end'), start)
            time.sleep(STUCK_SECONDS)
            if self.while_frozen:
                self.while_frozen('stuck-boot', server_id)
            self.notes['stuck-boot'] = {
                'frozen': 'nova-compute on compute1',
                'while_frozen': self.records.snapshot(
                    [server_id], self.started_at, utcnow()),
                'thawed_at': utcnow().isoformat()}
        finally:
            compute.resume()
        self.wait_status(server_id, ('ACTIVE',))
        return [server_id]

    def step_stuck_delete(self):
        server_id = self.servers['stuck-boot']
        neutron = self.cloud.services['neutron']
        neutron.pause()
        try:
            # nova-api's server show asks neutron for security groups: the
            # delete goes straight to the API, by id, while neutron is
            # frozen; the task state is read from nova's database.
            self.cloud.admin.request(
                'DELETE', '%s/servers/%s' % (self.cloud.urls['nova-api'],
                                             server_id))
            self.wait_task_state(server_id, 'deleting')
            time.sleep(STUCK_SECONDS)
            if self.while_frozen:
                self.while_frozen('stuck-delete', server_id)
            self.notes['stuck-delete'] = {
                'frozen': 'neutron-server',
                'while_frozen': {
                    'instances': self.records.instance_rows([server_id]),
                    'instance_actions': {
                        server_id: self.records.actions(server_id)}},
                'thawed_at': utcnow().isoformat()}
        finally:
            neutron.resume()
        self.wait_status(server_id, ('DELETED',))
        return [server_id]

    def step_audit(self):
        # The audit period ends at the first minute boundary after the
        # last launch of the scenario, so that every server is in it.
        launched = [_parse(row['launched_at']) for row in
                    self.records.instance_rows(list(self.servers.values()))
                    if row['launched_at']]
        end = max(launched).replace(second=0, microsecond=0) + (
            datetime.timedelta(minutes=1))
        wait = (end - utcnow()).total_seconds()
        if wait > 0:
            time.sleep(wait + 1)
        period = 'hour@%d' % end.minute
        for host in cloud_mod.COMPUTE_HOSTS:
            self.cloud.usage_audit(host, period)
        self.notes['audit'] = {
            'instance_usage_audit_period': period,
            'period_beginning': (end - datetime.timedelta(hours=1)
                                 ).isoformat(),
            'period_ending': end.isoformat()}
        return list(self.servers.values())

    # -- the run -----------------------------------------------------------

    def play(self, steps=STEPS, on_step=None):
        self.capture.wait_quiet()
        # Each step keeps what arrived since the previous one ended: a
        # notification late for a step lands in the next, never nowhere.
        cursor = self.capture.count()
        self.steps['setup'] = {'notifications': self.capture.since(0)[
            :cursor], 'servers': []}
        for name in steps:
            begun = utcnow()
            server_ids = getattr(self, 'step_' + name.replace('-', '_'))()
            self.capture.wait_quiet()
            ended = utcnow()
            notifications = self.capture.since(cursor)
            cursor += len(notifications)
            step = {
                'notifications': notifications,
                'servers': server_ids,
                'begun_at': begun.isoformat(),
                'ended_at': ended.isoformat(),
                'nova': self.records.snapshot(server_ids, self.started_at,
                                              ended),
            }
            if name in self.notes:
                step['nova']['during_step'] = self.notes[name]
            self.steps[name] = step
            if on_step:
                on_step(name, step)
        return self.steps


def write_step(directory, name, step, sanitizer):
    """``<name>.jsonl`` (the notifications) and ``<name>.nova.json``,
    through ``sanitizer`` (see ``sanitize``)."""
    os.makedirs(directory, exist_ok=True)
    capture_mod.write_jsonl(os.path.join(directory, '%s.jsonl' % name),
                            sanitizer(step['notifications']))
    if 'nova' in step:
        record = {'step': name, 'servers': step['servers'],
                  'begun_at': step['begun_at'],
                  'ended_at': step['ended_at'],
                  'notification_count': len(step['notifications'])}
        record.update(step['nova'])
        record = sanitizer(record)
        with open(os.path.join(directory, '%s.nova.json' % name), 'w',
                  encoding='utf-8') as f:
            json.dump(record, f, indent=1, sort_keys=True, default=str)
            f.write('\n')
