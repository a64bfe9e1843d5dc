"""Remove secrets from notifications before anything is stored.

Old producers (before oslo.messaging 14.4) put the caller's auth token and
service catalog in the context, nova puts ``adminPass`` in some payloads,
and exception messages can quote a password. A value under a secret-looking
key is replaced by ``MASK``; a string value that mentions a secret is passed
through oslo.utils' password masking.
"""

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

# Words whose presence in a text (lowercased) makes it worth a closer look.
# Substring tests on a lowercased copy are much faster than a
# case-insensitive regular expression with alternatives.
_SECRET_TEXT_WORDS = ('pass', 'token', 'secret', 'credential', 'private')

# The same for a whole serialized document: if none of these occur anywhere
# in it, neither a key nor a value can be secret and the document is stored
# as it is, without walking it. Most notifications take this path.
_SECRET_DOCUMENT_WORDS = tuple(sorted(set(_SECRET_TEXT_WORDS) | {
    'catalog', 'fernet', 'sslkey', 'cephxkey', 'keystone_key', 'vnc_key',
    'auth_key', 'access_key', 'encryption_key', 'encrypted_key',
    'configdrive'}))


def _mentions(text, words):
    lowered = text.lower()
    for word in words:
        if word in lowered:
            return True
    return False


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


# A string shorter than this cannot hold "<secret word>=<value>".
_SHORTEST_SECRET_TEXT = 8


def _scrub_text(text):
    if len(text) >= _SHORTEST_SECRET_TEXT and _mentions(
            text, _SECRET_TEXT_WORDS):
        return strutils.mask_password(text, secret=MASK)
    return text


def scrub(value):
    """Return a copy of ``value`` (a JSON-like structure) without secrets.

    Written as one loop per container rather than one call per value: this
    runs for every legacy notification whose context carries a token.
    """
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if item is None:
                out[key] = None
            elif is_secret_key(key):
                out[key] = MASK
            else:
                item_kind = type(item)
                if item_kind is str:
                    out[key] = _scrub_text(item)
                elif item_kind is dict or item_kind is list:
                    out[key] = scrub(item)
                else:
                    out[key] = item
        return out
    if kind is list:
        return [scrub(item) if type(item) in (dict, list)
                else _scrub_text(item) if type(item) is str else item
                for item in value]
    if kind is str:
        return _scrub_text(value)
    return value


def scrub_serialized(value, dumps):
    """``(scrubbed value, its JSON text)`` with one serialization in the
    common case: serialize, look for anything secret-looking in the text,
    and only walk and re-serialize the structure when something is found.
    """
    text = dumps(value)
    if not _mentions(text, _SECRET_DOCUMENT_WORDS):
        return value, text
    value = scrub(value)
    return value, dumps(value)
