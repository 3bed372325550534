"""Make ``data/samples``: synthesize each transcript with espeak-ng and write the gold tags.

Run from the repository root (needs the ``espeak-ng`` program, 1.51 was used)::

    python data/make_samples.py            # writes only the files that are missing
    python data/make_samples.py --force    # rewrites every wav

The transcripts and their IOB2 gold tags are written by the team in ``SAMPLES`` below;
``gold.conll`` holds one sentence per utterance in sorted stem order, and ``<stem>.tags`` the
same tags on one line. espeak-ng writes 22.05 kHz PCM16; utterances with ``rate=16000`` are
resampled with soxr (``speechtext.io.write_audio`` writes PCM16), to keep the folder small
and to give the pipeline inputs at two rates.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["SAMPLES", "main"]

# stem: (transcript, gold tags, espeak-ng voice, words per minute, sample rate or None for 22050)
SAMPLES = {
    "book_flight": (
        "book a flight from boston to denver tomorrow at three fifteen pm",
        "O O O O B-fromloc.city_name O B-toloc.city_name B-depart_date.today_relative O "
        "B-depart_time.time I-depart_time.time I-depart_time.time",
        "en-us",
        150,
        None,
    ),
    "set_alarm": (
        "set an alarm for seven thirty in the morning",
        "O O O O B-time I-time I-time I-time I-time",
        "en-us+f3",
        150,
        None,
    ),
    "play_music": (
        "play some jazz by miles davis in the kitchen",
        "O O B-genre O B-artist I-artist O O B-room",
        "en-gb",
        140,
        None,
    ),
    "show_flights": (
        "show me flights from new york to san francisco on monday morning",
        "O O O O B-fromloc.city_name I-fromloc.city_name O B-toloc.city_name "
        "I-toloc.city_name O B-depart_date.day_name B-depart_time.period_of_day",
        "en-us+m3",
        155,
        16000,
    ),
    "get_weather": (
        "what is the weather like in seattle this weekend",
        "O O O O O O B-city B-timeRange I-timeRange",
        "en-gb",
        150,
        16000,
    ),
    "will_it_rain": (
        "will it rain in london tomorrow",
        "O O B-condition_description O B-city B-timeRange",
        "en-us+f3",
        145,
        16000,
    ),
    "wake_me_up": (
        "wake me up at six am on friday",
        "O O O O B-time I-time O B-date",
        "en-us",
        150,
        16000,
    ),
    "book_table": (
        "book a table for four at an italian restaurant in chicago tonight",
        "O O O O B-party_size_number O O B-cuisine B-restaurant_type O B-city B-timeRange",
        "en-us+m3",
        150,
        16000,
    ),
    "add_to_playlist": (
        "add this song to my workout playlist",
        "O O B-music_item O B-playlist_owner B-playlist O",
        "en-gb+f3",
        145,
        16000,
    ),
    # Two that are hard for any tagger, so that the demo's report shows real errors: "boston"
    # is a band here, not the city; the second "seven" is a time, not a party size.
    "play_boston": (
        "play some boston in the kitchen",
        "O O B-artist O O B-room",
        "en-gb+m3",
        145,
        16000,
    ),
    "book_for_seven": (
        "book a table for seven at seven",
        "O O O O B-party_size_number O B-time",
        "en-us",
        150,
        16000,
    ),
    "play_album": (
        "play the album thriller by michael jackson",
        "O O B-music_item B-album O B-artist I-artist",
        "en-us+f3",
        150,
        16000,
    ),
}


def _synthesize(text, voice, wpm, path, rate):
    from speechtext.io import read_audio, write_audio

    if rate is None:
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True
        )
        return
    import soxr

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
        y, sr = read_audio(raw)
    write_audio(path, soxr.resample(y, sr, rate, quality="HQ"), rate)


def main(argv=None):
    """Write the transcripts, the gold tags and (missing, or all with --force) the wavs."""
    from speechtext.io.atomic import write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite every wav")
    parser.add_argument("--out", default=Path(__file__).parent / "samples", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    conll = []
    for stem in sorted(SAMPLES):
        text, tags, voice, wpm, rate = SAMPLES[stem]
        tokens, labels = text.split(), tags.split()
        if len(tokens) != len(labels):
            sys.exit(f"{stem}: {len(tokens)} tokens but {len(labels)} tags")
        write_text(args.out / f"{stem}.txt", text + "\n")
        write_text(args.out / f"{stem}.tags", tags + "\n")
        conll.append("".join(f"{w}\t{t}\n" for w, t in zip(tokens, labels, strict=True)))
        wav = args.out / f"{stem}.wav"
        if args.force or not wav.exists():
            _synthesize(text, voice, wpm, wav, rate)
    write_text(args.out / "gold.conll", "\n".join(conll))
    return 0


if __name__ == "__main__":
    sys.exit(main())
