"""Resource definitions: which resource a notification is about, as data.

The rules live in YAML (``resource_definitions.yaml`` in this package, the
defaults; an operator's file named by ``[DEFAULT] resource_definitions``
overrides a default of the same name or adds new ones, ahead of the
defaults). A definition matches event types (shell patterns, first match
wins) and says:

* ``resource_type``: a name, or ``{event_type_part: N}`` (the N-th dotted
  part of the event type), or ``{paths: [...], last_segment: true}``;
* ``ids``: JSONPath expressions tried in order; the first that finds
  anything gives the ids (several for a bulk event such as neutron's
  ``{"ports": [...]}``); an item that is itself a list of paths joins what
  they find with ``/``; ``{type}`` in a path is the resource type; an
  item ``{request_path: ..., type_uri: ...}`` takes the id out of a
  request path (the audit middleware's ``requestPath``, see
  ``RequestPathId``);
* ``project``, ``user``, ``request_id``: paths tried before the defaults
  (``owner_defaults: false``: instead of them);
* ``states``: paths of nova's columns (``vm_state``, ``task_state``...);
* ``state``: the paths of a resource's own state, its ``terminal`` and
  ``deleted`` values (shell patterns) and ``deleted_on`` event types: a
  state that is not terminal is also the resource's task state, so that a
  resource left in it is found stuck;
* ``service``: ``aliases`` of publisher prefixes, the ``publishers`` that
  are this service's (any other prefix is part of a host name), and the
  ``fallback`` (paths, then a name) when the publisher does not say
  (``ignore``: values of those paths that name no service;
  ``fallback_prefixes``: ``{path, names}``, tried first, a service named
  by what the path's value starts with, such as a CADF typeURI);
* ``operation``: the event type suffixes of a ``start``, an ``end`` and an
  ``error``;
* ``failure``: paths and values that make an info notification a failure
  (CADF ``outcome: failure``), and the paths of its reason.

Paths are compiled once at load, with jsonpath-ng (its extended syntax,
filters included); a path that only names
keys and indices is then read with plain lookups (the ingest hot path),
anything else with the library. They are read from the versioned object's
data (``<ns>_object.data``) when the payload is versioned, else from the
payload.
"""

import fnmatch
import os
import re

import yaml
from jsonpath_ng import ext as jsonpath_ext
from jsonpath_ng import jsonpath as jp

from stacktach_ng import exception

DEFAULT_FILE = os.path.join(os.path.dirname(__file__),
                            'resource_definitions.yaml')

STATE_COLUMNS = ('vm_state', 'old_vm_state', 'task_state', 'old_task_state',
                 'power_state')
PHASES = ('start', 'end', 'error')

_DEFINITION_KEYS = frozenset((
    'name', 'event_types', 'payload_has', 'resource_type', 'ids',
    'id_last_segment', 'require_id', 'project', 'user', 'owner_defaults',
    'request_id', 'states', 'state', 'service', 'operation', 'failure'))
_TOP_KEYS = frozenset(('publishers', 'defaults', 'operations',
                       'definitions'))

_EMPTY = (None, '')
_MAX_CACHED = 10000


def _problem(source, node, text):
    line = node.start_mark.line + 1 if node is not None else 0
    return exception.InvalidDefinitions(source=source, line=line,
                                        problem=text)


class _Located:
    """A loaded YAML mapping with the line of each of its keys."""

    def __init__(self, source, node, value):
        self.source = source
        self.node = node
        self.value = value

    def error(self, text, key=None):
        node = self.node
        if key is not None and isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    node = value_node
                    break
        return _problem(self.source, node, text)


def _load_yaml(source, text):
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        line = mark.line + 1 if mark is not None else 0
        raise exception.InvalidDefinitions(
            source=source, line=line,
            problem='not valid YAML: %s' % getattr(e, 'problem', e)) from None
    return node, data


def _child(parent_node, key):
    if isinstance(parent_node, yaml.MappingNode):
        for key_node, value_node in parent_node.value:
            if key_node.value == key:
                return value_node
    return parent_node


_ALL = object()  # the step of a [*]

# What ``{type}`` becomes while a path is parsed; the resource type
# replaces it in the compiled steps (never in the text: an event type may
# hold any character).
_TYPE_MARK = 'TYPE__MARK'


