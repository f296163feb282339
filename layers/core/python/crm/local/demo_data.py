"""The demo brokerage of `crm local --demo`: its people, its book of accounts and their figures,
made the same on every run (a fixed random seed) and checked against the system's own rules.

Three branches (B001 Beijing, B002 Shanghai, B003 Shenzhen), their supervisors, managers and counter
staff, and 200 fund accounts: 194 in the book the trading system hands over (imported), with the
year-end figures of 2023, 2024 and 2025 for every account open in that year, and six registered one
by one through the API: three accounts whose class the year-end recalibration of `T` moves, three
opened in November 2026. Every one of the eleven classes is in the book (a growing retail book: most
accounts small, most opened in the last two years, some opened this year and not classified yet).
Some people hold several accounts, in one branch and across branches (王建国 110105198203154413:
D0001 and D0002 in B001, D0003 in B002; 李秀英 31010419750620332X: D0004 in B001, D0005 in B003).
Names are common Chinese names, phones mainland mobile numbers, ID numbers carry their GB 11643 check
digit and the holder's birthday and sex.

The figures are made so that the recalibration moves exactly the three accounts registered for it
(their turnover lies between the new `T` and the old one; every book account's lies outside), and so
that nothing of the book falls due on the demo's day whatever day the import is run (no VIP of the
book has a birthday in early December): what is due on 2026-12-07 is the story's (crm.local.demo).

The size is `BOOK_SIZE`: the local system classifies about a dozen accounts a second (each class
change goes through four stream consumers on moto), which bounds what loads well within a minute.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from crm import rules
from crm.domain.classification import Threshold, YearMetrics, classify
from crm.domain.pii import id_number_problem
from crm.domain.questionnaire import assess
from crm.domain.recalibration import YearTurnover, recalibrate
from crm.domain.time import BEIJING

SEED = 20261207
BRANCHES = ("B001", "B002", "B003")
YEARS = (2023, 2024, 2025)
RECALIBRATED_AT = datetime(2026, 1, 1, 0, 5, tzinfo=BEIJING)
CENT = Decimal("0.01")
BOOK_SIZE = 194  # D0001…D0194 imported; D0195…D0200 registered through the API
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str
    role: str
    branch_id: str | None


STAFF = (
    StaffMember("sup-001", "周建华", "supervisor", "B001"),
    StaffMember("sup-002", "陈静", "supervisor", "B002"),
    StaffMember("sup-003", "黄志强", "supervisor", "B003"),
    StaffMember("mgr-001a", "王磊", "manager", "B001"),
    StaffMember("mgr-001b", "刘洋", "manager", "B001"),
    StaffMember("mgr-002a", "张伟", "manager", "B002"),
    StaffMember("mgr-002b", "李娜", "manager", "B002"),
    StaffMember("mgr-003a", "杨帆", "manager", "B003"),
    StaffMember("mgr-003b", "赵敏", "manager", "B003"),
    StaffMember("ctr-001", "孙丽", "counter", "B001"),
    StaffMember("ctr-002", "吴芳", "counter", "B002"),
    StaffMember("ctr-003", "郑晓燕", "counter", "B003"),
    StaffMember("hq-demo", "马国强", "hq", None),
    StaffMember("cmp-demo", "何雪", "compliance", None),
)
MANAGERS = {branch: (f"mgr-{branch[1:]}a", f"mgr-{branch[1:]}b") for branch in BRANCHES}
SUPERVISOR = {branch: f"sup-{branch[1:]}" for branch in BRANCHES}
COUNTER = {branch: f"ctr-{branch[1:]}" for branch in BRANCHES}

# The people of the contract (README's walkthrough names them)
WANG_JIANGUO = "110105198203154413"  # D0001, D0002 (B001), D0003 (B002)
LI_XIUYING = "31010419750620332X"  # D0004 (B001), D0005 (B003)

# Where people come from (the first six digits of their ID numbers), by branch, then elsewhere
REGIONS = {
    "B001": ("110101", "110102", "110105", "110108", "110106", "130102"),
    "B002": ("310101", "310104", "310115", "310110", "320102", "330106"),
    "B003": ("440303", "440304", "440305", "440306", "430104", "450103"),
}
ELSEWHERE = ("420106", "510107", "370102", "610113", "350203", "210102")
BRANCH_OPENED = {"B001": date(2011, 3, 7), "B002": date(2021, 6, 7), "B003": date(2024, 3, 4)}
BOOK_OPENED_BY = date(2026, 6, 30)
# A growing brokerage: most of its accounts opened in the last two years' rising market
OPENING_WEIGHTS = {2023: 2, 2024: 5, 2025: 14, 2026: 3}  # earlier years: 1 each

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
MALE_NAMES = (
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "斌", "鹏", "宇", "浩", "凯", "健",
    "俊", "帆", "鑫", "亮", "飞", "波", "峰", "建军", "建华", "志强", "志明", "国强", "海涛", "永强", "晓东",
    "文博", "子轩", "浩然", "宇航", "俊杰", "天宇", "振华", "德明", "立新", "建平", "红军", "卫东", "春生",
    "建伟", "晨阳", "一鸣",
)  # fmt: skip
FEMALE_NAMES = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "琳", "慧", "颖", "洁", "燕", "玲", "萍", "红",
    "梅", "莉", "秀兰", "桂英", "玉兰", "丽华", "晓燕", "雅琴", "淑珍", "美玲", "欣怡", "梓涵", "思琪", "雨桐",
    "佳怡", "诗涵", "婉清", "晓梅", "春燕", "凤英", "秀珍", "丽娟", "海燕", "文静", "宁", "倩", "瑶", "蕾", "楠",
)  # fmt: skip
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "158", "159", "177", "180", "185", "186", "187", "188", "189", "199",
)  # fmt: skip
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com")

# How many accounts of the book (those with 2025 figures) fall in each class: a retail book,
# most of it small
CLASS_WEIGHTS = {"A+": 7, "B+": 9, "A": 15, "B": 22, "C": 17, "D": 24, "C-": 22, "D-": 40, "E": 70, "F": 30, "G": 18}
HIGH_TURNOVER = frozenset({"A+", "A", "C", "C-"})
LOW_TURNOVER = frozenset({"B+", "B", "D", "D-"})
VIP_CLASSES = frozenset({"A+", "B+", "A", "B"})
FALLING_CLASSES = frozenset({"A", "B", "C", "D", "C-"})  # where a halving of assets shows
ASSETS = {  # 2025 year-end assets by class, CNY (low, high)
    "A+": (5_200_000, 26_000_000),
    "B+": (5_100_000, 18_000_000),
    "A": (1_050_000, 4_800_000),
    "B": (1_020_000, 4_600_000),
    "C": (520_000, 980_000),
    "D": (510_000, 990_000),
    "C-": (105_000, 490_000),
    "D-": (101_000, 495_000),
    "E": (11_000, 96_000),
    "F": (1_200, 9_600),
    "G": (300, 9_500),
}
# Turnovers kept clear of the band between the new T and the old (3): the book never moves
HIGH_TURNOVERS = (Decimal("3.3"), Decimal("6.5"))
LOW_TURNOVERS = (Decimal("0.1"), Decimal("1.5"))
MOVER_TURNOVERS = (Decimal("2.8"), Decimal("2.95"))


class DemoDataError(Exception):
    """The generated brokerage breaks one of the promises the story relies on."""


def _require(holds: bool, broken: str) -> None:
    if not holds:
        raise DemoDataError(broken)


@dataclass
class Account:
    client_id: str
    name: str
    id_number: str
    phone: str
    email: str | None
    birthday: date
    branch_id: str
    manager_id: str
    opened_on: date
    target_class: str | None = None  # the class its latest figures give under the T in force then
    metrics: dict[int, YearMetrics] = field(default_factory=dict)

    def new_client(self) -> dict[str, str | None]:
        """The body of `POST /clients` (and a row of the clients import)."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "id_number": self.id_number,
            "phone": self.phone,
            "email": self.email,
            "birthday": self.birthday.isoformat(),
            "branch_id": self.branch_id,
            "manager_id": self.manager_id,
            "opened_on": self.opened_on.isoformat(),
        }


