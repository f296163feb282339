"""The clients table: one item collection per client (一户一档).

Keys: pk = CLIENT#<id>; sk = PROFILE | METRICS#<year> | CLASS#<at>#<id> | VIP#<at>#<id> |
QUESTIONNAIRE#<at>#<id> | MANAGER#<at>. History items are append-only; the PROFILE item holds
the current state under optimistic locking (`version`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.data.base import (
    DecimalAttribute,
    Stamped,
    connection,
    decode_cursor,
    encode_cursor,
    lost_to_a_condition,
    meta_for,
    set_or_remove,
    shard_of,
    stamp_actions,
    stamped,
)
from crm.domain.audit import Stamp
from crm.domain.classification import ClassCause, YearMetrics
from crm.domain.client import (
    ClassBasis,
    ClassChange,
    Client,
    ContactDetailsChange,
    ManagerAssignment,
    MetricsRecord,
    QuestionnaireRecord,
    VipChange,
)
from crm.domain.profile import DecisionStyle, Profile, TradingHabit, ValueSegment
from crm.domain.questionnaire import RiskLevel
from crm.domain.reclassification import Reclassification
from crm.domain.time import iso, parse_iso
from crm.errors import Conflict
from crm.topology import CLIENTS

PROFILE = "PROFILE"
SYSTEM_RECLASSIFY = "system:reclassify"


def client_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def metrics_sk(year: int) -> str:
    return f"METRICS#{year:04d}"


class ClientsItem(Stamped, Model):
    Meta = meta_for(CLIENTS)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _BasisAttribute(MapAttribute[str, Any]):
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


TURNOVER_SHARDS = 8


class _VipTargets(GlobalSecondaryIndex["ProfileItem"]):
    class Meta:
        index_name = "vip_targets"
        projection = AllProjection()

    vip_target_branch = UnicodeAttribute(hash_key=True)
    client_id = UnicodeAttribute(range_key=True)


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
    class_basis = _BasisAttribute(null=True)
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
    version = VersionAttribute()
    by_branch = _ByBranch()
    by_manager = _ByManager()
    by_turnover = _ByTurnover()
    vip_targets = _VipTargets()


class _MetricsItem(ClientsItem):
    client_id = UnicodeAttribute()
    year = NumberAttribute()
    assets = DecimalAttribute()
    avg_assets = DecimalAttribute()
    trade_volume = DecimalAttribute()
    avg_holding_days = DecimalAttribute(null=True)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()


class _ClassHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    client_class = UnicodeAttribute()
    previous_class = UnicodeAttribute(null=True)
    cause = UnicodeAttribute()
    at = UnicodeAttribute()
    basis = _BasisAttribute()


class _VipHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    vip = BooleanAttribute()
    previous_vip = BooleanAttribute()
    client_class = UnicodeAttribute(null=True)
    cause = UnicodeAttribute()
    at = UnicodeAttribute()


class _ManagerHistoryItem(ClientsItem):
    client_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    previous_manager_id = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    reason = UnicodeAttribute()
    at = UnicodeAttribute()


class _ContactChangeItem(ClientsItem):
    client_id = UnicodeAttribute()
    phone_before = UnicodeAttribute()
    phone_after = UnicodeAttribute()
    email_before = UnicodeAttribute(null=True)
    email_after = UnicodeAttribute(null=True)
    evidence_ref = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    by = UnicodeAttribute()
    at = UnicodeAttribute()


class _QuestionnaireItem(ClientsItem):
    client_id = UnicodeAttribute()
    questionnaire_id = UnicodeAttribute()
    score = NumberAttribute()
    risk_level = UnicodeAttribute()
    answers = JSONAttribute()
    rules_version = UnicodeAttribute()
    submitted_at = UnicodeAttribute()
    submitted_by = UnicodeAttribute()
    paper_ref = UnicodeAttribute(null=True)


# --- mapping between items and domain values ------------------------------------------------


def _basis_attr(basis: ClassBasis) -> _BasisAttribute:
    return _BasisAttribute(
        metrics_year=basis.metrics_year,
        assets=basis.metrics.assets,
        avg_assets=basis.metrics.avg_assets,
        trade_volume=basis.metrics.trade_volume,
        turnover=basis.turnover,
        threshold=basis.threshold,
        threshold_version=basis.threshold_version,
        rules_version=basis.rules_version,
    )


def _basis(attr: _BasisAttribute | None) -> ClassBasis | None:
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
        class_basis=_basis(item.class_basis),
        risk_level=RiskLevel(item.risk_level) if item.risk_level else None,
        risk_score=int(item.risk_score) if item.risk_score is not None else None,
        risk_assessed_at=parse_iso(item.risk_assessed_at) if item.risk_assessed_at else None,
        profile=Profile(
            trading_habit=TradingHabit(item.trading_habit) if item.trading_habit else None,
            value_segment=ValueSegment(item.value_segment) if item.value_segment else None,
            decision_style=DecisionStyle(item.decision_style) if item.decision_style else None,
            note=item.profile_note,
        ),
        version=item.version,
    )


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
        class_basis=_basis_attr(client.class_basis) if client.class_basis else None,
        risk_level=client.risk_level.value if client.risk_level else None,
        risk_score=client.risk_score,
        risk_assessed_at=iso(client.risk_assessed_at) if client.risk_assessed_at else None,
    )
    if client.version is not None:
        item.version = client.version
    return item


# --- clients --------------------------------------------------------------------------------


def create(client: Client) -> Client:
    """Store a new client; 409 when the client_id is taken."""
    item = stamped(profile_item(client), Stamp(by=client.created_by, reason="client registered"))
    try:
        item.save(condition=ProfileItem.pk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"client {client.client_id} already exists", field="client_id") from None
        raise
    return client_from_item(item)


def get(client_id: str, *, consistent: bool = False) -> Client | None:
    try:
        return client_from_item(ProfileItem.get(client_pk(client_id), PROFILE, consistent_read=consistent))
    except ProfileItem.DoesNotExist:
        return None


def list_clients(
    *, branch_id: str, manager_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Client], str | None]:
    """One page of a branch's clients, or of one manager's clients in that branch."""
    start = decode_cursor(cursor)
    if manager_id is not None:
        pages = ProfileItem.by_manager.query(
            manager_id,
            filter_condition=ProfileItem.branch_id == branch_id,
            limit=limit,
            last_evaluated_key=start,
        )
    else:
        pages = ProfileItem.by_branch.query(branch_id, limit=limit, last_evaluated_key=start)
    clients = [client_from_item(item) for item in pages]
    return clients, encode_cursor(pages.last_evaluated_key)


def put_metrics(record: MetricsRecord) -> None:
    """Store one year's figures; the reclassification follows through the stream."""
    m = record.metrics
    _MetricsItem(
        pk=client_pk(record.client_id),
        sk=metrics_sk(m.year),
        client_id=record.client_id,
        year=m.year,
        assets=m.assets,
        avg_assets=m.avg_assets,
        trade_volume=m.trade_volume,
        avg_holding_days=record.avg_holding_days,
        updated_at=iso(record.updated_at),
        updated_by=record.updated_by,
    ).save()


