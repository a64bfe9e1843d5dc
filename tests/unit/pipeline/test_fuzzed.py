"""Inputs the fuzzer (``tests.fuzzing``) found crashing the ingest path,
and a quick fuzz of normalization without a database."""

import datetime
import json
import time

import pytest

from stacktach_ng.common import jsonutils
from stacktach_ng.listener import store_process
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import scrub
from stacktach_ng.pipeline.rejection import Rejected
from tests import fuzzing
from tests.unit.pipeline import fixtures as fx

RECEIVED = datetime.datetime(2026, 1, 2, 3, 5, 0)


def _record(message, form='wire_v1'):
    return normalize.normalize(forms.to_envelope(fx.as_form(message, form)),
                               RECEIVED, 1024 * 1024)


def _strings(value):
    """Every string inside a JSON-like structure, keys included."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            stack.extend(current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _storable(text):
    text.encode('utf-8')
    return '\x00' not in text


def _strict_json(text):
    def refuse(constant):
        raise ValueError(constant)
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize('form', ['wire_v1', 'wire_v2', 'listener'])
def test_handlers_see_storable_payload_strings(form):
    """Found: a NUL or a lone surrogate in a payload field a handler
    copies (an error message, a profiler span name, a flavor name, an
    image status) failed the whole batch: PostgreSQL refuses NUL, every
    driver a lone surrogate, and the errors handler's fingerprint raised
    UnicodeEncodeError."""
    message = fx.nova_legacy_create_end()
    message['event_type'] = 'compute.instance.create.error'
    message['payload'].update({
        'message': 'boom \ud800 here', 'instance_type': 'm1\x00small',
        'nested': [{'k\x00ey\udfff': 'v\x00'}], 'plain': 'ascii'})
    record = _record(message, form)
    assert all(_storable(text) for text in _strings(record.payload))
    assert record.payload['message'] == 'boom ? here'
    assert record.payload['instance_type'] == 'm1small'
    assert record.payload['nested'] == [{'key?': 'v'}]
    assert record.payload['plain'] == 'ascii'
    assert _storable(record.row['payload'])


def test_a_payload_without_bad_strings_is_not_copied():
    message = fx.glance_image_upload()
    message['payload']['name'] = 'café'
    envelope = forms.to_envelope(fx.as_form(message, 'listener'))
    record = normalize.normalize(envelope, RECEIVED)
    assert record.payload is envelope['payload']


def test_message_id_of_nul_is_no_empty_id():
    """Found: a message id of NULs was stored as '': every such message
    was one and the same (and on MySQL, equal to ' ')."""
    first = fx.glance_image_upload()
    first['message_id'] = '\x00'
    second = fx.glance_image_upload()
    second['message_id'] = '\x00\x00'
    second['payload']['size'] = 2048
    one = _record(first).row['message_id']
    other = _record(second).row['message_id']
    assert one and other and one != other
    assert one == _record(first).row['message_id']


def test_payload_text_is_strict_json_with_nan_and_a_big_integer():
    """Found: a payload holding an integer beyond 64 bits (orjson refuses
    it) and a NaN was stored with the bare word NaN, which no JSON parser
    but Python's reads (and ``export`` wrote out as it was)."""
    message = fx.nova_legacy_create_end()
    message['payload'].update({'big': 2 ** 70, 'nan': float('nan'),
                               'inf': [float('inf'), -float('inf')],
                               'word': 'NaN and Infinity stay words'})
    message['ctxt']['odd'] = {'big': -(2 ** 70), 'nan': float('nan')}
    record = _record(message, 'listener')
    payload = _strict_json(record.row['payload'])
    assert payload['big'] == 2 ** 70
    assert payload['nan'] is None
    assert payload['inf'] == [None, None]
    assert payload['word'] == 'NaN and Infinity stay words'
    context = _strict_json(record.row['context'])
    assert context['odd'] == {'big': -(2 ** 70), 'nan': None}


