# oslo.service's threading backend is selected before any test module
# imports oslo.messaging, as every entry point of stacktach-ng does.
from stacktach_ng.common import service_backend

service_backend.use_threads()
