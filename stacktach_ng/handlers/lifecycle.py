"""The ``lifecycle`` handler: the latest state of every resource (see
``stacktach_ng.analyses.lifecycles``)."""

from stacktach_ng.analyses import lifecycles
from stacktach_ng.handlers import base


class LifecycleHandler(base.AnalysisHandler):
    """Upsert one ``resources`` row per resource seen in the batch."""

    tables = (lifecycles.RESOURCES,)
    purge_column = 'last_us'

    def process(self, connection, records):
        rows, summaries = lifecycles.resource_rows(records)
        lifecycles.write_resources(connection, rows, summaries)
        return records
