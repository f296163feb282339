"""Who may call the API from a browser: the origins allowed, and the CORS headers they get (API.md
«Rules every route follows»).

Browsers on the allowed origins may call every route: the preflight answers without
authentication, and every answer to an allowed origin — errors included — names that origin in
`Access-Control-Allow-Origin`, exposing `ETag`, `Location` and `Retry-After`. Another origin gets
no `Access-Control-Allow-Origin`. The origins are deployment configuration: exact origins in AWS
(a list, never `*`); locally any port of `http://localhost` and `http://127.0.0.1` unless
`crm local --allow-origin` names others (an origin ending in `:*` takes any port).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOW_HEADERS = ("Authorization", "Content-Type", "If-Match", "Idempotency-Key")
EXPOSE_HEADERS = ("ETag", "Location", "Retry-After")
MAX_AGE_S = 600  # a browser asks again after ten minutes
ANY_PORT = ":*"


def origin_problem(origin: str, *, any_port: bool = False) -> str | None:
    """Why `origin` is no origin a browser sends (`scheme://host[:port]`, nothing more), or None."""
    if origin == "*" or "*" in origin.removesuffix(ANY_PORT if any_port else ""):
        return "must name an origin, never a wildcard"
    parts = urlsplit(origin.removesuffix(ANY_PORT) if any_port else origin)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        return "must be scheme://host[:port] and nothing more"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
        return "must be https (plain http only on this machine)"
    return None


@dataclass(frozen=True)
class OriginPolicy:
    origins: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> OriginPolicy:
        """The origins of a JSON list (the functions' `CORS_ALLOWED_ORIGINS`; `[]`: none)."""
        origins = json.loads(text) if text else []
        if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
            raise ValueError(f"allowed origins: {text!r} is not a JSON list of origins")
        return cls(tuple(origins))

    def serialise(self) -> str:
        return json.dumps(list(self.origins))

    def allows(self, origin: str | None) -> bool:
        if not origin:
            return False
        for allowed in self.origins:
            if allowed == origin:
                return True
            if allowed.endswith(ANY_PORT):
                base = allowed.removesuffix(ANY_PORT)
                port = origin.removeprefix(base + ":")
                if origin.startswith(base + ":") and port.isdigit() and len(port) <= 5:
                    return True
        return False

    def headers(self, origin: str | None) -> dict[str, str]:
        """What an answer to `origin` carries: the origin, the headers a script may read; nothing for
        an origin not allowed. `Vary: Origin` always, so no cache hands one origin's answer to another."""
        if origin is None or not self.allows(origin):
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": ",".join(EXPOSE_HEADERS),
            "Vary": "Origin",
        }

    def preflight(self, origin: str | None, methods: Iterable[str]) -> dict[str, str]:
        """The headers of a preflight's answer: what may be sent, by which methods, for how long."""
        if not self.allows(origin):
            return {"Vary": "Origin"}
        return self.headers(origin) | {
            "Access-Control-Allow-Methods": ",".join(sorted({*methods, "OPTIONS"})),
            "Access-Control-Allow-Headers": ",".join(ALLOW_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_S),
        }


def origin_of(headers: dict[str, str] | None) -> str | None:
    """The request's `Origin`, in whatever case the client or the gateway spelt it."""
    return next((str(v) for k, v in (headers or {}).items() if str(k).lower() == "origin"), None)
