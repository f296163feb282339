"""Keyed hashes that stand for ID and phone numbers in the lookup indexes (DOMAIN §12).

HMAC-SHA256 under the lookup key (Secrets Manager, crm.topology `LOOKUP_KEY`), with the kind of
number in the message so an ID number and a phone never hash alike. The index holds the hash, never
the number: someone who reads the table without the key cannot find a person by number, nor tell
two people's numbers apart from guesses. Only the functions that write or look up those indexes
declare the key.
"""

from __future__ import annotations

import hashlib
import hmac

from crm.data import keys
from crm.topology import LOOKUP_KEY

DIGEST_CHARS = 40  # 160 bits of the 256: far beyond any collision among a brokerage's clients


def _digest(kind: str, value: str) -> str:
    mac = hmac.new(keys.key(LOOKUP_KEY), f"{kind}\n{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:DIGEST_CHARS]


def id_number(value: str) -> str:
    return _digest("id_number", value.upper())


def phone(value: str) -> str:
    return _digest("phone", value)
