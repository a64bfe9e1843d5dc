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
  const exception = fault.exception || fault.exception_type ||
    body.exception_type || (typeof body.exception === 'string' ?
    body.exception : null);
  const message = fault.exception_message || fault.message ||
    body.message || body.exception_message || null;
  return {exception, message: message === null ? null : String(message)};
}
