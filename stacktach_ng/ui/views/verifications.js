// Verification of the .exists audit records against the tracked launches
// and deletes: verdicts, failure reasons.

import {h, replace} from '../lib/dom.js';
import * as api from '../lib/api.js';
import * as fmt from '../lib/format.js';
import * as widgets from '../lib/widgets.js';

const STATUSES = [['', 'Verdicts (all but pending)'], ['failed', 'Failed'],
  ['verified', 'Verified'], ['reconciled', 'Reconciled'],
  ['pending', 'Pending']];

export function render(container, current) {
  const status = current.params.get('status') || '';
  const body = h('div', {}, widgets.loading());
  replace(container, widgets.title('Verifications'),
    h('div', {class: 'filters'}, widgets.paramSelect('Status', 'status',
      STATUSES, status)),
    h('p', {class: 'hint'}, 'Each .exists record is checked, after a ',
      'settle delay, against the launch and delete that were tracked: ',
      'launched_at to the second, deleted_at, flavor, project and image.'),
    widgets.section(null, body));
  api.serves('/v1/verifications').then((served) => {
    if (!served) {
      replace(body, widgets.empty('This server does not serve ' +
        '/v1/verifications yet: the usage API is not enabled in this ' +
        'version.'));
      return;
    }
    widgets.pagedList(body,
      (next) => api.page(next || '/v1/verifications', 'verifications',
        next ? null : {status, limit: 100}),
      (items) => widgets.table([
        {title: 'Status', value: (r) => widgets.badge(r.status, r.status)},
        {title: 'Reason', value: (r) => r.reason},
        {title: 'Detail', class: 'wrap', value: (r) => r.detail},
        {title: 'Type', value: (r) => r.resource_type},
        {title: 'Resource', value: (r) => widgets.resourceLink(
          r.resource_id)},
        {title: 'Audit period ends (UTC)', class: 'nowrap mono',
          value: (r) => fmt.time(r.audit_period_ending, false)},
        {title: 'Verified (UTC)', class: 'nowrap mono', value: (r) =>
          fmt.time(r.verified_at, false)},
        {title: 'Project', class: 'mono', value: (r) =>
          fmt.shortId(r.project_id)},
      ], items),
      'No verification result yet.', 'the verifications');
  }).catch((error) => replace(body, widgets.errorBox(error,
    'the API description')));
}
