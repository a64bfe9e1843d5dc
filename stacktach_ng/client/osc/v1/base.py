"""What the ``openstack stacktach`` commands share: the options of lists
(paging, scope, time range, filters), time and duration parsing, and the
base classes that turn API items into cliff rows."""

import argparse
import datetime

from osc_lib import utils
from osc_lib.command import command

from stacktach_ng.client.osc.v1 import render
from stacktach_ng.common import durations

DEFAULT_LIMIT = 100


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _age(value):
    """A duration with a unit (``30m``), or None when ``value`` is not
    one."""
    try:
        return durations.parse(value, what='age')
    except ValueError:
        return None


def parse_time(value, now=None):
    """An argparse ``type``: ISO 8601 time, ``now``, or an age such as
    ``30m``, ``2h``, ``7d`` (that long ago), as the API's ISO 8601 UTC
    string."""
    text = value.strip()
    age = datetime.timedelta(0) if text.lower() == 'now' else _age(text)
    if age is not None:
        moment = (now or utcnow()) - age
        return moment.replace(microsecond=0).isoformat()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            '%r is neither an ISO 8601 time (2026-01-31T12:00:00), now, '
            'nor an age (30s, 15m, 2h, 7d, 1w)' % value) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(
            tzinfo=None)
    return moment.isoformat()


def parse_seconds(value):
    """An argparse ``type``: a duration in seconds, or with a unit
    (``90``, ``90s``, ``10m``, ``2h``, ``1d``), as whole seconds."""
    try:
        delta = durations.parse(value, bare_unit='s')
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return int(delta.total_seconds())


def positive_int(value):
    """An argparse ``type``: an integer >= 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            '%r is not a whole number >= 1' % value)
    return number


def non_negative_int(value):
    """An argparse ``type``: an integer >= 0."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(
            '%r is not a whole number >= 0' % value)
    return number


def non_negative_seconds(value):
    """An argparse ``type``: a number of seconds >= 0 (fractions
    allowed)."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number < float('inf'):
        raise argparse.ArgumentTypeError(
            '%r is not a number of seconds >= 0' % value)
    return number


def add_paging(parser, default_limit=DEFAULT_LIMIT):
    parser.add_argument(
        '--limit', metavar='<n>', type=positive_int, default=default_limit,
        help='Show at most <n> items (default %d); pages of the API are '
             'followed as needed' % default_limit)
    parser.add_argument(
        '--marker', metavar='<key>',
        help='Start after the item with this key (the last key of the '
             'previous listing)')


def add_long(parser):
    parser.add_argument(
        '--long', action='store_true', default=False,
        help='List more columns')


def add_scope(parser):
    parser.add_argument(
        '--all-projects', action='store_true', default=False,
        help='Include every project (admin only)')
    parser.add_argument(
        '--project', metavar='<project-id>', dest='project_id',
        help='Only this project (another project than yours is admin '
             'only)')


def scope_filters(parsed_args):
    return {'all_projects': True if parsed_args.all_projects else None,
            'project_id': parsed_args.project_id}


def add_time_range(parser, what='generated'):
    parser.add_argument(
        '--since', metavar='<time>', type=parse_time,
        help='Only what was %s at or after <time>: ISO 8601 UTC '
             '(2026-01-31T12:00:00) or an age (30m, 2h, 7d)' % what)
    parser.add_argument(
        '--until', metavar='<time>', type=parse_time,
        help='Only what was %s before <time> (same forms as --since)'
             % what)


def time_filters(parsed_args):
    return {'since': parsed_args.since, 'until': parsed_args.until}


def add_filters(parser, filters):
    """Add ``--<name>`` options for ``(api_parameter, help)`` pairs."""
    for name, help_text in filters:
        parser.add_argument('--%s' % name.replace('_', '-'),
                            metavar='<%s>' % name.replace('_', '-'),
                            dest=name, help=help_text)


def named_filters(parsed_args, filters):
    return {name: getattr(parsed_args, name) for name, _ in filters}


def rows(items, columns, formatters=None):
    """cliff rows of the API items (dicts) for these columns; nested
    values are shown as JSON, durations and times as they come."""
    formatters = dict(formatters or {})
    for item in items:
        for name in columns:
            if name not in formatters and isinstance(item.get(name),
                                                     (dict, list)):
                formatters[name] = render.JsonColumn
        yield utils.get_dict_properties(item, columns,
                                        formatters=formatters)


class ClientMixin:
    @property
    def client(self):
        return self.app.client_manager.stacktach


def human_headers(column_names, rows_of_cells):
    """Column names for a table: a ``*_us`` field shown in human units
    (``472ms``, ``1m08s``) is headed by its plain name (``duration``),
    the JSON, YAML and CSV outputs keep the API's name and number."""
    shown = set()
    for cells in rows_of_cells:
        for index, cell in enumerate(cells):
            if isinstance(cell, render.MicrosecondsColumn):
                shown.add(index)
    return tuple(name[:-len('_us')]
                 if index in shown and name.endswith('_us') else name
                 for index, name in enumerate(column_names))


