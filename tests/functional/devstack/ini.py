"""A small ini file editor with the behaviour of devstack's ``inc/ini-config``.

The devstack plugin harness replaces devstack's ``iniset``, ``iniget``,
``inidelete`` and ``ini_has_option`` with calls to this module, so that
the plugin edits real files the way devstack would:

* a section is every block under a ``[section]`` header (up to the next
  header); an option is a line starting with ``option =`` (commented
  lines do not count);
* ``set`` replaces the value of an existing option in place, or inserts
  ``option = value`` right under the section header, adding the header at
  the end of the file when the section is missing; a missing file is
  created;
* ``get`` prints the value of the first occurrence, stripped, or an empty
  line; a missing file or option is not an error.

It is also the parser the tests use to read the files back.

Command line: ``python ini.py set|get|delete|has FILE SECTION OPTION
[VALUE]``.
"""

import os
import re
import sys

_HEADER = re.compile(r'^\[(?P<name>[^\]]*)\]')


def _option_re(option):
    return re.compile(r'^%s[ \t]*=' % re.escape(option))


def _read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return f.read().splitlines()


def _write_lines(path, lines):
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def _section_spans(lines, section):
    """(header index, end index) of every block of ``section``."""
    spans = []
    start = None
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        if start is not None:
            spans.append((start, index))
            start = None
        if match.group('name') == section:
            start = index
    if start is not None:
        spans.append((start, len(lines)))
    return spans


def _find_option(lines, section, option):
    pattern = _option_re(option)
    for start, end in _section_spans(lines, section):
        for index in range(start + 1, end):
            if pattern.match(lines[index]):
                return index
    return None


def get(path, section, option):
    lines = _read_lines(path)
    index = _find_option(lines, section, option)
    if index is None:
        return ''
    return lines[index].split('=', 1)[1].strip()


def has(path, section, option):
    return _find_option(_read_lines(path), section, option) is not None


def set_value(path, section, option, value):
    lines = _read_lines(path)
    index = _find_option(lines, section, option)
    if index is not None:
        lines[index] = '%s = %s' % (option, value)
    else:
        spans = _section_spans(lines, section)
        if not spans:
            lines.extend(['', '[%s]' % section])
            spans = [(len(lines) - 1, len(lines))]
        lines.insert(spans[0][0] + 1, '%s = %s' % (option, value))
    _write_lines(path, lines)


def delete(path, section, option):
    lines = _read_lines(path)
    pattern = _option_re(option)
    doomed = set()
    for start, end in _section_spans(lines, section):
        doomed.update(i for i in range(start + 1, end)
                      if pattern.match(lines[i]))
    if doomed:
        _write_lines(path, [line for i, line in enumerate(lines)
                            if i not in doomed])


def parse(path):
    """``{section: {option: [values in file order]}}`` of a whole file.

    Every occurrence is kept, so that a test can tell an option written
    twice from an option written once.
    """
    sections = {}
    current = None
    for line in _read_lines(path):
        match = _HEADER.match(line)
        if match:
            current = sections.setdefault(match.group('name'), {})
            continue
        if current is None or not line.strip() or line.lstrip()[0] in '#;':
            continue
        if '=' in line:
            option, value = line.split('=', 1)
            current.setdefault(option.strip(), []).append(value.strip())
    return sections


def main(argv):
    command, path, section, option = argv[1:5]
    if command == 'set':
        set_value(path, section, option, argv[5] if len(argv) > 5 else '')
    elif command == 'get':
        print(get(path, section, option))
    elif command == 'delete':
        delete(path, section, option)
    elif command == 'has':
        return 0 if has(path, section, option) else 1
    else:
        sys.stderr.write('ini.py: unknown command %s\n' % command)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
