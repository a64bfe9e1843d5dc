"""Secrets never reach a stored column."""

import datetime

import pytest

from stacktach_ng.common import jsonutils
from stacktach_ng.pipeline import forms
from stacktach_ng.pipeline import normalize
from stacktach_ng.pipeline import rejection
from stacktach_ng.pipeline import scrub
from stacktach_ng.pipeline.rejection import Rejected
from tests.unit.pipeline import fixtures as fx

RECEIVED = datetime.datetime(2026, 1, 2, 3, 5, 0)


def _stored_text(obj):
    row = normalize.normalize(forms.to_envelope(obj), RECEIVED).row
    return ' '.join(str(value) for value in row.values())


@pytest.mark.parametrize('form', fx.FORMS)
def test_legacy_context_token_and_catalog(form):
    message = fx.nova_legacy_update()
    text = _stored_text(fx.as_form(message, form))
    assert fx.TOKEN not in text
    assert 'api.example.org' not in text     # inside the service catalog
    if form != 'sample':
        row = normalize.normalize(
            forms.to_envelope(fx.as_form(message, form)), RECEIVED).row
        context = jsonutils.loads(row['context'])
        assert context['auth_token'] == scrub.MASK
        assert context['service_catalog'] == scrub.MASK
        # what is not secret stays
        assert context['request_id'] == fx.REQUEST
        assert context['roles'] == ['admin']


@pytest.mark.parametrize('form', fx.FORMS)
def test_admin_pass_in_payload(form):
    text = _stored_text(fx.as_form(fx.nova_legacy_create_end(), form))
    assert fx.PASSWORD not in text
    assert 'adminPass' in text


def test_token_nested_in_payload_args():
    text = _stored_text(fx.as_form(fx.nova_legacy_error(), 'wire_v2'))
    assert fx.TOKEN not in text


def test_cadf_password_hash_attachment():
    text = _stored_text(fx.as_form(fx.keystone_cadf_authenticate(),
                                   'wire_v1'))
    assert 'HASHEDPARTOFPASSWORD' not in text
    assert 'partial_password_hash' in text


@pytest.mark.parametrize('sentence', [
    'Login failed with password=%s for user bob',
    'Login failed: {"password": "%s"}',
    "reset with 'adminPass': '%s' done",
    'X-Auth-Token: %s',
    'cannot connect to mysql+pymysql://nova:%s@db.example.org/nova',
])
def test_password_inside_a_string(sentence):
    message = fx.nova_legacy_update()
    message['payload']['message'] = sentence % fx.PASSWORD
    row = normalize.normalize(
        forms.to_envelope(fx.as_form(message, 'wire_v1')), RECEIVED).row
    assert fx.PASSWORD not in row['payload']
    # the rest of the sentence is kept for the operator
    assert sentence.split('%s')[0].strip()[:10] in row['payload']


def test_private_key_block():
    key = ('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretbits\n'
           '-----END RSA PRIVATE KEY-----')
    message = fx.unknown_service()
    message['payload']['user_data'] = 'before\n%s\nafter' % key
    message['payload']['private_key'] = 'another'
    row = normalize.normalize(
        forms.to_envelope(fx.as_form(message, 'wire_v1')), RECEIVED).row
    assert 'secretbits' not in row['payload']
    assert 'another' not in row['payload']
    assert 'before' in row['payload'] and 'after' in row['payload']


@pytest.mark.parametrize('key', [
    'password', 'admin_password', 'adminPass', 'auth_token', 'X-Auth-Token',
    'secret', 'client_secret', 'private_key', 'credential',
    'service_catalog', 'fernet_keys', 'encryption_key', 'configdrive'])
def test_secret_keys(key):
    assert scrub.scrub({'a': {key: 'value-123456'}}) == {
        'a': {key: scrub.MASK}}


@pytest.mark.parametrize('key', [
    'name', 'key_name', 'public_key', 'fingerprint', 'request_id', 'host',
    'image_ref_url', 'roles'])
def test_ordinary_keys_kept(key):
    assert scrub.scrub({key: 'value-123456'}) == {key: 'value-123456'}


def test_clean_document_is_not_copied():
    """The fast path: nothing secret-looking, the same object back."""
    payload = {'instance_id': fx.INSTANCE, 'state': 'active'}
    value, text = scrub.scrub_serialized(payload, jsonutils.dumps)
    assert value is payload
    assert jsonutils.loads(text) == payload


