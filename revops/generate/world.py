"""The reference data every lead hangs off: users, accounts, MAP programs and CRM campaigns.

Accounts are held as compact numpy arrays (about 40 bytes each: 250,000 accounts for a
2,000,000-lead run is ~10 MB) so the world never grows with anything but the account count.
Users and programs are a few hundred objects at most.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np

from revops.generate import vocab
from revops.generate.clock import DAY, END, HOUR, START, epoch, iso_date
from revops.generate.ids import IdSequence, salesforce_id

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SEGMENT_LABEL = {"smb": "SMB", "mid_market": "Mid-market", "enterprise": "Enterprise"}

# Share of accounts per segment: most companies are small.
ACCOUNT_SEGMENT_SHARE = (0.62, 0.27, 0.11)
# Employee bands sampled log-uniformly inside each segment's definition band.
EMPLOYEE_RANGE = {"smb": (2, 199), "mid_market": (200, 999), "enterprise": (1000, 60000)}
# Leads per account relative to SMB: bigger companies have more people who find us.
# With the shares above this gives ~45% SMB, ~32% mid-market, ~23% enterprise leads.
LEAD_WEIGHT = (1.0, 1.6, 2.6)
# ABM named accounts: 15% of enterprise, 3% of mid-market, 0.3% of SMB accounts (~2.6% overall).
ABM_SHARE = (0.003, 0.03, 0.15)
# Accounts that were already customers before the window opened.
CUSTOMER_SHARE = 0.06

# The SDR who left: active until this day, still owns the leads routed to them before.
DEPARTED_SDR_UNTIL = epoch(date(2025, 6, 30)) + 18 * HOUR

_NAME_COMBOS = len(vocab.FIRST_NAMES) * len(vocab.LAST_NAMES)  # 9,810
_NAME_STEP = 7919  # prime, coprime with 9,810: ordinals map to distinct names per account
_COMPANY_COMBOS = (
    len(vocab.COMPANY_PREFIXES) * len(vocab.COMPANY_ROOTS) * len(vocab.COMPANY_KINDS)
)  # 288,000
_COMPANY_STEP = 17017  # 7*11*13*17, coprime with 288,000 = 2^8 * 3^2 * 5^3
_COMPANY_DOMAIN = "ourcompany.example"


@dataclass
class User:
    id: str
    first_name: str
    last_name: str
    title: str
    department: str
    role_name: str
    kind: str  # integration | marketing | manager | sdr | ae
    segment: str | None
    created: int
    manager_id: str = ""
    acceptance: float = 0.0  # share of MQLs this rep accepts (SDRs and AEs)
    active_until: int | None = None  # None: active through the window

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@{_COMPANY_DOMAIN}".lower()

    def active_at(self, t: int) -> bool:
        return self.active_until is None or t < self.active_until


def _team_sizes(total: int, shares: tuple[float, float, float], minimum: int) -> dict[str, int]:
    smb = max(minimum + 1, round(total * shares[0]))
    enterprise = max(minimum, round(total * shares[2]))
    mid_market = max(minimum, total - smb - enterprise)
    return {"smb": smb, "mid_market": mid_market, "enterprise": enterprise}


def build_users(leads: int, rng: np.random.Generator) -> list[User]:
    """Return the CRM users: integration user, marketers, managers, SDR and AE teams.

    Team sizes grow with the run (7 SDRs at 5,000 leads, 40 at 2,000,000); the first two SMB
    SDRs accept ~72% and ~30% of MQLs, the rest 45-62%, one mid-market SDR left mid-window.
    """
    sequence = IdSequence("User")
    names = rng.permutation(_NAME_COMBOS)
    users: list[User] = []

    def add(title: str, department: str, role: str, kind: str, segment: str | None = None,
            manager: User | None = None) -> User:
        combo = int(names[len(users)])
        user = User(
            id=sequence.next(),
            first_name=vocab.FIRST_NAMES[combo % len(vocab.FIRST_NAMES)],
            last_name=vocab.LAST_NAMES[combo // len(vocab.FIRST_NAMES)],
            title=title, department=department, role_name=role, kind=kind, segment=segment,
            created=START - int(rng.integers(60, 700)) * DAY + int(rng.integers(8, 18)) * HOUR,
            manager_id=manager.id if manager else "",
        )
        users.append(user)
        return user

    add("Integration User", "Marketing Operations", "System Integration",
                      "integration")
    vp_marketing = add("VP Marketing", "Marketing", "Marketing Executive", "marketing")
    for title in ("Marketing Operations Manager", "Demand Generation Manager",
                  "Content Marketing Manager"):
        add(title, "Marketing", "Marketing", "marketing", manager=vp_marketing)
    vp_sales = add("VP Sales", "Sales", "Sales Executive", "manager")
    sdr_manager = add("SDR Manager", "Sales Development", "SDR Manager", "manager",
                      manager=vp_sales)
    sales_managers = {
        segment: add(f"Sales Manager - {SEGMENT_LABEL[segment]}",
                     f"Sales - {SEGMENT_LABEL[segment]}", "Sales Manager", "manager", segment,
                     vp_sales)
        for segment in SEGMENTS
    }

    sdr_total = min(40, max(7, leads // 6000))
    for segment, size in _team_sizes(sdr_total, (0.45, 0.30, 0.25), 2).items():
        for _ in range(size):
            add("Sales Development Representative", f"SDR - {SEGMENT_LABEL[segment]}",
                f"SDR {SEGMENT_LABEL[segment]}", "sdr", segment, sdr_manager)
    departed = add("Sales Development Representative", "SDR - Mid-market", "SDR Mid-market",
                   "sdr", "mid_market", sdr_manager)
    departed.active_until = DEPARTED_SDR_UNTIL

    ae_total = min(40, max(6, leads // 9000))
    for segment, size in _team_sizes(ae_total, (0.35, 0.30, 0.35), 2).items():
        for _ in range(size):
            add("Account Executive", f"Sales - {SEGMENT_LABEL[segment]}",
                f"AE {SEGMENT_LABEL[segment]}", "ae", segment, sales_managers[segment])

    smb_sdrs = [user for user in users if user.kind == "sdr" and user.segment == "smb"]
    for user in users:
        if user.kind == "sdr":
            user.acceptance = float(rng.uniform(0.45, 0.62))
        elif user.kind == "ae":
            user.acceptance = 0.85
    smb_sdrs[0].acceptance = 0.72  # the generous SDR
    smb_sdrs[1].acceptance = 0.30  # the strict SDR: same segment, same kind of MQLs
    return users


class Accounts:
    """All accounts as parallel numpy arrays, plus the few counters that change during a run."""

    def __init__(self, count: int, rng: np.random.Generator, aes: dict[str, list[User]]):
        self.count = count
        self.segment = rng.choice(3, size=count, p=ACCOUNT_SEGMENT_SHARE).astype(np.int8)
        low = np.array([EMPLOYEE_RANGE[s][0] for s in SEGMENTS])[self.segment]
        high = np.array([EMPLOYEE_RANGE[s][1] for s in SEGMENTS])[self.segment]
        employees = np.exp(rng.uniform(np.log(low), np.log(high + 1)))
        self.employees = np.clip(employees.astype(np.int64), low, high).astype(np.int32)
        self.revenue = (self.employees * 180_000 * rng.lognormal(0, 0.4, count) // 1000 * 1000)
        weights = np.array(vocab.INDUSTRY_WEIGHTS, dtype=float)
        self.industry = rng.choice(len(weights), size=count, p=weights / weights.sum()).astype(
            np.int8)
        country_weights = np.array([country[1] for country in vocab.COUNTRIES], dtype=float)
        self.country = rng.choice(len(country_weights), size=count,
                                  p=country_weights / country_weights.sum()).astype(np.int8)
        self.state = rng.integers(0, 10, size=count).astype(np.int8)
        self.abm = rng.random(count) < np.array(ABM_SHARE)[self.segment]
        if not self.abm.any():
            self.abm[int(np.argmax(self.employees))] = True
        self.created = (START - rng.integers(30, 450, size=count) * DAY
                        - rng.integers(0, DAY, size=count)).astype(np.int64)
        # 0 = not a customer; otherwise the second the account became one.
        self.customer_since = np.where(rng.random(count) < CUSTOMER_SHARE, self.created + DAY,
                                       0).astype(np.int64)
        self.last_modified = self.created.copy()
        self.persons = np.zeros(count, dtype=np.int32)
        self.name_offset = rng.integers(0, _NAME_COMBOS, size=count).astype(np.int32)
        self.email_style = rng.integers(0, 2, size=count).astype(np.int8)
        self.company_offset = int(rng.integers(0, _COMPANY_COMBOS))
        self._id_prefix = IdSequence("Account").prefix
        # Owner: the AEs of the account's segment, in turn; stored as an index into _owners.
        self._owners = [user.id for segment in SEGMENTS for user in aes[segment]]
        self.owner = np.zeros(count, dtype=np.int16)
        first = 0
        for segment_index, segment in enumerate(SEGMENTS):
            members = self.segment == segment_index
            turns = np.arange(int(members.sum())) % len(aes[segment])
            self.owner[members] = first + turns
            first += len(aes[segment])
        lead_weight = np.array(LEAD_WEIGHT)[self.segment] * rng.lognormal(0, 0.6, count)
        self._cdf = np.cumsum(lead_weight) / lead_weight.sum()

    def pick(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Return `size` account indexes, bigger accounts more often."""
        picks = np.searchsorted(self._cdf, rng.random(size), side="right")
        return np.minimum(picks, self.count - 1)

    def owner_id(self, index: int) -> str:
        """The user id of the account's owner (an AE of the account's segment)."""
        return self._owners[int(self.owner[index])]

    def id(self, index: int) -> str:
        return salesforce_id(self._id_prefix, index)

    def _company_parts(self, index: int) -> tuple[str, str, str, int]:
        combo = (self.company_offset + index * _COMPANY_STEP) % _COMPANY_COMBOS
        kinds, roots = len(vocab.COMPANY_KINDS), len(vocab.COMPANY_ROOTS)
        prefix = vocab.COMPANY_PREFIXES[combo // (kinds * roots)]
        root = vocab.COMPANY_ROOTS[(combo // kinds) % roots]
        kind = vocab.COMPANY_KINDS[combo % kinds]
        return prefix, root, kind, index // _COMPANY_COMBOS

    def name(self, index: int) -> str:
        prefix, root, kind, lap = self._company_parts(index)
        return f"{prefix}{root} {kind}" + (f" {lap + 1}" if lap else "")

    def domain(self, index: int) -> str:
        prefix, root, kind, lap = self._company_parts(index)
        return f"{prefix}{root}{kind}{lap + 1 if lap else ''}.example".lower()

    def next_person(self, index: int) -> tuple[str, str, str]:
        """Return (first name, last name, work e-mail) of a new person at an account.

        Each account hands out distinct names (an injective walk over 9,810 name pairs) and
        every account has its own domain, so no two people share an e-mail by accident.
        """
        ordinal = int(self.persons[index])
        self.persons[index] = ordinal + 1
        combo = (int(self.name_offset[index]) + ordinal * _NAME_STEP) % _NAME_COMBOS
        first = vocab.FIRST_NAMES[combo % len(vocab.FIRST_NAMES)]
        last = vocab.LAST_NAMES[combo // len(vocab.FIRST_NAMES)]
        lap = ordinal // _NAME_COMBOS
        separator = "." if self.email_style[index] == 0 else "_"
        local = f"{first}{separator}{last}{lap if lap else ''}".lower()
        return first, last, f"{local}@{self.domain(index)}"

    def country_of(self, index: int) -> tuple[str, str, str]:
        """Return (country, state or '', deal currency) of an account."""
        country, _, currency, states = vocab.COUNTRIES[int(self.country[index])]
        state = states[int(self.state[index]) % len(states)] if states else ""
        return country, state, currency

    def is_customer_at(self, index: int, t: int) -> bool:
        since = int(self.customer_since[index])
        return 0 < since <= t

    def won(self, index: int, t: int) -> None:
        """Record a won deal: the account is a customer from `t` on."""
        since = int(self.customer_since[index])
        if since == 0 or t < since:
            self.customer_since[index] = t
        self.last_modified[index] = max(self.last_modified[index], t)


# --- MAP programs and CRM campaigns -------------------------------------------------------

# channel -> (program type, campaign type, utm_source, utm_medium, budget range per program)
CHANNELS: dict[str, tuple[str, str, str, str, tuple[int, int]]] = {
    "web": ("Web", "Website", "website", "organic", (0, 0)),
    "email": ("Email Nurture", "Email", "newsletter", "email", (500, 3000)),
    "paid_search": ("Paid Media", "Advertisement", "google", "cpc", (12000, 45000)),
    "paid_social": ("Paid Media", "Advertisement", "linkedin", "paid_social", (10000, 40000)),
    "content": ("Content", "Content Syndication", "syndication", "content", (5000, 20000)),
    "webinar": ("Webinar", "Webinar", "webinar", "webinar", (3000, 15000)),
    "event": ("Event", "Trade Show", "event", "event", (20000, 80000)),
    "partner": ("Partner", "Partners", "partner", "referral", (0, 0)),
    "sales": ("Sales Outreach", "Telemarketing", "", "", (0, 0)),
}

_ALWAYS_ON: tuple[tuple[str, str], ...] = (
    ("web", "Website"),
    ("web", "Demo Request Form"),
    ("web", "Free Trial Sign-up"),
    ("email", "Newsletter"),
    ("paid_search", "Google Ads - Brand"),
    ("paid_social", "LinkedIn Ads - Always On"),
    ("partner", "Partner Portal Referrals"),
    ("sales", "Sales Outreach Sync"),
)
_WEBINAR_TOPICS = (
    "Pipeline Forecasting 101", "Fixing the MQL Handoff", "Attribution Without Tears",
    "Building a RevOps Team", "Lead Scoring That Sales Trusts", "ABM in Practice",
    "One Pipeline Number", "SDR Playbooks", "Closing the Feedback Loop", "Funnel Velocity",
    "Data Quality for GTM", "Board-ready Revenue Reporting", "Territory Design",
    "Win-Loss Reviews", "Renewals and Expansion", "Planning the Next Fiscal Year",
)
_CONTENT_TITLES = (
    "The RevOps Playbook", "State of B2B Pipeline Report", "MQL Definition Template",
    "SLA Calculator", "Attribution Guide", "Benchmark: MQL-to-SQL Rates", "ICP Worksheet",
    "Lead Routing Checklist", "CRM Hygiene Guide", "Forecasting Maturity Model",
    "Rejection Reason Taxonomy Kit", "The Handoff Handbook", "Revenue Metrics Glossary",
    "Buying Group Guide", "Pipeline Coverage Primer", "Sales and Marketing Alignment Survey",
)
_EVENTS = ("RevOps Summit", "Pipeline Expo", "B2B Growth Forum", "SaaS Revenue Week",
           "GTM Leaders Day", "Demand Gen Conference", "Data and Revenue Live", "Sales Tech Fair")

# Fiscal quarters of the window (FY25 Q1 = Oct-Dec 2024 ... FY26 Q4 = Jul-Sep 2026).
QUARTER_STARTS: tuple[int, ...] = tuple(
    epoch(date(year, month, 1))
    for year, month in ((2024, 10), (2025, 1), (2025, 4), (2025, 7), (2025, 10), (2026, 1),
                        (2026, 4), (2026, 7))
)


def quarter_of(t: int) -> int:
    """Index (0-7) of the fiscal quarter holding `t`, clamped to the window."""
    index = 0
    for position, start in enumerate(QUARTER_STARTS):
        if t >= start:
            index = position
    return index


def _quarter_label(quarter: int) -> str:
    return f"FY{25 + quarter // 4} Q{quarter % 4 + 1}"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace(
        "--", "-")


@dataclass
class Program:
    """A MAP program and the Salesforce campaign it syncs to (one to one)."""

    index: int
    program_id: str
    name: str
    channel: str
    quarter: int | None  # None: always on
    start: int
    end: int | None
    campaign_id: str
    parent_campaign_id: str
    budget: float
    actual: float

    @property
    def program_type(self) -> str:
        return CHANNELS[self.channel][0]

    @property
    def campaign_type(self) -> str:
        return CHANNELS[self.channel][1]

    def __post_init__(self):
        _, _, source, medium, _ = CHANNELS[self.channel]
        # (utm_source, utm_medium, utm_campaign); read once per activity, so built once here.
        self.utm: tuple[str, str, str] = (
            ("", "", "") if self.channel == "sales" else (source, medium, _slug(self.name)))


@dataclass
class ParentCampaign:
    id: str
    name: str
    start: int
    end: int | None


class Programs:
    """All programs and campaigns, with a lookup of the programs running on a date."""

    def __init__(self, rng: np.random.Generator):
        campaigns = IdSequence("Campaign")
        self.parents = [
            ParentCampaign(campaigns.next(), "FY25 Demand Generation", START,
                           epoch(date(2025, 9, 30))),
            ParentCampaign(campaigns.next(), "FY26 Demand Generation", epoch(date(2025, 10, 1)),
                           epoch(date(2026, 9, 30))),
            ParentCampaign(campaigns.next(), "Always-on Programs", START, None),
        ]
        self.programs: list[Program] = []

        def add(name: str, channel: str, quarter: int | None) -> None:
            low, high = CHANNELS[channel][4]
            budget = float(rng.integers(low, high + 1) // 500 * 500) if high else 0.0
            if quarter is None:
                start, end, parent = START, None, self.parents[2].id
                actual = round(budget * 0.9, 2)
            else:
                start = QUARTER_STARTS[quarter]
                end = (QUARTER_STARTS[quarter + 1] - DAY if quarter + 1 < len(QUARTER_STARTS)
                       else epoch(date(2026, 9, 30)))
                parent = self.parents[0 if quarter < 4 else 1].id
                actual = round(budget * float(rng.uniform(0.8, 1.15)), 2)
            self.programs.append(Program(
                index=len(self.programs), program_id=str(1001 + len(self.programs)), name=name,
                channel=channel, quarter=quarter, start=start, end=end,
                campaign_id=campaigns.next(), parent_campaign_id=parent, budget=budget,
                actual=actual,
            ))

        for channel, name in _ALWAYS_ON:
            add(name, channel, None)
        for quarter in range(len(QUARTER_STARTS)):
            label = _quarter_label(quarter)
            for offset in range(2):
                topic = _WEBINAR_TOPICS[(2 * quarter + offset) % len(_WEBINAR_TOPICS)]
                add(f"{label} Webinar - {topic}", "webinar", quarter)
                title = _CONTENT_TITLES[(2 * quarter + offset) % len(_CONTENT_TITLES)]
                add(f"{label} E-book - {title}", "content", quarter)
            add(f"{label} Nurture - Product Education", "email", quarter)
            add(f"{label} Trade Show - {_EVENTS[quarter % len(_EVENTS)]}", "event", quarter)
            add(f"{label} Google Ads - Generic", "paid_search", quarter)
            add(f"{label} LinkedIn Ads - ICP Titles", "paid_social", quarter)

        self.always_on: dict[str, Program] = {}
        self.by_name = {program.name: program for program in self.programs}
        for program in self.programs:
            if program.quarter is None:
                self.always_on.setdefault(program.channel, program)
        self.quarterly: dict[tuple[str, int], list[Program]] = {}
        for program in self.programs:
            if program.quarter is not None:
                self.quarterly.setdefault((program.channel, program.quarter), []).append(program)
        self.website = self.by_name["Website"]
        self.demo_form = self.by_name["Demo Request Form"]
        self.trial_form = self.by_name["Free Trial Sign-up"]
        self.partner_portal = self.by_name["Partner Portal Referrals"]
        self.sales_sync = self.by_name["Sales Outreach Sync"]
        self.campaign_by_id = {program.campaign_id: program for program in self.programs}

    def for_channel(self, channel: str, t: int, draw: float) -> Program:
        """The program an activity of `channel` at `t` belongs to.

        A quarter's own program three times out of four, the always-on one otherwise (or when
        the channel has no quarterly program); `draw` is a uniform number in [0, 1).
        """
        running = self.quarterly.get((channel, quarter_of(t)))
        always = self.always_on.get(channel)
        if running and (always is None or draw < 0.75):
            return running[int(draw / 0.75 * len(running)) % len(running)]
        if always is None:
            raise LookupError(f"no program for channel {channel!r}")
        return always


def campaign_status(program_or_parent_end: int | None) -> tuple[str, bool]:
    """(Status, IsActive) of a campaign as seen at the end of the window."""
    if program_or_parent_end is None or iso_date(program_or_parent_end) >= iso_date(END):
        return "In Progress", True
    return "Completed", False
