"""Usage tracking, usage reports and the verification of exists records.

* ``extract``: the usage facts of a notification (launch, delete, size,
  exists) from legacy and versioned payloads;
* ``store``: idempotent, order-independent writes of those facts;
* ``report``: instance, vcpu, RAM, disk, image and volume hours per
  project and flavor over a period;
* ``verify``: the verification pass (claims, checks, missing exists);
* ``notifier``: the ``*.exists.verified`` / ``*.exists.failed``
  notifications.
"""
