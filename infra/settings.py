"""Deployment configuration: what differs between one brokerage's deployment and another's.

Read from the CDK context (`cdk.json`, or `-c name=value` for one synth, JSON for lists), checked
when the app is built so a wrong value fails the synth with its name:
- `web_sign_in`: the web front-end's sign-in through Cognito's hosted UI — the URLs the code flow
  may return to after sign-in and after sign-out, and the hosted UI's domain prefix (none: no
  hosted UI, and no OAuth flow on the app client at all);
- `allowed_origins`: the origins browsers may call the API from (a list of exact origins, never
  `*`; none: no browser may).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crm.domain.cors import origin_problem

WEB_SIGN_IN_CONTEXT = "web_sign_in"
ALLOWED_ORIGINS_CONTEXT = "allowed_origins"
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class SettingsError(ValueError):
    """A deployment setting that cannot be deployed; the message names it."""


def _value(context: Mapping[str, Any], name: str, default: Any) -> Any:
    value = context.get(name, default)
    if isinstance(value, str):  # `-c name=<json>` arrives as text
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"context {name}: not JSON ({exc.msg})") from None
    return value


def _url(value: Any, where: str) -> str:
    """An absolute URL a browser is sent back to: https, or http on the developer's own machine."""
    if not isinstance(value, str):
        raise SettingsError(f"{where}: {value!r} is not a URL")
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if not (parts.scheme == "https" or local) or not parts.hostname or "*" in value:
        raise SettingsError(f"{where}: {value!r} is not an https URL (or http://localhost) without wildcards")
    return value


@dataclass(frozen=True)
class WebSignIn:
    callback_urls: tuple[str, ...] = ()
    logout_urls: tuple[str, ...] = ()
    domain_prefix: str | None = None

    @property
    def hosted(self) -> bool:
        """Whether the code flow is offered: it needs somewhere to return to."""
        return bool(self.callback_urls)

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> WebSignIn:
        raw = _value(context, WEB_SIGN_IN_CONTEXT, {})
        if not isinstance(raw, Mapping) or set(raw) - {"callback_urls", "logout_urls", "domain_prefix"}:
            raise SettingsError(f"context {WEB_SIGN_IN_CONTEXT}: callback_urls, logout_urls and domain_prefix only")
        urls = {
            name: tuple(_url(url, f"{WEB_SIGN_IN_CONTEXT}.{name}") for url in raw.get(name) or ())
            for name in ("callback_urls", "logout_urls")
        }
        prefix = raw.get("domain_prefix") or None
        if prefix is not None and not (isinstance(prefix, str) and _DOMAIN_PREFIX.fullmatch(prefix)):
            raise SettingsError(f"{WEB_SIGN_IN_CONTEXT}.domain_prefix: {prefix!r} is no Cognito domain prefix")
        if prefix is not None and not urls["callback_urls"]:
            raise SettingsError(f"{WEB_SIGN_IN_CONTEXT}: a hosted UI (domain_prefix) needs callback_urls")
        return cls(callback_urls=urls["callback_urls"], logout_urls=urls["logout_urls"], domain_prefix=prefix)


def allowed_origins(context: Mapping[str, Any]) -> tuple[str, ...]:
    """The origins browsers may call the API from: exact origins, never a wildcard (crm.domain.cors)."""
    raw = _value(context, ALLOWED_ORIGINS_CONTEXT, [])
    if not isinstance(raw, list):
        raise SettingsError(f"context {ALLOWED_ORIGINS_CONTEXT}: a list of origins")
    for origin in raw:
        problem = origin_problem(origin) if isinstance(origin, str) else "is not text"
        if problem:
            raise SettingsError(f"{ALLOWED_ORIGINS_CONTEXT}: {origin!r} {problem}")
    return tuple(dict.fromkeys(raw))


@dataclass(frozen=True)
class DeploymentSettings:
    web_sign_in: WebSignIn
    allowed_origins: tuple[str, ...]

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DeploymentSettings:
        return cls(web_sign_in=WebSignIn.from_context(context), allowed_origins=allowed_origins(context))
