"""stacktach-ng: OpenStack notifications turned into answers."""

# oslo.service picks its backend once per process, before anything imports
# oslo_service.service (oslo.messaging does). stacktach-ng never uses
# eventlet, so every process that imports this package selects the
# threading backend first: the daemons, the WSGI application and the tests.
import warnings

# futurist imports eventlet when it happens to be installed (oslo.service
# still depends on it) and eventlet then warns at import time; stacktach-ng
# never runs it, so that warning is noise for operators.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_service import backend as _backend  # noqa: E402

_backend.init_backend(_backend.BackendType.THREADING)