class Path:
    """A compiled JSONPath expression."""

    __slots__ = ('text', 'expression', 'steps', 'key')

    def __init__(self, text, expression, steps):
        self.text = text
        self.expression = expression
        self.steps = steps
        # The one key of a path like $.instance_id: most paths are.
        self.key = (steps[0] if steps is not None and len(steps) == 1
                    and type(steps[0]) is str else None)

    def first(self, data):
        """The first scalar the path finds in ``data``, or None."""
        key = self.key
        if key is not None:
            if type(data) is not dict:
                return None
            value = data.get(key)
            if value is None or value == '' or type(value) in (dict, list):
                return None
            return value
        values = self.values(data)
        return values[0] if values else None

    def values(self, data):
        """The scalars the path finds in ``data`` (dicts, lists and empty
        values are no value)."""
        steps = self.steps
        if steps is None:
            return tuple(match.value
                         for match in self.expression.find(data)
                         if not _not_scalar(match.value))
        value = data
        for index, step in enumerate(steps):
            kind = type(value)
            if step is _ALL:
                if kind is not list:
                    return ()
                rest = steps[index + 1:]
                found = []
                for item in value:
                    found.extend(_walk(item, rest))
                return tuple(found)
            if kind is dict:
                if type(step) is not str:
                    return ()
                value = value.get(step)
            elif kind is list and type(step) is int:
                try:
                    value = value[step]
                except IndexError:
                    return ()
            else:
                return ()
            if value is None:
                return ()
        return () if _not_scalar(value) else (value,)

    def for_type(self, rtype):
        """This path with ``{type}`` replaced by a resource type."""
        steps = tuple(step.replace(_TYPE_MARK, rtype)
                      if type(step) is str else step
                      for step in self.steps)
        return Path(self.text, None, steps)

    def __repr__(self):
        return '<Path %s>' % self.text


def _walk(value, steps):
    return Path(None, None, steps).values(value)


def _not_scalar(value):
    return value in _EMPTY or type(value) in (dict, list)


def _simple_steps(expression):
    """The keys, indices and [*] of a path that only has them, else
    None."""
    steps = []
    while isinstance(expression, jp.Child):
        right = expression.right
        if isinstance(right, jp.Fields) and len(right.fields) == 1:
            steps.append(right.fields[0])
        elif isinstance(right, jp.Index) and len(right.indices) == 1:
            steps.append(right.indices[0])
        elif isinstance(right, getattr(jp, 'Wildcard', ())) or (
                isinstance(right, jp.Slice) and right.start is None
                and right.end is None and right.step is None):
            steps.append(_ALL)
        else:
            return None
        expression = expression.left
    if isinstance(expression, jp.Fields) and len(expression.fields) == 1:
        steps.append(expression.fields[0])
    elif not isinstance(expression, jp.Root):
        return None
    return tuple(reversed(steps))


_path_cache = {}


def compile_path(text, where=None):
    """The ``Path`` of a JSONPath text; ``where`` (a ``_Located``) names
    the file and line of an error."""
    found = _path_cache.get(text)
    if found is not None:
        return found
    if not isinstance(text, str) or not text:
        raise (where.error('a path must be a non-empty string, not %r'
                           % (text,)) if where else ValueError(text))
    templated = '{type}' in text
    try:
        expression = jsonpath_ext.parse(text.replace('{type}', _TYPE_MARK))
    except Exception as e:  # the parser raises several kinds
        if where is None:
            raise
        raise where.error('invalid JSONPath %r: %s' % (text, e)) from None
    steps = _simple_steps(expression)
    if templated and steps is None:
        error = ('{type} is only allowed in a path of keys, indices and '
                 '[*]: %r' % text)
        raise where.error(error) if where else ValueError(error)
    path = Path(text, expression, steps)
    _path_cache[text] = path
    return path