@dataclass(frozen=True)
class Brokerage:
    book: tuple[Account, ...]  # imported: D0001…D0194
    movers: tuple[Account, ...]  # registered in December 2025; the recalibration moves them D- → C-
    newcomers: tuple[Account, ...]  # opened in November 2026, registered through the API
    threshold: Decimal  # T after the recalibration of 2026-01-01

    @property
    def accounts(self) -> tuple[Account, ...]:
        return (*self.book, *self.movers, *self.newcomers)

    def account(self, client_id: str) -> Account:
        return next(a for a in self.accounts if a.client_id == client_id)

    def of_branch(self, branch: str | None) -> list[Account]:
        return [a for a in self.book if branch in (None, a.branch_id)]

    def clients_csv(self, branch: str | None = None) -> str:
        """The book of accounts as the trading system hands it over (one branch's, or all)."""
        header = "client_id,name,id_number,phone,email,birthday,branch_id,manager_id,opened_on"
        rows = [",".join(value or "" for value in a.new_client().values()) for a in self.of_branch(branch)]
        return "\n".join([header, *rows]) + "\n"

    def metrics_csv(self, branch: str | None = None) -> str:
        """The trading system's three year-end files in one, newest year first (the class comes
        from the latest year: an older year's row then only adds to the company's sums)."""
        header = "client_id,year,assets,avg_assets,trade_volume"
        rows = [
            f"{a.client_id},{year},{m.assets},{m.avg_assets},{m.trade_volume}"
            for year in sorted(YEARS, reverse=True)
            for a in self.of_branch(branch)
            if (m := a.metrics.get(year)) is not None
        ]
        return "\n".join([header, *rows]) + "\n"


