"""Hostile input on every route of the OpenAPI document (issue 12; API.md: never a 500 for bad input).

For each route, as a caller the access table allows, a corpus of classic bad input goes into its
path parameters, its query parameters and its body: numbers past the float range and integers of
5,000 digits, 5,000 levels of nesting, bodies over the size limit and strings and arrays just under
it, invalid UTF-8, lone surrogates, NUL and other control characters, bidirectional overrides and
isolates (in values and in keys), duplicate keys, bodies of the wrong type, dates in the years
0000, 1900 and 9999, money beyond its bound and over-long parameters. Every answer is a 4xx with
the error body of API.md, most with the status and the field the rule names (rules/requests.toml);
none is a 5xx, and nothing is stored: every item of every table is the same before and after a
route's corpus.

The body cases are built on a valid body for the route (TEMPLATES) with one field spoiled, so a
refusal names that field and no other. Bodies API Gateway base64-encoded are held to the same
limits. One world is seeded per module; no request of the corpus succeeds (each route's corpus
compares the tables before and after it), so the order of the tests does not matter.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from moto import mock_aws

from crm import rules
from crm.api.openapi import COMMITTED
from crm.domain.access import Role
from crm.local.front import GatewayResponse
from tests.integration.harness import Harness, build_harness, empty_backends, new_client, provisioned_clients

DOCUMENT = json.loads(COMMITTED.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]
ROUTES = sorted(f"{method.upper()} {path}" for path, ops in DOCUMENT["paths"].items() for method in ops)
LIMITS = rules.requests().limits
POLICY = rules.access()

Caller = tuple[str, str, str | None]
CALLERS: dict[Role, Caller] = {
    Role.SUPERVISOR: ("supervisor", "sup-1", "B1"),
    Role.MANAGER: ("manager", "mgr-1", "B1"),
    Role.COUNTER: ("counter", "ctr-1", "B1"),
    Role.HQ: ("hq", "hq-1", None),
    Role.COMPLIANCE: ("compliance", "cmp-1", None),
}
AT = "2026-06-10T10:00:00+08:00"
AT_MS = int(datetime.fromisoformat(AT).timestamp() * 1000)

HUGE_NUMBERS = {"1e309": "1e309", "-1e309": "-1e309", "5000-digit": "9" * 5000}
BAD_CHARACTERS = {
    "NUL": "\\u0000",
    "BEL": "\\u0007",
    "ESC": "\\u001b",
    "DEL": "\\u007f",
    "C1": "\\u0085",
    "RLO": "\\u202e",
    "LRE": "\\u202a",
    "RLI": "\\u2067",
    "PDI": "\\u2069",
    "lone-high-surrogate": "\\ud800",
    "lone-low-surrogate": "\\udfff",
}
# Invisible in one line (Unicode Cf, Zl, Zp): never in a name, an id or a reference (API.md «Rules»).
INVISIBLE = {
    "ZWSP": "\\u200b",
    "LRM": "\\u200e",
    "RLM": "\\u200f",
    "ALM": "\\u061c",
    "BOM": "\\ufeff",
    "LSEP": "\\u2028",
    "PSEP": "\\u2029",
}
FORMULA = '"=HYPERLINK(\\"http://x\\",\\"y\\")"'
NOT_JSON_MEDIA_TYPES = ("text/json", "application/vnd.api+json", "application/x-www-form-urlencoded", "text/plain")
EDITED_CURSOR = "eyJ4IjoxfQ=="  # {"x":1}: a cursor a client made up
BAD_YEARS = ("0000", "1900", "9999")
PARAMETER_VALUES = {  # as they travel in a URL
    "over-long": "A" * 2000,
    "NUL": "a%00b",
    "RLO": "a%E2%80%AEb",
    "LRI": "a%E2%81%A6b",
    "newline": "a%0Ab",
    "ESC": "a%1Bb",
}


# ---------------------------------------------------------------------------------------------
# The world: one client of branch B1 and a record of every kind a path names


@dataclass
class World:
    harness: Harness
    values: dict[str, str]  # path parameter → an existing record's id


Call = Callable[..., Any]  # (method, path, body, at=AT) → the 2xx answer's JSON


def make_world(ok: Call, run_callbacks_job: Callable[[str], Any]) -> dict[str, str]:
    """The records every route's path can name, made through the API as a branch supervisor
    (`ok`; `ok(…, as_=caller)` as another), with the callbacks job run once (`run_callbacks_job(at)`):
    path parameter → an id.
    The integration suite makes them through the harness, the end-to-end one through `crm local`."""
    opened = "2026-06-01T05:00:00+08:00"
    ok("POST", "/clients", new_client("C001", branch_id="B1", manager_id="mgr-1", opened_on="2026-06-01"), opened)
    other = new_client("C002", id_number=id_number("11010119850214221"), phone="13800138001", opened_on="2026-06-01")
    ok("POST", "/clients", other, opened)
    run_callbacks_job("2026-06-01T06:00:00+08:00")  # NA-C001, NA-C002 in the pool
    complaint = {"client_id": "C001", "channel": "phone", "category": "other", "content": "投诉"}
    contact = {"client_id": "C001", "channel": "phone", "subject": "咨询", "first_responder": "mgr-1"}
    prospect = {
        "name": "意向客户",
        "phone": "13500000001",
        "source": "walk_in",
        "branch_id": "B1",
        "manager_id": "mgr-1",
    }
    lecture = {"title": "讲座", "kind": "seminar", "held_on": "2026-06-20", "topic": "债券", "speaker": "王老师"}
    case = {"client_id": "C002", "kind": "closure", "reason": "fees"}
    values = {
        "client_id": "C001",
        "year": "2026",
        "complaint_no": ok("POST", "/complaints", complaint)["complaint_no"],
        "contact_id": ok("POST", "/contacts", contact)["contact_id"],
        "prospect_id": ok("POST", "/prospects", prospect)["prospect_id"],
        "activity_id": ok("POST", "/education/activities", lecture | {"branch_id": "B1"})["activity_id"],
        "case_id": ok("POST", "/retention-cases", case)["case_id"],
        "callback_id": "NA-C001",
        "manager_id": "mgr-1",
        "date": "2026-06-10",
        "week": "2026-W24",
        "period": "2026Q2",
        "staff_id": "ctr-new",
        "import_id": ok("POST", "/imports", TEMPLATES["POST /imports"], as_=CALLERS[Role.HQ])["import_id"],
    }
    ok("GET", "/callbacks/NA-C001", None)
    return values


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with mock_aws():
        aws = provisioned_clients()
        empty_backends()  # moto's state is the worker's: begin from nothing, whoever ran before
        harness = build_harness(aws)

        def ok(method: str, path: str, body: Any, at: str = AT, as_: Caller = CALLERS[Role.SUPERVISOR]) -> Any:
            response = harness.call(method, path, body, as_=as_, at=at)
            assert 200 <= response.status < 300, (method, path, response.status, response.body)
            return response.json()

        def run_callbacks_job(at: str) -> None:
            harness.drain()  # the callback schedule, kept by the streams
            harness.trigger("callbacks", at)

        values = make_world(ok, run_callbacks_job)
        harness.drain()
        yield World(harness, values)


def id_number(prefix17: str) -> str:
    """A resident ID number with a valid check digit (GB 11643)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


