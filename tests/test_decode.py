"""Decoders: generic autoregressive beam search, lattice beam search, Viterbi, IOB constraints."""

import itertools

import numpy as np
import pytest

from speechtext.decode import beam_search_steps
from speechtext.errors import ParameterError


def _bigram_step(table):
    def step(labels, state):
        return table[labels], state

    return step


def _random_table(rng, n_labels):
    p = rng.dirichlet(np.ones(n_labels), size=n_labels)
    return np.log(p)


def _brute_force(table, *, start, end, max_len):
    """Every sequence of at most max_len labels that ends (or is cut at max_len), scored."""
    n = table.shape[0]
    body = [lab for lab in range(n) if lab != end]
    out = []
    for length in range(max_len + 1):
        for seq in itertools.product(body, repeat=length):
            prev, score = start, 0.0
            for lab in seq:
                score += table[prev, lab]
                prev = lab
            if length < max_len:
                score += table[prev, end]
            out.append((list(seq), score))
    out.sort(key=lambda x: -x[1])
    return out


def test_steps_wide_beam_equals_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(20):
        table = _random_table(rng, 4)
        found = beam_search_steps(
            _bigram_step(table), None, start=0, end=0, beam=200, nbest=5, max_len=3
        )
        exact = _brute_force(table, start=0, end=0, max_len=3)[:5]
        assert [s for s, _ in found] == [s for s, _ in exact]
        np.testing.assert_allclose([p for _, p in found], [p for _, p in exact])


def test_steps_beam_one_is_greedy_with_ties_to_lowest_label():
    rng = np.random.default_rng(1)
    for _ in range(20):
        table = np.round(_random_table(rng, 5), 1)  # rounding makes ties common
        found = beam_search_steps(
            _bigram_step(table), None, start=0, end=4, beam=1, nbest=1, max_len=6
        )
        prev, seq, score = 0, [], 0.0
        for _ in range(6):
            lab = int(np.argmax(table[prev]))
            score += table[prev, lab]
            if lab == 4:
                break
            seq.append(lab)
            prev = lab
        assert found == [(seq, pytest.approx(score))]


def test_steps_reorders_state_tuple():
    # The state counts the labels produced; the model ends a hypothesis after exactly 2.
    def step(labels, state):
        (count,) = state
        logp = np.full((len(labels), 3), -5.0)
        logp[:, 2] = np.where(count == 2, 0.0, -50.0)
        logp[:, 0] = np.where(labels == 0, -0.1, -1.0)
        logp[count == 2, :2] = -50.0
        return logp, (count + 1,)

    found = beam_search_steps(
        step, (np.zeros(1, dtype=int),), start=1, end=2, beam=3, nbest=2, max_len=10
    )
    assert all(len(seq) == 2 for seq, _ in found)


def test_steps_bad_parameters():
    step = _bigram_step(np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="nbest=4 cannot exceed beam=2"):
        beam_search_steps(step, None, start=0, end=0, beam=2, nbest=4, max_len=3)
    with pytest.raises(ParameterError, match="max_len"):
        beam_search_steps(step, None, start=0, end=0, beam=2, nbest=1, max_len=0)
