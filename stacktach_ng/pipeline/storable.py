"""Text as every database accepts it.

Below both ``normalize`` (the columns of a stored notification) and
``rejection`` (the columns of a rejected message), which both need it.
"""


def storable_text(text):
    """``text`` as every database accepts it: no NUL characters (PostgreSQL
    refuses them) and no lone surrogates (the standard JSON parser lets
    ``"\\ud800"`` through; it cannot be encoded as UTF-8)."""
    if not text.isascii():
        text = text.encode('utf-8', 'replace').decode('utf-8')
    if '\x00' in text:
        text = text.replace('\x00', '')
    return text