def id_number(region: str, born: date, sequence: int) -> str:
    """A resident ID number with its GB 11643 check digit (the sequence's parity: the sex)."""
    prefix = f"{region}{born:%Y%m%d}{sequence:03d}"
    return prefix + ID_CHECK[sum(int(d) * w for d, w in zip(prefix, ID_WEIGHTS, strict=True)) % 11]


def _weekday_between(rng: random.Random, start: date, end: date) -> date:
    day = start + timedelta(days=rng.randrange(max(1, (end - start).days)))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return max(day, start)


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _uniform(rng: random.Random, bounds: tuple[Decimal, Decimal]) -> Decimal:
    low, high = bounds
    return (low + (high - low) * Decimal(str(round(rng.random(), 4)))).quantize(Decimal("0.001"))


class _People:
    """Names, numbers and phones, each used once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = {"王建国", "李秀英"}
        self.phones: set[str] = set()
        self.sequences: set[tuple[str, date, int]] = set()

    def name(self, male: bool) -> str:
        while True:
            given = self.rng.choice(MALE_NAMES if male else FEMALE_NAMES)
            candidate = self.rng.choice(SURNAMES) + given
            if candidate not in self.names:
                self.names.add(candidate)
                return candidate

    def phone(self) -> str:
        while True:
            candidate = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if candidate not in self.phones:
                self.phones.add(candidate)
                return candidate

    def email(self) -> str | None:
        if self.rng.random() < 0.45:
            return None
        return f"{self.rng.randrange(10_000_000, 3_000_000_000)}@{self.rng.choice(EMAIL_DOMAINS)}"

    def born(self, *, not_in_early_december: bool = True) -> date:
        while True:
            born = date(1950, 1, 1) + timedelta(days=self.rng.randrange(365 * 48))
            if not (not_in_early_december and born.month == 12 and born.day <= 15):
                return born

    def id_number(self, region: str, born: date, male: bool) -> str:
        while True:
            sequence = self.rng.randrange(10, 999)
            if sequence % 2 != male:
                sequence += 1
            if (region, born, sequence) not in self.sequences:
                self.sequences.add((region, born, sequence))
                return id_number(region, born, sequence)


@dataclass(frozen=True)
class _Person:
    name: str
    id_number: str
    phone: str
    email: str | None
    birthday: date


def _person(people: _People, branch: str) -> _Person:
    male = people.rng.random() < 0.52
    born = people.born()
    region = people.rng.choice(REGIONS[branch] if people.rng.random() < 0.8 else ELSEWHERE)
    return _Person(people.name(male), people.id_number(region, born, male), people.phone(), people.email(), born)


def _opened(
    rng: random.Random, person: _Person, branch: str, *, after: date | None = None, until: date = BOOK_OPENED_BY
) -> date:
    adult = date(person.birthday.year + 18, person.birthday.month, min(person.birthday.day, 28))
    start = max(BRANCH_OPENED[branch], adult, after + timedelta(days=30) if after else date.min)
    years = list(range(start.year, until.year + 1))
    year = rng.choices(years, weights=[OPENING_WEIGHTS.get(y, 1) for y in years])[0]
    return _weekday_between(rng, max(start, date(year, 1, 1)), min(until, date(year, 12, 31)))


def _figures(rng: random.Random, client_class: str, year: int, *, at_risk: bool = False) -> dict[int, YearMetrics]:
    """Three years of figures ending with `year`'s, whose latest gives `client_class` under T = 3."""
    low, high = ASSETS[client_class]
    assets = _money(low * (high / low) ** rng.random())
    if client_class in HIGH_TURNOVER:
        turnover = _uniform(rng, HIGH_TURNOVERS)
    elif client_class in LOW_TURNOVER:
        turnover = _uniform(rng, LOW_TURNOVERS)
    elif client_class == "G":
        turnover = Decimal(0)
    else:
        turnover = _uniform(rng, (Decimal("0.4"), Decimal("6")))
    figures: dict[int, YearMetrics] = {}
    for y in range(year, YEARS[0] - 1, -1):
        avg = _money(assets * Decimal(str(round(rng.uniform(0.82, 1.18), 3))))
        figures[y] = YearMetrics(y, assets, avg, _money(avg * turnover))
        growth = rng.uniform(2.2, 3.0) if at_risk and y == year else rng.uniform(0.75, 1.3)
        assets = _money(assets * Decimal(str(round(growth, 3))))
        turnover = _uniform(rng, (Decimal("0.3"), Decimal("3.6")))
    return figures