def stored() -> dict[str, frozenset[str]]:
    """Every item of every table, as a digest of its content: what a refused request must not change."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    found: dict[str, frozenset[str]] = {}
    for name, table in dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables.items():
        items = []
        for value in table.items.values():
            rows: list[Any] = list(value.values()) if table.has_range_key else [value]
            for item in rows:
                text = json.dumps(item.to_json(), sort_keys=True, default=str)
                items.append(hashlib.sha256(text.encode()).hexdigest())
        found[name] = frozenset(items)
    return found


# ---------------------------------------------------------------------------------------------
# Valid requests to spoil


TEMPLATES: dict[str, dict[str, Any]] = {
    "PUT /calendar/{year}": {"holidays": ["2027-01-01", "2027-02-08"], "workdays": ["2027-02-06"]},
    "POST /callbacks/{callback_id}/attempts": {"reached": True, "next_at": "2026-12-30T10:00:00+08:00"},
    "PUT /callbacks/{callback_id}/owner": {"owner": "ctr-5"},
    "POST /clients": new_client("C777", id_number=id_number("11010119870101123"), phone="13800138777"),
    "POST /clients/{client_id}/businesses": {"business": "margin"},
    "PUT /clients/{client_id}/contact-details": {"email": "c001.x@example.com", "evidence_ref": "REC-1"},
    "PUT /clients/{client_id}/manager": {"manager_id": "mgr-3", "reason": "客户要求更换客户经理"},
    "PUT /clients/{client_id}/metrics/{year}": {"assets": 700_000, "avg_assets": 100_000, "trade_volume": 100_000},
    "PUT /clients/{client_id}/profile": {"note": "拜访记录", "value_segment": "rising_star"},
    "POST /clients/{client_id}/questionnaires": {
        "answers": {str(n): "A" for n in range(1, 13)} | {"9": ["A"]},
        "paper_ref": "PAPER-1",
    },
    "POST /clients/{client_id}/risk-disclosures": {
        "business": "warrants",
        "document_ref": "RD-1",
        "signed_on": "2026-06-01",
    },
    "POST /clients/{client_id}/sales": {"product_id": "money_market", "amount": 20_000},
    "POST /complaints": {
        "client_id": "C001",
        "channel": "letter",
        "category": "other",
        "content": "投诉内容",
        "received_at": "2026-06-09T10:00:00+08:00",
    },
    "POST /complaints/{complaint_no}/transitions": {"to": "accepted", "note": "受理"},
    "POST /contacts": {
        "client_id": "C001",
        "channel": "email",
        "subject": "对账单",
        "first_responder": "mgr-1",
        "received_at": "2026-06-09T10:00:00+08:00",
    },
    "POST /contacts/{contact_id}/reply": {"answer": "已答复"},
    "POST /education/activities": {
        "title": "新讲座",
        "kind": "seminar",
        "held_on": "2026-06-20",
        "topic": "债券",
        "speaker": "王老师",
        "branch_id": "B1",
    },
    "PUT /education/activities/{activity_id}/attendance": {"client_ids": ["C001"]},
    "POST /prospects": {"name": "新意向客户", "phone": "13500000002", "source": "referral", "branch_id": "B1"},
    "POST /prospects/{prospect_id}/outcome": {"outcome": "dropped", "reason": "无意向"},
    "POST /retention-cases": {"client_id": "C001", "kind": "transfer", "reason": "service"},
    "POST /retention-cases/{case_id}/actions": {"action": "电话挽留", "note": "减免佣金"},
    "POST /retention-cases/{case_id}/outcome": {"outcome": "retained"},
    "POST /spot-checks": {"manager_id": "mgr-1", "from": "2026-06-01", "to": "2026-06-05", "finding": "日志完整"},
    "POST /visits": {
        "client_id": "C001",
        "at": "2026-06-09T08:30:00+08:00",
        "channel": "phone",
        "purpose": "回访",
        "outcome": "ok",
        "self_assessment": 3,
    },
    "PUT /weekly-summaries/{manager_id}/{week}": {"achieved": "开户", "problems": "无", "plan": "回访"},
    "PUT /work-logs/{manager_id}/{date}": {"entries": [{"kind": "research", "minutes": 60, "note": "研究"}]},
    "PUT /staff/{staff_id}": {"name": "新柜员", "role": "counter", "branch_id": "B1", "active": True, "reason": "入职"},
    "POST /clients/lookup": {"name": "张"},
    "PUT /clients/{client_id}/securities-accounts": {"accounts": [{"exchange": "SH", "account": "A123456789"}]},
    "POST /imports": {"kind": "metrics", "encoding": "gbk", "file_name": "年末资产.csv"},
}
PERSON_NAMES = {"POST /clients": "name", "POST /prospects": "name", "PUT /staff/{staff_id}": "name"}
QUERIES: dict[str, dict[str, str]] = {  # what a route needs in its query to be answered at all
    "GET /work-logs": {"manager_id": "mgr-1", "from": "2026-06-01", "to": "2026-06-07"},
    "GET /managers/{manager_id}/activity": {"from": "2026-06-01", "to": "2026-06-07"},
    "GET /clients/{client_id}/suitability": {"product_id": "money_market"},
}
PATH_VALUES = {"PUT /calendar/{year}": {"year": "2027"}}


def caller_for(route: str) -> Caller:
    grants = POLICY.routes[route]
    role = next(role for role in (Role.SUPERVISOR, Role.HQ, Role.COMPLIANCE, Role.MANAGER) if role in grants)
    return CALLERS[role]


def operation(route: str) -> dict[str, Any]:
    method, path = route.split(" ", 1)
    return DOCUMENT["paths"][path][method.lower()]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def kinds(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a schema (anyOf/oneOf), each resolved."""
    schema = resolve(schema)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    return [resolve(s) for s in alternatives] if alternatives else [schema]


