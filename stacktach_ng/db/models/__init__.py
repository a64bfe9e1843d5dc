"""SQLAlchemy models, one module per area, all on one ``Base``.

* ``ingest``: notifications, rejected messages, listener heartbeats;
* ``analyses``: lifecycles, operations (timings), spans, errors, summary;
* ``usage``: launches, deletes, exists and their verification.

Importing this package imports every module, so ``Base.metadata`` is the
whole schema (the migrations are checked against it).
"""

from stacktach_ng.db.models import analyses  # noqa: F401
from stacktach_ng.db.models import usage  # noqa: F401
from stacktach_ng.db.models.base import Base  # noqa: F401
from stacktach_ng.db.models.ingest import ListenerHeartbeat  # noqa: F401
from stacktach_ng.db.models.ingest import Notification  # noqa: F401
from stacktach_ng.db.models.ingest import NotificationId  # noqa: F401
from stacktach_ng.db.models.ingest import RejectedMessage  # noqa: F401