def _book(rng: random.Random, people: _People) -> list[Account]:
    """D0001…D0194: the contract's people first, then people of one or two accounts."""
    accounts: list[Account] = []

    def add(person: _Person, branch: str, manager: str, opened: date, target: str | None) -> Account:
        account = Account(
            client_id=f"D{len(accounts) + 1:04d}",
            name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            email=person.email,
            birthday=person.birthday,
            branch_id=branch,
            manager_id=manager,
            opened_on=opened,
            target_class=target,
        )
        accounts.append(account)
        return account

    wang = _Person("王建国", WANG_JIANGUO, "13911827645", "wangjianguo82@163.com", date(1982, 3, 15))
    add(wang, "B001", "mgr-001a", date(2012, 5, 14), "A")  # D0001, a VIP
    add(wang, "B001", "mgr-001a", date(2019, 9, 2), "D-")  # D0002, his auxiliary account
    add(wang, "B002", "mgr-002a", date(2021, 3, 8), "C")  # D0003
    li = _Person("李秀英", LI_XIUYING, "13801736920", None, date(1975, 6, 20))
    add(li, "B001", "mgr-001b", date(2010, 11, 22), "B+")  # D0004, a VIP
    add(li, "B003", "mgr-003a", date(2022, 7, 11), "E")  # D0005
    # D0006: class C in the book; its 2026 figures make it a VIP in November, and its birthday is the demo's day
    birthday_man = date(1971, 12, 7)
    region = REGIONS["B001"][2]
    person = _Person(
        people.name(True), people.id_number(region, birthday_man, True), people.phone(), None, birthday_man
    )
    add(person, "B001", "mgr-001a", date(2015, 4, 20), "C")

    while len(accounts) < BOOK_SIZE:
        branch = rng.choices(BRANCHES, weights=(5, 4, 3))[0]
        person = _person(people, branch)
        first = add(person, branch, rng.choice(MANAGERS[branch]), _opened(rng, person, branch), None)
        if rng.random() < 0.07 and len(accounts) < BOOK_SIZE:  # a second account, here or elsewhere
            other = branch if rng.random() < 0.4 else rng.choice([b for b in BRANCHES if b != branch])
            manager = first.manager_id if other == branch else rng.choice(MANAGERS[other])
            add(person, other, manager, _opened(rng, person, other, after=first.opened_on), None)
    _assign_classes(rng, accounts)
    return accounts


