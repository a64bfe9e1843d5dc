"""The ``errors`` handler: failures, fingerprinted for grouping (see
``stacktach_ng.analyses.failures``)."""

from stacktach_ng.analyses import failures
from stacktach_ng.handlers import base


class ErrorsHandler(base.AnalysisHandler):
    """Record the failures of the batch."""

    tables = (failures.ERRORS,)
    purge_column = 'generated_us'

    def process(self, connection, records):
        failures.write_errors(connection, failures.error_rows(records))
        return records