def test_repeated_context_is_remembered_only_when_clean(monkeypatch):
    """A context that comes again is looked up, not scanned again; one
    with a secret is never remembered, and is masked every time."""
    monkeypatch.setattr(scrub, '_clean_texts', set())
    scans = []
    real = scrub._needs_walk
    monkeypatch.setattr(scrub, '_needs_walk',
                        lambda text: scans.append(text) or real(text))
    clean = {'request_id': 'req-1', 'user_id': 'u1'}
    secret = {'request_id': 'req-1', 'auth_token': 'gAAAAA-secret'}
    for _ in range(3):
        value, text = scrub.scrub_serialized(clean, jsonutils.dumps,
                                             repeated=True)
        assert value is clean
        assert jsonutils.loads(text) == clean
        value, text = scrub.scrub_serialized(secret, jsonutils.dumps,
                                             repeated=True)
        assert value == {'request_id': 'req-1', 'auth_token': scrub.MASK}
        assert 'gAAAAA-secret' not in text
    # The clean text once, the secret one at each of the three calls.
    assert len(scans) == 1 + 3


def test_remembered_texts_are_bounded(monkeypatch):
    monkeypatch.setattr(scrub, '_clean_texts', set())
    for number in range(scrub._MAX_CLEAN_TEXTS * 2 + 5):
        scrub.scrub_serialized({'request_id': 'req-%d' % number},
                               jsonutils.dumps, repeated=True)
        assert len(scrub._clean_texts) <= scrub._MAX_CLEAN_TEXTS


def _excerpt(message, reason='test'):
    row = rejection.rejected_row(Rejected(reason, message), RECEIVED,
                                 'import')
    return row['excerpt']


@pytest.mark.parametrize('form', ('wire_v1', 'wire_v2', 'listener'))
def test_rejected_excerpt_is_scrubbed(form):
    message = fx.nova_legacy_create_end()
    body = fx.as_form(message, form)
    excerpt = _excerpt(body)
    assert fx.TOKEN not in excerpt
    assert fx.PASSWORD not in excerpt
    assert 'api.example.org' not in excerpt
    assert 'compute.instance.create.end' in excerpt


def test_rejected_excerpt_of_broken_json_is_scrubbed():
    body = jsonutils.dumps(fx.as_form(fx.nova_legacy_create_end(),
                                      'wire_v1'))
    broken = body[:-3].encode()         # cut: not JSON any more
    assert fx.TOKEN.encode() in broken and fx.PASSWORD.encode() in broken
    excerpt = _excerpt(broken)
    assert fx.TOKEN not in excerpt
    assert fx.PASSWORD not in excerpt
    assert 'api.example.org' not in excerpt
    assert 'compute.instance.update' not in excerpt  # sanity: other event
    assert 'instance_id' in excerpt


def test_rejected_excerpt_of_broken_inner_v2_message():
    inner = jsonutils.dumps(fx.as_form(fx.nova_legacy_update(), 'wire_v1'))
    body = {'oslo.version': '2.0', 'oslo.message': inner[:-5]}
    assert fx.TOKEN in body['oslo.message']
    excerpt = _excerpt(body)
    assert fx.TOKEN not in excerpt
    assert 'api.example.org' not in excerpt


def test_rejected_row_is_bounded():
    message = fx.as_form(fx.unknown_service(), 'wire_v1')
    message['payload']['blob'] = 'y' * 100000
    message['message_id'] = 'z' * 400
    row = rejection.rejected_row(Rejected('too big', message), RECEIVED,
                                 'import')
    assert len(row['excerpt']) <= rejection.EXCERPT_LIMIT
    assert len(row['message_id']) <= 128
    assert row['size'] > 100000


@pytest.mark.parametrize('part', scrub._SECRET_KEY_PARTS)
def test_document_gate_covers_every_secret_key(part):
    """A document is only walked when it mentions something secret: the
    gate must see every secret key, in any case."""
    for key in (part, part.upper(), 'x_%s_y' % part):
        text = jsonutils.dumps({key: 'value-123456'})
        value, stored = scrub.scrub_serialized(jsonutils.loads(text),
                                               jsonutils.dumps)
        assert 'value-123456' not in stored, key
