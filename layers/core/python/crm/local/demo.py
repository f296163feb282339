"""`crm local --demo`: a brokerage to try the system on, loaded through the system's own front doors.

The book of accounts and three years of their figures arrive as the trading system's files, through
the bulk-import routes (`crm.local.importer`, as `crm import` drives them); everything else through
the public API, with tokens of the local token endpoint (`crm token`), the local API's clock
(`crm clock`) and the scheduled jobs run as their schedules would (`crm trigger`). Nothing is
written to a table directly: the demo is also a test of those doors, and a request they refuse stops
it (`DemoError`, the refusal named). Its people and figures are `crm.local.demo_data`'s.

The story, by the clock (`crm clock` set to each moment; each job run `--at` its own):

- November 2025: the staff register. December 2025: the book imported (194 accounts and their
  2023–2025 year-end figures); three accounts registered at the counter with their figures.
- 1 January 2026, 00:05: the year-end recalibration of `T` (3 → the company's mean turnover), which
  moves those three accounts D- → C-. 5 January: the first callbacks run of the year draws the
  yearly sample, called back in June (one client in B001 never reached).
- The third quarter: inquiries on every channel (e-mails answered the same day, within two working
  days, and late), two clients retained, an investor-education lecture, then the week the new trading
  app went live: complaints of every category and channel (a regulator's referral, an invalid one, one
  answered late), called back on the Friday and closed; work logs, visits, weekly summaries, an online
  education session, spot checks. 1 October, 01:00: the quarterly report on 2026Q3.
- The fourth quarter: questionnaires at every risk level; sales inside and outside the match (with the
  client's signed acknowledgement); risk disclosures and the businesses they allow; securities
  accounts; profiles (a target VIP); a transfer and a closure decided on 7 November (that person is
  restricted); a book account that becomes a VIP (its birthday is the demo's day); accounts opened in
  November (one its manager's converted prospect); a seminar; complaints in every state (one past its
  reply deadline); an open transfer request; the managers' last days of work.
- Monday 7 December 2026: the callbacks run at 06:00; an e-mail at 08:15, a complaint at 08:40 and a
  callback at 09:05; the SLA sweep at 09:15. The local API's clock is left at 09:30.

Real time and the clock: the book is imported at the wall clock (the import workers take their
messages' time, which `crm clock` moves as it moves the API's; the book holds accounts opened up to
the demo's day, which no earlier import could register), so it is on record from the day the demo
is run, after every date of the story. The story keeps its records coherent with that: what falls due on the
demo's day is registered, classified or decided at the API's clock (no VIP of the book has a birthday
near it), what the API changes of a book account's state that the quarterly report counts (a risk
level, a transfer or closure) is dated in the fourth quarter, and the figures are made so that the
recalibration moves only the three accounts registered for it. The 2026Q3 report therefore counts
those three as its clients (its events are the whole quarter's): the book arrived after it.

With `--state DIR` the demo is loaded once: a second start finds the story's last record (the
complaint of 08:40) and only sets the clock again; a directory holding part of a demo is refused.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from io import StringIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from crm.local import importer
from crm.local.demo_data import (
    BRANCHES,
    COUNTER,
    MANAGERS,
    STAFF,
    SUPERVISOR,
    Account,
    Brokerage,
    StaffMember,
    answers_for,
    brokerage,
)

DEMO_NOW = "2026-12-07T09:30:00+08:00"  # a Monday; the last quarter is 2026Q3
LAST_QUARTER = "2026Q3"
HQ = "hq-demo"
COMPLIANCE = "cmp-demo"
MARKER = "营业厅排队叫号系统故障，等候超过一小时"  # the content of the story's last record
STAFF_BY_ID = {member.staff_id: member for member in STAFF}
ALL_MANAGERS = tuple(manager for branch in BRANCHES for manager in MANAGERS[branch])
REQUEST_TIMEOUT_S = 120
SETTLE_POLL_S = 1.0
SETTLE_QUIET_S = 1.0  # nothing moved on the streams and queues for this long: all handled
SETTLE_TIMEOUT_S = 300
WAIT_TIMEOUT_S = 30
BUSY_TRIES = 5  # a 429 or 503 is asked again after its Retry-After
WORKERS = 3  # requests in flight at once, where the story allows it


class DemoError(Exception):
    """The demo could not be loaded: a front door refused it, or the system did not do its part."""


# --- the local system's doors ------------------------------------------------------------------------


class Doors:
    """The running `crm local` on loopback: its API as any staff member of the demo (tokens from its
    token endpoint), its clock and its jobs. One keep-alive connection per thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.requests = 0
        self._tokens: dict[str, str] = {}
        self._clock: str | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any, str]:
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
                self._local.connection = connection
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException) as failed:
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise DemoError(f"{method} {path}: no answer from the local system ({failed})") from None
                continue  # a kept-alive connection the server had closed: once more, on a new one
            with self._lock:
                self.requests += 1
            try:
                answer = json.loads(payload) if payload else {}
            except ValueError:
                answer = {"error": {"message": payload[:200].decode("utf-8", "replace")}}
            return response.status, answer, response.getheader("Retry-After") or "1"
        raise AssertionError("unreachable")

    def local(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """A local endpoint, as `crm token`, `crm clock` and `crm trigger` call them."""
        path = f"/_local/{endpoint}"
        data = json.dumps(body).encode()
        status, answer, _ = self._exchange("POST", path, data, {"Content-Type": "application/json"})
        if status != 200:
            raise DemoError(refusal("POST", path, status, answer))
        return dict(answer)

    def token(self, staff_id: str) -> str:
        """A token of a staff member of the demo, who is put on the register as `crm token` does."""
        with self._lock:
            if staff_id in self._tokens:
                return self._tokens[staff_id]
        member = STAFF_BY_ID[staff_id]
        body = {"role": member.role, "user": member.staff_id, "branch": member.branch_id, "name": member.name}
        minted = self.local("token", body)
        if not minted.get("registered"):
            raise DemoError(f"{staff_id} was not put on the staff register: {minted.get('reason')}")
        with self._lock:
            self._tokens[staff_id] = str(minted["token"])
        return str(minted["token"])

    def call(self, who: str, method: str, path: str, body: Any = None, *, allow: Iterable[int] = ()) -> Any:
        """`method path` as `who`; an answer other than 2xx (or one in `allow`) stops the demo."""
        headers = {"Authorization": f"Bearer {self.token(who)}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        for _ in range(BUSY_TRIES):
            status, answer, retry_after = self._exchange(method, path, data, headers)
            if status in (429, 503):
                time.sleep(min(float(retry_after), 5.0))
                continue
            if 200 <= status < 300 or status in allow:
                return answer
            raise DemoError(refusal(method, path, status, answer))
        raise DemoError(f"{method} {path}: still busy after {BUSY_TRIES} tries")

    def every(self, who: str, path: str, **query: str) -> list[dict[str, Any]]:
        """Every item of a paged list."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            wanted = {**query, "limit": "100"} | ({"cursor": cursor} if cursor else {})
            page = self.call(who, "GET", f"{path}?{urlencode(wanted)}")
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def clock(self, at: str | None) -> None:
        """Set the local API's request time (`crm clock`); None: back to the wall clock."""
        if at is None or at != self._clock:
            self.local("clock", {"at": at})
            self._clock = at

    def trigger(self, job: str, at: str) -> dict[str, Any]:
        """Run a job as its schedule would at `at` (`crm trigger`); a failed run stops the demo."""
        run = self.local("trigger", {"job": job, "at": at})
        if run.get("failed"):
            raise DemoError(f"the {job} job run at {at} failed {run.get('attempts')} times: {run.get('error')}")
        return dict(run.get("result") or {})

    def activity(self) -> tuple[int, int]:
        """What the stream and queue pumps have handled so far, and what waits on the queues."""
        status = self.local("status", {})
        handled = sum(s["delivered"] + s["filtered_out"] for s in status["streams"].values())
        handled += sum(q["received"] for q in status["queues"].values())
        waiting = sum(q.get("waiting", 0) + q.get("in_flight", 0) for q in status["queues"].values())
        return handled, waiting

    def settle(self) -> None:
        """Wait until the stream handlers and queue workers have handled what was written."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        seen, since = self.activity(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(SETTLE_POLL_S)
            now = self.activity()
            if now != seen or now[1]:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since >= SETTLE_QUIET_S:
                return
        raise DemoError(f"the streams and queues were still busy after {SETTLE_TIMEOUT_S} s")

    def wait_for(self, what: str, probe: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while not probe():
            if time.monotonic() > deadline:
                raise DemoError(f"{what}: not done after {WAIT_TIMEOUT_S} s")
            time.sleep(0.2)


def refusal(method: str, path: str, status: int, answer: Any) -> str:
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    named = f" (field {error['field']})" if error.get("field") else ""
    return f"{method} {path} answered {status} {error.get('code')}: {error.get('message')}{named}"


# --- the story's records -----------------------------------------------------------------------------


def beijing(moment: str) -> str:
    """'2026-07-06 10:12' → an ISO 8601 time in Beijing."""
    day, _, clock = moment.partition(" ")
    return f"{day}T{clock or '09:00'}:00+08:00"


def branch_of(staff_id: str) -> str:
    return STAFF_BY_ID[staff_id].branch_id or ""


@dataclass(frozen=True)
class Complaint:
    branch: str
    received: str
    channel: str
    category: str
    content: str
    moves: Sequence[tuple[str, str]]  # (to, when)
    manager: str | None = None  # the client's manager, when the part asks for one
    about_manager: bool = False  # the complaint is about the client's manager: who may not handle it (回避)
    referral: str | None = None  # a regulator's reference (12386)
    number: str = ""


def complaint(
    branch: str, received: str, channel: str, category: str, content: str, *moves: str, **part: Any
) -> Complaint:
    """A complaint and its moves, given as 'to@when' ('replied@2026-09-09 16:00')."""
    steps = tuple((to, when) for to, _, when in (move.partition("@") for move in moves))
    return Complaint(branch, received, channel, category, content, steps, **part)


NOTES = {
    "accepted": "受理，登记为有效投诉",
    "rejected": "经核实不属于投诉受理范围，已礼貌答复客户",
    "investigating": "调取通话录音与业务单据，约谈相关人员",
    "replied": "已电话答复客户处理结果并致歉",
    "closed": "回访完成，投诉办结",
}

# The week the new trading app went live (7–11 September): every channel and category
APP_WEEK = {
    "attitude": complaint(
        "B001", "2026-09-07 10:12", "phone", "attitude", "客户经理回访时语气生硬，未解释清楚佣金调整",
        "accepted@2026-09-07 11:00", "investigating@2026-09-08 09:30", "replied@2026-09-09 16:00",
        manager="mgr-001b", about_manager=True,
    ),
    "late": complaint(  # replied a day after its deadline
        "B002", "2026-09-07 09:05", "email", "efficiency", "新版交易软件升级后无法登录，邮件反映未获答复",
        "accepted@2026-09-07 10:00", "investigating@2026-09-08 10:00", "replied@2026-09-10 11:00",
    ),
    "competence": complaint(
        "B001", "2026-09-07 11:00", "letter", "competence", "投资顾问对产品风险说明不清",
        "accepted@2026-09-07 14:00", "investigating@2026-09-08 09:30", "replied@2026-09-09 17:00",
    ),
    "referral": complaint(
        "B003", "2026-09-08 14:20", "regulator", "product", "12386 转来：对融资融券利率调整有异议",
        "accepted@2026-09-08 15:00", "investigating@2026-09-09 09:00", "replied@2026-09-10 15:00",
        referral="12386-2026-0908-0031",
    ),
    "invalid": complaint(
        "B002", "2026-09-08 11:00", "onsite", "other", "营业部周边停车不便",
        "rejected@2026-09-08 15:00", "closed@2026-09-09 10:00",
    ),
    "web": complaint(
        "B003", "2026-09-09 09:20", "web", "efficiency", "网上开户视频见证排队过久",
        "accepted@2026-09-09 10:00", "investigating@2026-09-10 09:00", "replied@2026-09-10 17:00",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Inquiry:
    branch: str
    received: str
    channel: str
    subject: str
    responder: str  # 首问负责制: the first to take it
    reply: tuple[str, str] | None = None  # (when, answer)
    manager: str | None = None  # the client's manager, when the responder is a manager

    @classmethod
    def to(cls, responder: str, received: str, channel: str, subject: str, *reply: str) -> Inquiry:
        manager = responder if responder.startswith("mgr-") else None
        answered = (reply[0], reply[1]) if reply else None
        return cls(branch_of(responder), received, channel, subject, responder, answered, manager)


SUMMER_INQUIRIES = (  # July to mid-September
    Inquiry.to(
        "ctr-001", "2026-07-06 09:40", "phone", "咨询新股申购额度计算", "2026-07-06 09:50", "已说明按持仓市值计算"
    ),
    Inquiry.to("mgr-001a", "2026-07-08 10:15", "email", "咨询国债逆回购操作", "2026-07-08 16:30", "已发送操作指引"),
    Inquiry.to("ctr-001", "2026-08-03 11:20", "web", "网上交易客户端登录异常", "2026-08-03 15:00", "已协助重置密码"),
    Inquiry.to("ctr-002", "2026-08-05 16:40", "email", "申请调整佣金费率", "2026-08-07 10:00", "已答复费率标准"),
    Inquiry.to("ctr-001", "2026-08-12 10:00", "onsite", "办理第三方存管银行变更"),
    Inquiry.to("ctr-003", "2026-09-01 17:10", "email", "咨询可转债申购规则", "2026-09-04 10:00", "已答复（逾期）"),
    Inquiry.to("mgr-001b", "2026-09-02 15:00", "visit", "上门了解资产配置需求"),
    Inquiry.to("mgr-002a", "2026-09-03 12:00", "sms", "短信询问融资利率"),
)


def questionnaire(n: int, client: Account, level: str) -> dict[str, Any]:
    return {"answers": answers_for(level, n), "paper_ref": f"ARCH-{client.branch_id}-2026-{101 + n:04d}"}


def attempt(reached: bool, score: int = 9) -> dict[str, Any]:
    """What a callback attempt records: reached with an attitude and a score, or not reached."""
    if not reached:
        return {"reached": False}
    attitude = "satisfied" if score >= 8 else "neutral" if score >= 5 else "dissatisfied"
    found = {"reached": True, "attitude": attitude, "score": score, "solved": score >= 5, "risk_reminder": True}
    return found | ({"suggestions": "希望回访安排在工作日晚上，并说明改进措施"} if score < 8 else {})


def figures(who: str, account: Account, year: int) -> tuple[str, str, str, Any]:
    """The request putting the account's figures of `year`."""
    m = account.metrics[year]
    body = {"assets": float(m.assets), "avg_assets": float(m.avg_assets), "trade_volume": float(m.trade_volume)}
    return who, "PUT", f"/clients/{account.client_id}/metrics/{year}", body


def visit(client: Account, at: str, channel: str, purpose: str, outcome: str) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "at": beijing(at),
        "channel": channel,
        "purpose": purpose,
        "outcome": outcome,
        "self_assessment": 4 + len(purpose) % 2,
    }


def disclosure(business: str, document: str) -> dict[str, str]:
    return {"business": business, "document_ref": document, "signed_on": "2026-10-20"}


def profile(habit: str, value: str, style: str, note: str) -> dict[str, str]:
    return {"trading_habit": habit, "value_segment": value, "decision_style": style, "note": note}


# --- the story -----------------------------------------------------------------------------------------


class Cast:
    """Which account of the book plays which part: the first free one that fits, so the same every
    time. People of several accounts keep to the parts written for them."""

    def __init__(self, made: Brokerage) -> None:
        self.made = made
        holders: dict[str, int] = {}
        for account in made.accounts:
            holders[account.id_number] = holders.get(account.id_number, 0) + 1
        self.single = {a.client_id for a in made.book if holders[a.id_number] == 1}
        self.used = {f"D{n:04d}" for n in range(1, 7)}  # the contract's people and D0006 play their own parts

    def pick(self, branch: str, *, manager: str | None = None, classes: Sequence[str] = ()) -> Account:
        for account in self.made.book:
            if (
                account.client_id not in self.used
                and account.client_id in self.single
                and account.branch_id == branch
                and manager in (None, account.manager_id)
                and (not classes or account.target_class in classes)
            ):
                self.used.add(account.client_id)
                return account
        raise DemoError(f"the book has no account left for a part in {branch} ({manager or 'any manager'})")

    def some(self, branch: str, count: int) -> list[Account]:
        return [self.pick(branch) for _ in range(count)]

    def own(self, manager: str) -> Account:
        """One of the manager's clients (a part many may share)."""
        return next(a for a in self.made.book if a.manager_id == manager and a.client_id in self.single)


CLASSIFIED = ("A+", "B+", "A", "B", "C", "D", "C-", "D-", "E", "F")
QUESTIONNAIRES = (  # more of the book's questionnaires, in October: every level in every branch's hands
    ("B001", "very_low"), ("B002", "low"), ("B003", "high"), ("B001", "low"),
    ("B002", "very_low"), ("B003", "medium"), ("B001", "high"), ("B002", "medium"),
)  # fmt: skip


@dataclass
class Story:
    doors: Doors
    made: Brokerage
    log: IO[str]
    cast: Cast = field(init=False)
    complaints: dict[str, Complaint] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cast = Cast(self.made)

    # how things are done ------------------------------------------------------------------------------
    def at(self, moment: str) -> None:
        self.doors.clock(beijing(moment))

    def note(self, text: str) -> None:
        print(f"  demo: {text}", file=self.log, flush=True)

    def post(self, who: str, path: str, body: Any) -> Any:
        return self.doors.call(who, "POST", path, body)

    def put(self, who: str, path: str, body: Any) -> Any:
        return self.doors.call(who, "PUT", path, body)

    def together(self, calls: Sequence[Callable[[], Any]]) -> list[Any]:
        """Requests that depend on none of each other, a few at a time (at the same clock)."""
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(lambda call: call(), calls))

    def all_at(self, moment: str, acts: Sequence[tuple[str, str, str, Any]]) -> list[Any]:
        """(who, method, path, body) requests at the same moment, a few at a time."""
        self.at(moment)
        return self.together([partial(self.doors.call, *act) for act in acts])

    def attempt(self, who: str, callback_id: str, *, reached: bool = True, score: int = 9) -> Any:
        return self.post(who, f"/callbacks/{callback_id}/attempts", attempt(reached, score))

    def complain(self, name: str, complaint: Complaint) -> None:
        """A complaint taken at the counter, then moved by the branch's supervisor."""
        client = self.cast.pick(complaint.branch, manager=complaint.manager)
        self.at(complaint.received)
        body: dict[str, Any] = {
            "client_id": client.client_id,
            "channel": complaint.channel,
            "category": complaint.category,
            "content": complaint.content,
        }
        if complaint.about_manager:
            body["about_staff"] = [client.manager_id]
        if complaint.referral:
            body |= {"regulator_referral": True, "referral_ref": complaint.referral}
        number = str(self.post(COUNTER[complaint.branch], "/complaints", body)["complaint_no"])
        self.complaints[name] = replace(complaint, number=number)
        self.move(name, complaint.moves)

    def move(self, name: str, moves: Sequence[tuple[str, str]]) -> None:
        complaint = self.complaints[name]
        for to, moment in moves:
            self.at(moment)
            path = f"/complaints/{complaint.number}/transitions"
            self.post(SUPERVISOR[complaint.branch], path, {"to": to, "note": NOTES[to]})

    def call_back(self, name: str, moment: str, **attempt: Any) -> None:
        """An attempt on the complaint's post-complaint callback, by the branch's counter staff."""
        complaint = self.complaints[name]
        self.at(moment)
        self.attempt(COUNTER[complaint.branch], f"PC-{complaint.number}", **attempt)

    def close(self, name: str, moment: str, *, after: str = "callback_done") -> None:
        """Close the complaint once its callback's result has reached it (through the stream)."""
        complaint = self.complaints[name]
        path, who = f"/complaints/{complaint.number}", SUPERVISOR[complaint.branch]
        self.doors.wait_for(
            f"complaint {complaint.number} to follow its callback",
            lambda: self.doors.call(who, "GET", path)["status"] == after,
        )
        self.move(name, [("closed", moment)])

    def inquire(self, inquiry: Inquiry) -> None:
        client = self.cast.pick(inquiry.branch, manager=inquiry.manager)
        self.at(inquiry.received)
        body = {
            "client_id": client.client_id,
            "channel": inquiry.channel,
            "subject": inquiry.subject,
            "first_responder": inquiry.responder,
        }
        contact_id = self.post(inquiry.responder, "/contacts", body)["contact_id"]
        if inquiry.reply:
            self.at(inquiry.reply[0])
            self.post(inquiry.responder, f"/contacts/{contact_id}/reply", {"answer": inquiry.reply[1]})

    def retain(
        self, client: Account, kind: str, reason: str, opened: str, action: str, outcome: str | None = None
    ) -> None:
        """A transfer or closure request: opened and acted on by the client's manager; `action` and
        `outcome` are 'when@what'; the outcome decided by the branch's supervisor."""
        self.at(opened)
        body = {"client_id": client.client_id, "kind": kind, "reason": reason, "note": "客户来电提出申请"}
        case_id = self.post(client.manager_id, "/retention-cases", body)["case_id"]
        when, _, what = action.partition("@")
        self.at(when)
        self.post(client.manager_id, f"/retention-cases/{case_id}/actions", {"action": what})
        if outcome:
            when, _, decided = outcome.partition("@")
            self.at(when)
            path = f"/retention-cases/{case_id}/outcome"
            self.post(SUPERVISOR[client.branch_id], path, {"outcome": decided, "note": "客户决定已确认"})

    def educate(self, branch: str, created: str, activity: dict[str, str], attendees: Sequence[Account]) -> None:
        """An education activity, its attendance recorded at the end of the day it is held."""
        self.at(created)
        made = self.post(COUNTER[branch], "/education/activities", {"branch_id": branch, **activity})
        self.at(f"{activity['held_on']} 17:30")
        body = {"client_ids": [a.client_id for a in attendees]}
        self.put(COUNTER[branch], f"/education/activities/{made['activity_id']}/attendance", body)

    def work_logs(self, day: str, managers: Iterable[str]) -> None:
        """The managers' logs of `day`, written that evening."""
        self.all_at(f"{day} 18:10", [(m, "PUT", f"/work-logs/{m}/{day}", self.day_of(m, day)) for m in managers])

    def day_of(self, manager: str, day: str) -> dict[str, Any]:
        return {
            "entries": [
                {
                    "kind": "call",
                    "minutes": 90,
                    "client_id": self.cast.own(manager).client_id,
                    "note": "电话回访持仓客户",
                },
                {"kind": "visit" if day.endswith("2") else "research", "minutes": 75, "note": "客户拜访与资料整理"},
                {"kind": "meeting", "minutes": 30, "note": "营业部晨会"},
            ]
        }

    def visit(self, manager: str, client: Account, at: str, channel: str, purpose: str, outcome: str) -> Any:
        return self.post(manager, "/visits", visit(client, at, channel, purpose, outcome))

    def opened(self, client: Account, level: str, paper: int) -> None:
        """An account opened at the counter: registered, with the holder's risk questionnaire."""
        counter = COUNTER[client.branch_id]
        self.post(counter, "/clients", client.new_client())
        self.post(counter, f"/clients/{client.client_id}/questionnaires", questionnaire(paper, client, level))

    # 1. the staff register, November 2025 -------------------------------------------------------------
    def register_staff(self) -> None:
        self.at("2025-11-03 09:00")
        self.together([partial(self.doors.token, member.staff_id) for member in STAFF])

    # 2. the book, December 2025 -----------------------------------------------------------------------
    def import_book(self) -> None:
        self.doors.clock(None)  # at the wall clock: the book arrives on the day the demo is run (the note above)
        with tempfile.TemporaryDirectory(prefix="crm-demo-") as folder:  # 0700: the files hold ID numbers
            book = Path(folder) / "book-of-accounts.csv"
            book.write_text(self.made.clients_csv(), encoding="utf-8")
            self.imported(book, "clients", len(self.made.book))
            year_ends = Path(folder) / "year-end-figures-2023-2025.csv"
            year_ends.write_text(self.made.metrics_csv(), encoding="utf-8")
            self.imported(year_ends, "metrics", sum(len(a.metrics) for a in self.made.book))
        movers = self.made.movers
        self.all_at("2025-12-01 10:00", [(COUNTER[a.branch_id], "POST", "/clients", a.new_client()) for a in movers])
        self.all_at("2025-12-31 15:00", [figures(COUNTER[a.branch_id], a, year) for a in movers for year in a.metrics])

    def imported(self, path: Path, kind: str, rows: int) -> None:
        """One file through the import routes as `crm import` drives them, as hq; every row applied."""
        options = importer.Options(port=self.doors.port, user=HQ, file=path, kind=kind)
        api = importer.LocalApi(self.doors.port, self.doors.token(HQ))
        out = StringIO()
        command = importer.Command(options, api, out=out, err=StringIO(), sleep=lambda _: time.sleep(0.2))
        try:
            code = command.run()
        except (importer.ImportCommandError, importer.ApiError) as refused:
            raise DemoError(f"the {kind} import was refused: {refused}") from None
        job = command.job or {}
        if code != importer.EXIT_COMPLETE or int(job.get("succeeded", -1)) != rows:
            raise DemoError(f"the {kind} import did not apply its {rows} rows: {' '.join(out.getvalue().split())}")
        self.note(f"{path.name}: {rows} rows imported ({job.get('import_id')})")

    # 3. the year's turn: T recalibrated, the yearly sample drawn, and called in June -----------------
    def year_end(self) -> None:
        began = time.monotonic()
        self.doors.settle()  # every imported figure is in the company's sums and has given its class
        self.note(f"the stream handlers caught up with the imports ({time.monotonic() - began:.1f} s)")
        run = self.doors.trigger("turnover-recalibration", beijing("2026-01-01 00:05"))
        if run.get("status") != "done" or Decimal(str(run.get("new"))) != self.made.threshold:
            raise DemoError(f"the recalibration of T did not give {self.made.threshold}: {run}")
        if run.get("moved") != len(self.made.movers):
            raise DemoError(f"the recalibration moved {run.get('moved')} accounts, not {len(self.made.movers)}")
        self.note(f"T recalibrated: {run.get('previous')} → {run.get('new')} ({run.get('moved')} accounts moved)")
        self.doors.trigger("callbacks", beijing("2026-01-05 06:00"))
        drawn = {b: self.doors.every(COUNTER[b], "/callbacks", kind="sample", status="open") for b in BRANCHES}
        if not any(drawn.values()):
            raise DemoError("the first callbacks run of 2026 drew no sample")
        never = {b: tasks[1]["callback_id"] for b, tasks in drawn.items() if b == "B001" and len(tasks) > 1}
        reached = [
            (b, task["callback_id"], (9, 8, 10, 7, 6)[n % 5])
            for b, tasks in drawn.items()
            for n, task in enumerate(tasks)
            if task["callback_id"] != never.get(b)
        ]
        calls = [(COUNTER[b], "POST", f"/callbacks/{t}/attempts", attempt(True, score)) for b, t, score in reached]
        self.all_at("2026-06-15 10:00", calls)
        for moment in ("2026-06-16 10:00", "2026-06-22 15:00", "2026-06-29 11:00"):
            self.all_at(
                moment, [(COUNTER[b], "POST", f"/callbacks/{t}/attempts", attempt(False)) for b, t in never.items()]
            )

    # 4. the third quarter ------------------------------------------------------------------------------
    def third_quarter(self) -> None:
        pick, made = self.cast.pick, self.made
        for inquiry in SUMMER_INQUIRIES[:2]:  # July
            self.inquire(inquiry)
        fees, performance = pick("B002"), pick("B003")
        self.retain(fees, "transfer", "fees", "2026-07-20 10:00", "2026-07-21 15:00@佣金费率调整至万分之二点五",
                    "2026-07-24 11:00@retained")  # fmt: skip
        self.retain(performance, "closure", "performance", "2026-08-10 14:00",
                    "2026-08-11 10:00@安排投资顾问复盘持仓并制定调仓方案", "2026-08-14 16:00@retained")  # fmt: skip
        lecture = {
            "title": "理财大讲堂：ETF 定投与资产配置",
            "kind": "lecture",
            "held_on": "2026-08-15",
            "topic": "ETF 定投",
            "speaker": "周明远",
        }
        listeners = [made.account("D0001"), made.account("D0004"), *self.cast.some("B001", 10)]
        self.educate("B001", "2026-08-10 10:00", lecture, listeners)
        for inquiry in SUMMER_INQUIRIES[2:]:  # August and early September
            self.inquire(inquiry)

        # the app's week: complaints taken and answered, called back on the Friday, closed
        for name, week_complaint in sorted(APP_WEEK.items(), key=lambda item: item[1].received):
            self.complain(name, week_complaint)
        self.doors.trigger("callbacks", beijing("2026-09-11 06:00"))
        self.call_back("attitude", "2026-09-11 09:40", score=9)
        self.call_back("competence", "2026-09-11 10:00", score=4)
        self.call_back("late", "2026-09-11 10:30", score=6)
        self.call_back("web", "2026-09-11 11:00", score=10)
        for moment in ("2026-09-11 11:20", "2026-09-14 10:30", "2026-09-15 16:00"):
            self.call_back("referral", moment, reached=False)
        self.work_logs("2026-09-14", ALL_MANAGERS)
        for name, moment in (("attitude", "18:30"), ("competence", "18:40"), ("late", "18:50"), ("web", "19:00")):
            self.close(name, f"2026-09-15 {moment}")
        self.close("referral", "2026-09-16 10:00", after="replied")  # its callback never reached the client
        online = {
            "title": "投资者保护：识别非法证券活动",
            "kind": "online",
            "held_on": "2026-09-19",
            "topic": "防范非法荐股",
            "speaker": "林晓",
        }
        self.educate("B002", "2026-09-16 11:00", online, self.cast.some("B002", 8))
        self.at("2026-09-18 17:30")
        summary = {
            "achieved": "完成持仓客户电话回访，新增有效客户两户",
            "problems": "新版交易软件上线后咨询与投诉增多",
            "plan": "下周举办一次线上投教活动",
        }
        visited = [
            (m, pick(branch_of(m), manager=m), f"2026-09-{14 + n % 5} 15:00") for n, m in enumerate(ALL_MANAGERS)
        ]
        purpose, outcome = "季度资产配置回顾", "客户同意提高债券基金比例"
        self.all_at(
            "2026-09-18 17:30",
            [(m, "PUT", f"/weekly-summaries/{m}/2026-W38", summary) for m in ALL_MANAGERS]
            + [(m, "POST", "/visits", visit(client, at, "onsite", purpose, outcome)) for m, client, at in visited],
        )
        finding = "工作日志记录完整，拜访记录与日志一致"
        spot = {"from": "2026-09-14", "to": "2026-09-18", "finding": finding}
        checks = [(SUPERVISOR[b], "POST", "/spot-checks", spot | {"manager_id": MANAGERS[b][0]}) for b in BRANCHES]
        self.all_at("2026-09-25 16:00", checks)

    # 5. the report on it, 1 October --------------------------------------------------------------------
    def quarterly_report(self) -> None:
        run = self.doors.trigger("quarterly-report", beijing("2026-10-01 01:00"))
        if run.get("period") != LAST_QUARTER or run.get("status") != "published":
            raise DemoError(f"the quarterly report on {LAST_QUARTER} was not published: {run}")
        self.note(f"the quarterly report on {LAST_QUARTER} published (version {run.get('version')})")

    # 6. the fourth quarter ------------------------------------------------------------------------------
    def fourth_quarter(self) -> None:
        self.suitability()
        self.departures()
        self.november()
        self.last_week()

    def suitability(self) -> None:
        """Questionnaires at every risk level, then the sales and businesses they allow."""
        made, pick = self.made, self.cast.pick
        takers = [(made.account(c), level) for c, level in (("D0001", "medium"), ("D0003", "medium"))]
        takers += [(made.account("D0004"), "high"), (made.account("D0005"), "low"), (made.account("D0006"), "medium")]
        takers += [(pick(branch, classes=CLASSIFIED), level) for branch, level in QUESTIONNAIRES]
        self.all_at(
            "2026-10-12 10:00",
            [
                (COUNTER[a.branch_id], "POST", f"/clients/{a.client_id}/questionnaires", questionnaire(n, a, level))
                for n, (a, level) in enumerate(takers)
            ],
        )
        low = next(a.client_id for a, level in takers if level == "low" and a.branch_id == "B002")
        high = next(a.client_id for a, level in takers if level == "high" and a.branch_id == "B003")
        self.all_at(
            "2026-10-20 10:30",
            [
                ("mgr-001a", "POST", "/clients/D0001/sales", {"product_id": "standard_bond", "amount": 200_000}),
                ("ctr-002", "POST", f"/clients/{low}/sales", {"product_id": "money_market", "amount": 50_000}),
                ("ctr-001", "POST", "/clients/D0004/risk-disclosures", disclosure("margin", "RD-B001-2026-0117")),
                ("ctr-003", "POST", f"/clients/{high}/risk-disclosures", disclosure("chinext", "RD-B003-2026-0042")),
            ],
        )
        insisted = {"product_id": "balanced", "amount": 30_000, "acknowledgement_ref": "ACK-B002-2026-0031"}
        shanghai_shenzhen = [{"exchange": "SH", "account": "A382716450"}, {"exchange": "SZ", "account": "0127364518"}]
        shenzhen = [{"exchange": "SZ", "account": "0163529874"}]
        self.all_at(
            "2026-10-20 11:00",
            [
                ("ctr-002", "POST", f"/clients/{low}/sales", insisted),  # outside the match: acknowledged
                ("ctr-003", "POST", f"/clients/{high}/businesses", {"business": "chinext"}),
                ("ctr-001", "POST", "/clients/D0004/businesses", {"business": "margin"}),
                ("ctr-001", "POST", "/clients/D0004/sales", {"product_id": "standard_equity", "amount": 500_000}),
                ("ctr-001", "PUT", "/clients/D0001/securities-accounts", {"accounts": shanghai_shenzhen}),
                ("ctr-002", "PUT", "/clients/D0003/securities-accounts", {"accounts": shenzhen}),
            ],
        )
        star = pick("B002", manager="mgr-002a", classes=("C", "D"))  # a target VIP: 明日之星
        self.all_at(
            "2026-10-26 11:00",
            [
                (
                    "mgr-001a",
                    "PUT",
                    "/clients/D0001/profile",
                    profile("swing", "gold", "independent", "关注子女教育金规划"),
                ),
                (
                    "mgr-002a",
                    "PUT",
                    f"/clients/{star.client_id}/profile",
                    profile("value", "rising_star", "dependent", "新晋企业主，未来资产增长空间大"),
                ),
            ],
        )

    def departures(self) -> None:
        """A transfer and a closure decided on 7 November: their follow-up callbacks are due on the demo's day."""
        transfer, closure = self.cast.pick("B001", manager="mgr-001b"), self.cast.pick("B002")
        self.retain(transfer, "transfer", "service", "2026-10-26 15:00",
                    "2026-10-28 10:00@营业部负责人上门沟通服务改进方案", "2026-11-07 10:00@transferred")  # fmt: skip
        self.retain(closure, "closure", "moving", "2026-10-28 09:30",
                    "2026-10-29 14:00@说明异地营业部可继续服务", "2026-11-07 11:00@closed")  # fmt: skip

    def november(self) -> None:
        """D0006 becomes a VIP; a prospect converted; accounts opened; a seminar; an invalid complaint."""
        made = self.made
        self.at("2026-11-02 10:00")
        grown = {"assets": 1_360_000, "avg_assets": 1_120_000, "trade_volume": 4_250_000}
        self.put("ctr-001", "/clients/D0006/metrics/2026", grown)
        newcomer, shenzhen, shanghai = made.newcomers
        self.at("2026-11-06 15:00")
        prospect = {
            "name": newcomer.name,
            "phone": newcomer.phone,
            "source": "referral",
            "branch_id": newcomer.branch_id,
            "manager_id": newcomer.manager_id,
        }
        prospect_id = self.post(newcomer.manager_id, "/prospects", prospect)["prospect_id"]
        self.at("2026-11-07 10:20")  # a Saturday: opened online
        self.opened(newcomer, "high", 50)
        converted = {"outcome": "converted", "client_id": newcomer.client_id}
        self.post(newcomer.manager_id, f"/prospects/{prospect_id}/outcome", converted)
        self.at("2026-11-07 11:30")
        self.opened(shenzhen, "medium", 51)
        self.at("2026-11-07 16:00")
        self.doors.call(*figures(COUNTER[newcomer.branch_id], newcomer, 2026))  # 6.8 million moved in: A+
        self.at("2026-11-10 14:00")
        walk_in = {"name": "邓子航", "phone": "13524681357", "source": "walk_in", "branch_id": "B002"}
        walk_in_id = self.post("mgr-002a", "/prospects", walk_in | {"manager_id": "mgr-002a"})["prospect_id"]
        self.at("2026-11-11 10:00")
        self.post("mgr-002a", f"/prospects/{walk_in_id}/outcome", {"outcome": "dropped", "reason": "暂无开户意向"})
        seminar = {
            "title": "融资融券业务风险揭示",
            "kind": "seminar",
            "held_on": "2026-11-21",
            "topic": "两融风险",
            "speaker": "陈思远",
        }
        self.educate("B003", "2026-11-16 10:00", seminar, self.cast.some("B003", 6))
        self.inquire(
            Inquiry.to("ctr-002", "2026-11-18 09:40", "email", "申请补寄年度对账单", "2026-11-18 15:00", "已补寄")
        )
        self.at("2026-11-23 10:00")
        self.opened(shanghai, "low", 52)
        self.complain("rejected", complaint("B002", "2026-11-25 10:00", "web", "other", "希望营业部周末开放",
                                            "rejected@2026-11-25 16:00"))  # fmt: skip

    def last_week(self) -> None:
        """30 November – 4 December: a complaint past its reply deadline, two replied (their callbacks
        due on the demo's day), one accepted (its investigation due that day); an open transfer request;
        an e-mail to answer; a prospect to follow up; mgr-001a writes no log on the Friday."""
        self.complain("overdue", complaint(
            "B001", "2026-11-30 09:20", "email", "efficiency", "转托管办理进度缓慢，多次催办无果",
            "accepted@2026-11-30 10:30", "investigating@2026-12-01 09:00", manager="mgr-001b"))  # fmt: skip
        self.complain("called_back", complaint(  # about its manager: the supervisor handles it (回避)
            "B001", "2026-12-01 09:30", "phone", "attitude", "客户经理多次未接电话",
            "accepted@2026-12-01 10:00", "investigating@2026-12-02 09:00", "replied@2026-12-03 11:00",
            manager="mgr-001a", about_manager=True))  # fmt: skip
        self.complain("replied", complaint(
            "B001", "2026-12-01 14:00", "phone", "competence", "理财产品到期收益与宣传不符",
            "accepted@2026-12-01 15:00", "investigating@2026-12-02 09:30", "replied@2026-12-03 16:00",
            manager="mgr-001b"))  # fmt: skip
        self.inquire(
            Inquiry.to("ctr-003", "2026-12-01 10:00", "web", "手机App行情延迟", "2026-12-01 11:00", "已指导切换服务器")
        )
        self.retain(self.cast.pick("B001", manager="mgr-001a"), "transfer", "fees", "2026-12-02 10:00",
                    "2026-12-03 11:00@已申请佣金优惠审批")  # fmt: skip
        self.at("2026-12-02 16:00")
        self.visit(
            "mgr-001a", self.made.account("D0001"), "2026-12-02 15:00", "onsite", "年末资产配置沟通", "计划增配债券基金"
        )
        self.work_logs("2026-12-02", ("mgr-001a", "mgr-001b"))
        self.inquire(Inquiry.to("mgr-001a", "2026-12-03 10:20", "email", "咨询融资融券开通条件"))
        self.work_logs("2026-12-03", ("mgr-001a", "mgr-001b"))
        self.inquire(Inquiry.to("ctr-001", "2026-12-04 11:00", "phone", "查询转托管进度", "2026-12-04 11:10", "已告知"))
        accepted = complaint("B003", "2026-12-04 14:00", "letter", "product", "债券基金净值波动超出预期",
                             "accepted@2026-12-04 16:00")  # fmt: skip
        self.complain("accepted", accepted)
        self.at("2026-12-04 15:30")
        prospect = {"name": "宋雨桐", "phone": "18611223344", "source": "appointment", "branch_id": "B001"}
        self.post("mgr-001a", "/prospects", prospect | {"manager_id": "mgr-001a"})
        self.visit(
            "mgr-002b", self.cast.own("mgr-002b"), "2026-12-04 10:00", "online", "新年投资策略介绍", "客户表示关注"
        )
        self.work_logs("2026-12-04", [m for m in ALL_MANAGERS if m != "mgr-001a"])

    # 7. Monday 7 December 2026 ---------------------------------------------------------------------------
    def demo_day(self) -> None:
        self.doors.trigger("callbacks", beijing("2026-12-07 06:00"))
        self.inquire(Inquiry.to("ctr-002", "2026-12-07 08:15", "email", "申请打印年度对账单"))
        self.call_back("called_back", "2026-12-07 09:05", score=8)
        self.doors.trigger("sla-sweep", beijing("2026-12-07 09:15"))
        self.complain("today", complaint("B001", "2026-12-07 08:40", "phone", "efficiency", MARKER))  # the last


