"""What the fixture files must not keep: credentials and this machine's
paths.

Applied by the program that writes the captures, never by hand:

* the value of every key naming a token, password or secret, at any depth
  (nova 34's legacy ``scheduler.select_destinations.*`` payloads carry the
  user's token in ``request_spec.instance_properties.pci_requests._context``)
  becomes ``"***"`` (null and empty values are kept as they are);
* absolute paths of the machine that ran the cloud (in tracebacks of
  fault and exception payloads) become ``<checkout>``, ``<venvs>``,
  ``<cloud>`` and ``<python>``.
"""

import os
import sys

_SECRET_WORDS = ('token', 'password', 'secret')
REDACTED = '***'


class Sanitizer:

    def __init__(self, checkout, venvs, cloud):
        prefixes = {venvs: '<venvs>', cloud: '<cloud>',
                    checkout: '<checkout>', sys.base_prefix: '<python>'}
        # The longest first: the venvs may live inside the checkout.
        self.prefixes = sorted(
            ((os.path.abspath(path), name) for path, name in prefixes.items()
             if path), key=lambda item: -len(item[0]))

    def text(self, value):
        for path, name in self.prefixes:
            value = value.replace(path, name)
        return value

    def __call__(self, value, key=None):
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            if value and key and any(word in key.lower()
                                     for word in _SECRET_WORDS):
                return REDACTED
            return self.text(value)
        return value
