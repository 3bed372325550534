"""speechtext telephone: audio files to 8 kHz telephone-channel WAVs."""

import functools

HELP = "convert audio to 8 kHz through a telephone channel (G.712 or narrow band, G.711)"
DESCRIPTION = (
    "Convert audio files to 8 kHz WAV through a telephone channel. Outputs mirror the inputs' "
    "relative paths with .wav; existing outputs are skipped unless --overwrite; each failure is "
    "named on stderr and listed in OUTDIR/failures.jsonl; the exit status is 1 if any file failed."
)


def add_arguments(parser):
    from .common import add_batch_arguments

    add_batch_arguments(parser)
    parser.add_argument(
        "--preset",
        choices=["g712", "narrow"],
        default=None,
        help="channel: g712 = real PCM channel (default), narrow = -3 dB at 300 and 3400 Hz",
    )
    parser.add_argument(
        "--band",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="custom band-pass with -3 dB edges at LOW and HIGH Hz (instead of a preset)",
    )
    parser.add_argument("--codec", choices=["ulaw", "alaw"], help="G.711 companding")
    parser.add_argument(
        "--decoded",
        action="store_true",
        help="with --codec: write the companded audio decoded to PCM16, not as a G.711 WAV",
    )


def _convert(job, **options):
    from ..telephone import telephone_file

    return telephone_file(job.source, job.outputs[0], **options)


def run(args):
    from ..io.audio import AUDIO_EXTENSIONS
    from ..telephone import channel_filter
    from .common import finish_batch, run_files

    if args.band and args.preset:
        args._parser.error("--band and --preset are alternatives; give one of them")
    if args.decoded and not args.codec:
        args._parser.error("--decoded needs --codec ulaw or --codec alaw")
    band = tuple(args.band) if args.band else None
    preset = args.preset or "g712"
    # fail once on a bad band, before any file; designed here, worker processes inherit it
    channel_filter(preset, band)

    work = functools.partial(
        _convert, preset=preset, band=band, codec=args.codec, decoded=args.decoded
    )
    _, report = run_files(
        args,
        args.inputs,
        work,
        extensions=AUDIO_EXTENSIONS,
        output_suffixes=[".wav"],
        desc="telephone",
    )
    return finish_batch(report, args.output)