class RequestPathId:
    """An id taken out of a request path, as ``ids`` item
    ``{request_path: PATH, type_uri: PATH}``.

    The audit middleware names what a request is about by its type only
    (``target.typeURI``): it walks the request path and writes each
    keyword of its audit map, and the singular it maps a keyword to for
    the segment that follows the keyword (an id). So when the type ends
    ``.../servers/server``, the id is the segment of the request path
    that follows ``servers``; when it ends ``.../servers`` or
    ``.../servers/action``, the request names no one resource. A keyword
    the map gives no singular (barbican's ``secrets=``) leaves the type
    ending in "/" after the segment that follows it:
    ``.../keymanager/secrets/`` for ``/v1/secrets/<id>``, whose id is the
    segment after ``secrets``.
    """

    __slots__ = ('text', 'request_path', 'type_uri')

    _KEYS = frozenset(('request_path', 'type_uri'))

    def __init__(self, text, request_path, type_uri):
        self.text = text
        self.request_path = request_path
        self.type_uri = type_uri

    @classmethod
    def compile(cls, item, where):
        if set(item) != cls._KEYS:
            raise where.error('an id item that is a mapping has the keys '
                              'request_path and type_uri, not %s'
                              % ', '.join(sorted(map(str, item))))
        return cls('request_path: %s, type_uri: %s'
                   % (item['request_path'], item['type_uri']),
                   compile_path(item['request_path'], where),
                   compile_path(item['type_uri'], where))

    def values(self, data):
        path = self.request_path.first(data)
        type_uri = self.type_uri.first(data)
        if not isinstance(path, str) or not isinstance(type_uri, str):
            return ()
        kinds = type_uri.strip('/').split('/')
        if type_uri.endswith('/'):
            # The keyword's empty singular: the last kind is the
            # collection, and the segment after it an id.
            kinds.append('')
        if len(kinds) < 2:
            return ()
        collection, kind = kinds[-2], kinds[-1]
        # The query string is no part of the path.
        segments = [s for s in path.split('?', 1)[0].split('/') if s]
        for index in range(len(segments) - 2, -1, -1):
            if segments[index] == collection:
                found = segments[index + 1]
                return () if found == kind else (found,)
        return ()

    def __repr__(self):
        return '<RequestPathId %s>' % self.text


class _Patterns:
    """Shell patterns, with the exact names looked up first."""

    __slots__ = ('exact', 'regex')

    def __init__(self, patterns):
        self.exact = frozenset(p for p in patterns
                               if not any(c in p for c in '*?['))
        globs = [p for p in patterns if p not in self.exact]
        self.regex = (re.compile('|'.join(fnmatch.translate(p)
                                          for p in globs))
                      if globs else None)

    def __contains__(self, value):
        if value in self.exact:
            return True
        return self.regex is not None and bool(self.regex.match(value))

    def __bool__(self):
        return bool(self.exact) or self.regex is not None