# --- loading, once ------------------------------------------------------------------------------------


def found(doors: Doors) -> bool | None:
    """True: the whole demo is there; False: none of it; None: part of it (a loading cut short).
    A system that holds data of its own is refused: the demo is loaded into an empty one."""
    if "error" in doors.call(HQ, "GET", "/clients/D0001", allow=(404,)):
        others = [m["staff_id"] for m in doors.every(HQ, "/staff") if m["staff_id"] not in STAFF_BY_ID]
        if others:
            raise DemoError(f"the system holds data of its own ({others[0]} is on the staff register): "
                            "the demo is loaded into an empty one (start with a new --state DIR)")  # fmt: skip
        return False
    received = doors.every(HQ, "/complaints", branch_id="B001", status="received")
    return True if any(c.get("content") == MARKER for c in received) else None


@dataclass(frozen=True)
class Outcome:
    loaded: bool  # False: found in the state directory
    seconds: float
    requests: int


def load(port: int, log: IO[str]) -> Outcome:
    """Load the demo into the local system on `port` unless it is there; then set the clock to its day."""
    started = time.monotonic()
    made = brokerage()
    doors = Doors(port)
    there = found(doors)
    if there is None:
        raise DemoError("the state directory holds a demo whose loading was cut short: start with an empty --state DIR")
    if not there:
        story = Story(doors, made, log)
        for step, what in (
            (story.register_staff, "the staff register"),
            (story.import_book, "the book of accounts and three years of figures"),
            (story.year_end, "the recalibration of T and the yearly sample"),
            (story.third_quarter, "the third quarter"),
            (story.quarterly_report, "the quarterly report"),
            (story.fourth_quarter, "the fourth quarter"),
            (story.demo_day, "the demo's day"),
        ):
            began = time.monotonic()
            try:
                step()
            except DemoError as refused:
                raise DemoError(f"{what}: {refused}") from None
            story.note(f"{what} ({time.monotonic() - began:.1f} s)")
    doors.clock(DEMO_NOW)
    return Outcome(loaded=not there, seconds=time.monotonic() - started, requests=doors.requests)


