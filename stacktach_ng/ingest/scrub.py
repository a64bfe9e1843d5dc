"""Remove secrets from notifications before anything is stored.

Old producers (before oslo.messaging 14.4) put the caller's auth token and
service catalog in the context, nova puts ``adminPass`` in some payloads,
and exception messages can quote a password. A value under a secret-looking
key is replaced by ``MASK``; a string value that mentions a secret is passed
through oslo.utils' password masking.
"""

import re

from oslo_utils import strutils

MASK = '***'

# A key is secret when its lowercased name contains one of these.
_SECRET_KEY_PARTS = (
    'password', 'passwd', 'passphrase', 'adminpass', 'admin_pass',
    'token', 'secret', 'service_catalog', 'servicecatalog', 'private_key',
    'privatekey', 'credential', 'auth_key', 'access_key', 'encryption_key',
    'encrypted_key', 'fernet', 'sslkey', 'cephxkey', 'keystone_key',
    'vnc_key', 'configdrive',
)

# Cheap pre-filter for string values, so the slower masking regexes of
# oslo.utils only run on strings that could hold a secret.
_MAYBE_SECRET_TEXT = re.compile(
    r'pass|token|secret|credential|private', re.IGNORECASE)

_key_verdicts = {}
_MAX_REMEMBERED_KEYS = 20000


def is_secret_key(key):
    verdict = _key_verdicts.get(key)
    if verdict is None:
        lowered = str(key).lower()
        verdict = any(part in lowered for part in _SECRET_KEY_PARTS)
        if len(_key_verdicts) < _MAX_REMEMBERED_KEYS:
            _key_verdicts[key] = verdict
    return verdict


def scrub(value):
    """Return a copy of ``value`` (a JSON-like structure) without secrets."""
    if isinstance(value, dict):
        return {key: (MASK if item is not None and is_secret_key(key)
                      else scrub(item))
                for key, item in value.items()}
    if isinstance(value, str):
        if _MAYBE_SECRET_TEXT.search(value):
            return strutils.mask_password(value, secret=MASK)
        return value
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value