class Definition:
    """One compiled definition (see the module doc)."""

    def __init__(self, raw, located):
        self.source = located.source
        self.line = located.node.start_mark.line + 1
        unknown = set(raw) - _DEFINITION_KEYS
        if unknown:
            raise located.error('unknown keys %s' % ', '.join(
                sorted(map(str, unknown))), sorted(map(str, unknown))[0])
        self.name = raw.get('name')
        if not isinstance(self.name, str) or not self.name:
            raise located.error('a definition needs a name')
        patterns = raw.get('event_types')
        if isinstance(patterns, str):
            patterns = [patterns]
        if (not isinstance(patterns, list) or not patterns
                or not all(isinstance(p, str) and p for p in patterns)):
            raise located.error('%s: event_types must be a list of event '
                                'type patterns' % self.name, 'event_types')
        self.patterns = _Patterns(patterns)
        payload_has = raw.get('payload_has') or ()
        if isinstance(payload_has, str):
            payload_has = (payload_has,)
        self.payload_has = tuple(payload_has)

        self.type_name = None
        self.type_part = None
        self.type_paths = ()
        self.type_last_segment = False
        self.type_names = {}
        rtype = raw.get('resource_type')
        if isinstance(rtype, str):
            self.type_name = rtype
        elif isinstance(rtype, dict):
            sub = _Located(located.source,
                           _child(located.node, 'resource_type'), rtype)
            if 'event_type_part' in rtype:
                part = rtype['event_type_part']
                if not isinstance(part, int) or isinstance(part, bool):
                    raise sub.error('event_type_part must be an integer')
                self.type_part = part
            self.type_paths = self._paths(rtype.get('paths'), sub, 'paths')
            self.type_last_segment = bool(rtype.get('last_segment'))
            names = rtype.get('names') or {}
            if not isinstance(names, dict):
                raise sub.error('names maps what is found to a resource '
                                'type', 'names')
            self.type_names = {str(k): str(v) for k, v in names.items()}
        elif rtype is not None:
            raise located.error('%s: resource_type must be a name or a '
                                'mapping' % self.name, 'resource_type')

        self._located = located
        self._raw_ids = self._list(raw, 'ids', located)
        self._id_paths = {}
        # Compile now what can be: errors belong to load time.
        self._compile_items(self._raw_ids, 'x', _Located(
            located.source, _child(located.node, 'ids'), None))
        self.id_last_segment = bool(raw.get('id_last_segment'))
        self.require_id = bool(raw.get('require_id'))
        # None: the defaults; a list (even empty): these only.
        self._raw_project = (self._list(raw, 'project', located)
                             if 'project' in raw else None)
        self._raw_user = (self._list(raw, 'user', located)
                          if 'user' in raw else None)
        # False: what the definition's own project/user paths do not find
        # is the context's, not what the defaults find in the payload
        # (heat's payload user_id is a name, user_identity the id).
        self.owner_defaults = raw.get('owner_defaults', True)
        if not isinstance(self.owner_defaults, bool):
            raise located.error('%s: owner_defaults is true or false'
                                % self.name, 'owner_defaults')
        for key in ('project', 'user'):
            if raw.get(key):
                self._compile_items(self._list(raw, key, located), 'x',
                                    _Located(located.source,
                                             _child(located.node, key),
                                             None))
        self.request_id = self._paths(raw.get('request_id'), located,
                                      'request_id')
        self._compiled = {}

        states = raw.get('states') or {}
        if not isinstance(states, dict) or set(states) - set(STATE_COLUMNS):
            raise located.error('%s: states maps %s to paths'
                                % (self.name, ', '.join(STATE_COLUMNS)),
                                'states')
        sub = _Located(located.source, _child(located.node, 'states'),
                       states)
        self.states = tuple((column, self._paths(states[column], sub,
                                                 column))
                            for column in STATE_COLUMNS if column in states)

        self._raw_state = []
        self.terminal = _Patterns(())
        self.deleted = _Patterns(())
        self.deleted_on = _Patterns(())
        state = raw.get('state')
        if state is not None:
            sub = _Located(located.source, _child(located.node, 'state'),
                           state)
            if not isinstance(state, dict):
                raise located.error('%s: state must be a mapping'
                                    % self.name, 'state')
            unknown = set(state) - {'paths', 'terminal', 'deleted',
                                    'deleted_on'}
            if unknown:
                raise sub.error('unknown keys in state: %s'
                                % ', '.join(sorted(unknown)))
            self._raw_state = self._list(state, 'paths', sub)
            self._compile_items(self._raw_state, 'x', _Located(
                sub.source, _child(sub.node, 'paths'), None))
            self.terminal = _Patterns(self._names(state, 'terminal', sub))
            self.deleted = _Patterns(self._names(state, 'deleted', sub))
            self.deleted_on = _Patterns(self._names(state, 'deleted_on',
                                                    sub))

        service = raw.get('service') or {}
        if not isinstance(service, dict):
            raise located.error('%s: service must be a mapping'
                                % self.name, 'service')
        sub = _Located(located.source, _child(located.node, 'service'),
                       service)
        unknown = set(service) - {'aliases', 'publishers', 'fallback',
                                  'fallback_paths', 'ignore',
                                  'fallback_prefixes'}
        if unknown:
            raise sub.error('unknown keys in service: %s'
                            % ', '.join(sorted(unknown)))
        self.aliases = dict(service.get('aliases') or {})
        self.publishers = (
            frozenset(self._names(service, 'publishers', sub))
            | frozenset(self.aliases)
            if 'publishers' in service else None)
        self.fallback = service.get('fallback')
        self.fallback_paths = self._paths(service.get('fallback_paths'),
                                          sub, 'fallback_paths')
        # What a fallback path may find that is no service's name (the
        # audit middleware names a target it cannot find 'unknown').
        self.fallback_ignore = frozenset(self._names(service, 'ignore',
                                                     sub))
        self.prefix_path, self.prefix_names = self._prefixes(
            service.get('fallback_prefixes'), sub)

        operation = raw.get('operation') or {}
        sub = _Located(located.source, _child(located.node, 'operation'),
                       operation)
        if not isinstance(operation, dict) or set(operation) - set(PHASES):
            raise located.error('%s: operation maps start, end and error '
                                'to event type suffixes' % self.name,
                                'operation')
        self.suffixes = {}
        for phase in PHASES:
            for suffix in self._names(operation, phase, sub) or (phase,):
                self.suffixes[suffix] = phase

        failure = raw.get('failure')
        self.failure_paths = ()
        self.failure_values = _Patterns(())
        self.reason_paths = ()
        if failure is not None:
            sub = _Located(located.source, _child(located.node, 'failure'),
                           failure)
            if not isinstance(failure, dict):
                raise located.error('%s: failure must be a mapping'
                                    % self.name, 'failure')
            self.failure_paths = self._paths(failure.get('paths'), sub,
                                             'paths')
            self.failure_values = _Patterns(
                [str(v) for v in self._names(failure, 'values', sub)])
            self.reason_paths = self._paths(failure.get('reason'), sub,
                                            'reason')
            if not self.failure_paths or not self.failure_values:
                raise sub.error('failure needs paths and values')
        # The fields without {type}, compiled once for every type.
        self._static = {}
        for field in ('ids', 'project', 'user', 'state'):
            raw = getattr(self, '_raw_' + field, None)
            if raw is not None and '{type}' not in repr(raw):
                self._static[field] = self._compile_items(
                    raw, None, _Located(self.source, None, None))
        del self._located

    # -- loading helpers -------------------------------------------------

    def _list(self, raw, key, located):
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise located.error('%s: %s must be a list of paths'
                                % (self.name, key), key)
        return value

    def _paths(self, value, located, key=None):
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise located.error('%s must be a list of paths' % key, key)
        where = _Located(located.source, _child(located.node, key), value)
        return tuple(compile_path(text, where) for text in value)

    def _prefixes(self, value, located):
        """``(path, ((prefix, name), ...))``, longest prefix first."""
        if value is None:
            return None, ()
        key = 'fallback_prefixes'
        names = value.get('names') if isinstance(value, dict) else None
        if (not isinstance(value, dict) or set(value) != {'path', 'names'}
                or not isinstance(names, dict) or not names):
            raise located.error('%s maps path to a JSONPath and names to '
                                '{prefix: service}' % key, key)
        where = _Located(located.source, _child(located.node, key), value)
        path = compile_path(value['path'], where)
        ordered = sorted(((str(p), str(n)) for p, n in names.items()),
                         key=lambda item: -len(item[0]))
        return path, tuple(ordered)

    def _names(self, mapping, key, located):
        value = mapping.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise located.error('%s must be a list' % key, key)
        return [str(v) for v in value]

    def _compile_items(self, items, rtype, where):
        out = []
        for item in items:
            if isinstance(item, dict):
                out.append(RequestPathId.compile(item, where))
            elif isinstance(item, list):
                out.append(tuple(self._typed(compile_path(t, where), rtype)
                                 for t in item))
            else:
                out.append(self._typed(compile_path(item, where), rtype))
        return tuple(out)

    @staticmethod
    def _typed(path, rtype):
        if '{type}' in path.text:
            return path.for_type(rtype or '')
        return path

    def _for(self, field, rtype):
        """The compiled paths of a field (``ids``, ``project``, ``user``,
        ``state``) for a resource type (``{type}`` in a path)."""
        found = self._static.get(field)
        if found is not None:
            return found
        key = (field, rtype)
        found = self._compiled.get(key)
        if found is None:
            raw = getattr(self, '_raw_' + field)
            found = (None if raw is None else self._compile_items(
                raw, rtype, _Located(self.source, None, None)))
            if len(self._compiled) < _MAX_CACHED:
                self._compiled[key] = found
        return found

    # -- reading a notification -----------------------------------------

    def resource_type(self, event_type, data):
        for path in self.type_paths:
            for value in path.values(data):
                value = str(value)
                if self.type_last_segment:
                    value = value.rstrip('/').rsplit('/', 1)[-1]
                if value:
                    return self.type_names.get(value, value)
        if self.type_part is not None:
            parts = event_type.split('.')
            if len(parts) > self.type_part:
                found = parts[self.type_part]
                return self.type_names.get(found, found)
        return self.type_name

    def resource_ids(self, rtype, data):
        """The ids the definition finds, in order (several in bulk)."""
        for item in self._for('ids', rtype):
            if type(item) is tuple:
                parts = [str(v) for path in item
                         for v in path.values(data)[:1]]
                if parts:
                    return ('/'.join(parts),)
                continue
            values = item.values(data)
            if values:
                if self.id_last_segment:
                    values = tuple(
                        v.rstrip('/').rsplit('/', 1)[-1]
                        if isinstance(v, str) else v for v in values)
                return values
        return ()

    def owner(self, rtype, data):
        """(project, user) the definition's own paths find: None when
        they find nothing (the defaults are tried then), False when the
        definition gives no path (the payload does not have it)."""
        return (self._owner('project', rtype, data),
                self._owner('user', rtype, data))

    def _owner(self, field, rtype, data):
        paths = self._for(field, rtype)
        if paths is None:
            return None
        if not paths:
            return False
        found = first(paths, data)
        if found is None and not self.owner_defaults:
            return False
        return found

    def state(self, event_type, rtype, data):
        """(state, task state) of the resource's own state, or None."""
        if self.deleted_on and event_type in self.deleted_on:
            return 'deleted', None
        if not self._raw_state:
            return None
        value = first(self._for('state', rtype), data)
        if value is None:
            return None
        value = str(value)
        if value in self.deleted:
            return value, None
        if value in self.terminal:
            return value, None
        return value, value

    def failure(self, data):
        """The reason of a failure the payload reports, '' when it reports
        one without a reason, None when it reports none."""
        if not self.failure_paths:
            return None
        for path in self.failure_paths:
            for value in path.values(data):
                if str(value) in self.failure_values:
                    reason = first(self.reason_paths, data)
                    return '' if reason is None else str(reason)
        return None

    def fallback_of(self, data):
        """The service when the publisher does not name one, or None."""
        if self.prefix_path is not None:
            found = self.prefix_path.first(data)
            if isinstance(found, str):
                for prefix, name in self.prefix_names:
                    if found == prefix or found.startswith(prefix + '/'):
                        return name
        ignore = self.fallback_ignore
        for path in self.fallback_paths:
            found = path.first(data)
            if found is not None and str(found) not in ignore:
                return str(found)[:64]
        return self.fallback

    def matches_payload(self, payload):
        for key in self.payload_has:
            if key not in payload:
                return False
        return True

    def __repr__(self):
        return '<Definition %s (%s:%d)>' % (self.name, self.source,
                                            self.line)


