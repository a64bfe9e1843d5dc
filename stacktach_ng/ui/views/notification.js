// One notification: its normalized fields (each a link to what it names)
// and its scrubbed payload and context.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as route from '../lib/route.js';
import * as widgets from '../lib/widgets.js';

function searchLink(name, value) {
  if (!value) return null;
  return h('a', {href: route.href('/search', {[name]: value}),
    title: `Search notifications with ${name} = ${value}`}, value);
}

export function render(container, current) {
  const id = current.ids[0];
  replace(container, widgets.title('Notification'), widgets.loading());
  api.get(route.path('/v1/notifications', id)).then((n) => {
    replace(container,
      widgets.title(n.event_type, widgets.priority(n.priority)),
      widgets.section('Fields', widgets.facts([
        ['Message id', h('span', {class: 'mono'}, n.message_id)],
        ['Generated', fmt.time(n.generated_at) + ' UTC'],
        ['Received', fmt.time(n.received_at) + ' UTC'],
        ['Publisher', searchLink('publisher_id', n.publisher_id)],
        ['Service', searchLink('service', n.service)],
        ['Host', searchLink('host', n.host)],
        ['Request', n.request_id ? widgets.requestLink(n.request_id, false) :
          null],
        n.global_request_id ? ['Global request',
          widgets.requestLink(n.global_request_id, false)] : null,
        ['Project', searchLink('project_id', n.project_id)],
        ['User', searchLink('user_id', n.user_id)],
        ['Resource', n.resource_id ? h('span', {}, n.resource_type || '',
          ' ', widgets.resourceLink(n.resource_id, false)) : null],
        n.vm_state || n.task_state ? ['States', [
          `vm ${n.old_vm_state || '—'} → ${n.vm_state || '—'}, `,
          `task ${n.old_task_state || '—'} → ${n.task_state || '—'}`,
          n.power_state ? `, power ${n.power_state}` : '']] : null,
        n.object_name ? ['Versioned object',
          `${n.object_name} ${n.object_version || ''}`] : null,
        n.timestamp_missing ? ['Timestamp',
          'none in the message: dated when received'] : null,
        n.conflict_of ? ['Id conflict', `came as ${n.conflict_of}, ` +
          'an id stored before with other content'] : null,
      ])),
      widgets.section('Payload', widgets.json(n.payload)),
      widgets.section('Context (scrubbed)', widgets.json(n.context)));
  }).catch((error) => replace(container, widgets.title('Notification'),
    widgets.errorBox(error, 'notification ' + id)));
}
