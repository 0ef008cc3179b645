"""Lead journeys: one person's MAP activity, scoring, status history, sales follow-up and deal.

A journey is planned in three steps, one lead at a time so memory never holds more than one
person's records:
1. plan the person's MAP activities (types in a plausible order: ad clicks, content and
   e-mail early, webinars in the middle, pricing / demo / trial late) and derive the score
   changes from the activity types' score points;
2. walk the activities in time order through the lead-status state machine: an MQL fires
   when the criteria in force are met, routing assigns an owner, the owner touches the lead,
   accepts or rejects it, qualifies and converts it or recycles it; recycled leads can
   qualify again on a new product action ("boomerangs");
3. write every record: Lead, LeadHistory, Task, CampaignMember, Contact, Opportunity,
   OpportunityHistory, OpportunityContactRole, MAP activities and score changes, and hand
   the same values to the Tally that evaluates the deviation predicates.

Stage skips that are allowed (and generated): a demo request or a partner-registered lead
can go New -> Sales Accepted without an MQL; an outbound lead goes New -> Sales Qualified
(or -> Converted) without MQL or SAL; an accepted lead can go Sales Accepted -> Converted
without Sales Qualified. Time never runs backwards unless a deviation says so.
"""

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from revops.definitions import Definitions
from revops.generate import vocab
from revops.generate.clock import (
    DAY,
    END,
    HOUR,
    MINUTE,
    START,
    WINDOW_DAYS,
    day_of,
    iso_date,
    iso_timestamp,
    sf_timestamp,
)
from revops.generate.deviations import MQL, REJECTED, SAL, Tally
from revops.generate.ids import IdSequence
from revops.generate.world import SEGMENTS, Accounts, Program, Programs, User

# --- knobs: every number is a share or a duration, with the reason ------------------------

# Where leads come from, per segment: (inbound, outbound, partner). Enterprise is worked
# more by outbound and ABM; SMB is almost all inbound.
SOURCE_MIX = {"smb": (0.84, 0.09, 0.07), "mid_market": (0.72, 0.18, 0.10),
              "enterprise": (0.58, 0.30, 0.12)}
INBOUND_SOURCES = (("Web", 30), ("Paid Search", 18), ("Paid Social", 14), ("Webinar", 14),
                   ("Content Syndication", 16), ("Trade Show", 8))
OUTBOUND_SOURCES = (("Outbound Prospecting", 75), ("Sales Referral", 25))
# Share of people who will do product actions (pricing, demo, trial) late in the journey.
HIGH_INTENT = {"smb": 0.42, "mid_market": 0.38, "enterprise": 0.34}
# Mean days between two activities: enterprise buyers research longer.
MEAN_GAP_DAYS = {"smb": 3.5, "mid_market": 5.0, "enterprise": 7.0}
MEAN_ACTIVITIES = 6.5  # 1 + exponential, capped at 40
SECOND_WIND = 0.22  # people who come back 40-200 days later with product actions
ICP_TITLE_SHARE = 0.70
PERSONAL_EMAIL_SHARE = 0.025
DELETED_LEAD_SHARE = 0.003
# Demo requests and partner registrations that skip MQL and go straight to Sales Accepted.
DEMO_FAST_LANE = 0.20
PARTNER_FAST_LANE = 0.35
# Chance that one follow-up attempt reaches the person.
CONNECT = {"smb": 0.40, "mid_market": 0.34, "enterprise": 0.28}
OUTBOUND_CONNECT = 0.15
# After a conversation: share that becomes sales-qualified (ICP title / not).
SQL_RATE_ICP, SQL_RATE_OTHER = 0.62, 0.28
SKIP_SQL = 0.15  # accepted leads converted on the first call, without a Sales Qualified step
SQL_TO_CONVERTED = 0.85
RECYCLE_WHEN_UNREACHED = 0.75  # the rest are rejected with no_engagement
# Deal sizes (log-uniform), mean cycle days and win rates by segment.
DEAL_SIZE = {"smb": (5_000, 20_000), "mid_market": (20_000, 80_000),
             "enterprise": (80_000, 400_000)}
CYCLE_DAYS = {"smb": 30, "mid_market": 60, "enterprise": 120}
WIN_RATE = {"smb": 0.32, "mid_market": 0.26, "enterprise": 0.22}
BUYING_GROUP = {"smb": (1, 2), "mid_market": (1, 3), "enterprise": (2, 6)}
# Opportunities created by sales from a contact (no lead), per lead of the chunk.
SALES_SOURCED_OPPORTUNITIES = 0.03
# Share of MAP-synced sales tasks (the MAP's sales_touch activity).
SALES_TOUCH_SYNC = 0.8
# No MQL in the last two days of the window: every clean MQL's first touch fits in it.
LAST_MQL_AT = END - 2 * DAY

# Deviation rates (only with deviations=True). Per lead unless said otherwise.
P_DUPLICATE = 0.02  # a second lead for the same person, e-mail with case/space changes
P_LAX_MQL = 0.045  # MAP rule out of date: MQL at min_score - 20 without a product action
P_OWNERLESS_AT_CREATE = 0.006  # lead synced without an owner
P_UNROUTED = 0.03  # per MQL: assignment rule failed, owner emptied
P_NO_TOUCH = 0.03  # per MQL: nobody ever calls
P_LATE_TOUCH = 0.11  # per MQL: first touch after the SLA
P_NO_REASON = 0.10  # per rejection: reason left empty
P_OFF_TAXONOMY = 0.06  # per rejection: free-text reason outside the taxonomy
P_MQL_LOGGED_LATE = 0.06  # per first acceptance: the MQL row arrives after the SAL row
P_NO_PRIMARY = 0.04  # per opportunity: no (live) primary contact role

# Activity phases: (type, weight). Early, middle and two late mixes by intent.
_EARLY = (("ad_click", 25), ("content_download", 20), ("email_open", 25), ("email_click", 10),
          ("form_fill", 10), ("event_scan", 4), ("webinar_attended", 3))
_MIDDLE_LOW = (("email_open", 26), ("email_click", 15), ("webinar_attended", 15),
               ("content_download", 15), ("form_fill", 8), ("event_scan", 5), ("ad_click", 6),
               ("pricing_page_visit", 2))
