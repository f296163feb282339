"""The account-opening SMS (第34–35条; DOMAIN §8) through SNS (moto's), sent from the stream: once
per client whatever the redeliveries, logged against the client with the phone masked; a number
that opted out is logged as not sent; throttling and failures are retried, then kept on the
failure queue, and nothing is sent twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto.sns.models import sns_backends

from crm import config
from crm.data.clients import messages as message_data
from crm.domain.messages import MessageRecord, MessageStatus
from crm.domain.time import BEIJING
from tests.integration.harness import Harness, new_client
from tests.integration.pages import every_page, whole

COUNTER = ("counter", "ctr-1", "B1")
MANAGER = ("manager", "mgr-1", "B1")


def sent(harness: Harness, number: str) -> list[str]:
    backend = sns_backends["123456789012"]["us-east-1"]
    return [text for phone, text in backend.sms_messages.values() if phone == number]


def register(harness: Harness, client_id: str = "C001", phone: str = "13800138000") -> None:
    body = new_client(client_id, phone=phone, opened_on="2026-06-01")  # a new account: greeted
    assert harness.call("POST", "/clients", body, as_=COUNTER, at="2026-06-01T10:00:00+08:00").status == 201


def messages(harness: Harness, client_id: str = "C001", as_: Any = MANAGER) -> list[dict[str, Any]]:
    response = harness.call("GET", f"/clients/{client_id}/messages", as_=as_)
    assert response.status == 200, response.body
    return response.json()["items"]


def test_an_account_opened_long_before_it_is_registered_gets_no_opening_sms(harness: Harness) -> None:
    """A migrated book (DOMAIN §5, §13): an account opened more than 31 days before it is
    registered is no new account, and is not greeted as one, however it is registered."""
    for client_id, opened_on in (("C001", "2026-05-01"), ("C002", "2026-04-30")):  # 31 and 32 days before
        body = new_client(client_id, opened_on=opened_on)
        assert harness.call("POST", "/clients", body, as_=COUNTER, at="2026-06-01T10:00:00+08:00").status == 201
    harness.drain()
    assert [m["template"] for m in messages(harness, "C001")] == ["account_opened"]
    assert messages(harness, "C002") == []
    assert sent(harness, "+86" + new_client("C002")["phone"]) == []


def test_a_new_client_gets_one_opening_sms_even_when_its_record_is_delivered_again(harness: Harness) -> None:
    register(harness)
    harness.drain()
    (message,) = messages(harness)
    assert message | {"message_id": None} == {
        "message_id": None,
        "template": "account_opened",
        "status": "sent",
        "sent_at": "2026-06-01T10:00:00+08:00",
        "phone": "138****8000",
        "reason": None,
    }
    for pump in harness.pumps.values():
        pump.rewind()
    harness.drain()
    (text,) = sent(harness, "+8613800138000")
    assert "张三" in text
    assert len(messages(harness)) == 1
    assert harness.call("GET", "/clients/C001/messages", as_=("manager", "mgr-2", "B1")).status == 403


def test_a_number_that_opted_out_is_logged_as_not_sent_with_the_reason(harness: Harness) -> None:
    register(harness, phone="13800138099")  # moto: numbers ending in 99 have opted out
    harness.drain()
    (message,) = messages(harness)
    assert (message["status"], message["reason"], message["phone"]) == (
        "not_sent",
        "the number has opted out of SMS",
        "138****8099",
    )
    assert sent(harness, "+8613800138099") == []


def refuse_publish(monkeypatch: pytest.MonkeyPatch, times: int, code: str = "Throttling") -> list[int]:
    """SNS Publish fails `times` times (throttled, or failing), then works."""
    calls: list[int] = []
    original = BaseClient._make_api_call

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "sns" and operation == "Publish":
            calls.append(1)
            if len(calls) <= times:
                response = {
                    "Error": {"Code": code, "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                }
                raise ClientError(response, operation)  # type: ignore[arg-type]
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return calls


def test_a_throttled_publish_is_retried_and_sent_once(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = refuse_publish(monkeypatch, times=2)
    register(harness)
    harness.drain()
    assert len(calls) == 3
    assert len(sent(harness, "+8613800138000")) == 1
    assert [m["status"] for m in messages(harness)] == ["sent"]
    assert harness.pumps["sms:clients"].stats.retries >= 2


def test_a_publish_that_keeps_failing_ends_on_the_failure_queue_and_is_never_doubled(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_publish(monkeypatch, times=100, code="InternalError")
    register(harness)
    harness.drain()
    assert sent(harness, "+8613800138000") == []
    assert [m["status"] for m in messages(harness)] == ["pending"]
    (failure,) = harness.failure_messages("sms")
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    monkeypatch.undo()  # SNS is back; an operator replays the record from the queue
    for pump in harness.pumps.values():
        pump.rewind()
    harness.drain()
    assert len(sent(harness, "+8613800138000")) == 1
    assert [m["status"] for m in messages(harness)] == ["sent"]


def test_the_log_read_in_pages_loses_and_repeats_nothing(harness: Harness) -> None:
    register(harness)
    harness.drain()
    with config.running(config.tooling()):  # two more messages in the log, as later templates would leave them
        for day in (2, 3):
            record = MessageRecord(
                message_id=f"later-{day}",
                client_id="C001",
                template="account_opened",
                rules_version="test",
                status=MessageStatus.SENT,
                phone_masked="138****8000",
                at=datetime(2026, 6, day, 10, tzinfo=BEIJING),
            )
            message_data.begin(record)
    log = whole(harness, "/clients/C001/messages", as_=MANAGER)
    assert [m["sent_at"][:10] for m in log] == ["2026-06-03", "2026-06-02", "2026-06-01"]
    pages = every_page(harness, "/clients/C001/messages", limit=2, as_=MANAGER)
    assert [len(page) for page in pages] == [2, 1]
    assert [item for page in pages for item in page] == log