def test_json_text_is_orjsons_text_in_the_common_case():
    value = {'a': [1, 2.5, None, 'x'], 'NaN': 'Infinity'}
    assert normalize.json_text(value) == jsonutils.dumps(value)


@pytest.mark.parametrize('text', [
    'a' * 16000 + ' password',
    '{"auth_token": "' + 'b' * 16000,
    'password' * 2000,
    'x' * 8000 + '"password": "' + 'y' * 8000,
])
def test_scrub_text_is_linear_in_runs_of_word_characters(text):
    """Found: the excerpt of a rejected message with a long run of word
    characters and a secret word took up to a minute to scrub (a
    quadratic regular expression), stalling the listener worker."""
    started = time.monotonic()
    scrub.scrub_text(text[:rejection.EXCERPT_LIMIT * 4])
    # A hang guard, not a speed check: the linear scan takes milliseconds
    # and the quadratic one took most of a minute, so a bound far above
    # the first holds on a loaded machine and still catches the second.
    assert time.monotonic() - started < 10.0


@pytest.mark.parametrize('text, secret, kept', [
    ('{"admin_password": "hunter2", "x": 1', 'hunter2', 'admin_password'),
    ("{'db.Password': 'p4ss', 'x'", 'p4ss', 'db.Password'),
    ('{\\"auth_token\\": \\"gAAA\\", ', 'gAAA', 'auth_token'),
    ('{"service_catalog": [{"a": ["http://x"]}], "user": "u", ',
     'http://x', '"user": "u"'),
    ('{"my_token_id": {"a": "t0k"}, "n": ', 't0k', 'my_token_id'),
    ('"notoken": "s3" "passport": "2"', 's3', 'passport'),
])
def test_scrub_text_still_masks_secret_keys(text, secret, kept):
    scrubbed = scrub.scrub_text(text)
    assert secret not in scrubbed
    assert kept in scrubbed


def test_normalize_survives_fuzzed_messages():
    """2,000 fuzzed messages: normalization raises Rejected or returns a
    record whose columns and payload strings every database takes."""
    for case in fuzzing.Fuzzer(seed=3).cases(2000):
        item = fuzzing.decode(case)
        if isinstance(item, Rejected):
            row = rejection.rejected_row(item, RECEIVED, 'fuzz')
            assert all(_storable(value) for value in row.values()
                       if isinstance(value, str))
            continue
        try:
            record = normalize.normalize(item, RECEIVED, 1024 * 1024)
        except Rejected as error:
            rejection.rejected_row(error, RECEIVED, 'fuzz')
            continue
        for name, value in record.row.items():
            if isinstance(value, str):
                assert _storable(value), (name, case.line[:200])
        _strict_json(record.row['payload'])
        _strict_json(record.row['context'])
        assert isinstance(record.payload, dict)
        assert all(_storable(text) for text in _strings(record.payload))


def test_the_fuzzer_is_deterministic():
    first = fuzzing.Fuzzer(seed=7).cases(500)
    second = fuzzing.Fuzzer(seed=7).cases(500)
    assert [case.line for case in first] == [case.line for case in second]
    assert {'realistic', 'mutated', 'handler', 'envelope', 'structural',
            'text', 'duplicate'} <= {case.kind for case in first}
    assert any(case.body is fuzzing.NOT_JSON for case in first)


def test_store_process_batch_with_a_deeply_nested_payload():
    message = fx.as_form(fx.glance_image_upload(), 'wire_v1')
    message['payload'] = fuzzing.nested(500)
    envelope = forms.to_envelope(message)
    # A deep payload beside a normal one: the deep one comes back as
    # poison with its reason, the other as it was.
    other = forms.to_envelope(fx.as_form(fx.glance_image_upload(),
                                         'wire_v1'))
    items, _at = store_process.decode_batch(
        store_process.encode_batch([envelope, other], RECEIVED))
    assert len(items) == 2
    assert items[0] == other
    assert items[1].reason == 'payload nested too deeply'