class HumanHeadersMixin:
    """Plain names over the human-unit columns of a table."""

    def produce_output(self, parsed_args, column_names, data):
        if getattr(parsed_args, 'formatter', None) == 'table':
            data = list(data)
            rows_of_cells = data if isinstance(self, command.Lister) else [
                data]
            column_names = human_headers(column_names, rows_of_cells)
            if not isinstance(self, command.Lister):
                data = tuple(data)
        return super().produce_output(parsed_args, column_names, data)


class ListCommand(HumanHeadersMixin, ClientMixin, command.Lister):
    """A paged list: ``columns`` by default, ``long_columns`` added with
    ``--long``; subclasses say how to fetch with ``fetch()``."""

    columns = ()
    long_columns = ()
    formatters = {}
    default_limit = DEFAULT_LIMIT
    paged = True

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        if self.paged:
            add_paging(parser, self.default_limit)
        if self.long_columns:
            add_long(parser)
        return parser

    def fetch(self, parsed_args, paging):
        """The items to list (an iterable of dicts)."""
        raise NotImplementedError

    def take_action(self, parsed_args):
        paging = {}
        if self.paged:
            paging = {'limit': parsed_args.limit,
                      'marker': parsed_args.marker}
        columns = tuple(self.columns)
        if self.long_columns and parsed_args.long:
            columns += tuple(self.long_columns)
        # Read everything before printing: cliff sizes the table columns
        # from the rows, and an API error must not leave half a table.
        items = list(self.fetch(parsed_args, paging))
        return columns, list(rows(items, columns, self.formatters))


class ShowCommand(HumanHeadersMixin, ClientMixin, command.ShowOne):
    """One item: every field the API returns, nested ones as JSON (or
    through the ``formatters`` of the subclass)."""

    formatters = {}
    #: Fields shown first, in this order; the others follow sorted...
    leading = ()
    #: ... except these, shown last in this order (the long ones).
    trailing = ()

    def fetch(self, parsed_args):
        raise NotImplementedError

    def take_action(self, parsed_args):
        item = self.fetch(parsed_args)
        return show_item(item, self.leading, self.formatters, self.trailing)


def show_item(item, leading=(), formatters=None, trailing=()):
    """ShowOne's ``(columns, data)`` for a dict."""
    columns = [name for name in leading if name in item]
    last = [name for name in trailing if name in item]
    columns += sorted(name for name in item
                      if name not in columns and name not in last)
    columns += last
    formatters = dict(formatters or {})
    for name in columns:
        if name not in formatters and isinstance(item[name], (dict, list)):
            formatters[name] = render.JsonColumn
    return tuple(columns), utils.get_dict_properties(
        item, columns, formatters=formatters)
