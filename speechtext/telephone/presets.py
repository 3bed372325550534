"""Named phone lines: each a chain of the channel's pieces (band, level, codec, loss).

Explicit settings override a channel's (``channel="voip-opus", loss=0.05``).

============  ==========================================================================
channel       chain
============  ==========================================================================
landline      G.712 band at 8 kHz, P.56 level -26 dBov, G.711 mu-law (a PSTN call)
mobile-gsm    G.712 band, level -26 dBov, GSM full rate 13 kbit/s (2G)
mobile-amr    G.712 band, level -26 dBov, AMR-NB 12.2 kbit/s (3G, VoLTE narrowband)
voip-opus     G.712 band, level -26 dBov, Opus 12 kbit/s narrowband, 2 % packet loss in
              bursts of 1.5 packets (Gilbert-Elliott), concealed by Opus
hd-voice      50-7000 Hz wideband at 16 kHz, level -26 dBov, G.722 64 kbit/s
============  ==========================================================================
"""

from __future__ import annotations

from ..errors import ParameterError

__all__ = ["CHANNELS", "channel_settings"]

CHANNELS: dict[str, dict] = {
    "landline": {"preset": "g712", "level": -26.0, "codec": "ulaw"},
    "mobile-gsm": {"preset": "g712", "level": -26.0, "codec": "gsm-fr"},
    "mobile-amr": {"preset": "g712", "level": -26.0, "codec": "amr-nb", "bitrate": 12.2},
    "voip-opus": {
        "preset": "g712",
        "level": -26.0,
        "codec": "opus",
        "bitrate": 12.0,
        "loss": 0.02,
        "burst": 1.5,
    },
    "hd-voice": {"preset": "wideband", "level": -26.0, "codec": "g722"},
}


def channel_settings(channel: str | None) -> dict:
    """The settings a named channel stands for (empty for None)."""
    if channel is None:
        return {}
    if channel not in CHANNELS:
        raise ParameterError(
            f"channel={channel!r} is not a channel; use one of {', '.join(CHANNELS)}"
        )
    return dict(CHANNELS[channel])
