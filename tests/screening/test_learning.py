"""Weights estimated for a data set without labels (EM, u from random pairs)."""

import math
import random

import pytest

from enrollment.screening.learning import estimate_weights
from enrollment.screening.weights import DEFAULT


def synthetic(seed=3):
    """2,000 people written twice in two lists of 20,000: the blocking compares the 2,000 true
    pairs and 8,000 other people born the same day (a few of them namesakes); random pairs are
    nearly all different people."""
    rng = random.Random(seed)
    true = [
        (
            rng.choices(["exact", "typo", "different"], [0.85, 0.12, 0.03])[0],
            rng.choices(["same", "typo", "different"], [0.9, 0.05, 0.05])[0],
            rng.choices(["same", "typo", "other"], [0.8, 0.15, 0.05])[0],
            "same",
        )
        for _ in range(2_000)
    ]
    same_day = [
        (
            rng.choices(["exact", "typo", "different"], [0.01, 0.02, 0.97])[0],
            "same",
            rng.choices(["same", "typo", "other"], [0.0001, 0.01, 0.9899])[0],
            rng.choices(["same", "other"], [0.5, 0.5])[0],
        )
        for _ in range(8_000)
    ]
    sample = [
        (
            rng.choices(["exact", "typo", "different"], [0.001, 0.002, 0.997])[0],
            rng.choices(["same", "typo", "different"], [0.0001, 0.001, 0.9989])[0],
            rng.choices(["same", "typo", "other"], [0.00001, 0.001, 0.99899])[0],
            rng.choices(["same", "other"], [0.5, 0.5])[0],
        )
        for _ in range(50_000)
    ]
    return true + same_day, sample


def test_estimated_weights_count_agreement_for_and_disagreement_against():
    compared, sample = synthetic()
    weights = estimate_weights(compared, sample, total_pairs=20_000 * 20_000)
    assert weights.name["exact"].weight > 5 and weights.name["different"].weight < 0
    assert weights.birth["same"].weight > 5 and weights.birth["different"].weight < 0
    assert weights.dni["same"].weight > 10 and weights.dni["other"].weight < 0
    # About 2,000 true pairs among 400 million: the prior is their share.
    assert abs(weights.prior_bits - math.log2(2_000 / (20_000 * 20_000))) < 0.5
    assert weights.rare_name_bits == 0


def test_levels_a_data_set_never_shows_keep_the_default_as_a_weak_prior():
    compared, sample = synthetic()
    weights = estimate_weights(compared, sample, total_pairs=20_000 * 20_000)
    # Nobody compared has swapped day and month: the level keeps a finite weight.
    assert math.isfinite(weights.birth["swapped"].weight)
    assert set(weights.birth) == set(DEFAULT.birth)


def test_without_pairs_the_default_weights_are_kept_apart_from_the_prior():
    weights = estimate_weights([], [], total_pairs=1_000)
    assert {code: level.weight for code, level in weights.name.items()} == pytest.approx(
        {code: level.weight for code, level in DEFAULT.name.items()}, abs=0.5
    )


def test_true_pairs_drawn_at_random_do_not_make_a_shared_dni_look_common():
    """In two lists of 5,000 a random pair is one person once in 5,000 draws: the 40 true pairs
    among 200,000 random ones all share their DNI (and names and birth date), more than the
    average true pair does. Taken out pair by pair, they leave a shared DNI as rare among
    different people as it is (none of the others shares one): a strong identifier."""
    rng = random.Random(5)
    true = [
        (
            rng.choices(["exact", "typo", "different"], [0.85, 0.1, 0.05])[0],
            rng.choices(["same", "typo", "different"], [0.9, 0.05, 0.05])[0],
            rng.choices(["same", "typo", "other"], [0.8, 0.1, 0.1])[0],
            "missing",
        )
        for _ in range(5_000)
    ]
    others = [("different", "same", "other", "missing")] * 5_000
    sample = [("exact", "same", "same", "missing")] * 40 + [
        (
            rng.choices(["typo", "different"], [0.001, 0.999])[0],
            rng.choices(["same", "typo", "different"], [0.0002, 0.002, 0.9978])[0],
            rng.choices(["typo", "other"], [0.0001, 0.9999])[0],
            "missing",
        )
        for _ in range(200_000 - 40)
    ]
    weights = estimate_weights(true + others, sample, total_pairs=5_000 * 5_000)
    # Enough for a shared DNI to outweigh a different name and birth date and the prior.
    assert weights.dni["same"].weight > 25
    assert (
        weights.prior_bits
        + weights.dni["same"].weight
        + weights.name["different"].weight
        + weights.birth["different"].weight
        > 3.2
    )