def is_date(schema: dict[str, Any]) -> str | None:
    for alternative in kinds(schema):
        if alternative.get("format") in ("date", "date-time"):
            return str(alternative["format"])
        if alternative.get("type") == "array" and is_date(alternative.get("items", {})):
            return "array-" + str(is_date(alternative["items"]))
    return None


def is_money(schema: dict[str, Any]) -> bool:
    return any(a.get("type") == "number" and "maximum" in a for a in kinds(schema))


def body_schema(route: str) -> dict[str, Any]:
    return resolve(operation(route)["requestBody"]["content"]["application/json"]["schema"])


# ---------------------------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: bytes = b""
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    status: tuple[int, ...] = ()  # empty: any 4xx
    field: str | tuple[str, ...] | None = None  # the error's field (or one of them); None: not checked


def concrete(route: str, values: dict[str, str], **spoiled: str) -> str:
    """The route's path with existing records' ids, and any parameter spoiled (URL-encoded already)."""
    path = route.split(" ", 1)[1]
    return path.format(**encoded(values) | PATH_VALUES.get(route, {}) | spoiled)


def query_of(values: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in values.items())  # each already URL-encoded


def encoded(values: dict[str, str]) -> dict[str, str]:
    return {k: quote(v, safe="") for k, v in values.items()}


