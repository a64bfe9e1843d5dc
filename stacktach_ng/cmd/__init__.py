"""The commands (console scripts) of stacktach-ng.

Every command is a module of this package, so this runs first in each of
them, before their own imports load oslo.service or oslo.messaging: it
selects oslo.service's threading backend (stacktach-ng never uses
eventlet).
"""

from stacktach_ng.common import service_backend

service_backend.use_threads()
