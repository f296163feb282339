"""The clients table's models: the client record (PROFILE) with its indexes, and what every
repository of the table shares (keys, the record's mapping, a change with its history entry).

Keys: pk = CLIENT#<id>; sk = PROFILE | METRICS#<year> | CLASS#<at>#<id> | VIP#<at>#<id> |
QUESTIONNAIRE#<at>#<id> | MANAGER#<at> | CONTACT_CHANGE#<at> | PROFILE_CHANGE#<at> | SALE#… |
DISCLOSURE#… | BUSINESS#…. History items are append-only; the PROFILE item holds the current
state under optimistic locking (`version`). Nothing sorts between METRICS#… and PROFILE: the
reclassification reads the record and its latest years in one query of that range
(crm.data.clients.yearly_sums.read_change); a new kind of item must sort elsewhere. The index
classes here are the topology's (`crm.topology.CLIENTS`); tests/unit/test_data_indexes.py holds
them to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from crm.data.base import (
    DecimalAttribute,
    Stamped,
    connection,
    decode_cursor,
    encode_cursor,
    lost_to_a_condition,
    meta_for,
)
from crm.data.pages import read_ahead
from crm.domain.classification import YearMetrics
from crm.domain.client import ClassBasis, Client, ClientStatus
from crm.domain.person import Exchange, SecuritiesAccount
from crm.domain.profile import DecisionStyle, Profile, TradingHabit, ValueSegment
from crm.domain.risk_level import RiskLevel
from crm.domain.time import iso, parse_iso
from crm.errors import ClientChanged
from crm.topology import CLIENTS

PROFILE = "PROFILE"
CLIENT_PREFIX = "CLIENT#"


def client_pk(client_id: str) -> str:
    return f"{CLIENT_PREFIX}{client_id}"


class ClientsItem(Stamped, Model):
    Meta = meta_for(CLIENTS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class BasisAttribute(MapAttribute[str, Any]):
    metrics_year = NumberAttribute()
    assets = DecimalAttribute()
    avg_assets = DecimalAttribute()
    trade_volume = DecimalAttribute()
    turnover = DecimalAttribute()
    threshold = DecimalAttribute()
    threshold_version = UnicodeAttribute()
    rules_version = UnicodeAttribute()


class _ByBranch(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_branch"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class _ByManager(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_manager"
        projection = AllProjection()

    manager_id = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class _ByTurnover(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_turnover"
        projection = AllProjection()

    turnover_shard = UnicodeAttribute(hash_key=True)
    turnover = DecimalAttribute(range_key=True)


class _VipTargets(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "vip_targets"
        projection = AllProjection()

    vip_target_branch = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class _AtRisk(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "at_risk"
        projection = AllProjection()

    at_risk_branch = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


class _ByIdHash(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_id_hash"
        projection = AllProjection()

    id_hash = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class _ByPhoneHash(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_phone_hash"
        projection = AllProjection()

    phone_hash = UnicodeAttribute(hash_key=True)
    opened_key = UnicodeAttribute(range_key=True)


class _ByName(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "by_name"
        projection = AllProjection()

    branch_id = UnicodeAttribute(hash_key=True)
    name_key = UnicodeAttribute(range_key=True)


class ProfileItem(ClientsItem):
    client_id = UnicodeAttribute()
    name = UnicodeAttribute()
    id_number = UnicodeAttribute()
    phone = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)
    branch_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    opened_on = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    client_class = UnicodeAttribute(null=True)
    vip = BooleanAttribute(default=False)
    class_basis = BasisAttribute(null=True)
    risk_level = UnicodeAttribute(null=True)
    risk_score = NumberAttribute(null=True)
    risk_assessed_at = UnicodeAttribute(null=True)
    turnover_shard = UnicodeAttribute(null=True)
    turnover = DecimalAttribute(null=True)
    trading_habit = UnicodeAttribute(null=True)
    value_segment = UnicodeAttribute(null=True)
    decision_style = UnicodeAttribute(null=True)
    profile_note = UnicodeAttribute(null=True)
    vip_target_branch = UnicodeAttribute(null=True)  # set while the client is a target VIP (Part 4)
    first_classified_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # null: active
    open_case_id = UnicodeAttribute(null=True)
    open_case_kind = UnicodeAttribute(null=True)
    assets_fell_in = NumberAttribute(null=True)
    at_risk_branch = UnicodeAttribute(null=True)  # set while the client is at risk of leaving (第50条 10)
    # The lookup keys (DOMAIN §12): keyed hashes of the ID number and phone, the name first in its
    # branch, the day opened first among a person's accounts (newest first). Set while the person
    # may be looked up; a restricted person's are removed (PIPL 第47条).
    id_hash = UnicodeAttribute(null=True)
    phone_hash = UnicodeAttribute(null=True)
    name_key = UnicodeAttribute(null=True)
    opened_key = UnicodeAttribute(null=True)
    securities_accounts = ListAttribute[str](null=True)  # `SH:A123456789`, …
    restricted = BooleanAttribute(null=True)  # set while the person is restricted (PIPL 第47条)
    version = VersionAttribute()
    by_branch = _ByBranch()
    by_manager = _ByManager()
    by_turnover = _ByTurnover()
    vip_targets = _VipTargets()
    at_risk = _AtRisk()
    by_id_hash = _ByIdHash()
    by_phone_hash = _ByPhoneHash()
    by_name = _ByName()


def basis_attribute(basis: ClassBasis) -> BasisAttribute:
    return BasisAttribute(
        metrics_year=basis.metrics_year,
        assets=basis.metrics.assets,
        avg_assets=basis.metrics.avg_assets,
        trade_volume=basis.metrics.trade_volume,
        turnover=basis.turnover,
        threshold=basis.threshold,
        threshold_version=basis.threshold_version,
        rules_version=basis.rules_version,
    )


def basis_of(attr: BasisAttribute | None) -> ClassBasis | None:
    if attr is None:
        return None
    return ClassBasis(
        metrics=YearMetrics(
            year=int(attr.metrics_year),
            assets=attr.assets,
            avg_assets=attr.avg_assets,
            trade_volume=attr.trade_volume,
        ),
        threshold=attr.threshold,
        threshold_version=attr.threshold_version,
        rules_version=attr.rules_version,
    )


def client_from_item(item: ProfileItem) -> Client:
    return Client(
        client_id=item.client_id,
        name=item.name,
        id_number=item.id_number,
        phone=item.phone,
        email=item.email,
        birthday=date.fromisoformat(item.birthday) if item.birthday else None,
        branch_id=item.branch_id,
        manager_id=item.manager_id,
        opened_on=date.fromisoformat(item.opened_on),
        created_at=parse_iso(item.created_at),
        created_by=item.created_by,
        client_class=item.client_class,
        vip=bool(item.vip),
        class_basis=basis_of(item.class_basis),
        risk_level=RiskLevel(item.risk_level) if item.risk_level else None,
        risk_score=int(item.risk_score) if item.risk_score is not None else None,
        risk_assessed_at=parse_iso(item.risk_assessed_at) if item.risk_assessed_at else None,
        profile=Profile(
            trading_habit=TradingHabit(item.trading_habit) if item.trading_habit else None,
            value_segment=ValueSegment(item.value_segment) if item.value_segment else None,
            decision_style=DecisionStyle(item.decision_style) if item.decision_style else None,
            note=item.profile_note,
        ),
        vip_target=item.vip_target_branch is not None,
        first_classified_at=parse_iso(item.first_classified_at) if item.first_classified_at else None,
        status=ClientStatus(item.status) if item.status else ClientStatus.ACTIVE,
        open_case_id=item.open_case_id,
        open_case_kind=item.open_case_kind,
        assets_fell_in=int(item.assets_fell_in) if item.assets_fell_in is not None else None,
        securities_accounts=tuple(securities_account(key) for key in item.securities_accounts or ()),
        changed_at=parse_iso(item.changed_at) if item.changed_at else None,
        restricted=bool(item.restricted),
        version=item.version,
    )


def securities_account(key: str) -> SecuritiesAccount:
    exchange, _, account = key.partition(":")
    return SecuritiesAccount(Exchange(exchange), account)


def client_from_image(image: dict[str, Any]) -> Client:
    """A client record as a DynamoDB stream record carries it."""
    return client_from_item(ProfileItem.from_raw_data(image))


def profile_item(client: Client) -> ProfileItem:
    item = ProfileItem(
        pk=client_pk(client.client_id),
        sk=PROFILE,
        client_id=client.client_id,
        name=client.name,
        id_number=client.id_number,
        phone=client.phone,
        email=client.email,
        birthday=client.birthday.isoformat() if client.birthday else None,
        branch_id=client.branch_id,
        manager_id=client.manager_id,
        opened_on=client.opened_on.isoformat(),
        created_at=iso(client.created_at),
        created_by=client.created_by,
        client_class=client.client_class,
        vip=client.vip,
        class_basis=basis_attribute(client.class_basis) if client.class_basis else None,
        risk_level=client.risk_level.value if client.risk_level else None,
        risk_score=client.risk_score,
        risk_assessed_at=iso(client.risk_assessed_at) if client.risk_assessed_at else None,
    )
    if client.version is not None:
        item.version = client.version
    return item


def change_with_history(client: Client, actions: list[Action], entry: ClientsItem) -> None:
    """Change the client's record (under the version it was read at) and append the history entry
    that explains it, atomically; 409 when the client changed meanwhile."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(profile_item(client), actions=actions)
            transaction.save(entry, condition=ClientsItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise ClientChanged("the client changed meanwhile; reload and try again") from None
        raise


_Item = TypeVar("_Item", bound=ClientsItem)
_Value = TypeVar("_Value")


def history(
    model: type[_Item],
    client_id: str,
    prefix: str,
    *,
    newest_first: bool = True,
    consistent: bool = False,
    limit: int | None = None,
    after: dict[str, Any] | None = None,
) -> ResultIterator[_Item]:
    """A client's items of one kind (sort key `prefix`…), newest first: history keys sort by time.
    `limit` and `after` (a last evaluated key) read one page of them."""
    return model.query(
        client_pk(client_id),
        model.sk.startswith(prefix),
        scan_index_forward=not newest_first,
        consistent_read=consistent,
        limit=limit,
        page_size=None if limit is None else read_ahead(limit),
        last_evaluated_key=after,
    )


def history_page(
    model: type[_Item],
    client_id: str,
    prefix: str,
    convert: Callable[[_Item], _Value],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool = True,
) -> tuple[list[_Value], str | None]:
    """One page of a client's items of one kind, in `history`'s order, with the cursor of the next
    page: signed for this client's items of this kind, so it fits no other client's or kind's."""
    listing = f"history:{prefix}:{client_id}"
    items = history(
        model, client_id, prefix, newest_first=newest_first, limit=limit, after=decode_cursor(cursor, listing)
    )
    return [convert(item) for item in items], encode_cursor(items.last_evaluated_key, listing)
