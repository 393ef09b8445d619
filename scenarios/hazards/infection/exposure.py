"""Exposure and expected cases from presence and contacts: both routes, two generations.

:func:`expected_cases` combines the airborne route (doses from the
concentration field of :mod:`~scenarios.hazards.infection.airborne`) and
the contact route (:mod:`~scenarios.hazards.infection.contact`) into each
person's probability of infection, ``1 - exp(-(H_air + H_contact))`` with
``H_contact = -Σ log(1 - q)`` over the person's contacts.

Emission differs a lot between infectious people (lognormal, geometric SD
about 5): every index case's emission is drawn ``samples`` times from the
replication's generator and the risks are averaged over the draws, so a
replication's expected cases integrate over the emission spread and the
spread of the total over draws (``p05``/``p95``) is reported beside it.

Secondary cases may become infectious within the run and seed tertiary
cases.  That is computed in expectation (a mean-field branching step):
each person with secondary risk ``P_i``, infected around the hazard-weighted
mean time of their exposure ``τ_i``, is infectious at time *t* with
probability ``P_i (F(t - τ_i) - F(t - τ_i - D))`` (``F`` the incubation
distribution, ``D`` the infectious period) and emits or sheds with that
weight.  It matters only when the run is longer than a good part of the
incubation period (influenza 1.4 d, norovirus 1.2 d; not measles 12.5 d).
A secondary case's own emission is not removed from the air they breathe,
which slightly overstates their (already discounted) tertiary risk.

Every expected case is attributed to the presence rows and contacts that
gave it, in proportion to their share of the person's hazard, so totals by
space, role, pathway, route and day add up to the person totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.hazards.infection.airborne import AirField, concentration, emission_grid, integral_between
from scenarios.hazards.infection.contact import Hygiene, contact_transmission
from scenarios.hazards.infection.pathogens import Lognormal, Pathogen
from scenarios.hazards.infection.presence import Contacts, Presence
from scenarios.hazards.infection.ventilation import SpaceAir

__all__ = ["CHUNK_MIN", "Attribution", "Exposure", "Route", "chunk", "expected_cases"]

#: Presence rows are cut at every whole hour of the clock, so that attribution
#: by hour and day and onset of infectiousness within long stays are resolved.
CHUNK_MIN = 60.0
_MIN_PER_DAY = 1440.0
#: Secondary risks below this do not seed tertiary cases (saves work, changes nothing visible).
_SEED_FLOOR = 1e-7


class Route:
    """Codes of :attr:`Attribution.route`."""

    AIRBORNE = 0
    CONTACT = 1


@dataclass(frozen=True, slots=True)
class Attribution:
    """Expected cases attributed to each exposure record.

    Attributes:
        generation: 1 for secondary cases (infected by an index case), 2 for tertiary.
        route: :class:`Route` code.
        person: The person infected.
        space: Where the exposure happened.
        time: When (minutes; the middle of a presence row, the start of a contact).
        dose: Quanta inhaled (airborne) or the contact's transmission probability.
        cases: Expected cases attributed to the record.
        carrier: Contact carrier id (-1 for airborne).
    """

    generation: np.ndarray
    route: np.ndarray
    person: np.ndarray
    space: np.ndarray
    time: np.ndarray
    dose: np.ndarray
    cases: np.ndarray
    carrier: np.ndarray


@dataclass(frozen=True, slots=True)
class Exposure:
    """What :func:`expected_cases` returns.

    Attributes:
        index: Person indices of the index cases found in the run.
        secondary: Per person, probability of infection by an index case
            (mean over emission draws; 0 for index cases).
        tertiary: Per person, probability of infection by a secondary case.
        secondary_draws: Expected secondary cases for each emission draw.
        records: The attribution of every expected case.
        field: Concentration field at the mean emission of the index cases
            (``None`` without an airborne source).
    """

    index: np.ndarray
    secondary: np.ndarray
    tertiary: np.ndarray
    secondary_draws: np.ndarray
    records: Attribution
    field: AirField | None


def chunk(pres: Presence, max_min: float = CHUNK_MIN) -> Presence:
    """The same presence cut at every multiple of ``max_min`` on the clock (whole hours by default).

    Each piece then lies within one hour (and one day), so what is attributed
    to its middle belongs to that hour.

    >>> one = np.array([1])
    >>> p = Presence(one, one, np.array([30.0]), np.array([150.0]), np.array([1], np.int8))
    >>> chunk(p).t0.tolist(), chunk(p).t1.tolist()
    ([30.0, 60.0, 120.0], [60.0, 120.0, 150.0])
    """
    first = np.floor(pres.t0 / max_min).astype(np.int64) + 1  # first cut after t0
    last = np.ceil(pres.t1 / max_min).astype(np.int64) - 1  # last cut before t1
    n = np.maximum(last - first + 1, 0) + 1
    idx = np.repeat(np.arange(pres.n), n)
    j = np.arange(idx.size) - np.repeat(np.cumsum(n) - n, n)
    cut = first[idx] + j  # the cut that ends piece j
    t0 = np.where(j == 0, pres.t0[idx], (cut - 1) * max_min)
    t1 = np.where(j == n[idx] - 1, pres.t1[idx], cut * max_min)
    return Presence(pres.person[idx], pres.space[idx], t0, t1, pres.kind[idx])


def _field(air: SpaceAir, rows: Presence, rate: np.ndarray, dt_min: float, n_bins: int) -> AirField:
    grid = emission_grid(rows.space, rows.t0, rows.t1, rate, n_spaces=len(air.space_ids), dt_min=dt_min,
                         n_bins=n_bins)
    return concentration(air, grid, dt_min)


def _infectious_weight(t: np.ndarray, tau: np.ndarray, risk: np.ndarray, pathogen: Pathogen) -> np.ndarray:
    inc = pathogen.incubation_d
    if inc is None:
        return np.zeros_like(t)
    dt_d = (t - tau) / _MIN_PER_DAY
    on = inc.cdf(dt_d) - inc.cdf(dt_d - pathogen.infectious_d)
    return risk * np.clip(on, 0.0, 1.0)


def expected_cases(
    *,
    pres: Presence,
    contacts: Contacts,
    n_people: int,
    index: np.ndarray,
    breath: np.ndarray,
    source: np.ndarray,
    emission: list[Lognormal],
    air: SpaceAir,
    pathogen: Pathogen,
    hygiene: Hygiene,
    horizon_min: float,
    dt_min: float,
    samples: int,
    generations: int,
    rng: np.random.Generator,
) -> Exposure:
    """Expected secondary (and tertiary) cases of one replication.

    Args:
        pres: Presence rows of everyone, index cases included.
        contacts: Contacts of staff hands and shared devices with patients.
        n_people: Number of people (persons are ``0 .. n_people - 1``).
        index: Person indices of the index cases (infectious throughout).
        breath: Per person, m³/h inhaled times ``1 - inward mask efficiency``.
        source: Per person, what leaves their mask per quantum of a standing person's
            emission: ``(1 - outward efficiency) * inhalation(activity) / inhalation(standing)``.
        emission: Quanta per hour of each index case (same order as ``index``).
        air: The building's air under the intervention.
        pathogen: The pathogen.
        hygiene: Hand hygiene and device cleaning compliance.
        horizon_min: Run length (minutes).
        dt_min: Time step of the airborne route.
        samples: Emission draws per index case.
        generations: 1 (secondary only) or 2 (also tertiary).
        rng: The replication's generator (emission draws).
    """
    n_bins = max(1, int(np.ceil(horizon_min / dt_min)))
    rows = chunk(pres)
    mid = 0.5 * (rows.t0 + rows.t1)
    is_index = np.zeros(n_people, bool)
    is_index[index] = True
    susceptible_row = ~is_index[rows.person]
    airborne = pathogen.emission is not None and index.size > 0
    draws = (np.stack([e.sample(rng, samples) for e in emission], axis=1) if index.size
             else np.zeros((samples, 0)))
    means = np.array([e.mean for e in emission])

    # --- generation 1, airborne: one unit field per index case (concentration is linear in emission)
    dose_rows = np.zeros((rows.n, index.size))
    mean_field: AirField | None = None
    if airborne:
        for j, p in enumerate(index.tolist()):
            own = rows.person == p
            f = _field(air, rows.take(own), np.full(int(own.sum()), source[p]), dt_min, n_bins)
            integ = integral_between(f, rows.space, rows.t0, rows.t1)
            dose_rows[:, j] = np.where(susceptible_row, breath[rows.person] * integ, 0.0)
            scaled = f.cum * means[j]
            mean_field = AirField(dt_min, scaled if mean_field is None else mean_field.cum + scaled)
    dose_person = np.zeros((n_people, index.size))
    for j in range(index.size):
        dose_person[:, j] = np.bincount(rows.person, weights=dose_rows[:, j], minlength=n_people)
    h_air = draws @ dose_person.T  # [samples, people]

    # --- generation 1, contact route
    h_contact: np.ndarray = np.zeros(n_people)
    q = np.zeros(contacts.n)
    if pathogen.contact is not None and contacts.n:
        shed = is_index[contacts.person].astype(float)
        q = contact_transmission(contacts.carrier, contacts.kind, contacts.time, shed,
                                 transfer=pathogen.contact, hygiene=hygiene)
        q = np.where(is_index[contacts.person], 0.0, q)
        h_contact = np.bincount(contacts.person, weights=-np.log1p(-np.minimum(q, 1 - 1e-15)),
                                minlength=n_people)
    p_draw = 1.0 - np.exp(-(h_air + h_contact[None, :]))
    p_draw[:, is_index] = 0.0
    secondary = p_draw.mean(axis=0)
    secondary_draws = p_draw.sum(axis=1)

    # attribution in proportion to mean hazard
    hz_rows = dose_rows @ means if index.size else np.zeros(rows.n)
    hz_contacts = -np.log1p(-np.minimum(q, 1 - 1e-15))
    total_hz = np.bincount(rows.person, weights=hz_rows, minlength=n_people) + \
        np.bincount(contacts.person, weights=hz_contacts, minlength=n_people)
    share = np.divide(secondary, total_hz, out=np.zeros(n_people), where=total_hz > 0)
    recs = [_records(1, rows, mid, hz_rows, cases=hz_rows * share[rows.person], dose=dose_rows.sum(axis=1)),
            _contact_records(1, contacts, q, hz_contacts * share[contacts.person])]

    # --- generation 2 (mean field): secondary cases that become infectious in the run
    tertiary = np.zeros(n_people)
    if generations >= 2 and pathogen.incubation_d is not None:
        times = np.concatenate([mid, contacts.time])
        who = np.concatenate([rows.person, contacts.person])
        hz = np.concatenate([hz_rows, hz_contacts])
        wsum = np.bincount(who, weights=hz, minlength=n_people)
        tau = np.divide(np.bincount(who, weights=hz * times, minlength=n_people), wsum,
                        out=np.full(n_people, np.inf), where=wsum > 0)
        seeds = (secondary > _SEED_FLOOR) & np.isfinite(tau)
        if seeds.any():
            h3_rows = np.zeros(rows.n)
            if pathogen.emission is not None:
                er_mean = pathogen.emission.mean  # activity is folded into ``source``
                w = _infectious_weight(mid, tau[rows.person], secondary[rows.person], pathogen)
                w = np.where(seeds[rows.person], w, 0.0)
                emit = w * source[rows.person] * er_mean
                if emit.any():
                    sel = emit > 0
                    f3 = _field(air, rows.take(sel), emit[sel], dt_min, n_bins)
                    h3_rows = breath[rows.person] * integral_between(f3, rows.space, rows.t0, rows.t1)
                    h3_rows = np.where(susceptible_row, h3_rows, 0.0)
            h3_contacts = np.zeros(contacts.n)
            q3 = np.zeros(contacts.n)
            if pathogen.contact is not None and contacts.n:
                shed = _infectious_weight(contacts.time, tau[contacts.person], secondary[contacts.person],
                                          pathogen)
                shed = np.where(seeds[contacts.person], shed, 0.0)
                q3 = contact_transmission(contacts.carrier, contacts.kind, contacts.time, shed,
                                          transfer=pathogen.contact, hygiene=hygiene)
                q3 = np.where(is_index[contacts.person], 0.0, q3)
                h3_contacts = -np.log1p(-np.minimum(q3, 1 - 1e-15))
            h3 = np.bincount(rows.person, weights=h3_rows, minlength=n_people) + \
                np.bincount(contacts.person, weights=h3_contacts, minlength=n_people)
            tertiary = np.where(is_index, 0.0, (1.0 - secondary) * (1.0 - np.exp(-h3)))
            share3 = np.divide(tertiary, h3, out=np.zeros(n_people), where=h3 > 0)
            recs.append(_records(2, rows, mid, h3_rows, cases=h3_rows * share3[rows.person], dose=h3_rows))
            recs.append(_contact_records(2, contacts, q3, h3_contacts * share3[contacts.person]))
    records = Attribution(*(np.concatenate([getattr(r, f) for r in recs]) for f in Attribution.__slots__))
    return Exposure(index=index, secondary=secondary, tertiary=tertiary, secondary_draws=secondary_draws,
                    records=records, field=mean_field)


def _records(gen: int, rows: Presence, mid: np.ndarray, hz: np.ndarray, *, cases: np.ndarray,
             dose: np.ndarray) -> Attribution:
    keep = hz > 0
    n = int(keep.sum())
    return Attribution(generation=np.full(n, gen, np.int8), route=np.full(n, Route.AIRBORNE, np.int8),
                       person=rows.person[keep], space=rows.space[keep], time=mid[keep], dose=dose[keep],
                       cases=cases[keep], carrier=np.full(n, -1, np.int64))


def _contact_records(gen: int, contacts: Contacts, q: np.ndarray, cases: np.ndarray) -> Attribution:
    keep = q > 0
    n = int(keep.sum())
    return Attribution(generation=np.full(n, gen, np.int8), route=np.full(n, Route.CONTACT, np.int8),
                       person=contacts.person[keep], space=contacts.space[keep], time=contacts.time[keep],
                       dose=q[keep], cases=cases[keep], carrier=contacts.carrier[keep])
