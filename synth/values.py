"""Table values like real ones: mostly zeros, long tails, and every identity of the template holding.

One body's reports are generated year after year from its own state, so a clean series satisfies the
history rules: carried_over(Y) = carried_forward(Y−1) per column, in_force(Y) = in_force(Y−1) +
issued(Y) − repealed(Y) (2021 template), total_published grows by new_published and previous_items(Y)
= previous_items(Y−1) + change(Y−1) (2019 template). Sizes are log-normal around a median per kind of
body (a county government gets tens of applications a year, a city department a few, a big city
thousands; licensing decisions up to millions). Fees are decimals in 万元 with 0–6 decimals.

Values here are the *true* figures, in the truth files' types: ints for counts and signed changes,
decimal strings for amounts. `synth.faults` decides what is printed.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from nianbao import template as T
from synth.bodies import Body


@dataclass(frozen=True)
class Profile:
    """Medians of a kind of body's yearly figures, and the chance that a figure is zero for the body."""

    apps: float
    licensing: float
    licensing_p0: float
    penalty: float
    penalty_p0: float
    enforcement: float
    enforcement_p0: float
    fee_p: float
    fee: float  # 万元
    normative: float  # documents issued a year
    regulations: float = 0.0  # only governments of provinces and cities with legislative power
    review: float = 0.0  # cases a year
    litigation: float = 0.0
    procurement: float = 0.0  # projects a year (2019 template)


# Per kind of body: applications a year; licensing, penalty and enforcement decisions, each with the chance
# that the body has none; the share of bodies charging fees and their median (万元); normative documents and
# regulations issued a year; review and litigation cases a year; procurement projects (2019 template).
# columns: apps, licensing, p0, penalty, p0, enforcement, p0, fee share, fee, normative, regulations, review,
# litigation, procurement (the fields of Profile, in order)
_MEDIANS = {
    ("county", "government"):         (30, 8000, .02, 1500, .05, 150, .2, .5, 2000, 12, 0, 2, 1, 60),
    ("county", "department"):         (2, 300, .5, 60, .5, 5, .8, .25, 50, .8, 0, .1, .05, 4),
    ("county", "general_office"):     (8, 0, .95, 0, .95, 0, .98, .05, 5, 3, 0, .3, .1, 3),
    ("township", "township"):         (.6, 50, .8, 10, .85, 2, .95, .05, 5, .2, 0, .05, .03, 1),
    ("prefecture", "department"):     (5, 2000, .45, 300, .5, 20, .7, .3, 300, 2, 0, .4, .2, 10),
    ("prefecture", "government"):     (400, 200000, 0, 20000, 0, 2000, .05, .8, 50000, 25, 2, 15, 8, 400),
    ("prefecture", "general_office"): (40, 0, .9, 0, .9, 0, .95, .05, 20, 8, 0, 3, 1, 6),
    ("province", "government"):       (1500, 1000000, 0, 100000, 0, 10000, 0, .9, 300000, 40, 8, 40, 20, 800),
    ("province", "department"):       (60, 20000, .3, 2000, .4, 200, .6, .3, 3000, 5, 0, 4, 2, 30),
    ("prefecture", "special_zone"):   (6, 3000, .3, 200, .4, 20, .6, .3, 800, 3, 0, .5, .3, 20),
    ("county", "special_zone"):       (10, 5000, .1, 500, .2, 50, .4, .4, 1500, 5, 0, 1, .5, 30),
}
PROFILES = {k: Profile(*v) for k, v in _MEDIANS.items()}

APPLICANT_WEIGHTS = (0.86, 0.09, 0.003, 0.005, 0.02, 0.022)
# 2021 outcome rows, in template order, with their typical shares
OUTCOME_WEIGHTS = {
    "granted": 0.48, "partially_granted": 0.10, "denied_state_secret": 0.002, "denied_prohibited_by_law": 0.004,
    "denied_security_stability": 0.002, "denied_third_party_rights": 0.008, "denied_internal_affairs": 0.01,
    "denied_process_information": 0.015, "denied_enforcement_files": 0.004, "denied_administrative_query": 0.01,
    "unavailable_not_held": 0.20, "unavailable_needs_creation": 0.03, "unavailable_unclear": 0.015,
    "not_processed_complaint": 0.02, "not_processed_duplicate": 0.02, "not_processed_publication": 0.003,
    "not_processed_excessive": 0.005, "not_processed_confirmation": 0.01, "other_overdue_correction": 0.02,
    "other_unpaid_fee": 0.001, "other_misc": 0.025,
}
assert tuple(OUTCOME_WEIGHTS) == T.TEMPLATE_2021.outcome_rows
OTHER_2021 = ("other_overdue_correction", "other_unpaid_fee", "other_misc")
REVIEW_SHARES = (0.55, 0.12, 0.18, 0.15)  # upheld, corrected, other, pending


