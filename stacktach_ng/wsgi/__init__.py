"""WSGI entry points for application servers (uwsgi, gunicorn).

Every entry point is a module of this package, so this runs first: it
selects oslo.service's threading backend before the application's imports
load oslo.messaging (stacktach-ng never uses eventlet).
"""

from stacktach_ng.common import service_backend

service_backend.use_threads()
