"""``stacktach-ng-manage db upgrade|version``."""

from stacktach_ng.db import api as db_api
from stacktach_ng.db import migration


def do_upgrade(conf, args):
    database = db_api.Database(conf)
    before = migration.current_revision(database)
    migration.upgrade(database, args.revision)
    after = migration.current_revision(database)
    if before == after:
        print('Database already at revision %s.' % after)
    else:
        print('Database upgraded from %s to %s.' % (before or 'empty', after))
    return 0


def do_version(conf, args):
    database = db_api.Database(conf)
    current = migration.current_revision(database)
    head = migration.head_revision()
    print(current or 'empty')
    if current != head:
        print('The latest revision is %s: run "stacktach-ng-manage db '
              'upgrade".' % head)
    return 0


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        'db', help='Database schema: upgrade it or show its revision.')
    db_commands = parser.add_subparsers(dest='db_command', metavar='ACTION')
    db_commands.required = True

    upgrade = db_commands.add_parser(
        'upgrade', help='Create or upgrade the schema (to the latest '
                        'revision unless told otherwise).')
    upgrade.add_argument('revision', nargs='?', default='head',
                         help='Target revision (default: head).')
    upgrade.set_defaults(func=do_upgrade)

    version = db_commands.add_parser(
        'version', help='Print the schema revision of the database.')
    version.set_defaults(func=do_version)