# ---------------------------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------------------------
def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth below 30, a rounded normal above)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n <= 40:
        return sum(1 for _ in range(n) if rng.random() < p)
    mean = n * p
    return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


def multinomial(rng: random.Random, n: int, weights) -> list[int]:
    """n split over len(weights) categories (sequential binomials)."""
    out, rest = [], sum(weights)
    for w in weights[:-1]:
        k = binomial(rng, n, w / rest) if rest > 0 else 0
        out.append(k)
        n -= k
        rest -= w
    out.append(n)
    return out


def _noisy(rng: random.Random, weights, sigma: float) -> list[float]:
    return [w * rng.lognormvariate(0.0, sigma) for w in weights]


def _amount(value: float, decimals: int) -> str:
    """A non-negative amount printed with `decimals` decimals ("0" when it rounds to nothing)."""
    q = Decimal(1).scaleb(-decimals)
    d = Decimal(repr(value)).quantize(q)
    return "0" if d == 0 else format(d, "f")


# ---------------------------------------------------------------------------------------------
# one body's figures, year after year
# ---------------------------------------------------------------------------------------------
@dataclass
class Report:
    """One year's true figures: the template laid out, the three tables (truth shape), narrative counts."""

    year: int
    template: str
    active_disclosure: dict
    applications: dict
    review_litigation: dict
    narrative: dict = field(default_factory=dict)


@dataclass
class _State:
    """What carries from one year to the next."""

    carried: list[int] | None = None  # last year's carried_forward per applicant column (six)
    in_force: dict = field(default_factory=dict)  # regulations / normative_documents stock
    published: dict = field(default_factory=dict)  # 2019 template: total_published
    items: dict = field(default_factory=dict)  # 2019 template: previous_items per item