def parameter_cases(route: str, values: dict[str, str]) -> Iterator[Case]:
    base = encoded(QUERIES.get(route, {}))
    body = json.dumps(TEMPLATES[route], ensure_ascii=False).encode() if route in TEMPLATES else b""
    for parameter in operation(route).get("parameters", []):
        name, where, schema = parameter["name"], parameter["in"], parameter.get("schema", {})
        if where == "header":
            over = ((name, "k" * 300),)
            yield Case(f"header {name} over-long", concrete(route, values), body, query_of(base), over, (422,), name)
            continue
        spoils = dict(PARAMETER_VALUES)
        if where == "query":
            spoils["over-long"] = "A" * (LIMITS.max_query_parameter_chars + 1)
        if any(k.get("type") == "integer" for k in kinds(schema)):
            spoils |= {"1e309": "1e309", "5000-digit": "9" * 5000, "-1": "-1", "float": "1.5"}
        date_format = is_date(schema)
        if date_format:
            for year in BAD_YEARS:
                spoils[f"year {year}"] = f"{year}-01-01" + ("T10:00:00%2B08:00" if date_format == "date-time" else "")
        if name == "cursor":  # made up or edited: refused as one the listing never handed out
            spoils["edited"] = EDITED_CURSOR
        for label, value in spoils.items():
            # a value in its own grammar (a week, a period) may be refused for that first, so only
            # the characters and lengths the edge refuses are held to the parameter's name
            named = label in ("over-long", "NUL", "RLO", "LRI", "newline", "ESC", "edited") or bool(date_format)
            if where == "path":
                yield Case(f"path {name} {label}", concrete(route, values, **{name: value}), body, query_of(base),
                           field=name if named else None)  # fmt: skip
            else:
                query = query_of(base | {name: value})
                yield Case(f"query {name} {label}", concrete(route, values), body, query, field=name if named else None)
    # an unknown query parameter of hostile characters is refused as well, by its name
    yield Case(
        "query name RLO", concrete(route, values), body, query_of(base | {"a%E2%80%AEb": "1"}), (), (422,), "a\\u202eb"
    )


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