_MIDDLE_HIGH = _MIDDLE_LOW[:-1] + (("pricing_page_visit", 9),)
_LATE_HIGH = (("pricing_page_visit", 24), ("demo_request", 16), ("trial_signup", 10),
              ("email_click", 10), ("email_open", 12), ("webinar_attended", 10),
              ("form_fill", 6), ("content_download", 6))
_LATE_LOW = (("email_open", 32), ("email_click", 14), ("content_download", 18),
             ("webinar_attended", 14), ("form_fill", 6), ("ad_click", 6),
             ("pricing_page_visit", 3))
_NURTURE = (("email_open", 55), ("email_click", 20), ("webinar_attended", 15),
            ("content_download", 10))
_FIRST_BY_SOURCE = {
    "Paid Search": "ad_click", "Paid Social": "ad_click", "Webinar": "form_fill",
    "Content Syndication": "content_download", "Trade Show": "event_scan",
    "Partner Referral": "form_fill",
}
_WEB_FIRST = (("form_fill", 70), ("demo_request", 17), ("trial_signup", 13))
# CampaignMember status rank of an activity: Sent < Responded < Attended.
_MEMBER_RANK = {"email_open": 0, "webinar_attended": 2, "event_scan": 2}
_MEMBER_STATUS = ("Sent", "Responded", "Attended")
_REVIEW_REASONS = ("bad_fit", "bad_timing", "existing_customer", "duplicate",
                   "insufficient_data", "competitor", "student_or_personal")
_STAGES = (("Prospecting", 10.0, "Pipeline"), ("Qualification", 20.0, "Pipeline"),
           ("Proposal", 50.0, "Best Case"), ("Negotiation", 75.0, "Commit"))
_CALL_SUBJECTS = ("Call", "Call - left voicemail", "Call - no answer")
_EMAIL_SUBJECTS = ("Email: Following up on your request", "Email: Quick question",
                   "Email: Resources you asked for")
_MEETINGS = {"Prospecting": "Discovery meeting", "Qualification": "Qualification call",
             "Proposal": "Proposal review", "Negotiation": "Commercial negotiation"}


class _Picker:
    """Weighted choice by one uniform draw (faster than random.choices in a hot loop)."""

    def __init__(self, pairs):
        self.values = tuple(value for value, _ in pairs)
        self.cumulative = tuple(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, draw: float):
        return self.values[bisect_right(self.cumulative, draw * self.total)]


EARLY, MIDDLE_LOW, MIDDLE_HIGH = _Picker(_EARLY), _Picker(_MIDDLE_LOW), _Picker(_MIDDLE_HIGH)
LATE_HIGH, LATE_LOW, NURTURE = _Picker(_LATE_HIGH), _Picker(_LATE_LOW), _Picker(_NURTURE)
WEB_FIRST = _Picker(_WEB_FIRST)
INBOUND_SOURCE, OUTBOUND_SOURCE = _Picker(INBOUND_SOURCES), _Picker(OUTBOUND_SOURCES)
SALES_SOURCE = _Picker((("Outbound Prospecting", 55), ("Sales Referral", 30),
                        ("Partner Referral", 15)))


