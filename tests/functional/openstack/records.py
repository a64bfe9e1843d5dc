"""What Nova itself recorded: its API and its cell database.

* ``server`` - ``GET /servers/{id}`` (None once the server is gone);
* ``actions`` - ``os-instance-actions`` of a server, each with its events
  (start/finish time, host, result, traceback left out);
* ``tenant_usage`` - ``os-simple-tenant-usage`` of the admin project,
  detailed, for a window;
* ``audit_log`` - ``os-instance_usage_audit_log``;
* ``instance_rows`` / ``task_log_rows`` - the ``instances`` rows of the
  cell databases and the ``task_log`` rows of cell1 (the task states of
  a server nova-api cannot show while neutron is frozen, and the audit
  runs of any period).
"""

import datetime

from tests.functional.openstack import rest


def _iso(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


class Records:

    def __init__(self, cloud):
        self.cloud = cloud
        self.nova = cloud.urls['nova-api']

    def server(self, server_id):
        try:
            return self.cloud.admin.get(
                '%s/servers/%s' % (self.nova, server_id))['server']
        except rest.RestError as e:
            if ': 404 ' in str(e):
                return None
            raise

    def actions(self, server_id):
        listed = self.cloud.admin.get('%s/servers/%s/os-instance-actions' % (
            self.nova, server_id))['instanceActions']
        actions = []
        for action in listed:
            detail = self.cloud.admin.get(
                '%s/servers/%s/os-instance-actions/%s' % (
                    self.nova, server_id, action['request_id'])
            )['instanceAction']
            for event in detail.get('events', []):
                # Stack traces hold the paths of this machine.
                event.pop('traceback', None)
            actions.append(detail)
        return sorted(actions, key=lambda a: a['start_time'])

    def tenant_usage(self, start, end):
        project = self.cloud.admin.project_id
        return self.cloud.admin.get(
            '%s/os-simple-tenant-usage/%s?start=%s&end=%s' % (
                self.nova, project, start.strftime('%Y-%m-%dT%H:%M:%S.%f'),
                end.strftime('%Y-%m-%dT%H:%M:%S.%f')))['tenant_usage']

    def audit_log(self):
        return self.cloud.admin.get(
            '%s/os-instance_usage_audit_log' % self.nova
        )['instance_usage_audit_logs']

    def instance_rows(self, server_ids):
        """Rows of cell1, then of cell0 (where a server no host could take
        is kept)."""
        if not server_ids:
            return []
        names = {'u%d' % i: sid for i, sid in enumerate(server_ids)}
        rows = []
        for database in ('nova', 'nova_cell0'):
            rows.extend(self.cloud.infra.query(
                database,
                'SELECT uuid, vm_state, task_state, power_state, host, '
                'node, launched_at, terminated_at, deleted_at, deleted, '
                'created_at, updated_at, instance_type_id FROM instances '
                'WHERE uuid IN (%s) ORDER BY created_at'
                % ', '.join(':' + name for name in names), **names))
        return [{key: _iso(value) for key, value in row.items()}
                for row in rows]

    def task_log_rows(self):
        rows = self.cloud.infra.query(
            'nova',
            'SELECT task_name, state, host, period_beginning, '
            'period_ending, task_items, errors, message FROM task_log '
            'ORDER BY period_ending, host')
        return [{key: _iso(value) for key, value in row.items()}
                for row in rows]

    def snapshot(self, server_ids, usage_start, usage_end):
        """Everything Nova recorded about ``server_ids``, for one step."""
        return {
            'servers': {sid: self.server(sid) for sid in server_ids},
            'instance_actions': {sid: self.actions(sid)
                                 for sid in server_ids},
            'instances': self.instance_rows(server_ids),
            'simple_tenant_usage': self.tenant_usage(usage_start,
                                                     usage_end),
            'usage_audit_log': self.audit_log(),
            'task_log': self.task_log_rows(),
        }
