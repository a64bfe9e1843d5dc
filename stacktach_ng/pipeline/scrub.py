"""Remove secrets from notifications before anything is stored.

Old producers (before oslo.messaging 14.4) put the caller's auth token and
service catalog in the context, nova puts ``adminPass`` in some payloads,
keystone attaches a partial password hash to failed authentications, and
exception messages can quote a password or a database URL. What is masked:

* the value under a secret-looking key (``MASK``, whatever its type);
* the ``content`` of a ``{"name": <secret-looking>, "content": ...}``
  attachment (CADF);
* inside strings: ``key=value`` / ``"key": "value"`` forms (oslo.utils'
  password masking), ``token: value`` headers, PEM private keys, and the
  password of ``scheme://user:password@host`` URLs.

``scrub_text()`` is for text that is not (or no longer) valid JSON, such as
the excerpt of a rejected message.
"""

import re

from oslo_utils import strutils

from stacktach_ng.common import jsonutils

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
_SECRET_TEXT_WORDS = ('pass', 'token', 'secret', 'credential',
                      'private key')

# The same for a whole serialized document: if none of these occur anywhere
# in it (and it holds no URL with a password), neither a key nor a value
# can be secret and the document is stored as it is, without walking it.
# Most notifications take this path. Every key part and text word above is
# covered: a word maps to the more precise words it stands for (checked
# only when the short word is found, e.g. "private" is a common network
# label), or to None when it is enough by itself.
_SECRET_DOCUMENT_WORDS = {
    'pass': None, 'token': None, 'secret': None, 'credential': None,
    'catalog': None, 'fernet': None, 'configdrive': None, 'sslkey': None,
    'cephxkey': None,
    'private': ('private key', 'private_key', 'privatekey'),
    '_key': ('keystone_key', 'vnc_key', 'auth_key', 'access_key',
             'encryption_key', 'encrypted_key'),
}


# scheme://user:password@host -> scheme://user:***@host
_URL_CREDENTIALS = re.compile(r'(://[^/\s:@"\'\\]+:)[^/\s@"\'\\]+(@)')
# "X-Auth-Token: gAAAA...", "token: abc" (mask_password only knows "=").
_TOKEN_HEADER = re.compile(
    r'(?i)(token\\?["\']?\s*:\s*\\?["\']?)[^\s"\'\\,;}]+')
_PEM_PRIVATE_KEY = re.compile(
    r'-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?'
    r'(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)', re.DOTALL)
# For text that is not JSON any more: a secret key (a run of [\w.-]
# holding a secret part) with escaped or plain quotes, then a string value;
# or a structure (a service catalog), masked to its closing bracket.
#
# The key is matched from the start of its run only, and at once: the
# lookahead finds the run's first secret part and the rest of the run, and
# a lookahead is never backtracked into (an atomic group, which Python
# 3.10 lacks). Written as ``[\w.-]*(?:part)[\w.-]*`` the search was
# quadratic in a run of word characters: a rejected message's 16 KB
# excerpt of them took a minute, stalling the listener.
_SECRET_KEY = (r'(?<![\w.-])(?=(?P<key>[\w.-]*?(?:%s)[\w.-]*))(?P=key)'
               % '|'.join(re.escape(part) for part in _SECRET_KEY_PARTS))
_QUOTED_SECRET = re.compile(
    r'(?i)(?P<head>%s\\*["\']\s*:\s*\\*["\'])(?P<value>.*?)'
    r'(?P<tail>\\*["\'])' % _SECRET_KEY)
_STRUCTURED_SECRET = re.compile(
    r'(?i)%s\\*["\']?\s*[:=]\s*(?P<open>[\[{])' % _SECRET_KEY)

# Attachments (CADF) name their content: {"name": "...password...",
# "content": "<secret>"}.
_ATTACHMENT_NAME = 'name'
_ATTACHMENT_CONTENT = 'content'


def _mentions_secret(text):
    lowered = text.lower()
    for word, precise in _SECRET_DOCUMENT_WORDS.items():
        if word in lowered:
            if precise is None:
                return True
            for other in precise:
                if other in lowered:
                    return True
    return False


_key_verdicts = {}
_MAX_REMEMBERED_KEYS = 20000


def is_secret_key(key):
    """Whether the value under ``key`` is a secret (by the key's name)."""
    verdict = _key_verdicts.get(key)
    if verdict is None:
        lowered = str(key).lower()
        verdict = any(part in lowered for part in _SECRET_KEY_PARTS)
        if len(_key_verdicts) < _MAX_REMEMBERED_KEYS:
            _key_verdicts[key] = verdict
    return verdict


# A string shorter than this cannot hold "<secret word>=<value>".
_SHORTEST_SECRET_TEXT = 8




def _mentions_text_word(text):
    # Substring tests on a lowercased copy: far faster than a
    # case-insensitive regular expression with alternatives, which tries
    # every alternative at every position.
    lowered = text.lower()
    for word in _TEXT_TRIGGER_WORDS:
        if word in lowered:
            return True
    return False