def _assign_classes(rng: random.Random, accounts: list[Account]) -> None:
    classified = [a for a in accounts if a.opened_on.year <= YEARS[-1]]
    fixed = [a for a in classified if a.target_class is not None]
    free = [a for a in classified if a.target_class is None]
    total = sum(CLASS_WEIGHTS.values())
    labels = [c for c, w in CLASS_WEIGHTS.items() for _ in range(round(w * len(classified) / total))]
    for account in fixed:
        labels.remove(account.target_class or "")
    labels = (labels + ["E"] * len(free))[: len(free)]
    rng.shuffle(labels)
    for account, label in zip(free, labels, strict=True):
        account.target_class = label
    falling = _falling(classified)
    for account in classified:
        figures = _figures(rng, account.target_class or "E", YEARS[-1], at_risk=account in falling)
        account.metrics = {y: m for y, m in figures.items() if y >= account.opened_on.year}
    for account in accounts:
        if not account.metrics:
            account.target_class = None


def _falling(classified: Sequence[Account]) -> list[Account]:
    """One account of each manager whose assets halved in 2025: on its branch's at-risk list."""
    falling = []
    for manager in (m for branch in BRANCHES for m in MANAGERS[branch]):
        falling += [
            a
            for a in classified
            if a.manager_id == manager and a.client_id > "D0006" and a.opened_on.year <= YEARS[1]
            and a.target_class in FALLING_CLASSES
        ][:1]  # fmt: skip
    return falling


def _movers(rng: random.Random, people: _People) -> list[Account]:
    """D0195…D0197: one in each branch, registered in December 2025 with their figures, whose latest
    turnover lies between the new T and the old: D- until the recalibration, C- after it."""
    movers = []
    for number, branch in enumerate(BRANCHES, start=BOOK_SIZE + 1):
        person = _person(people, branch)
        account = Account(
            client_id=f"D{number:04d}",
            name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            email=person.email,
            birthday=person.birthday,
            branch_id=branch,
            manager_id=MANAGERS[branch][1],
            opened_on=_opened(rng, person, branch, until=date(2025, 6, 30)),
            target_class="D-",
        )
        figures = _figures(rng, "D-", YEARS[-1])
        latest = figures[YEARS[-1]]
        turnover = _uniform(rng, MOVER_TURNOVERS)
        figures[YEARS[-1]] = YearMetrics(
            latest.year, latest.assets, latest.avg_assets, _money(latest.avg_assets * turnover)
        )
        account.metrics = {y: m for y, m in figures.items() if y >= account.opened_on.year}
        movers.append(account)
    return movers


def _newcomers(people: _People) -> list[Account]:
    """D0198…D0200, opened in November 2026: D0198 online on Saturday the 7th with 6.8 million moved
    in from another broker (A+ by its 2026 figures, a VIP; its manager's prospect, converted), D0199
    the same day in Shenzhen, D0200 on the 23rd in Shanghai."""
    made = []
    for number, branch, manager, opened in (
        (BOOK_SIZE + 4, "B001", "mgr-001a", date(2026, 11, 7)),
        (BOOK_SIZE + 5, "B003", "mgr-003a", date(2026, 11, 7)),
        (BOOK_SIZE + 6, "B002", "mgr-002b", date(2026, 11, 23)),
    ):
        person = _person(people, branch)
        made.append(
            Account(
                client_id=f"D{number:04d}",
                name=person.name,
                id_number=person.id_number,
                phone=person.phone,
                email=person.email,
                birthday=person.birthday,
                branch_id=branch,
                manager_id=manager,
                opened_on=opened,
            )
        )
    made[0].metrics = {2026: YearMetrics(2026, Decimal("6800000.00"), Decimal("6350000.00"), Decimal("21590000.00"))}
    made[0].target_class = "A+"
    return made