@dataclass
class World:
    """Everything a journey refers to: users, accounts, programs and the definitions."""

    definitions: Definitions
    users: list[User]
    accounts: Accounts
    programs: Programs

    def __post_init__(self):
        self.integration = next(user for user in self.users if user.kind == "integration")
        self.sdrs = {segment: [user for user in self.users
                               if user.kind == "sdr" and user.segment == segment]
                     for segment in SEGMENTS}
        self.user_by_id = {user.id: user for user in self.users}
        self.points = dict(self.definitions.activity_score_points)
        self.qualifying = self.definitions.qualifying_actions
        self._rules: dict[tuple[str, int], tuple[int, bool, int, int]] = {}
        # def_routing_rules: segment -> round_robin | territory (ABM accounts always go to
        # the account owner, whatever the segment's rule).
        self.routing = {rule.segment_code: rule.rule
                        for rule in self.definitions.routing_rules}
        self._territories: dict[tuple[str, ...], dict[int, str]] = {}

    def territory_owner(self, team: list[User], country: int) -> str:
        """The SDR whose territory holds `country` (an index into vocab.COUNTRIES).

        Countries are dealt to the team's SDRs largest first, each to the SDR with the least
        expected volume so far, so territories carry similar lead volumes; the split is redone
        when the team changes (an SDR leaves).
        """
        key = tuple(user.id for user in team)
        territories = self._territories.get(key)
        if territories is None:
            load = dict.fromkeys(key, 0.0)
            territories = {}
            by_weight = sorted(range(len(vocab.COUNTRIES)),
                               key=lambda index: (-vocab.COUNTRIES[index][1], index))
            for index in by_weight:
                owner = min(key, key=lambda user_id: (load[user_id], key.index(user_id)))
                territories[index] = owner
                load[owner] += vocab.COUNTRIES[index][1]
            self._territories[key] = territories
        return territories[country]

    def rules(self, segment: str, t: int) -> tuple[int, bool, int, int]:
        """(min_score, requires_qualifying_action, SLA seconds, attempts) in force at `t`."""
        key = (segment, t // DAY)
        rules = self._rules.get(key)
        if rules is None:
            on = day_of(t)
            criteria = self.definitions.mql_criteria_on(segment, on)
            sla = self.definitions.sla_on(segment, on)
            rules = (criteria.min_score, criteria.requires_qualifying_action,
                     round(sla.hours_to_first_touch * HOUR), sla.attempts_before_recycle)
            self._rules[key] = rules
        return rules


@dataclass
class _Lead:
    """The mutable state of one lead while its journey is walked."""

    id: str
    segment: str
    account: int
    icp: bool
    personal: bool
    is_duplicate: bool
    owner: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    lead_source: str
    created: int = 0
    plan: list = field(default_factory=list)  # (t, activity_type, program), time order
    status: str = "New"
    history: list = field(default_factory=list)  # [t, field, old, new, by]
    touches: list = field(default_factory=list)  # completed_date_time of Call/Email tasks
    sales_touches: list = field(default_factory=list)  # (t, "sales_touch", program)
    reason: str = ""
    converted_at: int | None = None
    contact_id: str = ""
    opportunity_id: str = ""
    cycles: int = 0


class Journeys:
    """Generates all lead-driven records, chunk by chunk, into open export files."""

    def __init__(self, world: World, tally: Tally, deviations: bool, seed: int, leads: int):
        self.world = world
        self.tally = tally
        self.deviations = deviations
        self.seed = seed
        self.leads = leads
        self.ids = {name: IdSequence(name) for name in (
            "Lead", "LeadHistory", "Contact", "Opportunity", "OpportunityHistory",
            "OpportunityContactRole", "Task", "CampaignMember")}
        self.person_count = 0
        self.activity_count = 0
        self.score_count = 0
        self.turns = dict.fromkeys(SEGMENTS, 0)
        self.rng = random.Random(0)
        self.files: dict = {}
        # Created-date density: +50% growth over the window, weekends at 35% of a weekday.
        days = np.arange(WINDOW_DAYS)
        weekday = (days + 1) % 7  # 2024-10-01 is a Tuesday: 0 = Monday
        weight = (1 + 0.5 * days / WINDOW_DAYS) * np.where(weekday >= 5, 0.35, 1.0)
        self._day_cdf = np.cumsum(weight) / weight.sum()

    # --- chunk ------------------------------------------------------------------------------

    def run_chunk(self, chunk: int, first: int, count: int, files: dict) -> None:
        """Generate leads [first, first + count) and everything hanging off them."""
        self.files = files
        self.rng = random.Random(f"revops-demo:{self.seed}:{chunk}")
        rnd = self.rng.random
        generator = np.random.default_rng([self.seed, chunk, 20240])
        starts = self._first_touch_times(first, count, generator)
        accounts = self.world.accounts.pick(generator, count).tolist()
        emails: list[tuple[str, int, bool]] = []
        recent: list[tuple] = []  # people of this chunk a duplicate may copy
        for position in range(count):
            deleted = rnd() < DELETED_LEAD_SHARE
            original = None
            if self.deviations and recent and rnd() < P_DUPLICATE:
                original = recent.pop(int(rnd() * len(recent)))
            email, created = self._lead(first + position, starts[position],
                                        accounts[position], deleted, original, recent)
            emails.append((email, created, deleted))
        self.tally.duplicates(emails)
        span = (int(starts[0]), int(starts[-1]))
        for _ in range(round(count * SALES_SOURCED_OPPORTUNITIES)):
            self._sales_sourced_opportunity(span, generator)

    def _first_touch_times(self, first: int, count: int, generator: np.random.Generator):
        """Sorted first-activity times: the chunk's slice of the run's created-date curve."""
        quantiles = (first + np.arange(count) + generator.random(count)) / self.leads
        days = np.searchsorted(self._day_cdf, quantiles, side="right")
        days = np.minimum(days, WINDOW_DAYS - 1)
        # Time of day: 70% in 12:00-22:00 UTC (European afternoon, American day).
        business = generator.random(count) < 0.7
        seconds = np.where(business, 12 * HOUR + generator.integers(0, 10 * HOUR, count),
                           generator.integers(0, DAY, count))
        times = START + days * DAY + seconds
        return np.sort(np.minimum(times, END - 2 * HOUR)).tolist()

    # --- one lead ---------------------------------------------------------------------------

    def _lead(self, index: int, start: int, account: int, deleted: bool,
              original: tuple | None, recent: list) -> tuple[str, int]:
        world, rng = self.world, self.rng
        rnd = rng.random
        accounts = world.accounts
        if original is not None:
            account, first_name, last_name, email, title, employees, personal = original
            email = _email_variant(email, rnd)
        else:
            employees = int(accounts.employees[account])
            if rnd() < 0.1:  # self-reported company size differs from the account's
                employees = max(1, int(employees * (0.75 + 0.5 * rnd())))
            first_name, last_name, email = accounts.next_person(account)
            personal = rnd() < PERSONAL_EMAIL_SHARE
            if personal:
                domain = vocab.PERSONAL_DOMAINS[index % len(vocab.PERSONAL_DOMAINS)]
                email = f"{first_name}.{last_name}.{index}@{domain}".lower()
            if personal and rnd() < 0.5:
                title = vocab.STUDENT_TITLE
            elif rnd() < ICP_TITLE_SHARE:
                title = vocab.ICP_TITLES[int(rnd() * len(vocab.ICP_TITLES))]
            else:
                title = vocab.NON_ICP_TITLES[int(rnd() * len(vocab.NON_ICP_TITLES))]
        segment = world.definitions.segment_for(employees)
        icp = title in vocab.ICP_TITLES
        country, _, _ = accounts.country_of(account)

        inbound, outbound, _ = SOURCE_MIX[segment]
        draw = rnd()
        kind = "inbound" if draw < inbound else "outbound" if draw < inbound + outbound \
            else "partner"
        if kind == "inbound":
            lead_source = INBOUND_SOURCE(rnd())
        elif kind == "outbound":
            lead_source = OUTBOUND_SOURCE(rnd())
        else:
            lead_source = "Partner Referral"

        phone = "" if segment == "smb" and rnd() < 0.15 else _phone(country, rnd)
        lead = _Lead(id=self.ids["Lead"].next(), segment=segment, account=account, icp=icp,
                     personal=personal, is_duplicate=original is not None,
                     owner=world.integration.id, first_name=first_name, last_name=last_name,
                     email=email, phone=phone, title=title, lead_source=lead_source)
        if kind == "outbound":
            created = start
            lead.owner = self._route(lead, created)
            plan = self._plan_nurture(min(END - HOUR, created + int(rnd() * 20 * DAY)), segment)
        else:
            created = start + 30 + int(rnd() * 570)  # MAP -> CRM sync lag
            plan = self._plan_activities(start, segment, icp, lead_source)
            if self.deviations and rnd() < P_OWNERLESS_AT_CREATE:
                lead.owner = ""
        lead.created = created
        lead.plan = plan
        if original is None:
            recent.append((account, first_name, last_name, email, title, employees, personal))
            if len(recent) > 500:
                recent.pop(0)

        score_rows = self._score_changes(plan)
        score_times = [row[0] for row in score_rows]
        score_after = [row[2] for row in score_rows]
        first_qualifying = next(
            (at for at, activity_type, _ in plan if activity_type in world.qualifying), None)
        self._walk(lead, kind, created, plan, score_times, score_after, first_qualifying)

        # --- write the lead's records -------------------------------------------------------
        history = sorted(lead.history, key=lambda row: row[0])
        last_change = max([created] + [row[0] for row in history]
                          + ([lead.converted_at] if lead.converted_at else []))
        modified = last_change
        if deleted:
            modified = min(END, last_change + DAY + int(rnd() * 30 * DAY))
        modstamp = min(END, modified + (int(rnd() * 3 * DAY) if rnd() < 0.1 else 0))
        mql_times = [row[0] for row in history if row[1] == "Status" and row[3] == MQL]
        converted = lead.converted_at is not None
        self.files["Lead"].write((
            lead.id, first_name, last_name, email, phone, accounts.name(account),
            "" if personal else f"www.{accounts.domain(account)}", title,
            vocab.INDUSTRIES[int(accounts.industry[account])], str(employees), country,
            lead_source, lead.status, lead.owner, _bool(converted),
            iso_date(lead.converted_at) if converted else "",
            accounts.id(account) if converted else "", lead.contact_id, lead.opportunity_id,
            lead.reason, sf_timestamp(min(mql_times)) if mql_times else "",
            sf_timestamp(created), sf_timestamp(modified), sf_timestamp(modstamp),
            _bool(deleted),
        ))
        write_history = self.files["LeadHistory"].write
        history_ids = self.ids["LeadHistory"]
        for at, field_name, old, new, by in history:
            stamp = sf_timestamp(at)
            write_history((history_ids.next(), lead.id, field_name, old, new, by, stamp, stamp,
                           stamp, "false"))

        person = self._person()
        activities = plan + lead.sales_touches
        activities.sort(key=lambda row: row[0])
        converted_at = lead.converted_at if converted else END + 1
        account_id = accounts.id(account)
        self._write_activities(person, email, lead.id, activities, converted_at,
                               lead.contact_id, account_id)
        self._write_scores(person, email, lead.id, score_rows)
        self._write_members(activities, lead.id, lead.contact_id, converted_at)

        self.tally.lead(
            deleted=deleted, segment=segment, status=lead.status, rejection_reason=lead.reason,
            owner_id=lead.owner,
            status_rows=[(row[0], row[3]) for row in history if row[1] == "Status"],
            score_times=score_times, score_after=score_after,
            first_qualifying_at=first_qualifying, touch_times=sorted(lead.touches),
        )
        return email, created

    def _score_changes(self, plan) -> list[tuple[int, int, int, str]]:
        """(changed_at, score_before, score_after, activity_type): one per scored activity.

        MAP scoring runs within a minute of the activity; activities are >= 2 minutes apart,
        so change times are unique per person even when clamped to the window's end.
        """
        rnd = self.rng.random
        points = self.world.points
        rows = []
        total = 0
        for at, activity_type, _ in plan:
            gained = points[activity_type]
            if gained:
                rows.append((min(END, at + 1 + int(rnd() * 59)), total, total + gained,
                             activity_type))
                total += gained
        return rows

    # --- activity plans ---------------------------------------------------------------------

    def _plan_activities(self, start: int, segment: str, icp: bool,
                         lead_source: str) -> list[tuple[int, str, Program]]:
        rnd = self.rng.random
        expovariate = self.rng.expovariate
        count = min(40, 1 + int(expovariate(1 / MEAN_ACTIVITIES)))
        high = rnd() < HIGH_INTENT[segment] * (1.0 if icp else 0.5)
        mean_gap = MEAN_GAP_DAYS[segment] * DAY
        late = LATE_HIGH if high else LATE_LOW
        middle = MIDDLE_HIGH if high else MIDDLE_LOW
        first_type = (WEB_FIRST(rnd()) if lead_source == "Web"
                      else _FIRST_BY_SOURCE[lead_source])
        plan = [(start, first_type, self._program(first_type, start, lead_source))]
        t = start
        for position in range(1, count):
            t += _gap(rnd, expovariate, mean_gap)
            if t > END:
                return plan
            share = position / (count - 1)
            picker = EARLY if share < 0.34 else middle if share < 0.67 else late
            activity_type = picker(rnd())
            plan.append((t, activity_type, self._program(activity_type, t, "")))
        if rnd() < SECOND_WIND:
            t += int((40 + 160 * rnd()) * DAY)
            for _ in range(min(40 - len(plan), 2 + int(expovariate(1 / 3)))):
                if t > END:
                    break
                activity_type = LATE_HIGH(rnd())
                plan.append((t, activity_type, self._program(activity_type, t, "")))
                t += _gap(rnd, expovariate, mean_gap)
        return plan

    def _plan_nurture(self, start: int, segment: str) -> list[tuple[int, str, Program]]:
        """Marketing activity of a person sales found first: a few nurture touches."""
        rnd = self.rng.random
        expovariate = self.rng.expovariate
        plan: list[tuple[int, str, Program]] = []
        t = start
        for _ in range(1 + int(rnd() * 5)):  # every person is known to the MAP at least once
            if t > END:
                break
            activity_type = NURTURE(rnd())
            plan.append((t, activity_type, self._program(activity_type, t, "")))
            t += _gap(rnd, expovariate, MEAN_GAP_DAYS[segment] * DAY)
        if plan and rnd() < 0.12:  # a few come back on their own with a product action
            t += int((20 + 100 * rnd()) * DAY)
            for _ in range(2 + int(rnd() * 3)):
                if t > END:
                    break
                activity_type = LATE_HIGH(rnd())
                plan.append((t, activity_type, self._program(activity_type, t, "")))
                t += _gap(rnd, expovariate, MEAN_GAP_DAYS[segment] * DAY)
        return plan

    def _program(self, activity_type: str, t: int, lead_source: str) -> Program:
        programs = self.world.programs
        draw = self.rng.random()
        if activity_type == "demo_request":
            return programs.demo_form
        if activity_type == "trial_signup":
            return programs.trial_form
        if activity_type == "pricing_page_visit":
            return programs.website
        if activity_type == "form_fill":
            if lead_source == "Partner Referral":
                return programs.partner_portal
            if lead_source == "Webinar" or draw < 0.3:
                return programs.for_channel("webinar", t, self.rng.random())
            return programs.website
        if activity_type == "ad_click":
            if lead_source == "Paid Search" or (lead_source != "Paid Social" and draw < 0.55):
                return programs.for_channel("paid_search", t, self.rng.random())
            return programs.for_channel("paid_social", t, self.rng.random())
        if activity_type == "sales_touch":
            return programs.sales_sync
        channel = {"content_download": "content", "email_open": "email", "email_click": "email",
                   "webinar_attended": "webinar", "event_scan": "event"}[activity_type]
        return programs.for_channel(channel, t, draw)

    # --- the status state machine -----------------------------------------------------------

    def _walk(self, lead: _Lead, kind: str, created: int, plan, score_times, score_after,
              first_qualifying) -> None:
        """Walk the activities through the status machine (see the module docstring)."""
        rnd = self.rng.random
        world = self.world
        available_from = created
        lax = self.deviations and kind != "outbound" and rnd() < P_LAX_MQL
        fast_lane_demo = rnd() < DEMO_FAST_LANE

        if kind == "outbound":
            status, until = self._work(lead, created + 600 + int(rnd() * DAY), review=False,
                                       connect=OUTBOUND_CONNECT, reject_unreached=False)
            if status not in ("New", "Recycled"):
                return
            available_from = until if until is not None else END + 1
        elif kind == "partner" and rnd() < PARTNER_FAST_LANE:
            self._fast_lane(lead, created + 600 + int(rnd() * 20 * HOUR))
            return

        position = 0
        count = len(plan)
        while lead.status in ("New", "Recycled"):
            trigger = None
            while position < count:
                at, activity_type, _ = plan[position]
                position += 1
                if at < available_from:
                    continue
                qualifying = activity_type in world.qualifying
                if lead.status == "Recycled" and not qualifying:
                    continue  # a recycled lead re-qualifies only on a new product action
                if (lead.status == "New" and kind == "inbound" and fast_lane_demo
                        and activity_type == "demo_request"):
                    trigger = ("fast", max(at, created))
                    break
                scored = bisect_right(score_times, at + 60)  # its own change lands < 60 s
                base = score_times[scored - 1] if scored and score_times[scored - 1] >= at \
                    else at
                candidate = max(base, created) + MINUTE + int(rnd() * 14 * MINUTE)
                if candidate > LAST_MQL_AT:
                    return
                min_score, needs_action, _, _ = world.rules(lead.segment, candidate)
                position_score = bisect_right(score_times, candidate)
                score = score_after[position_score - 1] if position_score else 0
                if lax:
                    met = score >= min_score - 20
                else:
                    met = score >= min_score and not (needs_action and (
                        first_qualifying is None or first_qualifying > candidate))
                if met:
                    trigger = ("mql", candidate)
                    break
            if trigger is None:
                return
            if trigger[0] == "fast":
                self._fast_lane(lead, trigger[1] + 120 + int(rnd() * 30 * MINUTE))
                return
            status, until = self._mql_cycle(lead, trigger[1])
            if status != "Recycled" or until is None:
                return
            available_from = until

    def _status(self, lead: _Lead, t: int, new: str, by: str) -> None:
        lead.history.append([t, "Status", lead.status, new, by])
        lead.status = new

    def _route(self, lead: _Lead, t: int) -> str:
        """The owner the assignment rules of def_routing_rules pick at `t`.

        ABM accounts go to the account's AE (a cold rep must not call a warm account); a lead
        already owned by an active SDR of its segment keeps that SDR; otherwise the segment's
        rule over its SDRs active at `t`: the SDR of the account's country (territory) or the
        next in turn (round-robin).
        """
        world = self.world
        if world.accounts.abm[lead.account]:
            return world.accounts.owner_id(lead.account)
        current = world.user_by_id.get(lead.owner)
        if (current is not None and current.kind == "sdr" and current.segment == lead.segment
                and current.active_at(t)):
            return current.id
        team = [user for user in world.sdrs[lead.segment] if user.active_at(t)]
        if world.routing.get(lead.segment) == "territory":
            return world.territory_owner(team, int(world.accounts.country[lead.account]))
        turn = self.turns[lead.segment]
        self.turns[lead.segment] = turn + 1
        return team[turn % len(team)].id

    def _assign(self, lead: _Lead, t: int, owner: str) -> None:
        if owner != lead.owner:
            lead.history.append([t, "Owner", lead.owner, owner, self.world.integration.id])
            lead.owner = owner

    def _mql_cycle(self, lead: _Lead, mql_at: int) -> tuple[str, int | None]:
        """MQL, routing, first touch and what follows; returns (status, time it was set)."""
        rnd = self.rng.random
        self._status(lead, mql_at, MQL, self.world.integration.id)
        mql_row = lead.history[-1]
        lead.cycles += 1
        routed_at = mql_at + 5 + int(rnd() * 115)
        owner = self._route(lead, routed_at)
        if self.deviations and rnd() < P_UNROUTED:
            owner = ""
        self._assign(lead, routed_at, owner)
        if not owner:
            return lead.status, None
        _, _, sla, _ = self.world.rules(lead.segment, mql_at)
        draw = rnd()
        if self.deviations and draw < P_NO_TOUCH:
            return lead.status, None
        if self.deviations and draw < P_NO_TOUCH + P_LATE_TOUCH:
            touch_at = mql_at + sla + 1 + int(sla * self.rng.expovariate(1 / 1.2))
        else:
            earliest = routed_at - mql_at + 120
            touch_at = mql_at + earliest + int((0.97 * sla - earliest)
                                               * self.rng.betavariate(1.3, 3.5))
        return self._work(lead, touch_at, review=True, mql_row=mql_row,
                          connect=CONNECT[lead.segment], reject_unreached=True)

    def _fast_lane(self, lead: _Lead, accepted_at: int) -> None:
        """A hand-raiser (demo request, partner registration) accepted without an MQL."""
        if accepted_at > END:
            return
        self._assign(lead, accepted_at - 60, self._route(lead, accepted_at - 60))
        self._status(lead, accepted_at, SAL, lead.owner)
        touch_at = accepted_at + 300 + int(self.rng.random() * 2 * HOUR)
        self._work(lead, touch_at, review=False, connect=CONNECT[lead.segment],
                   reject_unreached=True)

    def _work(self, lead: _Lead, touch_at: int, *, review: bool, connect: float,
              reject_unreached: bool, mql_row: list | None = None) -> tuple[str, int | None]:
        """Follow-up attempts from `touch_at` on; returns (status, time it was set).

        With `review` the owner first accepts or rejects the MQL (at their own acceptance
        rate); then attempts run until one connects or the SLA's attempt count is used up.
        Events past the window's end do not happen: the lead stays where it was.
        """
        rnd = self.rng.random
        owner = self.world.user_by_id.get(lead.owner)
        by = lead.owner
        if touch_at > END:
            return lead.status, None
        _, _, _, attempts = self.world.rules(lead.segment, touch_at)
        self._task(lead, touch_at, 1)
        floor = touch_at
        if review:
            decided_at = touch_at + MINUTE + int(rnd() * 3 * HOUR)
            floor = decided_at
            if decided_at > END:
                return lead.status, None
            fit = 1.1 if lead.icp else 0.65
            if rnd() >= min(0.97, owner.acceptance * fit):
                self._reject(lead, decided_at, self._review_reason(lead, decided_at))
                return lead.status, decided_at
            self._status(lead, decided_at, SAL, by)
            if (self.deviations and lead.cycles == 1 and mql_row is not None
                    and rnd() < P_MQL_LOGGED_LATE):
                mql_row[0] = min(END, decided_at + 300 + int(rnd() * 6 * HOUR))
        t = touch_at
        attempt = 1
        connected = rnd() < connect
        while not connected and attempt < attempts:
            t += 12 * HOUR + int(rnd() * 2.5 * DAY)
            if t > END:
                return lead.status, None
            attempt += 1
            self._task(lead, t, attempt)
            connected = rnd() < connect
        if not connected:
            t += DAY + int(rnd() * 2 * DAY)
            if t > END:
                return lead.status, None
            if not reject_unreached or rnd() < RECYCLE_WHEN_UNREACHED:
                self._status(lead, t, "Recycled", by)
            else:
                self._reject(lead, t, "no_engagement")
            return lead.status, t
        t = max(t, floor)  # the conversation's outcome comes after the accept decision
        sql_rate = SQL_RATE_ICP if lead.icp else SQL_RATE_OTHER
        if rnd() < sql_rate:
            if rnd() < SKIP_SQL and lead.status != "New":
                converted_at = t + HOUR + int(rnd() * 5 * DAY)
                if converted_at > END:
                    return lead.status, None
                self._convert(lead, converted_at)
                return lead.status, converted_at
            qualified_at = t + HOUR + int(rnd() * 2 * DAY)
            if qualified_at > END:
                return lead.status, None
            self._status(lead, qualified_at, "Sales Qualified", by)
            if rnd() < SQL_TO_CONVERTED:
                converted_at = qualified_at + DAY + int(rnd() * 13 * DAY)
                if converted_at > END:
                    return lead.status, None
                self._convert(lead, converted_at)
                return lead.status, converted_at
            recycled_at = qualified_at + 7 * DAY + int(rnd() * 23 * DAY)
            if recycled_at > END:
                return lead.status, None
            self._status(lead, recycled_at, "Recycled", by)
            return lead.status, recycled_at
        decided_at = t + HOUR + int(rnd() * 2 * DAY)
        if decided_at > END:
            return lead.status, None
        if lead.status != "New" and rnd() < 0.5:  # only an MQL or SAL can be rejected
            self._reject(lead, decided_at, "bad_timing" if rnd() < 0.6 else "bad_fit")
        else:
            self._status(lead, decided_at, "Recycled", by)
        return lead.status, decided_at

    def _review_reason(self, lead: _Lead, t: int) -> str:
        weights = (
            12 if lead.icp else 40,  # bad_fit
            10,  # bad_timing
            45 if self.world.accounts.is_customer_at(lead.account, t) else 0,
            70 if lead.is_duplicate else 2,
            12,  # insufficient_data
            4,  # competitor
            80 if lead.personal else 1,
        )
        draw = self.rng.random() * sum(weights)
        for reason, weight in zip(_REVIEW_REASONS, weights, strict=True):
            draw -= weight
            if draw < 0:
                return reason
        return _REVIEW_REASONS[0]

    def _reject(self, lead: _Lead, t: int, reason: str) -> None:
        if self.deviations:
            draw = self.rng.random()
            if draw < P_NO_REASON:
                reason = ""
            elif draw < P_NO_REASON + P_OFF_TAXONOMY:
                reason = vocab.OFF_TAXONOMY_REASONS[
                    int(self.rng.random() * len(vocab.OFF_TAXONOMY_REASONS))]
        self._status(lead, t, REJECTED, lead.owner)
        lead.reason = reason

    def _task(self, lead: _Lead, t: int, attempt: int) -> None:
        rnd = self.rng.random
        call = (attempt + (lead.segment != "smb")) % 2 == 0 or rnd() < 0.3
        if call:
            subject = _CALL_SUBJECTS[int(rnd() * len(_CALL_SUBJECTS))]
        else:
            subject = _EMAIL_SUBJECTS[int(rnd() * len(_EMAIL_SUBJECTS))]
        kind = "Call" if call else "Email"
        self._write_task(lead.id, "", lead.owner, subject, kind, kind, t)
        lead.touches.append(t)
        if rnd() < SALES_TOUCH_SYNC and len(lead.plan) + len(lead.sales_touches) < 40:
            synced = t + 300 + int(rnd() * 55 * MINUTE)
            if synced <= END:
                lead.sales_touches.append((synced, "sales_touch",
                                           self.world.programs.sales_sync))

    def _write_task(self, who: str, what: str, owner: str, subject: str, kind: str,
                    subtype: str, t: int) -> None:
        stamp = iso_timestamp(t)
        self.files["Task"].write((
            self.ids["Task"].next(), who, what, owner, subject, kind, subtype, "Completed",
            iso_date(t), stamp, stamp, stamp, stamp, "false",
            iso_timestamp(t + 120 + int(self.rng.random() * 1680)),
        ))

    # --- conversion, contacts and opportunities ---------------------------------------------

    def _convert(self, lead: _Lead, t: int) -> None:
        """Convert: Converted status, a Contact, an Opportunity with its stages and roles.

        The opportunity's primary campaign is the campaign of the last marketing response
        before conversion (Salesforce's default primary campaign source).
        """
        owner = self.world.accounts.owner_id(lead.account)
        self._status(lead, t, "Converted", lead.owner)
        lead.converted_at = t
        lead.contact_id = self.ids["Contact"].next()
        lead.opportunity_id = self.ids["Opportunity"].next()
        self._write_contact(lead.contact_id, lead.account, lead.first_name, lead.last_name,
                            lead.email, lead.phone, lead.title, lead.lead_source, owner, t)
        campaign_id = ""
        for at, activity_type, program in lead.plan:
            if at > t:
                break
            if activity_type != "email_open":
                campaign_id = program.campaign_id
        self._opportunity(lead.opportunity_id, lead.account, lead.segment, t,
                          lead.lead_source, campaign_id, lead.contact_id)

    def _opportunity(self, opportunity_id: str, account: int, segment: str, created: int,
                     lead_source: str, campaign_id: str, primary_contact: str | None) -> None:
        """Write an opportunity, its stage history, its contact roles and the AE's meetings."""
        rnd = self.rng.random
        accounts = self.world.accounts
        owner = accounts.owner_id(account)
        _, _, currency = accounts.country_of(account)
        low, high = DEAL_SIZE[segment]
        amount = float(round(low * (high / low) ** rnd() / 500) * 500)
        cycle = CYCLE_DAYS[segment] * DAY
        expected_close = created + int(cycle * (0.8 + 0.5 * rnd()))
        step_rate = WIN_RATE[segment] ** 0.25
        history: list[tuple] = []
        t = created
        stage = 0
        stage_name, probability, forecast = _STAGES[0]
        history.append((t, stage_name, amount, iso_date(expected_close), probability, forecast))
        closed = won = False
        while True:
            t += HOUR + int(self.rng.expovariate(4 / cycle))
            if t > END:
                break
            if stage == len(_STAGES) - 1 or rnd() > step_rate:
                won = stage == len(_STAGES) - 1 and rnd() < step_rate
                closed = True
                stage_name, probability, forecast = (("Closed Won", 100.0, "Closed") if won
                                                     else ("Closed Lost", 0.0, "Omitted"))
                expected_close = t
                history.append((t, stage_name, amount, iso_date(t), probability, forecast))
                break
            stage += 1
            stage_name, probability, forecast = _STAGES[stage]
            if stage >= 2 and rnd() < 0.25:  # discount during proposal or negotiation
                amount = float(round(amount * (0.8 + 0.15 * rnd()) / 500) * 500)
            if t > expected_close - 7 * DAY:  # slipping deals get a new close date
                expected_close = t + int(cycle * 0.3 * (0.5 + rnd()))
            history.append((t, stage_name, amount, iso_date(expected_close), probability,
                            forecast))
        if won:
            accounts.won(account, t)
        opportunity_type = ("Existing Business" if accounts.is_customer_at(account, created)
                            else "New Business")
        last = history[-1][0]
        product = vocab.PRODUCTS[int(rnd() * len(vocab.PRODUCTS))]
        self.files["Opportunity"].write((
            opportunity_id, accounts.id(account), f"{accounts.name(account)} - {product}",
            stage_name, f"{amount:.2f}", currency, iso_date(expected_close), _bool(closed),
            _bool(won), f"{probability:.1f}", forecast, lead_source, opportunity_type, owner,
            campaign_id, sf_timestamp(created), sf_timestamp(last), sf_timestamp(last), "false",
        ))
        write_history = self.files["OpportunityHistory"].write
        for at, name, value, close_date, chance, category in history:
            stamp = sf_timestamp(at)
            write_history((self.ids["OpportunityHistory"].next(), opportunity_id, name,
                           f"{value:.2f}", close_date, f"{chance:.1f}", category, owner, stamp,
                           stamp, stamp, "false"))

        roles = self._contact_roles(opportunity_id, account, segment, created,
                                    primary_contact)
        self.tally.opportunity(deleted=False, roles=roles)
        meeting_with = primary_contact or ""
        for at, name, *_ in history[:-1] if closed else history:
            met_at = at + 2 * HOUR + int(rnd() * 3 * DAY)
            if rnd() < 0.6 and met_at <= END:
                self._write_task(meeting_with, opportunity_id, owner, _MEETINGS[name],
                                 "Meeting", "Task", met_at)

    def _contact_roles(self, opportunity_id: str, account: int, segment: str, created: int,
                       primary_contact: str | None) -> list[tuple[bool, bool]]:
        """Write the buying group; returns (is_deleted, is_primary) per role row written."""
        rnd = self.rng.random
        low, high = BUYING_GROUP[segment]
        size = low + int(rnd() * (high - low + 1))
        owner = self.world.accounts.owner_id(account)
        defect = self.deviations and rnd() < P_NO_PRIMARY
        variant = int(rnd() * 3) if defect else -1
        members: list[tuple[str, int]] = []
        if primary_contact is not None:
            members.append((primary_contact, min(END, created + 30)))
        for _ in range(size - len(members)):
            joined = created + HOUR + int(rnd() * 20 * DAY)
            if joined > END:
                continue
            members.append((self._sales_contact(account, joined, owner, ""), joined))
        if variant == 2:  # the deal was created by hand and nobody added contact roles
            return []
        roles: list[tuple[bool, bool]] = []
        write = self.files["OpportunityContactRole"].write
        for position, (contact_id, joined) in enumerate(members):
            primary = position == 0 and variant != 0
            deleted = position == 0 and variant == 1
            if deleted:
                primary = True  # the primary role was deleted, none took its place
            role = (vocab.CONTACT_ROLES_PRIMARY[int(rnd() * 2)] if position == 0
                    else vocab.CONTACT_ROLES_OTHER[int(rnd() * len(vocab.CONTACT_ROLES_OTHER))])
            modified = min(END, joined + 5 * DAY) if deleted else joined
            write((self.ids["OpportunityContactRole"].next(), opportunity_id, contact_id, role,
                   _bool(primary), iso_timestamp(joined), iso_timestamp(modified),
                   iso_timestamp(modified), _bool(deleted),
                   iso_timestamp(modified + 120 + int(rnd() * 1680))))
            roles.append((deleted, primary))
        return roles

    def _write_contact(self, contact_id: str, account: int, first_name: str, last_name: str,
                       email: str, phone: str, title: str, lead_source: str, owner: str,
                       created: int) -> None:
        rnd = self.rng.random
        country, _, _ = self.world.accounts.country_of(account)
        language = "" if rnd() < 0.25 else vocab.LANGUAGE_BY_COUNTRY.get(country, "en")
        stamp = iso_timestamp(created)
        self.files["Contact"].write((
            contact_id, self.world.accounts.id(account), first_name, last_name, email, phone,
            title, lead_source, country, owner, stamp, stamp, stamp, "false", language,
            iso_timestamp(created + 120 + int(rnd() * 1680)),
        ))

    def _sales_contact(self, account: int, created: int, owner: str, lead_source: str) -> str:
        """A contact sales adds by hand (no lead), with a little nurture e-mail afterwards."""
        rnd = self.rng.random
        accounts = self.world.accounts
        first_name, last_name, email = accounts.next_person(account)
        title_pool = vocab.ICP_TITLES if rnd() < 0.6 else vocab.NON_ICP_TITLES
        title = title_pool[int(rnd() * len(title_pool))]
        country, _, _ = accounts.country_of(account)
        contact_id = self.ids["Contact"].next()
        self._write_contact(contact_id, account, first_name, last_name, email,
                            _phone(country, rnd), title, lead_source, owner, created)
        plan: list[tuple[int, str, Program]] = []
        t = created + DAY + int(rnd() * 10 * DAY)
        for _ in range(int(rnd() * 4)):
            if t > END:
                break
            activity_type = NURTURE(rnd())
            plan.append((t, activity_type, self._program(activity_type, t, "")))
            t += _gap(rnd, self.rng.expovariate, 6 * DAY)
        if plan:
            person = self._person()
            account_id = accounts.id(account)
            self._write_activities(person, email, "", plan, created, contact_id, account_id)
            self._write_scores(person, email, "", self._score_changes(plan))
            self._write_members(plan, "", contact_id, created)
        return contact_id

    def _sales_sourced_opportunity(self, span: tuple[int, int],
                                   generator: np.random.Generator) -> None:
        """A deal sales opens from a contact it found itself (no lead, no MQL)."""
        rnd = self.rng.random
        accounts = self.world.accounts
        account = int(accounts.pick(generator, 1)[0])
        segment = SEGMENTS[int(accounts.segment[account])]
        owner = accounts.owner_id(account)
        created = span[0] + int(rnd() * (span[1] - span[0] + 1))
        lead_source = SALES_SOURCE(rnd())
        contact_id = self._sales_contact(account, created, owner, lead_source)
        for attempt in range(1 + int(rnd() * 3)):
            at = created + (attempt + 1) * DAY + int(rnd() * DAY)
            if at <= END:
                kind = "Call" if attempt % 2 == 0 else "Email"
                self._write_task(contact_id, "", owner, "Intro call" if kind == "Call"
                                 else "Email: Introduction", kind, kind, at)
        opened = created + DAY + int(rnd() * 20 * DAY)
        if opened <= END:
            self._opportunity(self.ids["Opportunity"].next(), account, segment, opened,
                              lead_source, "", contact_id)

    # --- MAP records ------------------------------------------------------------------------

    def _person(self) -> str:
        self.person_count += 1
        return str(1_000_000 + self.person_count)

    def _write_activities(self, person: str, email: str, lead_id: str, activities,
                          converted_at: int, contact_id: str, account_id: str) -> None:
        write = self.files["activities"].write
        lead = lead_id or None
        contact = contact_id or None
        for at, activity_type, program in activities:
            self.activity_count += 1
            known = at >= converted_at
            if activity_type in ("sales_touch", "email_open"):
                utm_source = utm_medium = utm_campaign = None
            else:
                utm_source, utm_medium, utm_campaign = program.utm
            write((str(50_000_000 + self.activity_count), activity_type, at, person, email,
                   lead, contact if known else None, account_id if known else None,
                   program.program_id, utm_source or None, utm_medium or None,
                   utm_campaign or None, at))

    def _write_scores(self, person: str, email: str, lead_id: str, rows) -> None:
        write = self.files["score_changes"].write
        lead = lead_id or None
        for changed, before, after, reason in rows:
            self.score_count += 1
            write((str(80_000_000 + self.score_count), person, email, lead, changed, before,
                   after, reason, changed))

    def _write_members(self, activities, lead_id: str, contact_id: str,
                       converted_at: int) -> None:
        """One CampaignMember per campaign the person touched (sales touches excluded)."""
        members: dict[str, list] = {}
        for at, activity_type, program in activities:
            if activity_type == "sales_touch":
                continue
            rank = _MEMBER_RANK.get(activity_type, 1)
            member = members.get(program.campaign_id)
            if member is None:
                members[program.campaign_id] = [at, rank, at if rank else None, at]
            else:
                if rank > member[1]:
                    member[1], member[3] = rank, at
                if rank and member[2] is None:
                    member[2] = at
        write = self.files["CampaignMember"].write
        rnd = self.rng.random
        for campaign_id, (created, rank, responded, changed) in members.items():
            contact = contact_id if converted_at <= END else ""
            if contact and converted_at > changed:
                changed = converted_at
            write((self.ids["CampaignMember"].next(), campaign_id, lead_id, contact,
                   _MEMBER_STATUS[rank], _bool(rank > 0),
                   iso_date(responded) if responded is not None else "",
                   iso_timestamp(created), iso_timestamp(changed), iso_timestamp(changed),
                   "false", iso_timestamp(changed + 120 + int(rnd() * 1680))))


def _gap(rnd, expovariate, mean: float) -> int:
    """Seconds to the next activity: 30% same session (2-27 min), else days apart."""
    if rnd() < 0.3:
        return 120 + int(rnd() * 1500)
    return 180 + int(expovariate(1 / mean))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _phone(country: str, rnd) -> str:
    return f"{vocab.PHONE_PREFIX_BY_COUNTRY[country]}{int(rnd() * 100):02d}"


def _email_variant(email: str, rnd) -> str:
    """The same address as typed again: other case, stray spaces (lower(trim()) equal)."""
    local, _, domain = email.partition("@")
    draw = rnd()
    if draw < 0.3:
        return f"{local.title()}@{domain}"
    if draw < 0.5:
        return f"{local}@{domain.upper()}"
    if draw < 0.7:
        return f" {email}"
    if draw < 0.85:
        return f"{email.upper()} "
    return f"{local.capitalize()}@{domain} "