def first(paths, data):
    """The first value the first of ``paths`` that finds one finds."""
    for path in paths:
        if type(path) is tuple:
            parts = [str(v) for p in path for v in p.values(data)[:1]]
            if parts:
                return '/'.join(parts)
            continue
        value = path.first(data)
        if value is not None:
            return value
    return None


class Definitions:
    """Compiled definitions: the operator's first, then the defaults."""

    def __init__(self, definitions, publishers, defaults, operations,
                 sources):
        self.definitions = tuple(definitions)
        self.publishers = publishers
        self.defaults = defaults
        self.operations = operations
        self.sources = sources
        self._by_event_type = {}
        self.known_services = frozenset(
            name for d in self.definitions
            for name in ([d.fallback] if d.fallback else [])
            + list(d.aliases.values())
            + list(d.publishers or ()))

    def candidates(self, event_type):
        """The definitions matching an event type, in order."""
        found = self._by_event_type.get(event_type)
        if found is None:
            found = []
            for definition in self.definitions:
                if event_type in definition.patterns:
                    found.append(definition)
                    if not (definition.payload_has
                            or definition.require_id):
                        break
            found = tuple(found)
            if len(self._by_event_type) < _MAX_CACHED:
                self._by_event_type[event_type] = found
        return found

    def match(self, event_type, payload, data):
        """(definition, resource type, ids) of a notification;
        (None, None, ()) when no definition takes it."""
        for definition in self.candidates(event_type):
            if definition.payload_has and not definition.matches_payload(
                    payload):
                continue
            rtype = definition.resource_type(event_type, data)
            ids = definition.resource_ids(rtype, data)
            if definition.require_id and not ids:
                continue
            return definition, rtype, ids
        return None, None, ()

    def service(self, definition, prefix, data):
        """The service a publisher prefix names (None: none), or the
        definition's fallback; and whether the prefix was a service."""
        if prefix is not None and (
                definition is None or definition.publishers is None
                or prefix in definition.publishers
                or prefix in self.publishers):
            if definition is not None:
                alias = definition.aliases.get(prefix)
                if alias is not None:
                    return alias, True
            return self.publishers.get(prefix, prefix), True
        fallback = (definition.fallback_of(data)
                    if definition is not None else None)
        if fallback is None and prefix is not None:
            return prefix, True
        return fallback, False

    def default_owner(self, data, versioned):
        project = first(self.defaults['project'], data)
        user = first(self.defaults['user'], data)
        request_id = None
        if versioned:
            if project is None:
                project = first(self.defaults['versioned_project'], data)
            if user is None:
                user = first(self.defaults['versioned_user'], data)
            request_id = first(self.defaults['versioned_request_id'], data)
        return project, user, request_id


