# Importing stacktach_ng selects oslo.service's threading backend before any
# test module imports oslo.messaging (see stacktach_ng/__init__.py).
import stacktach_ng  # noqa: F401