def with_raw(template: dict[str, Any], field: str, literal: str) -> bytes:
    """The template with `field` set to a JSON literal json.dumps cannot write (1e309, "\\ud800")."""
    marker = "\u0001MARKER\u0001"
    return dumps(template | {field: marker}).replace(dumps(marker), literal).encode()


def string_paths(node: Any, path: str = "") -> Iterator[str]:
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from string_paths(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from string_paths(value, f"{path}.{i}" if path else str(i))


def set_path(node: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    if isinstance(node, list):
        copy = list(node)
        copy[int(head)] = set_path(copy[int(head)], rest, value) if rest else value
        return copy
    return node | {head: set_path(node[head], rest, value) if rest else value}


def body_cases(route: str, values: dict[str, str]) -> Iterator[Case]:
    path = concrete(route, values)
    query = query_of(encoded(QUERIES.get(route, {})))
    template = TEMPLATES[route]
    schema = body_schema(route)
    properties = schema.get("properties", {})
    text = dumps(template)

    def case(name: str, body: bytes, status: tuple[int, ...] = (), field: str | tuple[str, ...] | None = None) -> Case:
        return Case(name, path, body, query, (), status, field)

    # the body as a whole
    for label, literal in HUGE_NUMBERS.items():
        yield case(f"body {label}", literal.encode(), (422,), "body")
    yield case("body nested 5000 arrays", ("[" * 5000 + "]" * 5000).encode(), (400,), "body")
    yield case("body nested 5000 objects", ('{"a":' * 5000 + "1" + "}" * 5000).encode(), (400,), "body")
    yield case("body nested 33 levels", ("[" * 33 + "]" * 33).encode(), (400,), "body")
    for label, raw in {"array": b"[]", "string": b'"x"', "number": b"1", "true": b"true", "null": b"null"}.items():
        yield case(f"body of type {label}", raw, (400, 422), "body")
    yield case("body NaN", b"NaN", (422,), "body")
    yield case("body not JSON", b"{'a': 1}", (400,), "body")
    yield case("body invalid UTF-8", text.encode()[:-1] + b'\xff\xfe"}', (400,), "body")
    yield case("body CESU-8 surrogate", text.encode()[:-1] + b'"\xed\xa0\x80"}', (400,), "body")
    yield case("body over the size limit", dumps(template | {"padding": "x" * LIMITS.max_body_bytes}).encode(), (413,),
               "body")  # fmt: skip
    yield case("body a huge array", ("[" + "0," * 100_000 + "0]").encode(), (422,), "body")
    for media_type in NOT_JSON_MEDIA_TYPES:  # Powertools' own check escaped as a 500
        yield Case(f"Content-Type {media_type}", path, text.encode(), query, (("Content-Type", media_type),), (415,),
                   "Content-Type")  # fmt: skip
    if route in PERSON_NAMES:  # a name goes verbatim into an SMS and a spreadsheet
        name = PERSON_NAMES[route]
        for label, literal in {"a formula": FORMULA, "digits": '"张三1"', "a leading space-dot": '"·张三"'}.items():
            yield case(f"{name} with {label}", with_raw(template, name, literal), (422,), name)

    # keys
    first = next(iter(template))
    duplicated = text[:-1] + f",{dumps(first)}:{dumps(template[first])}" + "}"
    yield case(f"duplicate key {first}", duplicated.encode(), (400,), first)
    for label, escape in (("NUL", "\\u0000"), ("RLO", "\\u202e"), ("lone surrogate", "\\ud800")):
        key = '"k' + escape + '"'
        shown = "k" + (escape if label != "RLO" else "\\u202e")
        yield case(f"key with {label}", (text[:-1] + f",{key}:1" + "}").encode(), (422,), shown)
    many = {f"k{i}": 0 for i in range(LIMITS.max_object_keys + 1)}
    yield case("an object of too many keys", dumps(template | {"extra": many}).encode(), (422,), "extra")

    # one field at a time
    for field in properties:
        for label, literal in HUGE_NUMBERS.items():
            yield case(f"{field} = {label}", with_raw(template, field, literal), (422,), field)
        yield case(f"{field} = NaN", with_raw(template, field, "NaN"), (422,), field)
        yield case(f"{field} = huge array", with_raw(template, field, "[" + "0," * 60_000 + "0]"), (422,), field)
        yield case(f"{field} nested 5000", with_raw(template, field, "[" * 5000 + "]" * 5000), (400,), "body")
        near = LIMITS.max_body_bytes - len(text.encode()) - 1024  # the body just under its limit
        under = dumps(template | {field: "长" * (near // 3)}).encode()
        yield case(f"{field} = a string just under the body limit", under, (422,), field)
        for label, escape in BAD_CHARACTERS.items():
            yield case(f"{field} with {label}", with_raw(template, field, f'"a{escape}b"'), (422,), field)
        date_format = is_date(properties[field]) or ""
        for year in BAD_YEARS if date_format else ():
            day = f"{year}-06-01" + ("T10:00:00+08:00" if "date-time" in date_format else "")
            if date_format.startswith("array"):  # a year the date type cannot hold is refused by its index
                spoiled = dumps(template | {field: [day]}).encode()
                yield case(f"{field} in the year {year}", spoiled, (422,), (field, f"{field}.0"))
            else:
                yield case(f"{field} in the year {year}", dumps(template | {field: day}).encode(), (422,), field)
        if is_money(properties[field]):
            for amount in ("1e30", "1000000000000.01", "0.001", "1E+13"):
                yield case(f"{field} = {amount} CNY", with_raw(template, field, amount), (422,), field)

    # nested strings (the answers of a questionnaire, the entries of a work log)
    for nested in string_paths(template):
        if "." in nested:
            for label in ("NUL", "RLO", "lone-high-surrogate"):
                marked = dumps(set_path(template, nested, "\u0001MARKER\u0001"))
                marked = marked.replace(dumps("\u0001MARKER\u0001"), f'"x{BAD_CHARACTERS[label]}"')
                yield case(f"{nested} with {label}", marked.encode(), (422,), nested)
    # a one-line field may not break lines (names, ids, references); free text may
    for field, value in template.items():
        limit = next((a.get("maxLength") for a in kinds(properties.get(field, {})) if "maxLength" in a), None)
        if isinstance(value, str) and limit is not None and limit <= LIMITS.single_line_max_chars:
            yield case(
                f"{field} with a line break", dumps(template | {field: "第一行\n第二行"}).encode(), (422,), field
            )
            for label, escape in INVISIBLE.items():
                yield case(f"{field} with {label}", with_raw(template, field, f'"a{escape}b"'), (422,), field)


def cases(route: str, values: dict[str, str]) -> list[Case]:
    found = list(parameter_cases(route, values))
    if route in TEMPLATES:
        found += body_cases(route, values)
    return found


# ---------------------------------------------------------------------------------------------
# The checks


def problem(case: Case, response: GatewayResponse) -> str | None:
    """What is wrong with the answer to a hostile request, or None."""
    shown = f"{response.status} {response.body[:240]!r}"
    if not 400 <= response.status < 500:
        return f"not a 4xx: {shown}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {shown}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) - {"details"} != {"code", "message", "field"}:
        return f"not the error shape: {shown}"
    if not (isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"]):
        return f"no code and message: {shown}"
    if case.status and response.status not in case.status:
        return f"status {response.status}, not {case.status}: {shown}"
    fields = (case.field,) if isinstance(case.field, str) else case.field
    if fields is not None and error["field"] not in fields:
        return f"field {error['field']!r}, not {case.field!r}: {shown}"
    return None


@pytest.mark.parametrize("route", ROUTES)
def test_hostile_input_gets_a_4xx_naming_its_field_and_stores_nothing(world: World, route: str) -> None:
    method = route.split(" ", 1)[0]
    token = world.harness.token(*caller_for(route))
    world.harness.drain()  # the caller on the staff register, and its trail, before the snapshot
    before = stored()
    wrong = []
    for case in cases(route, world.values):
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}", **dict(case.headers)}
        response = world.harness.gateway.handle(
            method, case.path, query=case.query, headers=headers, body=case.body, now_ms=AT_MS
        )
        found = problem(case, response)
        if found:
            wrong.append(f"{case.name}: {found}")
    assert wrong == [], "\n".join(wrong)
    world.harness.drain()
    assert stored() == before, "a refused request stored something"


def test_every_route_with_a_body_has_a_valid_body_to_spoil() -> None:
    with_body = {route for route in ROUTES if "requestBody" in operation(route)}
    assert set(TEMPLATES) == with_body


def test_the_corpus_holds_every_classic_case() -> None:
    """The corpus of a body route and of a route with parameters, by kind, so none is dropped."""
    values = {"client_id": "C001", "year": "2026"}
    names = [c.name for c in cases("PUT /clients/{client_id}/metrics/{year}", values)]
    for needle in ("body 1e309", "body -1e309", "body 5000-digit", "body nested 5000 arrays", "body invalid UTF-8",
                   "body over the size limit", "just under the body limit", "assets = 1e30 CNY", "duplicate key",
                   "assets with NUL", "assets with RLO", "assets with lone-high-surrogate", "body of type array",
                   "path client_id over-long", "path year 1e309", "key with NUL"):  # fmt: skip
        assert any(needle in name for name in names), needle
    names = [c.name for c in cases("GET /callbacks", values)]
    assert "query due_before year 9999" in names
    assert "query limit 5000-digit" in names


def base64_event(world: World, body: str) -> tuple[Any, dict[str, Any]]:
    """A `POST /complaints` event as API Gateway sends a body it base64-encoded."""
    from crm.local.front import proxy_event

    matched = world.harness.gateway.routes.match("POST", "/complaints")
    assert matched is not None
    compiled, parameters = matched
    token = world.harness.token(*CALLERS[Role.SUPERVISOR])
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    event = proxy_event(
        compiled=compiled,
        path="/complaints",
        path_parameters=parameters,
        query="",
        headers=headers,
        body=b"",
        claims=world.harness.issuer.verify(headers["Authorization"]),
        source_ip="127.0.0.1",
        now_ms=AT_MS,
    )
    return compiled.function, event | {"body": body, "isBase64Encoded": True}


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"not base64 at all!", 400),
        (base64.b64encode(b'{"client_id": "C001", "content": "\xff\xfe"}'), 400),  # not UTF-8
        (base64.b64encode(b'{"client_id": "C001", "content": "\xed\xa0\x80"}'), 400),  # a surrogate, CESU-8
        (base64.b64encode(b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"), 400),
        (base64.b64encode(b'{"a": "' + b"x" * (256 * 1024) + b'"}'), 413),  # measured decoded
    ],
    ids=["not-base64", "not-utf8", "cesu8-surrogate", "deep", "too-large"],
)
def test_a_base64_encoded_body_is_held_to_the_same_limits(world: World, raw: bytes, status: int) -> None:
    before = stored()
    function, event = base64_event(world, raw.decode("ascii", errors="replace"))
    response = world.harness.gateway.invoker.invoke(function, event)
    assert response["statusCode"] == status, response["body"]
    assert json.loads(response["body"])["error"]["field"] == "body"
    assert stored() == before


def test_a_base64_encoded_body_within_the_limits_is_read(world: World) -> None:
    """The positive control of the case above: the same event with a good body files a complaint."""
    body = {"client_id": "C001", "channel": "letter", "category": "other", "content": "信件投诉"}
    function, event = base64_event(world, base64.b64encode(json.dumps(body).encode()).decode())
    response = world.harness.gateway.invoker.invoke(function, event)
    assert response["statusCode"] == 201, response["body"]
