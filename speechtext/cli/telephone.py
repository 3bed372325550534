"""speechtext telephone: audio files through a phone line (band, level, codec, loss, noise)."""

import functools
from pathlib import Path

HELP = "convert audio through a telephone channel (G.712 band, codecs, packet loss, level, noise)"
DESCRIPTION = (
    "Convert audio files through a telephone channel to WAV at 8 kHz (16 kHz for wideband): a "
    "named --channel (landline, mobile-gsm, mobile-amr, voip-opus, hd-voice) or the pieces "
    "alone; options given override the channel's. Outputs mirror the inputs' relative paths with "
    ".wav (and .call.json, the levels and erased packets, when the chain has a level, noise or "
    "loss); existing outputs are skipped unless --overwrite; each failure is named on stderr "
    "and listed in OUTDIR/failures.jsonl; the exit status is 1 if any file failed."
)


def add_arguments(parser):
    from .common import add_batch_arguments

    add_batch_arguments(parser)
    parser.add_argument(
        "--channel",
        choices=["landline", "mobile-gsm", "mobile-amr", "voip-opus", "hd-voice"],
        help="a named phone line (see the README's table); the options below override its own",
    )
    parser.add_argument(
        "--preset",
        choices=["g712", "narrow", "wideband"],
        default=None,
        help="band: g712 = real PCM channel (default), narrow = -3 dB at 300 and 3400 Hz, "
        "wideband = 50-7000 Hz at 16 kHz",
    )
    parser.add_argument(
        "--band",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="custom band-pass with -3 dB edges at LOW and HIGH Hz (instead of a preset)",
    )
    parser.add_argument(
        "--codec",
        choices=["ulaw", "alaw", "gsm-fr", "amr-nb", "opus", "g722", "g726"],
        help="encode and decode (all but ulaw/alaw need: pip install 'speechtext[codecs]')",
    )
    parser.add_argument(
        "--bitrate",
        type=float,
        metavar="KBITS",
        help="codec bit rate in kbit/s: amr-nb 4.75-12.2, opus 6-24, g726 16/24/32/40",
    )
    parser.add_argument(
        "--decoded",
        action="store_true",
        help="with --codec ulaw/alaw: write the companded audio decoded to PCM16, not G.711",
    )
    parser.add_argument(
        "--loss", type=float, help="packet loss rate, 0-1 (20 ms packets, Gilbert-Elliott)"
    )
    parser.add_argument("--burst", type=float, help="mean loss burst length in packets (>= 1)")
    parser.add_argument("--level", type=float, help="set the P.56 active speech level, dBov")
    parser.add_argument(
        "--noise",
        metavar="KIND|FOLDER",
        help="background noise: white, pink, babble (of the other inputs) or a folder of noise",
    )
    parser.add_argument("--snr", type=float, help="with --noise: SNR in dB to the speech level")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the noise and losses, per file (with its relative path: any order, worker)",
    )


def _convert(job, *, outdir, pool, **options):
    from ..telephone import telephone_file

    try:  # the input's relative path without its suffix: the pipeline's record id
        key = Path(job.base).relative_to(outdir).as_posix()
    except (TypeError, ValueError):
        key = Path(job.source).stem
    report = job.outputs[1] if len(job.outputs) > 1 else None
    babble = [p for p in pool if p != str(job.source)]
    return telephone_file(
        job.source, job.outputs[0], key=key, noise_pool=babble, report_path=report, **options
    )


def run(args):
    from ..io.audio import AUDIO_EXTENSIONS
    from ..telephone import channel_filter, check_params, file_rng
    from .common import finish_batch, run_files

    if args.band and args.preset:
        args._parser.error("--band and --preset are alternatives; give one of them")
    settings = check_params(
        channel=args.channel,
        preset=args.preset,
        band=tuple(args.band) if args.band else None,
        codec=args.codec,
        bitrate=args.bitrate,
        loss=args.loss,
        burst=args.burst,
        level=args.level,
        noise=args.noise,
        snr=args.snr,
    )
    file_rng(args.seed, "")
    if args.decoded and settings.codec not in ("ulaw", "alaw"):
        args._parser.error("--decoded needs --codec ulaw or --codec alaw (others are always PCM16)")
    # fail once on a bad band, before any file; designed here, worker processes inherit it
    channel_filter(settings.preset, settings.band)

    pool = []
    if settings.noise == "babble":
        from ..io.folders import collect_jobs

        jobs, _ = collect_jobs(
            args.inputs, args.output, extensions=AUDIO_EXTENSIONS, output_suffixes=[".wav"]
        )
        pool = sorted(str(j.source) for j in jobs)
        if len(pool) < 2:
            args._parser.error("--noise babble is made of the other inputs: give at least two")
    options = {
        "channel": args.channel,
        "preset": args.preset,
        "band": settings.band,
        "codec": args.codec,
        "bitrate": args.bitrate,
        "loss": args.loss,
        "burst": args.burst,
        "level": args.level,
        "noise": args.noise,
        "snr": args.snr,
        "seed": args.seed,
        "decoded": args.decoded,
    }
    work = functools.partial(_convert, outdir=Path(args.output), pool=pool, **options)
    _, report = run_files(
        args,
        args.inputs,
        work,
        extensions=AUDIO_EXTENSIONS,
        output_suffixes=[".wav", ".call.json"] if settings.reports else [".wav"],
        desc="telephone",
    )
    return finish_batch(report, args.output)
