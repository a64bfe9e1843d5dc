"""stacktach-ng: OpenStack notifications turned into answers."""

# oslo.service picks its backend once per process, before anything imports
# oslo_service.service (oslo.messaging does). stacktach-ng never uses
# eventlet, so every process that imports this package selects the
# threading backend first: the daemons, the WSGI application and the tests.
from oslo_service import backend as _backend

_backend.init_backend(_backend.BackendType.THREADING)