# --- the guide ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Try:
    what: str
    path: str
    body: str | None = None  # a JSON body: POST


@dataclass(frozen=True)
class Role:
    role: str
    variable: str
    who: StaffMember
    title: str
    tries: tuple[Try, Try, Try]


def roles(made: Brokerage) -> tuple[Role, ...]:
    vip = made.newcomers[0].client_id
    quarter = f"/reports/quarterly/{LAST_QUARTER}"
    return (
        Role("counter", "CTR", STAFF_BY_ID["ctr-001"], "柜面, B001", (
            Try("today's work: the branch pool's callbacks due", "/work"),
            Try("王建国's accounts in B001, by name (or by id_number)", "/clients/lookup", '{"name": "王建国"}'),
            Try("every open callback in the branch's pool", "/callbacks?owner=pool&status=open"),
        )),
        Role("manager", "MGR", STAFF_BY_ID["mgr-001a"], "客户经理, B001", (
            Try("today's work: callbacks, an e-mail, a prospect, Friday's missing log", "/work"),
            Try("a new VIP: status, class, callbacks, the person's other accounts", f"/clients/{vip}/overview"),
            Try("clients at risk of leaving", "/clients/at-risk"),
        )),
        Role("supervisor", "SUP", STAFF_BY_ID["sup-001"], "客服总监, B001", (
            Try(f"the branch's {LAST_QUARTER} report: report.xlsx, metrics.csv, figures.json", quarter),
            Try("complaints under investigation, one past its reply deadline", "/complaints?status=investigating"),
            Try("SLA breaches", "/sla/breaches"),
        )),
        Role("hq", "HQ", STAFF_BY_ID[HQ], "经纪业务管理总部", (
            Try(f"{LAST_QUARTER} figures by branch", f"{quarter}/figures?scope=branch"),
            Try("T and its recalibration", "/settings/turnover-threshold"),
            Try("the imports of the book and its figures", "/imports"),
        )),
        Role("compliance", "CMP", STAFF_BY_ID[COMPLIANCE], "合规", (
            Try("who changed what on 王建国's main account", "/audit/clients/D0001"),
            Try("the 2026 callback sample, reproducible from its seed", "/callbacks/samples/2026"),
            Try("everything held about a person (PIPL 第45条)", "/clients/D0001/personal-information"),
        )),
    )  # fmt: skip


