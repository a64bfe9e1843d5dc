from oslo_config import cfg

from stacktach_ng.conf import groups

analysis_group = cfg.OptGroup(
    'analysis',
    title='Analysis options',
    help="""
How the analysis handlers (``lifecycle``, ``timings``, ``open_work``,
``rollups``, ``traces``, ``errors``, ``summary``) derive their data, and the
defaults of the questions the API asks of it.
""")

ALL_OPTS = [
    cfg.IntOpt(
        'stuck_threshold',
        default=600,
        min=1,
        help="""
Seconds after which a resource is reported as stuck: it has an operation
that started and did not end, and its task state has not changed for that
long. The API's ``older_than`` parameter overrides it per query.

Related options:

* ``[listener] handlers`` must include ``lifecycle`` and ``timings``;
  with ``open_work`` after them (the default), the list reads one page of
  what is open instead of every candidate.
"""),
    cfg.IntOpt(
        'summary_bucket',
        default=300,
        min=1,
        help="""
Width, in seconds, of the time buckets in which the ``summary`` handler
counts notifications and errors. Summaries can be asked for in buckets of
this width or any multiple of it. Smaller buckets mean finer charts and
more rows.

Changing it applies to new notifications; run ``stacktach-ng-manage
rebuild --handler summary`` to recount the stored ones.
"""),
    cfg.IntOpt(
        'rollup_interval',
        default=60,
        min=0,
        help="""
Seconds between two passes of the listener's roller, which recomputes the
roll-up cells (per hour and per day) of the hours whose operations changed.
Until an hour is rolled up, the timing summary reads that hour's operations,
so a longer interval costs the queries time, never accuracy. 0 turns the
roller off in the listener; ``stacktach-ng-manage rollup`` then has to run
it (from cron, say).

Related options:

* ``[listener] handlers`` must include ``rollups``, which marks the hours.
* ``rollup_settle``.
"""),
    cfg.IntOpt(
        'rollup_settle',
        default=120,
        min=0,
        help="""
Seconds an hour must go without a change before the roller recomputes its
cells. It must be longer than a batch's transaction on the busiest listener
(seconds), so that every batch that moved an operation between hours has
committed before the hour is read; the current hour of a busy cloud is
rolled up only when its traffic has moved on.
"""),
]


def register_opts(conf):
    groups.register_group_opts(conf, analysis_group, ALL_OPTS)


def list_opts():
    return {analysis_group: ALL_OPTS}
