"""The audit trail (留痕) through the API: every change of a client's records, with who, when,
before/after, why and evidence; append-only; archived; read by compliance alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm import topology
from tests.integration.harness import Harness

COMPLIANCE = ("compliance", "cmp-1", None)
MANAGER = ("manager", "mgr-1", "B1")


def trail(harness: Harness, as_: Any = COMPLIANCE) -> list[dict[str, Any]]:
    response = harness.call("GET", "/audit/clients/C001", as_=as_)
    assert response.status == 200, response.body
    return response.json()["items"]


@pytest.mark.usefixtures("client")
def test_a_phone_change_shows_before_after_who_why_and_evidence(harness: Harness) -> None:
    change = {"phone": "13911112222", "evidence_ref": "REC-20260506-0042", "reason": "客户换号"}
    assert harness.call("PUT", "/clients/C001/contact-details", change, as_=MANAGER).status == 200
    harness.drain()

    entry = next(e for e in trail(harness) if e["key"]["sk"] == "PROFILE" and e["event"] == "MODIFY")
    assert (entry["by"], entry["reason"], entry["evidence_ref"]) == ("mgr-1", "客户换号", "REC-20260506-0042")
    assert (entry["before"]["phone"], entry["after"]["phone"]) == ("138****8000", "139****2222")
    assert entry["table"] == "clients"


@pytest.mark.usefixtures("client")
def test_every_change_leaves_one_entry_and_redelivery_adds_none(harness: Harness) -> None:
    harness.call("PUT", "/clients/C001/manager", {"manager_id": "mgr-2", "reason": "调岗"})
    harness.call(
        "PUT", "/clients/C001/metrics/2025", {"assets": 2_000_000, "avg_assets": 1_000_000, "trade_volume": 10}
    )
    harness.drain()
    before = trail(harness)
    kinds = [(e["key"]["sk"].split("#")[0], e["event"], e["by"]) for e in before]
    assert ("PROFILE", "INSERT", "sup-b1") in kinds  # registered
    assert ("MANAGER", "INSERT", "sup-b1") in kinds  # re-assigned, with its reason
    assert ("METRICS", "INSERT", "sup-b1") in kinds
    assert any(kind == ("CLASS", "INSERT") for kind in ((k[0], k[1]) for k in kinds))
    reclassified = [e for e in before if e["key"]["sk"] == "PROFILE" and "client_class" in e["after"]]
    assert [(e["by"], e["after"]["client_class"]) for e in reclassified] == [("system:reclassify", "B")]
    manager = next(e for e in before if e["key"]["sk"] == "PROFILE" and "manager_id" in e["after"])
    assert (manager["before"]["manager_id"], manager["after"]["manager_id"], manager["reason"]) == (
        "mgr-1",
        "mgr-2",
        "调岗",
    )

    audit = harness.pumps["audit:clients"]
    audit.rewind()  # every record of the clients table delivered again
    while audit.poll_once():
        pass
    assert trail(harness) == before


@pytest.mark.usefixtures("client")
def test_each_batch_is_archived(harness: Harness) -> None:
    harness.drain()
    s3 = harness.clients["s3"]
    objects = s3.list_objects_v2(Bucket=topology.AUDIT_ARCHIVE.local_name).get("Contents", [])
    lines = b"".join(
        s3.get_object(Bucket=topology.AUDIT_ARCHIVE.local_name, Key=o["Key"])["Body"].read() for o in objects
    ).splitlines()
    about_the_client = [line for line in lines if json.loads(line)["subject"] == "CLIENT#C001"]
    assert len(about_the_client) == len(trail(harness))


@pytest.mark.usefixtures("client")
def test_only_compliance_reads_the_trail(harness: Harness) -> None:
    for caller in (MANAGER, ("supervisor", "sup-b1", "B1"), ("hq", "h", None), ("counter", "c", "B1")):
        assert harness.call("GET", "/audit/clients/C001", as_=caller).status == 403