def company_threshold(accounts: Sequence[Account]) -> Decimal:
    """T after the recalibration of 2026-01-01, as the job computes it from the company's sums."""
    figures = []
    for year in YEARS:
        rows = [a.metrics[year] for a in accounts if year in a.metrics]
        figures.append(
            YearTurnover(
                year=year,
                trade_volume=sum((m.trade_volume for m in rows), Decimal(0)),
                avg_assets=sum((m.avg_assets for m in rows), Decimal(0)),
                clients=len(rows),
            )
        )
    classification = rules.classification()
    initial = Threshold(classification.initial_turnover_threshold, classification.version)
    return recalibrate(2026, initial, figures, classification, at=RECALIBRATED_AT).new.value


@cache
def brokerage(seed: int = SEED) -> Brokerage:
    """The demo's brokerage, the same for the same seed; its promises checked (DemoDataError)."""
    rng = random.Random(seed)  # noqa: S311 - made-up people, the same every time: no secret here
    people = _People(rng)
    book = _book(rng, people)
    movers = _movers(rng, people)
    newcomers = _newcomers(people)
    made = Brokerage(tuple(book), tuple(movers), tuple(newcomers), company_threshold([*book, *movers]))
    check(made)
    return made


def check(made: Brokerage) -> None:
    """What the story relies on: valid people, one record per person, every class in the book, a
    recalibration that moves the movers alone, no VIP of the book with a birthday near the demo's day."""
    classification = rules.classification()
    initial = classification.initial_turnover_threshold
    for account in made.accounts:
        _require(id_number_problem(account.id_number) is None, f"{account.client_id}: an invalid ID number")
        if not account.metrics:
            _require(account.target_class is None, f"{account.client_id}: a class without figures")
            continue
        latest = account.metrics[max(account.metrics)]
        given = classify(latest, initial, classification)
        _require(given == account.target_class, f"{account.client_id}: its figures give {given}")
        moved = classify(latest, made.threshold, classification) != given
        _require(moved == (account in made.movers), f"{account.client_id}: the recalibration would move it or not")
        december = account.birthday.month == 12 and account.birthday.day <= 15
        vip_of_the_book = account in made.book and given in VIP_CLASSES
        _require(not (vip_of_the_book and december), f"{account.client_id}: a VIP of the book born in early December")
    classes = {a.target_class for a in made.book}
    _require(classes >= set(classification.class_order), f"a class is missing: {classes}")
    holders: dict[str, list[Account]] = {}
    for account in made.accounts:
        holders.setdefault(account.id_number, []).append(account)
    for accounts in holders.values():
        _require(len(accounts) <= 5, f"{accounts[0].client_id}: more than five accounts")
        records = {(a.name, a.phone, a.email, a.birthday) for a in accounts}
        _require(len(records) == 1, f"{accounts[0].client_id}: one person, several records")


# --- questionnaires ---------------------------------------------------------------------------------

QUESTION_ORDER = tuple(str(n) for n in range(1, 13))


def answers_for(level: str, variant: int = 0) -> dict[str, str | list[str]]:
    """A questionnaire's answers that score at `level` (very_low, low, medium, high), varied."""
    table = rules.questionnaire()
    targets = {"very_low": 16, "low": 27, "medium": 40, "high": 52}
    target = targets[level] + (variant % 3) - 1
    chosen = {
        n: min(table.questions[n].option_scores, key=table.questions[n].option_scores.__getitem__)
        for n in QUESTION_ORDER
    }
    score = sum(table.questions[n].option_scores[o] for n, o in chosen.items())
    for n in _rotated(QUESTION_ORDER, variant):  # raise answers one question at a time
        options = sorted(table.questions[n].option_scores.items(), key=lambda item: item[1])
        for option, points in options:
            gain = points - table.questions[n].option_scores[chosen[n]]
            if gain > 0 and score + gain <= target:
                score += gain
                chosen[n] = option
    answers: dict[str, str | list[str]] = {n: ([o] if table.questions[n].multiple else o) for n, o in chosen.items()}
    _require(assess(answers, table).risk_level.value == level, f"answers for {level} score otherwise")
    return answers


def _rotated(items: Sequence[str], by: int) -> Iterator[str]:
    start = by % len(items)
    yield from items[start:]
    yield from items[:start]