def metrics(client_id: str, *, consistent: bool = False) -> list[MetricsRecord]:
    """Every year on record, newest first."""
    return [
        MetricsRecord(
            client_id=item.client_id,
            metrics=_year_metrics(item),
            updated_at=parse_iso(item.updated_at),
            updated_by=item.updated_by,
            avg_holding_days=item.avg_holding_days,
        )
        for item in _MetricsItem.query(
            client_pk(client_id),
            _MetricsItem.sk.startswith("METRICS#"),
            scan_index_forward=False,
            consistent_read=consistent,
        )
    ]


def year_metrics(client_id: str, year: int) -> YearMetrics | None:
    """One year's figures as they now are (read consistently), or None."""
    try:
        item = _MetricsItem.get(client_pk(client_id), metrics_sk(year), consistent_read=True)
    except _MetricsItem.DoesNotExist:
        return None
    return _year_metrics(item)


def _year_metrics(item: _MetricsItem) -> YearMetrics:
    return YearMetrics(
        year=int(item.year), assets=item.assets, avg_assets=item.avg_assets, trade_volume=item.trade_volume
    )


def latest_metrics(client_id: str) -> YearMetrics | None:
    """The latest year on record, read consistently: it decides the class (DOMAIN.md §1)."""
    for item in _MetricsItem.query(
        client_pk(client_id),
        _MetricsItem.sk.startswith("METRICS#"),
        scan_index_forward=False,
        consistent_read=True,
        limit=1,
    ):
        return _year_metrics(item)
    return None