_TEXT_TRIGGER_WORDS = _SECRET_TEXT_WORDS + ('://',)


def _scrub_text(text):
    if len(text) < _SHORTEST_SECRET_TEXT or not _mentions_text_word(text):
        return text
    if '://' in text and '@' in text:
        text = _URL_CREDENTIALS.sub(r'\1' + MASK + r'\2', text)
    lowered = text.lower()
    if 'private key' in lowered:
        text = _PEM_PRIVATE_KEY.sub(MASK, text)
    if 'token' in lowered:
        text = _TOKEN_HEADER.sub(r'\1' + MASK, text)
    for word in _SECRET_TEXT_WORDS:
        if word in lowered:
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
        verdicts = _key_verdicts
        trigger = _mentions_text_word
        for key, item in value.items():
            if item is None:
                out[key] = None
                continue
            secret = verdicts.get(key)
            if secret is None:
                secret = is_secret_key(key)
            if secret:
                out[key] = MASK
                continue
            item_kind = type(item)
            if item_kind is str:
                out[key] = (_scrub_text(item)
                            if len(item) >= _SHORTEST_SECRET_TEXT
                            and trigger(item) else item)
            elif item_kind is dict or item_kind is list:
                out[key] = scrub(item)
            else:
                out[key] = item
        name = out.get(_ATTACHMENT_NAME)
        if (_ATTACHMENT_CONTENT in out and type(name) is str
                and is_secret_key(name)):
            out[_ATTACHMENT_CONTENT] = MASK
        return out
    if kind is list:
        return [scrub(item) if type(item) in (dict, list)
                else _scrub_text(item) if type(item) is str else item
                for item in value]
    if kind is str:
        return _scrub_text(value)
    return value


def _needs_walk(text):
    return _mentions_secret(text) or (
        '@' in text and _URL_CREDENTIALS.search(text) is not None)


# JSON texts found free of secrets lately, of values that come again and
# again: a request's context comes with each of its notifications (about
# eight in a row in simulated nova traffic, 2,341 distinct contexts in
# 20,000 notifications), and it is 40% of the text scanned. Looking a text
# up costs a hash of it, a fraction of the scan (the text lowercased,
# then searched for eleven words). Bounded: emptied when full.
_clean_texts = set()
_MAX_CLEAN_TEXTS = 1024


def scrub_serialized(value, dumps, repeated=False):
    """``(scrubbed value, its JSON text)`` with one serialization in the
    common case: serialize, look for anything secret-looking in the text,
    and only walk and re-serialize the structure when something is found.

    ``repeated``: the value is of a kind that comes again unchanged (a
    context): a text found clean is remembered, and not scanned again.
    """
    text = dumps(value)
    if repeated and text in _clean_texts:
        return value, text
    if not _needs_walk(text):
        if repeated:
            if len(_clean_texts) >= _MAX_CLEAN_TEXTS:
                _clean_texts.clear()
            _clean_texts.add(text)
        return value, text
    value = scrub(value)
    return value, dumps(value)


def _mask_structures(text):
    """Mask the list or mapping that follows each secret key, up to its
    closing bracket (or the end of a truncated text)."""
    pieces = []
    position = 0
    while True:
        match = _STRUCTURED_SECRET.search(text, position)
        if match is None:
            break
        start = match.start('open')
        depth = 0
        end = len(text)
        for index in range(start, len(text)):
            char = text[index]
            if char in '[{':
                depth += 1
            elif char in ']}':
                depth -= 1
                if depth == 0:
                    end = index + 1
                    break
        pieces.append(text[position:start])
        pieces.append(MASK)
        position = end
    pieces.append(text[position:])
    return ''.join(pieces)


def scrub_text(text):
    """Mask secrets in a text that may be broken or embedded JSON.

    A text that parses as JSON is scrubbed as a structure (and returned
    re-serialized); otherwise secret keys are looked for in the text
    itself, with plain or escaped quotes. Slower than ``scrub()``: meant
    for rejected messages, not for the ingest path.
    """
    if not _needs_walk(text):
        return text
    try:
        value = jsonutils.loads(text)
    except (ValueError, RecursionError):
        value = None
    else:
        if isinstance(value, (dict, list)):
            return jsonutils.dumps(scrub_embedded(value))
    text = _mask_structures(text)
    text = _QUOTED_SECRET.sub(r'\g<head>' + MASK + r'\g<tail>', text)
    return _scrub_text(text)


def scrub_embedded(value):
    """``scrub()``, and also the JSON documents carried as strings inside
    ``value`` (the ``oslo.message`` of a wire v2 body)."""
    value = scrub(value)
    if type(value) is dict:
        for key, item in value.items():
            if type(item) is str and item[:1] in ('{', '[') and (
                    _needs_walk(item)):
                value[key] = scrub_text(item)
    return value
