"""oslo.service on threads: selected by each entry point, never on import.

oslo.service picks its backend once per process, when something first asks
for it (importing ``oslo_service.service`` does; oslo.messaging does).
stacktach-ng never uses eventlet, so every entry point (the commands of
``stacktach_ng.cmd``, the WSGI application of ``stacktach_ng.wsgi``, a
store process, the tests, the sample configuration generator) calls
``use_threads()`` before it imports either. Importing ``stacktach_ng``
itself selects nothing, so that the client and the library modules can be
imported without the server's dependencies.

A default hook rather than ``init_backend()``: the backend (and futurist,
and eventlet with it) is only imported by the processes that use
oslo.service, not by the store processes or the CLI.
"""

import warnings

from oslo_service import backend


def use_threads():
    """Make threading oslo.service's backend of this process; idempotent."""
    # futurist imports eventlet when it happens to be installed (oslo.service
    # still depends on it) and eventlet then warns at import time;
    # stacktach-ng never runs it, so that warning is noise for operators.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    backend.register_backend_default_hook(
        lambda: backend.BackendType.THREADING)