def apply_reclassification(client: Client, result: Reclassification) -> bool:
    """Write a new class/VIP state and its history atomically.

    Conditioned on the profile version the decision was made from: when another writer got
    there first, nothing is written and False is returned, so the caller recomputes from
    fresh state. History keys carry the change id, so a replay cannot append twice.
    """
    profile = profile_item(client)
    actions: list[Action] = [
        ProfileItem.client_class.set(result.client_class),
        ProfileItem.vip.set(result.vip),
        ProfileItem.class_basis.set(_basis_attr(result.basis)),
    ]
    actions.append(set_or_remove(ProfileItem.vip_target_branch, client.branch_id if result.vip_target else None))
    cause = result.class_change.cause if result.class_change else None
    actions += stamp_actions(ProfileItem, Stamp(by=SYSTEM_RECLASSIFY, reason=f"reclassified ({cause or 'basis'})"))
    if result.turnover_decides:
        actions += [
            ProfileItem.turnover_shard.set(str(shard_of(client.client_id, TURNOVER_SHARDS))),
            ProfileItem.turnover.set(result.basis.turnover),
        ]
    else:
        actions += [ProfileItem.turnover_shard.remove(), ProfileItem.turnover.remove()]
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(profile, actions=actions)
            if result.class_change is not None:
                transaction.save(_class_history_item(result.class_change), condition=ClientsItem.sk.does_not_exist())
            if result.vip_change is not None:
                transaction.save(_vip_history_item(result.vip_change), condition=ClientsItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            return False
        raise
    return True


def _class_history_item(change: ClassChange) -> _ClassHistoryItem:
    return _ClassHistoryItem(
        pk=client_pk(change.client_id),
        sk=f"CLASS#{iso(change.at)}#{change.change_id}",
        client_id=change.client_id,
        client_class=change.client_class,
        previous_class=change.previous_class,
        cause=change.cause.value,
        at=iso(change.at),
        basis=_basis_attr(change.basis),
    )


def _vip_history_item(change: VipChange) -> _VipHistoryItem:
    return _VipHistoryItem(
        pk=client_pk(change.client_id),
        sk=f"VIP#{iso(change.at)}#{change.change_id}",
        client_id=change.client_id,
        vip=change.vip,
        previous_vip=change.previous_vip,
        client_class=change.client_class,
        cause=change.cause.value,
        at=iso(change.at),
    )


_Item = TypeVar("_Item", bound=ClientsItem)


def _history(model: type[_Item], client_id: str, prefix: str) -> Iterator[_Item]:
    """A client's history items of one kind, newest first (keys sort by time)."""
    return model.query(client_pk(client_id), model.sk.startswith(prefix), scan_index_forward=False)


def class_history(client_id: str) -> list[ClassChange]:
    return [
        ClassChange(
            client_id=item.client_id,
            client_class=item.client_class,
            previous_class=item.previous_class,
            cause=ClassCause(item.cause),
            at=parse_iso(item.at),
            basis=_basis(item.basis),  # type: ignore[arg-type]
            change_id=item.sk.rsplit("#", 1)[-1],
        )
        for item in _history(_ClassHistoryItem, client_id, "CLASS#")
    ]


def vip_history(client_id: str) -> list[VipChange]:
    return [
        VipChange(
            client_id=item.client_id,
            vip=bool(item.vip),
            previous_vip=bool(item.previous_vip),
            client_class=item.client_class,
            cause=ClassCause(item.cause),
            at=parse_iso(item.at),
            change_id=item.sk.rsplit("#", 1)[-1],
        )
        for item in _history(_VipHistoryItem, client_id, "VIP#")
    ]


def change_with_history(client: Client, actions: list[Action], entry: ClientsItem) -> None:
    """Change the client's record (under the version it was read at) and append the history entry
    that explains it, atomically; 409 when the client changed meanwhile."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            transaction.update(profile_item(client), actions=actions)
            transaction.save(entry, condition=ClientsItem.sk.does_not_exist())
    except TransactWriteError as exc:
        if lost_to_a_condition(exc):
            raise Conflict("the client changed meanwhile; reload and try again") from None
        raise


def reassign_manager(client: Client, assignment: ManagerAssignment) -> None:
    """Change the one manager of a client and keep who, when and why (第50条 2)."""
    change_with_history(
        client,
        [
            ProfileItem.manager_id.set(assignment.manager_id),
            *stamp_actions(ProfileItem, Stamp(by=assignment.by, reason=assignment.reason)),
        ],
        _ManagerHistoryItem(
            pk=client_pk(client.client_id),
            sk=f"MANAGER#{iso(assignment.at)}",
            client_id=client.client_id,
            manager_id=assignment.manager_id,
            previous_manager_id=assignment.previous_manager_id,
            by=assignment.by,
            reason=assignment.reason,
            at=iso(assignment.at),
        ),
    )


def manager_history(client_id: str) -> list[ManagerAssignment]:
    return [
        ManagerAssignment(
            client_id=item.client_id,
            manager_id=item.manager_id,
            previous_manager_id=item.previous_manager_id,
            by=item.by,
            reason=item.reason,
            at=parse_iso(item.at),
        )
        for item in _history(_ManagerHistoryItem, client_id, "MANAGER#")
    ]


def record_questionnaire(client: Client, record: QuestionnaireRecord) -> None:
    """Keep the submission and make it decide the client's risk level (the newest decides)."""
    change_with_history(
        client,
        [
            ProfileItem.risk_level.set(record.risk_level.value),
            ProfileItem.risk_score.set(record.score),
            ProfileItem.risk_assessed_at.set(iso(record.submitted_at)),
            *stamp_actions(
                ProfileItem, Stamp(by=record.submitted_by, reason="risk questionnaire", evidence_ref=record.paper_ref)
            ),
        ],
        _QuestionnaireItem(
            pk=client_pk(client.client_id),
            sk=f"QUESTIONNAIRE#{iso(record.submitted_at)}#{record.questionnaire_id}",
            client_id=client.client_id,
            questionnaire_id=record.questionnaire_id,
            score=record.score,
            risk_level=record.risk_level.value,
            answers=record.answers,
            rules_version=record.rules_version,
            submitted_at=iso(record.submitted_at),
            submitted_by=record.submitted_by,
            paper_ref=record.paper_ref,
        ),
    )


def questionnaires(client_id: str) -> list[QuestionnaireRecord]:
    return [
        QuestionnaireRecord(
            client_id=item.client_id,
            questionnaire_id=item.questionnaire_id,
            score=int(item.score),
            risk_level=RiskLevel(item.risk_level),
            answers=item.answers,
            rules_version=item.rules_version,
            submitted_at=parse_iso(item.submitted_at),
            submitted_by=item.submitted_by,
            paper_ref=item.paper_ref,
        )
        for item in _history(_QuestionnaireItem, client_id, "QUESTIONNAIRE#")
    ]


def change_contact_details(client: Client, change: ContactDetailsChange) -> None:
    """New phone/e-mail on the record and the change, with its evidence, in its history (第35–36条)."""
    change_with_history(
        client,
        [
            ProfileItem.phone.set(change.phone_after),
            set_or_remove(ProfileItem.email, change.email_after),
            *stamp_actions(ProfileItem, Stamp(by=change.by, reason=change.reason, evidence_ref=change.evidence_ref)),
        ],
        _ContactChangeItem(
            pk=client_pk(client.client_id),
            sk=f"CONTACT_CHANGE#{iso(change.at)}",
            client_id=client.client_id,
            phone_before=change.phone_before,
            phone_after=change.phone_after,
            email_before=change.email_before,
            email_after=change.email_after,
            evidence_ref=change.evidence_ref,
            reason=change.reason,
            by=change.by,
            at=iso(change.at),
        ),
    )


def contact_details_history(client_id: str) -> list[ContactDetailsChange]:
    return [
        ContactDetailsChange(
            client_id=item.client_id,
            phone_before=item.phone_before,
            phone_after=item.phone_after,
            email_before=item.email_before,
            email_after=item.email_after,
            evidence_ref=item.evidence_ref,
            reason=item.reason,
            by=item.by,
            at=parse_iso(item.at),
        )
        for item in _history(_ContactChangeItem, client_id, "CONTACT_CHANGE#")
    ]


def turnover_between(low: Decimal, high: Decimal) -> Iterator[Client]:
    """Clients whose band splits on T and whose turnover lies in [low, high], from the sparse
    `by_turnover` index: never the whole table."""
    for shard in range(TURNOVER_SHARDS):
        for item in ProfileItem.by_turnover.query(str(shard), ProfileItem.turnover.between(low, high)):
            yield client_from_item(item)


def client_records(after: str | None = None) -> Iterator[tuple[Client, str | None]]:
    """Every client record, each with the position just after it (to resume a walk there).

    Read through the `by_branch` index, which holds one item per client: a walk over everyone
    never reads figures or histories.
    """
    items = ProfileItem.by_branch.scan(last_evaluated_key=decode_cursor(after))
    for item in items:
        yield client_from_item(item), encode_cursor(items.last_evaluated_key)
