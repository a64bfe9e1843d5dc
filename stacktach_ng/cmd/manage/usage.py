"""``stacktach-ng-manage usage report`` and ``stacktach-ng-manage verify``."""

import json
import sys

from stacktach_ng.common import jsonutils
from stacktach_ng.common import timestamps
from stacktach_ng.db import api as db_api
from stacktach_ng.usage import report
from stacktach_ng.usage import verify


def _moment(text, name):
    moment = timestamps.parse(text)
    if moment is None:
        raise ValueError('%s: cannot read %r as a date or a time (use e.g. '
                         '2026-01-31 or 2026-01-31T12:00:00)' % (name, text))
    return moment


def do_report(conf, args):
    try:
        start = _moment(args.start, '--start')
        end = _moment(args.end, '--end')
        if end <= start:
            raise ValueError('--end must be after --start')
    except ValueError as e:
        sys.stderr.write('stacktach-ng-manage: %s\n' % e)
        return 2
    database = db_api.Database(conf)
    try:
        with database.reader() as connection:
            data = report.compute(connection, start, end,
                                  project_id=args.project)
    finally:
        database.dispose()
    stream = (open(args.output, 'w', encoding='utf-8', newline='')
              if args.output else sys.stdout)
    try:
        if args.format == 'csv':
            report.write_csv(data, stream)
        else:
            stream.write(json.dumps(data, indent=2) + '\n')
    finally:
        if args.output:
            stream.close()
    return 0


def do_verify(conf, args):
    if args.settle_delay is not None:
        if args.settle_delay < 0:
            sys.stderr.write('stacktach-ng-manage: --settle-delay must not '
                             'be negative\n')
            return 2
        conf.set_override('settle_delay', args.settle_delay,
                          group='verifier')
    database = db_api.Database(conf)
    notifier = None
    if conf.verifier.emit_notifications:
        # Imported only when needed: it loads oslo.messaging, which every
        # other command of stacktach-ng-manage can start without.
        from stacktach_ng.usage import notifier as usage_notifier
        notifier = usage_notifier.ExistsNotifier(conf)
    try:
        result = verify.Verifier(conf, database, notifier).run_pass()
    finally:
        if notifier is not None:
            notifier.close()
        database.dispose()
    if args.json:
        print(jsonutils.dumps(result.as_dict()))
    else:
        reasons = ', '.join('%s %d' % item
                            for item in sorted(result.reasons.items()))
        print('verified %d, failed %d%s, reconciled %d; %d missing exists '
              'in %d audit periods checked'
              % (result.verified, result.failed,
                 ' (%s)' % reasons if reasons else '', result.reconciled,
                 result.missing, result.periods_checked))
    return 0


def add_parsers(subparsers):
    usage = subparsers.add_parser(
        'usage', help='Usage reports from the tracked launches, deletes '
                      'and sizes.')
    usage_commands = usage.add_subparsers(dest='usage_command',
                                          metavar='ACTION')
    usage_commands.required = True
    report_parser = usage_commands.add_parser(
        'report', help='Instance, vcpu, RAM, disk, image and volume hours '
                       'per project and flavor over a period.')
    report_parser.add_argument('--start', required=True,
                               help='Start of the period (UTC), included.')
    report_parser.add_argument('--end', required=True,
                               help='End of the period (UTC), excluded.')
    report_parser.add_argument('--project', default=None,
                               help='Only this project (default: all).')
    report_parser.add_argument('--format', choices=('json', 'csv'),
                               default='json',
                               help='Output format (default: json).')
    report_parser.add_argument('--output', default=None,
                               help='Write to this file instead of the '
                                    'standard output.')
    report_parser.set_defaults(func=do_report)

    verify_parser = subparsers.add_parser(
        'verify', help='Run one verification pass over the exists records '
                       '(what stacktach-ng-verifier does periodically).')
    verify_parser.add_argument(
        '--settle-delay', type=int, default=None, metavar='SECONDS',
        help='Verify exists received at least this long ago (default: '
             '[verifier] settle_delay).')
    verify_parser.add_argument('--json', action='store_true',
                               help='Print the counts as JSON.')
    verify_parser.set_defaults(func=do_verify)
