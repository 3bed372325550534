"""Running the `speechtext` command in a subprocess, as a user would, for the CLI tests."""

import subprocess
import sys

SPEECHTEXT = [sys.executable, "-m", "speechtext"]


def run_cli(*args, timeout=300):
    """Run `speechtext ARGS...`; return (exit status, stdout, stderr). A traceback fails the test:
    a user mistake must get a message, never a traceback."""
    proc = subprocess.run(
        [*SPEECHTEXT, *map(str, args)], capture_output=True, text=True, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def peak_rss_mb(*args, timeout=300):
    """Run `speechtext ARGS...` in a fresh process that succeeds; return its peak memory in MB."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) pytest process that
    # forked the child, while VmHWM belongs to the child's own address space
    code = (
        "import re, sys; from pathlib import Path; from speechtext.cli import main\n"
        f"status = main({[str(a) for a in args]!r})\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1])\n"
        "sys.exit(status)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.split()[-1]) / 1024  # VmHWM is in KiB


def outputs_of(folder):
    """Relative path -> bytes of every output file but the run's own records."""
    skip = {"manifest.jsonl", "failures.jsonl"}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".speechtext" not in p.parts and p.name not in skip
    }
