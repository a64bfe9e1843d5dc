from oslo_config import cfg

from stacktach_ng.conf import groups

analysis_group = cfg.OptGroup(
    'analysis',
    title='Analysis options',
    help="""
How the analysis handlers (``lifecycle``, ``timings``, ``rollups``,
``traces``, ``errors``, ``summary``) derive their data, and the defaults of the
questions the API asks of it.
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

* ``[listener] handlers`` must include ``lifecycle`` and ``timings``.
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
]


def register_opts(conf):
    groups.register_group_opts(conf, analysis_group, ALL_OPTS)


def list_opts():
    return {analysis_group: ALL_OPTS}
