// The exception and message of a failure notification, from the legacy
// payload (message, exception, code) or the versioned one
// (nova_object.data.fault / exception / exception_message).

function data(object) {
  return object && object['nova_object.data'] ? object['nova_object.data'] :
    object;
}

export function describe(payload) {
  const body = data(payload) || {};
  let fault = body.fault ? data(body.fault) : body;
  if (!fault || typeof fault !== 'object') fault = {};
  // Legacy payloads carry the exception's kwargs (a dict) in
  // "exception", not its class: only a string names the class.
  const text = (value) => (typeof value === 'string' && value ? value : null);
  const exception = text(fault.exception) || text(fault.exception_type) ||
    text(body.exception_type) || text(body.exception);
  const message = fault.exception_message || fault.message ||
    body.message || body.exception_message || null;
  return {exception, message: message === null ? null : String(message)};
}