def _read(source):
    try:
        with open(source, encoding='utf-8') as f:
            return f.read()
    except OSError as e:
        raise exception.InvalidDefinitions(
            source=source, line=0, problem='cannot read: %s'
            % e.strerror) from None


def _parse_file(source, text=None):
    """(definitions, publishers, defaults, operations) of one file."""
    text = _read(source) if text is None else text
    node, data = _load_yaml(source, text)
    if data is None:
        data = {}
    top = _Located(source, node, data)
    if not isinstance(data, dict):
        raise top.error('the file must be a mapping with "definitions"')
    unknown = set(data) - _TOP_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise top.error('unknown top-level keys: %s'
                        % ', '.join(sorted(map(str, unknown))), key)
    raw_definitions = data.get('definitions') or []
    if not isinstance(raw_definitions, list):
        raise top.error('definitions must be a list', 'definitions')
    list_node = _child(node, 'definitions')
    compiled = []
    names = set()
    for index, raw in enumerate(raw_definitions):
        item_node = (list_node.value[index]
                     if isinstance(list_node, yaml.SequenceNode)
                     else list_node)
        located = _Located(source, item_node, raw)
        if not isinstance(raw, dict):
            raise located.error('a definition must be a mapping')
        definition = Definition(raw, located)
        if definition.name in names:
            raise located.error('duplicate definition name %r'
                                % definition.name, 'name')
        names.add(definition.name)
        compiled.append(definition)
    publishers = data.get('publishers') or {}
    if not isinstance(publishers, dict):
        raise top.error('publishers maps a publisher prefix to a service',
                        'publishers')
    defaults = data.get('defaults') or {}
    if not isinstance(defaults, dict):
        raise top.error('defaults must be a mapping', 'defaults')
    where = _Located(source, _child(node, 'defaults'), defaults)
    compiled_defaults = {}
    for key, value in defaults.items():
        compiled_defaults[key] = tuple(
            compile_path(text, where) for text in (
                [value] if isinstance(value, str) else value or []))
    operations = data.get('operations') or {}
    if not isinstance(operations, dict):
        raise top.error('operations must be a mapping', 'operations')
    return compiled, publishers, compiled_defaults, operations


