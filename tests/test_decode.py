"""Decoders: autoregressive beam search, lattice beam search, exact N-best, Viterbi, IOB."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from speechtext.decode import (
    Allowed,
    as_lattice,
    backward,
    beam_search,
    beam_search_batch,
    beam_search_steps,
    exact_nbest,
    exact_nbest_batch,
    forward,
    forward_backward,
    group_by_length,
    iob_constraints,
    log_partition,
    nbest_batch,
    sequence_score,
    viterbi,
    viterbi_batch,
)
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


# --- lattices ------------------------------------------------------------------------------

LABELS = ["O", "B-a", "I-a", "B-b", "I-b"]


def _lattice_brute_force(em, trans, start, end, allowed):
    t_len, n = em.shape
    out = []
    for seq in itertools.product(range(n), repeat=t_len):
        score = sequence_score(seq, em, trans, allowed=allowed, start=start, end=end)
        if np.isfinite(score):
            out.append((list(seq), float(score)))
    scores = np.array([s for _, s in out])
    log_z = np.logaddexp.reduce(scores)
    out.sort(key=lambda x: -x[1])
    return [(seq, s - log_z) for seq, s in out]


def _breaks_iob(seq):
    prev = "O"
    for lab in (LABELS[i] for i in seq):
        if lab.startswith("I-") and prev[2:] != lab[2:]:
            return True
        prev = lab
    return False


lattices = st.integers(1, 4).flatmap(
    lambda t: st.tuples(
        arrays(np.float64, (t, len(LABELS)), elements=st.floats(-5, 5)),
        arrays(np.float64, (len(LABELS), len(LABELS)), elements=st.floats(-5, 5)),
        arrays(np.float64, (len(LABELS),), elements=st.floats(-2, 2)),
        arrays(np.float64, (len(LABELS),), elements=st.floats(-2, 2)),
    )
)


@settings(max_examples=60, deadline=None)
@given(lattices, st.booleans())
def test_wide_beam_equals_brute_force(lattice, constrained):
    em, trans, start, end = lattice
    allowed = iob_constraints(LABELS) if constrained else None
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    wide = len(LABELS) ** len(em)
    found = beam_search(em, trans, beam=wide, nbest=5, allowed=allowed, start=start, end=end)
    assert len(found) == min(5, len(exact))
    np.testing.assert_allclose([s for _, s in found], [s for _, s in exact[:5]], atol=1e-9)
    for seq, logprob in found:
        np.testing.assert_allclose(
            sequence_score(seq, em, trans, allowed=allowed, start=start, end=end)
            - _lattice_brute_force_log_z(exact, em, trans, start, end, allowed),
            logprob,
            atol=1e-9,
        )
    # The probabilities of every allowed sequence sum to one.
    np.testing.assert_allclose(np.exp(np.logaddexp.reduce([s for _, s in exact])), 1.0)


def _lattice_brute_force_log_z(exact, em, trans, start, end, allowed):
    seq, logprob = exact[0]
    return sequence_score(seq, em, trans, allowed=allowed, start=start, end=end) - logprob


@settings(max_examples=60, deadline=None)
@given(lattices, st.integers(1, 6), st.booleans())
def test_beam_never_beats_viterbi_and_keeps_constraints(lattice, beam, constrained):
    em, trans, start, end = lattice
    allowed = iob_constraints(LABELS) if constrained else None
    best, best_logprob = viterbi(em, trans, allowed=allowed, start=start, end=end)
    found = beam_search(em, trans, beam=beam, nbest=1, allowed=allowed, start=start, end=end)
    assert found[0][1] <= best_logprob + 1e-9
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    np.testing.assert_allclose(best_logprob, exact[0][1], atol=1e-9)
    if constrained:
        assert not _breaks_iob(best)
        assert not any(_breaks_iob(seq) for seq, _ in found)


@settings(max_examples=40, deadline=None)
@given(lattices)
def test_marginals_match_brute_force(lattice):
    em, trans, start, end = lattice
    allowed = iob_constraints(LABELS)
    alpha, beta, log_z = forward_backward(em, trans, allowed=allowed, start=start, end=end)
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    expected = np.zeros(em.shape)
    for seq, logprob in exact:
        expected[np.arange(len(seq)), seq] += np.exp(logprob)
    np.testing.assert_allclose(np.exp(alpha + beta - log_z), expected, atol=1e-9)


# Constraints with forbidden last labels and transitions too, on top of IOB2's (so some labels
# may be followed by nothing, and some lattices allow no sequence at all).
constraints = st.tuples(
    arrays(bool, (len(LABELS), len(LABELS)), elements=st.booleans()),
    arrays(bool, (len(LABELS),), elements=st.booleans()),
).map(
    lambda masks: Allowed(
        iob_constraints(LABELS).transitions & ~masks[0],
        iob_constraints(LABELS).start,
        masks[1],
    )
)


@settings(max_examples=80, deadline=None)
@given(lattices, st.integers(1, 7), st.one_of(st.none(), st.just("iob"), constraints))
def test_exact_nbest_equals_brute_force(lattice, nbest, allowed):
    em, trans, start, end = lattice
    if allowed == "iob":
        allowed = iob_constraints(LABELS)
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    found = exact_nbest(em, trans, nbest=nbest, allowed=allowed, start=start, end=end)
    assert len(found) == min(nbest, len(exact))
    np.testing.assert_allclose([s for _, s in found], [s for _, s in exact[:nbest]], atol=1e-9)
    assert len({tuple(seq) for seq, _ in found}) == len(found)
    log_z = _lattice_brute_force_log_z(exact, em, trans, start, end, allowed) if exact else 0.0
    for seq, logprob in found:
        score = sequence_score(seq, em, trans, allowed=allowed, start=start, end=end)
        np.testing.assert_allclose(score - log_z, logprob, atol=1e-9)
    best = viterbi(em, trans, allowed=allowed, start=start, end=end)
    assert found[:1] == ([best] if exact else [])


small_ints = st.integers(-2, 1).map(float)
tied_lattices = st.integers(1, 4).flatmap(
    lambda t: st.tuples(
        arrays(np.float64, (t, len(LABELS)), elements=small_ints),
        arrays(np.float64, (len(LABELS), len(LABELS)), elements=small_ints),
        arrays(np.float64, (len(LABELS),), elements=small_ints),
        arrays(np.float64, (len(LABELS),), elements=small_ints),
    )
)


@settings(max_examples=80, deadline=None)
@given(tied_lattices, st.integers(2, 7), st.booleans())
def test_exact_nbest_among_ties_starts_with_viterbis_path(lattice, nbest, constrained):
    # Whole-number scores: many sequences tie; the 1-best must still be the very path viterbi
    # returns, and the list must still hold nbest distinct sequences of the true best scores.
    em, trans, start, end = lattice
    allowed = iob_constraints(LABELS) if constrained else None
    kw = dict(allowed=allowed, start=start, end=end, normalize=False)
    found = exact_nbest(em, trans, nbest=nbest, **kw)
    assert found[0] == viterbi(em, trans, **kw)
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    raw = [
        sequence_score(seq, em, trans, allowed=allowed, start=start, end=end) for seq, _ in exact
    ]
    assert [s for _, s in found] == raw[:nbest]  # whole numbers: exact sums
    assert len({tuple(seq) for seq, _ in found}) == len(found)


def test_exact_nbest_many_ties_beyond_sixteen():
    # 6 ** 2 sequences of equal score: 20 of them, distinct, Viterbi's (label 0 throughout) first.
    found = exact_nbest(np.zeros((2, 6)), nbest=20)
    assert found[0][0] == viterbi(np.zeros((2, 6)))[0] == [0, 0]
    assert len({tuple(seq) for seq, _ in found}) == 20
    np.testing.assert_allclose([lp for _, lp in found], -np.log(36))


@settings(max_examples=60, deadline=None)
@given(lattices, constraints)
def test_beam_as_wide_as_the_allowed_sequences_is_exact(lattice, allowed):
    # True with forbidden last labels too: prefixes that cannot end are never kept.
    em, trans, start, end = lattice
    exact = _lattice_brute_force(em, trans, start, end, allowed)
    if not exact:
        assert beam_search(em, trans, beam=1, nbest=1, allowed=allowed, start=start, end=end) == []
        return
    n = len(exact)
    found = beam_search(em, trans, beam=n, nbest=n, allowed=allowed, start=start, end=end)
    np.testing.assert_allclose([s for _, s in found], [s for _, s in exact], atol=1e-9)


def test_beam_skips_prefixes_that_cannot_end():
    # Only B-x I-x is allowed (a sentence must end in I-x); O scores best at the first token,
    # but nothing allowed follows it, so a beam of one must not keep it.
    labels = ["O", "B-x", "I-x"]
    iob = iob_constraints(labels)
    allowed = Allowed(iob.transitions, iob.start, np.array([False, False, True]))
    em = np.log([[0.7, 0.2, 0.1], [0.4, 0.3, 0.3]])
    assert beam_search(em, beam=1, nbest=1, allowed=allowed) == [([1, 2], 0.0)]
    assert exact_nbest(em, nbest=3, allowed=allowed) == [([1, 2], 0.0)]
    assert viterbi(em, allowed=allowed) == ([1, 2], 0.0)


def test_no_allowed_sequence_gives_minus_inf_without_warnings():
    only_inside = iob_constraints(["I-a", "I-b"])  # no label may begin a sentence
    em = np.log([[0.5, 0.5], [0.5, 0.5]])
    must_end_in_b = Allowed(np.array([[True, False], [False, True]]), np.ones(2, bool),
                            np.array([False, True]))  # fmt: skip
    stuck = np.array([[0.0, -np.inf], [-np.inf, 0.0]])  # a-then-b, but a-b is forbidden above
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning on -inf - -inf included
        for em_i, allowed in ((em, only_inside), (stuck, must_end_in_b)):
            for normalize in (True, False):
                assert viterbi(em_i, allowed=allowed, normalize=normalize) == ([], -np.inf)
            assert exact_nbest(em_i, nbest=4, allowed=allowed) == []
            assert beam_search(em_i, beam=4, nbest=4, allowed=allowed) == []
        assert viterbi_batch([em, em[:1]], allowed=only_inside) == [([], -np.inf)] * 2


@pytest.mark.parametrize(
    ("emissions", "message"),
    [
        ([[0.0, np.nan]], r"emissions holds nan at index \(0, 1\)"),
        ([[0.0, np.inf]], r"emissions holds inf at index \(0, 1\)"),
        ([["a", "b"]], "emissions holds strings; give numbers"),
        (np.array([[0.0, None]], dtype=object), "emissions holds Python objects"),
        ([[0.0], [1.0, 2.0]], "emissions is not an array of numbers"),
    ],
)
def test_lattice_scores_must_be_numbers(emissions, message):
    for search in (viterbi, lambda e: exact_nbest(e, nbest=2)):
        with pytest.raises(ParameterError, match=message):
            search(emissions)
    with pytest.raises(ParameterError, match=r"emissions\[1\] holds"):
        exact_nbest_batch([np.zeros((1, 2)), np.array([[0.0, np.nan]])], nbest=2)
    with pytest.raises(ParameterError, match="transitions holds nan"):
        viterbi(np.zeros((1, 2)), np.array([[0.0, np.nan], [0.0, 0.0]]))


def test_batch_equals_single_and_keeps_order():
    rng = np.random.default_rng(3)
    ems = [rng.normal(size=(t, 5)) for t in (3, 1, 4, 3, 0, 2)]
    trans = rng.normal(size=(5, 5))
    allowed = iob_constraints(LABELS)
    batch = beam_search_batch(ems, trans, beam=6, nbest=3, allowed=allowed)
    vit = viterbi_batch(ems, trans, allowed=allowed)
    for em, nb, vb in zip(ems, batch, vit, strict=True):
        assert nb == beam_search(em, trans, beam=6, nbest=3, allowed=allowed)
        assert vb == viterbi(em, trans, allowed=allowed)
    assert vit[4] == ([], 0.0)
    assert nbest_batch(ems, trans, nbest=1, beam=6, allowed=allowed) == [[v] for v in vit]
    assert nbest_batch(ems, trans, nbest=3, beam=6, allowed=allowed) == batch
    exact = exact_nbest_batch(ems, trans, nbest=3, allowed=allowed)
    for em, nb in zip(ems, exact, strict=True):
        assert nb == exact_nbest(em, trans, nbest=3, allowed=allowed)
    assert nbest_batch(ems, trans, nbest=3, allowed=allowed) == exact  # exact without a beam
    assert [nb[:1] for nb in exact] == [[v] for v in vit]


def test_stacked_forward_backward_equals_single():
    rng = np.random.default_rng(4)
    ems = [rng.normal(size=(t, 5)) for t in (3, 2, 3, 1, 3)]
    trans = rng.normal(size=(5, 5))
    allowed = iob_constraints(LABELS)
    groups = [g.tolist() for g in group_by_length([len(e) for e in ems], chunk=2)]
    assert groups == [[3], [1], [0, 2], [4]]
    stacked, trans_m, start, end = as_lattice(ems, trans, allowed=allowed, batch=True)
    for group in groups:
        em = np.stack([stacked[i] for i in group])
        alpha, log_z = forward(em, trans_m, start, end)
        beta = backward(em, trans_m, end)
        np.testing.assert_array_equal(log_partition(em, trans_m, start, end), log_z)
        for row, i in enumerate(group):
            a, b, z = forward_backward(ems[i], trans, allowed=allowed)
            np.testing.assert_allclose(alpha[row], a)
            np.testing.assert_allclose(beta[row], b)
            assert log_z[row] == pytest.approx(z)


def test_iob_constraints_table():
    allowed = iob_constraints(["O", "B-a", "I-a", "B-b", "I-b"])
    # I-a only after B-a or I-a; I-b only after B-b or I-b; never first.
    assert allowed.transitions[:, 2].tolist() == [False, True, True, False, False]
    assert allowed.transitions[:, 4].tolist() == [False, False, False, True, True]
    assert allowed.start.tolist() == [True, True, False, True, False]
    with pytest.raises(ParameterError, match=r"\('E-a'\) is not IOB2"):
        iob_constraints(["O", "E-a"])


def test_lattice_bad_shapes():
    with pytest.raises(ParameterError, match="expected \\[T, L\\]"):
        viterbi(np.zeros(3))
    with pytest.raises(ParameterError, match="transitions has shape"):
        viterbi(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="allowed transitions"):
        beam_search(np.zeros((2, 3)), beam=2, nbest=1, allowed=iob_constraints(["O", "B-a"]))