class BodyFigures:
    """Draws a body's figures; `report(year)` must be called for consecutive years."""

    def __init__(self, body: Body, rng: random.Random):
        self.rng = rng
        self.body = body
        key = (body.level if body.kind != "special_zone" else ("county" if body.level == "county" else "prefecture"),
               body.kind)
        p = self.p = PROFILES[key]
        s = body.size
        self.apps = p.apps * s
        self.applicants = _noisy(rng, APPLICANT_WEIGHTS, 0.5)
        self.outcomes = _noisy(rng, list(OUTCOME_WEIGHTS.values()), 0.6)
        self.cf_rate = 0.0 if rng.random() < 0.5 else rng.uniform(0.01, 0.12)
        self.decisions = {}
        for item, median, p0 in (("licensing", p.licensing, p.licensing_p0), ("penalty", p.penalty, p.penalty_p0),
                                 ("enforcement", p.enforcement, p.enforcement_p0)):
            zero = rng.random() < p0 or median == 0
            self.decisions[item] = 0.0 if zero else median * s * rng.lognormvariate(0.0, 1.0)
        self.other_services = 0.0 if rng.random() < 0.6 else p.licensing * 0.1 * s * rng.lognormvariate(0, 1.0)
        self.fee = p.fee * s * rng.lognormvariate(0.0, 1.0) if rng.random() < p.fee_p else 0.0
        self.fee_decimals = rng.choices((0, 1, 2, 3, 4, 5, 6), (20, 10, 40, 10, 10, 3, 7))[0]
        self.plus_sign = rng.random() < 0.3  # prints positive changes as "+12"
        self.normative = p.normative * math.sqrt(s)
        self.regulations = p.regulations * math.sqrt(s) if p.regulations and rng.random() < 0.8 else 0.0
        self.state = _State()
        st = self.state
        st.in_force = {"regulations": poisson(rng, self.regulations * 15),
                       "normative_documents": poisson(rng, self.normative * 6)}
        st.published = {k: v + poisson(rng, v * 0.5 + 1) for k, v in st.in_force.items()}
        st.items = {
            "licensing": poisson(rng, 200 * math.sqrt(s)) if self.decisions["licensing"] else 0,
            "other_external_services": poisson(rng, 60 * math.sqrt(s)) if self.other_services else 0,
            "penalty": poisson(rng, 800 * math.sqrt(s)) if self.decisions["penalty"] else 0,
            "enforcement": poisson(rng, 30 * math.sqrt(s)) if self.decisions["enforcement"] else 0,
            "fees": poisson(rng, 12) if self.fee else 0,
        }

    # -- table 三 ------------------------------------------------------------------------------
    def applications(self) -> dict[str, list[int]]:
        """2021-shaped table 三 (every outcome row), seven columns with totals; updates the carry-over."""
        rng = self.rng
        n_new = poisson(rng, self.apps * rng.lognormvariate(0.0, 0.5))
        new = multinomial(rng, n_new, self.applicants)
        if self.state.carried is None:
            carried = [binomial(rng, x, 0.04) for x in new]
        else:
            carried = self.state.carried
        inflow = [a + b for a, b in zip(new, carried)]
        forward = [binomial(rng, x, self.cf_rate) for x in inflow]
        processed = [a - b for a, b in zip(inflow, forward)]
        columns = [multinomial(rng, n, self.outcomes) for n in processed]  # per applicant column
        rows: dict[str, list[int]] = {"new_received": new, "carried_over": list(carried)}
        for i, code in enumerate(OUTCOME_WEIGHTS):
            rows[code] = [col[i] for col in columns]
        rows["total_processed"] = processed
        rows["carried_forward"] = forward
        self.state.carried = forward
        return {r: v + [sum(v)] for r, v in rows.items()}

    # -- table 四 ------------------------------------------------------------------------------
    def review(self) -> dict[str, list[int]]:
        rng, p, s = self.rng, self.p, self.body.size
        means = {"review": p.review * s, "litigation_direct": p.litigation * s * 0.7,
                 "litigation_after_review": p.litigation * s * 0.3}
        out = {}
        for g in T.REVIEW_GROUPS:
            n = poisson(rng, means[g.code] * rng.lognormvariate(0.0, 0.5))
            parts = multinomial(rng, n, REVIEW_SHARES)
            out[g.code] = parts + [n]
        return out

    # -- table 二 ------------------------------------------------------------------------------
    def _decisions(self, item: str) -> int:
        base = self.decisions[item]
        return 0 if base == 0 else max(0, round(base * self.rng.lognormvariate(0.0, 0.3)))

    def _stock(self, item: str, lam: float) -> tuple[int, int, int]:
        """(issued, repealed, in_force) of regulations or normative documents; the stock carries over."""
        rng = self.rng
        before = self.state.in_force[item]
        issued = poisson(rng, lam)
        repealed = min(before + issued, poisson(rng, lam * 0.4)) if rng.random() < 0.6 else 0
        after = before + issued - repealed
        self.state.in_force[item] = after
        return issued, repealed, after

    def _fee(self) -> str:
        if not self.fee:
            return "0"
        return _amount(self.fee * self.rng.lognormvariate(0.0, 0.3), self.fee_decimals)

    def active(self, template: str) -> dict:
        """Table 二 in the report's template; the stocks move on either way."""
        rng = self.rng
        stocks = {"regulations": self._stock("regulations", self.regulations),
                  "normative_documents": self._stock("normative_documents", self.normative)}
        decisions = {k: self._decisions(k) for k in ("licensing", "penalty", "enforcement")}
        if template == "2021":
            out = {k: dict(zip(("issued", "repealed", "in_force"), v)) for k, v in stocks.items()}
            out.update({k: {"decisions": v} for k, v in decisions.items()})
            out["fees"] = {"amount_10k_yuan": self._fee()}
            return out
        out = {}
        for k, (issued, _, _) in stocks.items():
            published = issued - (1 if issued and rng.random() < 0.1 else 0)
            self.state.published[k] += published
            out[k] = {"new_made": issued, "new_published": published, "total_published": self.state.published[k]}
        decisions["other_external_services"] = (0 if not self.other_services else
                                                round(self.other_services * rng.lognormvariate(0.0, 0.3)))
        for k in ("licensing", "other_external_services", "penalty", "enforcement", "fees"):
            before = self.state.items[k]
            change = 0 if rng.random() < 0.6 or not before else max(-before, round(rng.gauss(0, 2 + before * 0.05)))
            self.state.items[k] = before + change
            out[k] = {"previous_items": before, "change": change}
            if k != "fees":
                out[k]["decisions"] = decisions[k]
        projects = poisson(rng, self.p.procurement * self.body.size * rng.lognormvariate(0.0, 0.4))
        amount = projects * 35.0 * rng.lognormvariate(0.0, 0.8)
        out["procurement"] = {"projects": projects, "amount": _amount(amount, self.fee_decimals)}
        # keep template order
        return {i.code: out[i.code] for i in T.TEMPLATE_2019.active_items}

    def report(self, year: int, template: str) -> Report:
        """The true figures of `year` laid out with `template` (the state moves on a year)."""
        apps = self.applications()
        if template == "2019":
            apps = {r: v for r, v in apps.items() if r not in OTHER_2021} | {
                "other_processing": [sum(apps[o][j] for o in OTHER_2021) for j in range(7)]}
        apps = {r: apps[r] for r in T.template(template).application_codes}
        review = self.review()
        active = self.active(template)
        narrative = {"applications_received": apps["new_received"][6],
                     "review_cases": review["review"][4],
                     "litigation_cases": review["litigation_direct"][4] + review["litigation_after_review"][4]}
        return Report(year, template, active, apps, review, narrative)


def template_for(year: int, rng: random.Random, mismatch: float = 0.02) -> str:
    """2019/2020 → the 2019 template; later years the 2021 one, a small share still on the 2019 layout."""
    if year <= 2020:
        return "2019"
    return "2019" if rng.random() < mismatch else "2021"
