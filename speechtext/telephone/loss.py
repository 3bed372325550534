"""Packet loss: which frames a network drops, by a seeded two-state Gilbert-Elliott model.

The channel is Good (nothing lost) or Bad (every packet lost). From Good it turns Bad with
probability ``p``, from Bad back to Good with ``r = 1 / burst``, so losses come in bursts of
``burst`` packets on average and the long-run loss rate is ``p / (p + r) = loss``; the first
packet's state is drawn from that stationary distribution.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["PACKET_MS", "check_loss", "gilbert_elliott"]

PACKET_MS = 20  # one RTP packet of speech (G.711 at ptime 20, one AMR/GSM/Opus frame)


def check_loss(loss: float, burst: float) -> None:
    """ParameterError unless ``0 <= loss < 1`` and ``burst >= 1`` (packets)."""
    if not isinstance(loss, (int, float)) or not 0 <= loss < 1:
        raise ParameterError(f"loss={loss!r} must be a packet loss rate in [0, 1), e.g. 0.05")
    if not isinstance(burst, (int, float)) or not burst >= 1:
        raise ParameterError(
            f"burst={burst!r} must be the mean length of a loss burst in packets, >= 1 "
            "(1 = independent losses)"
        )
    if loss and loss / (1 - loss) / burst > 1:
        raise ParameterError(
            f"loss={loss:g} with burst={burst:g} is not reachable (the Good-to-Bad probability "
            "would exceed 1); give longer bursts"
        )


def gilbert_elliott(
    frames: int, *, loss: float, burst: float = 1.0, rng: np.random.Generator
) -> np.ndarray:
    """Which of ``frames`` packets are lost, as a boolean array.

    Examples
    --------
    >>> lost = gilbert_elliott(100_000, loss=0.05, burst=2.0, rng=np.random.default_rng(0))
    >>> round(float(lost.mean()), 2)
    0.05
    """
    check_loss(loss, burst)
    if not loss or frames <= 0:
        return np.zeros(max(frames, 0), dtype=bool)
    r = 1.0 / burst
    p = loss * r / (1.0 - loss)
    draws = rng.random(frames)
    lost = np.empty(frames, dtype=bool)
    bad = draws[0] < loss
    lost[0] = bad
    for k in range(1, frames):
        bad = draws[k] >= r if bad else draws[k] < p
        lost[k] = bad
    return lost
