"""How ``import --jobs`` cuts a stream into parts for its jobs."""

import io
import json

from stacktach_ng.replay import parallel


def _parts(content, batch_size):
    return list(parallel.parts(io.BufferedReader(io.BytesIO(content)),
                               batch_size))


def test_json_lines_are_cut_every_batch_size_lines():
    lines = [b'{"event_type": "e%d"}\n' % n for n in range(7)]
    parts = _parts(b'\n' + b''.join(lines), 3)
    # Seven lines in threes, the leading blank line dropped: 3 + 3 + 1.
    assert parts == [('lines', lines[0:3]), ('lines', lines[3:6]),
                     ('lines', lines[6:7])]


def test_a_bad_line_inside_json_lines_stays_a_line():
    lines = [b'{"event_type": "a"}\n', b'not json\n', b'{"b": 1}\n']
    assert _parts(b''.join(lines), 2) == [('lines', lines[:2]),
                                          ('lines', lines[2:])]


def test_a_document_is_one_part_for_one_job():
    document = json.dumps([{'event_type': 'a'}, {'event_type': 'b'}],
                          indent=2).encode()
    assert _parts(document, 1) == [('document', document)]


def test_nothing_to_read_is_no_part():
    assert _parts(b'', 5) == []
    assert _parts(b'\n  \n', 5) == []
