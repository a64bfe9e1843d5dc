"""stacktach-ng: OpenStack notifications turned into answers."""

# oslo.service picks its backend once per process, when something first
# asks for it (importing oslo_service.service does; oslo.messaging does).
# stacktach-ng never uses eventlet, so every process that imports this
# package makes threading the default first: the daemons, the WSGI
# application and the tests. A default hook rather than init_backend():
# the backend (and futurist, and eventlet with it) is only imported by the
# processes that use oslo.service, not by the store processes or the CLI.
import warnings

# futurist imports eventlet when it happens to be installed (oslo.service
# still depends on it) and eventlet then warns at import time; stacktach-ng
# never runs it, so that warning is noise for operators.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_service import backend as _backend  # noqa: E402

_backend.register_backend_default_hook(
    lambda: _backend.BackendType.THREADING)
