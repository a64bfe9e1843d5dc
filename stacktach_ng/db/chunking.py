"""How many rows one statement carries.

Bounded, and far below every backend's limit on bound parameters: used
for the rows of a multi-row INSERT or upsert and for the values of an IN
list.
"""

CHUNK = 500


def chunks(items, size=CHUNK):
    """Successive slices of ``items`` (a sequence) of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
