"""``stacktach-ng-manage import|export|purge`` (see ingest.importer)."""


def add_parsers(subparsers):
    """Filled in by the import/export work."""
