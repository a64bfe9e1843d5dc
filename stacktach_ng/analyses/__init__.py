"""The analyses: what traces, lifecycles, timings, errors and the summary
are made of, shared by the handlers that write them and the queries that
read them.

Derived data is a pure function of the SET of stored notifications: batches
commit concurrently and out of order, and the same event may arrive twice
(a redelivery has the same message id and is dropped by the
``notifications`` handler; nova's ``both`` format sends a legacy and a
versioned twin with different message ids). So every derived row is either

* a fact of one notification (inserted once), or
* an aggregate merged with ``INSERT ... ON CONFLICT DO UPDATE`` (MySQL
  ``ON DUPLICATE KEY UPDATE``) whose update expressions are commutative:
  MIN, MAX, "the value carried by the greatest (time, message id)", sums
  (``merge``; the statements are ``stacktach_ng.db.upsert``).

Times in derived tables are integers: microseconds since the Unix epoch
(UTC), columns named ``*_us`` (``times``). Durations are then a portable
subtraction and the merge expressions compare integers.

Modules: ``times`` (the time encoding), ``operations`` (event types as
operations, phases and families), ``states`` (task states and statuses),
``merge`` (commutative merge rules), ``task_summary`` (the task-state
timeline summary of a resource), and one module per derived table family
building its rows: ``lifecycles``, ``timings``, ``traces``, ``failures``,
``counts``.
"""
