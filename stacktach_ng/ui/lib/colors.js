// Colours of services, outcomes and task states: fixed for the services
// an operator knows, stable (hashed) for the others, all readable on
// white with dark text or as bars.

const SERVICES = {
  compute: '#2563eb', 'nova-compute': '#2563eb',
  api: '#0891b2', 'nova-api': '#0891b2', 'nova-osapi_compute': '#0891b2',
  conductor: '#7c3aed', 'nova-conductor': '#7c3aed',
  compute_task: '#7c3aed',
  scheduler: '#a21caf', 'nova-scheduler': '#a21caf',
  network: '#0d9488', neutron: '#0d9488',
  volume: '#ea580c', cinder: '#ea580c',
  image: '#16a34a', glance: '#16a34a',
  identity: '#ca8a04', keystone: '#ca8a04',
  orchestration: '#db2777', heat: '#db2777',
  profiler: '#475569',
};

const PALETTE = ['#1d4ed8', '#b45309', '#047857', '#9333ea', '#be123c',
  '#0369a1', '#4d7c0f', '#c2410c', '#6d28d9', '#0f766e'];

function hash(text) {
  let value = 0;
  for (const char of String(text)) {
    value = (value * 31 + char.charCodeAt(0)) >>> 0;
  }
  return value;
}

export function service(name) {
  if (!name) return '#64748b';
  return SERVICES[name] || PALETTE[hash(name) % PALETTE.length];
}

export const OUTCOME = {
  success: '#16a34a', error: '#dc2626', open: '#d97706',
};

const TASK_STATES = {
  scheduling: '#a21caf', networking: '#0d9488',
  block_device_mapping: '#ea580c', spawning: '#2563eb',
  deleting: '#dc2626', rebooting: '#0891b2', reboot_started: '#0891b2',
  image_snapshot: '#16a34a', image_uploading: '#15803d',
  image_pending_upload: '#4ade80', powering_off: '#64748b',
  powering_on: '#0ea5e9', resize_prep: '#9333ea',
  resize_migrating: '#7c3aed', resize_migrated: '#6d28d9',
  resize_finish: '#4f46e5', rebuilding: '#b45309',
  rebuild_spawning: '#d97706',
};

export function taskState(name) {
  if (!name) return '#e2e8f0';
  return TASK_STATES[name] || PALETTE[hash(name) % PALETTE.length];
}
