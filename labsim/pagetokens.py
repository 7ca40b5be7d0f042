"""Signed page tokens (``NextToken``): opaque to the learner, tamper-evident, the same every run (layer 0).

A token carries a small JSON state (where the next page starts, when the token was issued) and a
MAC made with a secret derived from the lab's seed (``LabContext.secret``), so a notebook shows the
same tokens on every run while an edited or foreign token is refused.

>>> tokens = PageTokens(b"k" * 32)
>>> token = tokens.encode({"after": "shardId-000000000001", "t": 0})
>>> tokens.decode(token)
{'after': 'shardId-000000000001', 't': 0}
>>> tokens.decode(token[:-4] + "AAAA")
Traceback (most recent call last):
...
labsim.errors.ServiceError: InvalidArgumentException: Invalid NextToken: ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from .errors import ServiceError


class PageTokens:
    """Encode and check ``NextToken`` values with one secret."""

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        self._key = secret

    def encode(self, state: Any) -> str:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, raw, hashlib.sha256).digest()[:16]
        return base64.b64encode(raw + mac).decode("ascii")

    def decode(self, token: Any, error: type[ServiceError] | None = None) -> Any:
        """The state inside ``token``; an ``InvalidArgumentException`` (or ``error``) if it is not ours."""
        try:
            raw = binascii.a2b_base64(token.encode("ascii"), strict_mode=True)
            body, mac = raw[:-16], raw[-16:]
            if len(raw) <= 16 or not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]):
                raise ValueError("bad token")
            return json.loads(body)
        except Exception:
            shown = token if isinstance(token, str) and len(token) <= 64 else "..."
            if error is not None:
                raise error(f"Invalid NextToken: {shown}") from None
            raise ServiceError(f"Invalid NextToken: {shown}", "InvalidArgumentException") from None