_DEFAULT_KEYS = ('project', 'user', 'versioned_project', 'versioned_user',
                 'versioned_request_id')


def load(path=None):
    """The default definitions, overridden and extended by ``path``.

    :raises exception.InvalidDefinitions: naming the file and the line.
    """
    definitions, publishers, defaults, operations = _parse_file(
        DEFAULT_FILE)
    sources = [DEFAULT_FILE]
    if path:
        extra, more_publishers, more_defaults, more_operations = (
            _parse_file(path))
        sources.insert(0, path)
        replaced = {d.name for d in extra}
        definitions = extra + [d for d in definitions
                               if d.name not in replaced]
        publishers = dict(publishers, **more_publishers)
        defaults = dict(defaults, **more_defaults)
        for key, value in more_operations.items():
            if isinstance(value, dict):
                operations[key] = dict(operations.get(key) or {}, **value)
            else:
                operations[key] = value
    for key in _DEFAULT_KEYS:
        defaults.setdefault(key, ())
    return Definitions(definitions, publishers, defaults, operations,
                       sources)


_active = None
_active_path = None
_listeners = []


def active():
    """The definitions in use (the defaults until ``install``)."""
    global _active
    if _active is None:
        _active = load()
    return _active


def install(path=None):
    """Load and use the definitions of ``path`` (and the defaults);
    returns them. Raises ``exception.InvalidDefinitions``."""
    global _active, _active_path
    if _active is not None and _active_path == path:
        return _active
    _active = load(path)
    _active_path = path
    for callback in _listeners:
        callback()
    return _active


def on_install(callback):
    """Call ``callback`` whenever other definitions are installed (caches
    derived from them)."""
    _listeners.append(callback)


def configure(conf):
    """Install the definitions an oslo.config ``conf`` names."""
    return install(conf.resource_definitions or None)
