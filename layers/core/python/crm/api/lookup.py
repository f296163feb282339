"""The body of a client lookup (第29条4; DOMAIN §12): one key, in the body so that no ID or phone
number travels in a URL (and so in an access log)."""

from __future__ import annotations

from pydantic import Field

from crm.api.models import Identifier, Strict


class LookupIn(Strict):
    client_id: Identifier | None = Field(default=None, description="The fund account (资金账号)")
    securities_account: str | None = Field(
        default=None, min_length=1, max_length=20, description="A securities account (证券账号): SH A…, SZ 0…"
    )
    id_number: str | None = Field(default=None, min_length=1, max_length=18, description="The 18-character ID number")
    phone: str | None = Field(default=None, min_length=1, max_length=11, description="The 11-digit mobile number")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The name, or its beginning: at least one Chinese character or two letters",
    )
