"""Which failed batches may succeed later: requeue and back off, or not.

Shared by the listener service, which decides what to do with a failed
batch, and the store processes, which decide it on the original error
before they send it back as a ``StoreError``.
"""

import sqlalchemy.exc as sa_exc

from stacktach_ng.db import api as db_api

# Besides oslo.db's connection errors and deadlocks (a MySQL lock wait
# timeout arrives as DBDeadlock): errors that oslo.db passes through
# unwrapped but that go away by themselves, e.g. SQLite's "database is
# locked", a PostgreSQL lock or statement timeout (OperationalError), an
# exhausted connection pool (TimeoutError).
_ALSO_TRANSIENT = (sa_exc.OperationalError, sa_exc.TimeoutError,
                   sa_exc.DisconnectionError)


class StoreError(Exception):
    """A batch failed in a store process.

    ``type_name`` is the class of the original error, ``transient``
    whether the batch may succeed later, ``remote_traceback`` the child's
    traceback, for the log.
    """

    def __init__(self, text, type_name='StoreError', transient=False,
                 remote_traceback=None):
        super().__init__(text)
        self.type_name = type_name
        self.transient = transient
        self.remote_traceback = remote_traceback


def is_transient(error):
    """Whether a batch that failed with ``error`` may succeed later."""
    if isinstance(error, StoreError):
        # Decided in the store process, on the original error.
        return error.transient
    if isinstance(error, db_api.TRANSIENT_ERRORS):
        return True
    if isinstance(error, _ALSO_TRANSIENT):
        return True
    inner = getattr(error, 'inner_exception', None)
    return inner is not None and isinstance(inner, _ALSO_TRANSIENT)
