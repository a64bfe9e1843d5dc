"""``stacktach-ng-manage definitions check``: try resource definitions
offline.

The file is loaded as the service would load it (over the defaults); an
invalid one is reported with its file and line. Each notification given
(``--notifications``, files in any form ``import`` reads) or stored (the
``--stored`` most recent ones) is then normalized with it, and what it
would produce is printed, one JSON object a line.
"""

import sys

import sqlalchemy as sa

from stacktach_ng import exception
from stacktach_ng.common import jsonutils
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.db import models
from stacktach_ng.pipeline import definitions
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import rejection
from stacktach_ng.replay import importer

_SHOWN = ('event_type', 'service', 'host', 'resource_type', 'resource_id',
          'vm_state', 'task_state', 'power_state', 'project_id', 'user_id',
          'request_id')


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'definitions',
        help='Resource definitions: check a file offline.')
    commands = parser.add_subparsers(dest='definitions_command')
    check = commands.add_parser(
        'check',
        help='Load a resource definitions file (over the defaults) and '
             'print what each given or stored notification would produce.')
    check.add_argument('file', metavar='FILE',
                       help='The resource definitions YAML file.')
    check.add_argument(
        '--notifications', action='append', default=[], metavar='PATH',
        help='A file of notifications, in any form import reads '
             '(repeatable; "-" is the standard input).')
    check.add_argument(
        '--stored', type=int, default=0, metavar='N',
        help='Also try the N most recently generated stored notifications.')
    check.set_defaults(func=check_definitions)


def describe(record, rules):
    """What a notification produces with ``rules``, as a dict."""
    row = record.row
    definition = rules.match(row['event_type'], record.payload,
                             record.versioned_data()[0])[0]
    found = {name: row[name] for name in _SHOWN}
    found['message_id'] = row['message_id']
    found['definition'] = definition.name if definition else None
    found['deleted'] = row['vm_state'] in ('deleted', 'DELETED',
                                           'DELETE_COMPLETE')
    if record.resource_ids:
        found['resource_ids'] = list(record.resource_ids)
    if record.failure is not None:
        found['failure'] = record.failure
    return found


def _stored(conf, count):
    table = models.Notification.__table__
    database = db_api.Database(conf)
    try:
        with database.reader() as connection:
            rows = connection.execute(
                sa.select(table).order_by(table.c.generated_at.desc(),
                                          table.c.id.desc()).limit(count))
            for row in rows:
                yield {'priority': row.priority.lower(),
                       'ctxt': jsonutils.loads(row.context or '{}'),
                       'publisher_id': row.publisher_id,
                       'event_type': row.event_type,
                       'payload': jsonutils.loads(row.payload or '{}'),
                       'metadata': {
                           'message_id': row.message_id,
                           'timestamp': row.generated_at.isoformat()}}
    finally:
        database.dispose()


def _given(paths):
    for path in paths:
        stream = importer.open_source(path)
        try:
            yield from importer.envelopes_of(stream)
        finally:
            if path != '-':
                stream.close()


def check_definitions(conf, args):
    if getattr(args, 'definitions_command', None) != 'check':
        sys.stderr.write('definitions: say "check FILE"\n')
        return 2
    try:
        rules = definitions.load(args.file)
    except exception.InvalidDefinitions as error:
        sys.stderr.write('definitions check: %s\n' % error)
        return 1
    print('%s: %d definitions (with the defaults), valid.'
          % (args.file, len(rules.definitions)))
    received_at = timestamps.utcnow()
    envelopes = []
    try:
        envelopes.extend(_given(args.notifications))
    except (OSError, importer.SourceError) as error:
        sys.stderr.write('definitions check: %s\n' % error)
        return 2
    if args.stored > 0:
        envelopes.extend(_stored(conf, args.stored))
    for envelope in envelopes:
        try:
            if isinstance(envelope, rejection.Rejected):
                raise envelope
            record = normalize.normalize(envelope, received_at, None, rules)
        except rejection.Rejected as error:
            print(jsonutils.dumps({'rejected': error.reason}))
            continue
        print(jsonutils.dumps(describe(record, rules)))
    return 0
