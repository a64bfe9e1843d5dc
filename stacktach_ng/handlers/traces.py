"""The ``traces`` handler: requests and OSProfiler spans (see
``stacktach_ng.analyses.traces``)."""

import sqlalchemy as sa

from stacktach_ng.analyses import times
from stacktach_ng.analyses import traces
from stacktach_ng.handlers import base


class TracesHandler(base.AnalysisHandler):
    """Upsert the requests and profiler spans of the batch."""

    tables = (traces.REQUESTS, traces.SPANS)
    purge_column = 'first_us'

    def process(self, connection, records):
        requests, spans = traces.request_and_span_rows(records)
        traces.write_requests(connection, requests, spans)
        return records

    def purge(self, connection, before, batch_size):
        cutoff = times.to_us(before)
        deleted = 0
        for table, column in ((traces.REQUESTS, traces.REQUESTS.c.last_us),
                              (traces.SPANS, traces.SPANS.c.start_us)):
            key = list(table.primary_key.columns)[0]
            keys = connection.execute(
                sa.select(key).where(column < cutoff).order_by(key)
                .limit(batch_size - deleted)).scalars().all()
            if keys:
                connection.execute(table.delete().where(key.in_(keys)))
                deleted += len(keys)
            if deleted >= batch_size:
                break
        return deleted
