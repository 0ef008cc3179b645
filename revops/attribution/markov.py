"""Markov-chain removal effects, solved exactly with numpy.

The warehouse computes the same numbers in SQL (models/intermediate/attribution/
int_markov_removal_effects_computed.sql, by repeated squaring of the transition matrix) so
that dbt alone builds fct_attribution on DuckDB and on PostgreSQL. This module is the
reference the SQL is tested against, and the place to compute removal effects for a chain
outside the warehouse (a notebook, a Dagster asset) without re-deriving the algebra.

States: 'start', one per channel, and the absorbing 'conversion' and 'null'. Removing a
channel sends every step into it to 'null'; its removal effect is
1 - P(conversion | channel removed) / P(conversion).
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

START = "start"
CONVERSION = "conversion"
NULL = "null"
RESERVED_STATES = frozenset({START, CONVERSION, NULL})


@dataclass(frozen=True)
class ChannelEffect:
    channel: str
    conversion_probability_without_channel: float
    removal_effect: float
    channel_weight: float


def transition_counts_from_paths(
    paths: Iterable[tuple[Sequence[str], bool]],
) -> dict[tuple[str, str], int]:
    """Return {(from_state, to_state): count} for channel paths, each with whether it converted.

    Consecutive repeats of a channel are one step, as in int_markov_transitions_counted; an
    empty path is no journey and adds nothing.
    """
    counts: dict[tuple[str, str], int] = {}
    for path, converted in paths:
        steps: list[str] = []
        for channel in path:
            if channel in RESERVED_STATES:
                raise ValueError(f"channel name {channel!r} is a reserved Markov state")
            if not steps or steps[-1] != channel:
                steps.append(channel)
        if not steps:
            continue
        states = [START, *steps, CONVERSION if converted else NULL]
        for from_state, to_state in itertools.pairwise(states):
            counts[(from_state, to_state)] = counts.get((from_state, to_state), 0) + 1
    return counts


def conversion_probability(
    counts: dict[tuple[str, str], float], removed_channel: str | None = None
) -> float:
    """Return the probability of reaching 'conversion' from 'start', with one channel removed.

    Solves (I - Q) x = r for the transient states (start and channels), where Q holds the
    transient-to-transient probabilities and r the probabilities of converting in one step.
    """
    transient = sorted(
        {start for start, _ in counts} | {end for _, end in counts if end not in (CONVERSION, NULL)}
    )
    if START not in transient:
        return 0.0
    index = {state: position for position, state in enumerate(transient)}
    totals: dict[str, float] = {}
    for (from_state, _), count in counts.items():
        totals[from_state] = totals.get(from_state, 0.0) + float(count)

    size = len(transient)
    transient_steps = np.zeros((size, size))
    converting_steps = np.zeros(size)
    for (from_state, to_state), count in counts.items():
        if from_state == removed_channel:
            continue
        probability = float(count) / totals[from_state]
        if to_state == removed_channel or to_state == NULL:
            continue
        if to_state == CONVERSION:
            converting_steps[index[from_state]] += probability
        else:
            transient_steps[index[from_state], index[to_state]] += probability
    solution = np.linalg.solve(np.eye(size) - transient_steps, converting_steps)
    return float(solution[index[START]])


def removal_effects(counts: dict[tuple[str, str], float]) -> list[ChannelEffect]:
    """Return every channel's removal effect and weight (its share of all removal effects).

    Weights are all 0 when nothing converts; a negative effect from floating error is 0.
    """
    channels = sorted({state for state, _ in counts} - RESERVED_STATES)
    baseline = conversion_probability(counts)
    without = {channel: conversion_probability(counts, channel) for channel in channels}
    effects = {
        channel: max(0.0, 1.0 - without[channel] / baseline) if baseline > 0 else 0.0
        for channel in channels
    }
    total = sum(effects.values())
    return [
        ChannelEffect(
            channel=channel,
            conversion_probability_without_channel=without[channel],
            removal_effect=effects[channel],
            channel_weight=effects[channel] / total if total > 0 else 0.0,
        )
        for channel in channels
    ]