def crm_command() -> str:
    """How `crm` is run from here."""
    return ".venv/bin/crm" if Path(".venv/bin/crm").exists() else "crm"


def guide(made: Brokerage, port: int, outcome: Outcome) -> list[str]:
    """What `crm local --demo` prints once the demo is there: no ID or phone number in it."""
    crm, base = crm_command(), f"localhost:{port}"
    how = (
        f"loaded in {outcome.seconds:.0f} s ({outcome.requests} requests)"
        if outcome.loaded
        else "found in the state directory (not loaded again)"
    )
    lines = [
        f"crm local: demo brokerage {how}",
        f"  B001 北京, B002 上海, B003 深圳: {len(made.accounts)} accounts in all 11 classes, 2023–2025 figures",
        f"  (T recalibrated on 2026-01-01: 3 → {made.threshold}), a year of service, the {LAST_QUARTER} report.",
        "  The local API's clock says Monday 2026-12-07 09:30 (Beijing): today and the last quarter are the demo's;",
        f"  `{crm} clock --port {port}` with no time returns it to the wall clock. The book was imported today",
        f"  (at the wall clock), so the {LAST_QUARTER} report counts only the accounts registered before it.",
        "",
    ]
    for role in roles(made):
        who = role.who
        branch = f" --branch {who.branch_id}" if who.branch_id else ""
        lines.append(f"  {role.role}: {who.staff_id} {who.name} ({role.title})")
        lines.append(
            f"    {role.variable}=$({crm} token --role {role.role} --user {who.staff_id}{branch} --port {port})"
        )
        for attempt in role.tries:
            auth = f'-H "Authorization: Bearer ${role.variable}"'
            if attempt.body is None:
                lines.append(f"    curl -s '{base}{attempt.path}' {auth}   # {attempt.what}")
            else:
                post = f"-H 'Content-Type: application/json' -d '{attempt.body}'"
                lines.append(f"    curl -s -XPOST '{base}{attempt.path}' {auth} {post}   # {attempt.what}")
        lines.append("")
    others = [m.staff_id for m in STAFF if m.staff_id not in {r.who.staff_id for r in roles(made)}]
    lines.append(f"  Also on the register: {', '.join(others)}.")
    return lines


def run(port: int, out: IO[str]) -> Outcome:
    """`crm local --demo`, once the system serves: load the demo (or find it), then print the guide."""
    outcome = load(port, out)
    for line in guide(brokerage(), port, outcome):
        print(line, file=out, flush=True)
    return outcome
