"""Telephone channel: any audio through a phone line, as one seeded chain.

Background noise at an SNR (:mod:`.noise`) -> the band, resampled to 8 kHz (16 kHz for wideband;
:mod:`.band`) -> the P.56 active speech level (:mod:`.level`) -> a codec (:mod:`.codecs`: G.711,
GSM-FR, AMR-NB, Opus, G.722, G.726) whose packets may be lost (:mod:`.loss`) and concealed
(:mod:`.g711` Appendix I, or the codec's own). Named phone lines are in :mod:`.presets`
(``landline``, ``mobile-gsm``, ``mobile-amr``, ``voip-opus``, ``hd-voice``). The output is
aligned with the input: every filter's and codec's delay is removed.

Examples
--------
>>> import numpy as np
>>> y = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
>>> to_telephone(y, sr=16000, channel="landline").shape
(8000,)
"""

from .band import (
    NUMTAPS,
    PRESETS,
    TELEPHONE_SR,
    WIDEBAND_SR,
    TelephoneChannel,
    channel_filter,
    channel_rate,
    firwin2,
    target_gain,
)
from .chain import (
    Call,
    Settings,
    check_params,
    file_rng,
    settings_dict,
    telephone_call,
    telephone_file,
    to_telephone,
    write_call_report,
)
from .codecs import CODECS
from .level import active_level
from .presets import CHANNELS

__all__ = [
    "CHANNELS",
    "CODECS",
    "NUMTAPS",
    "PRESETS",
    "TELEPHONE_SR",
    "WIDEBAND_SR",
    "Call",
    "Settings",
    "TelephoneChannel",
    "active_level",
    "channel_filter",
    "channel_rate",
    "check_params",
    "file_rng",
    "firwin2",
    "settings_dict",
    "target_gain",
    "telephone_call",
    "telephone_file",
    "to_telephone",
    "write_call_report",
]
