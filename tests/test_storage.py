"""`speechtext run` with inputs and OUTDIR on object storage, through fsspec: against a local S3
server (moto's, on 127.0.0.1), the outputs are byte for byte a local run's, also from a Dask
cluster whose workers share no folder with the run; `--resume` on a bucket redoes exactly what
is missing; a missing bucket or missing credentials is one clear message. `memory://` (in
process) for the library and the listing's property test.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest
from clitools import SPEECHTEXT, outputs_of
from hypothesis import given, settings
from hypothesis import strategies as st

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
# the telephone channel and pitch on it (summary.csv: a corpus-level output, made at the end)
SPEC = (
    'name = "line"\n\n[[stage]]\nname = "telephone"\npreset = "g712"\n\n[[stage]]\nname = "pitch"\n'
)
BUCKET = "speechtext-test"
LOCAL_IN = b"<the inputs>/"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    pytest.importorskip("s3fs", reason="needs s3fs (pip install 'speechtext[s3]')")
    server = Path(sys.executable).parent / "moto_server"
    if not server.exists():
        pytest.skip("needs moto's S3 server (pip install 'moto[server]', in the dev extra)")
    port = free_port()
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path_factory.mktemp("moto"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, "moto_server exited at start-up"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, f"nothing listens on 127.0.0.1:{port}"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def s3_env(s3_server):
    """The environment of a user of that server: credentials and endpoint, the usual AWS way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CREDENTIALS, AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=s3_server)
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return env


@pytest.fixture(scope="module")
def bucket(s3_server, s3_env):
    """A bucket holding the sample recordings (and their transcripts) under ``in/``; the
    filesystem to look at it."""
    import s3fs

    if not any(SAMPLES.glob("*.wav")):
        pytest.skip(f"no sample recordings in {SAMPLES}")
    fs = s3fs.S3FileSystem(
        key="testing",
        secret="testing",
        client_kwargs={"endpoint_url": s3_server, "region_name": "us-east-1"},
    )
    fs.call_s3("create_bucket", Bucket=BUCKET)  # (mkdir sends a region moto refuses)
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix in (".wav", ".txt"):
            fs.put_file(str(path), f"{BUCKET}/in/{path.name}")
    return fs


def run(*args, env, timeout=300):
    proc = subprocess.run(
        [*SPEECHTEXT, "run", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def objects_of(fs, prefix):
    """Relative key -> bytes of every output object but the run's own records (as outputs_of),
    with the inputs' URL prefix as the local run's folder (the pitch summaries name their input
    as given)."""
    skip = {"manifest.jsonl", "failures.jsonl"}
    out = {}
    for key in sorted(fs.find(f"{BUCKET}/{prefix}")):
        rel = key[len(f"{BUCKET}/{prefix}/") :]
        if ".speechtext" not in rel.split("/") and rel not in skip:
            data = fs.cat_file(key).replace(f"s3://{BUCKET}/in/".encode(), LOCAL_IN)
            out[rel] = data
    return out


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, s3_env):
    """The spec over the samples, all local: what every storage run must give."""
    folder = tmp_path_factory.mktemp("local")
    spec = folder / "line.toml"
    spec.write_text(SPEC)
    inputs = folder / "in"
    inputs.mkdir()
    for path in SAMPLES.iterdir():
        if path.suffix in (".wav", ".txt"):
            shutil.copy(path, inputs / path.name)
    proc = run(spec, inputs, "-o", folder / "out", "--workers", "2", env=s3_env)
    assert proc.returncode == 0, proc.stderr
    prefix = f"{inputs}/".encode()
    return spec, {k: v.replace(prefix, LOCAL_IN) for k, v in outputs_of(folder / "out").items()}


def test_an_s3_run_is_byte_identical_to_a_local_run_and_resumes_on_the_bucket(
    bucket, s3_env, local_run
):
    spec, expected = local_run
    proc = run(spec, f"s3://{BUCKET}/in/", "-o", f"s3://{BUCKET}/out", "--workers", "2", env=s3_env)
    assert proc.returncode == 0, proc.stderr
    assert objects_of(bucket, "out") == expected
    assert "summary.csv" in expected
    entries = [json.loads(x) for x in bucket.cat_file(f"{BUCKET}/out/manifest.jsonl").splitlines()]
    assert {e["source"] for e in entries} == {
        f"s3://{BUCKET}/in/{p.name}" for p in SAMPLES.glob("*.wav")
    }

    # a worker killed mid-way leaves an input without its marker (and maybe without outputs):
    # --resume redoes exactly those, from one listing of the bucket
    bucket.rm_file(f"{BUCKET}/out/.speechtext/done/play_music.json")
    bucket.rm_file(f"{BUCKET}/out/set_alarm.f0.csv")
    proc = run(
        spec,
        f"s3://{BUCKET}/in",
        "-o",
        f"s3://{BUCKET}/out",
        "--resume",
        "--workers",
        "1",
        env=s3_env,
    )
    assert proc.returncode == 0, proc.stderr
    total = len(list(SAMPLES.glob("*.wav")))
    assert f"{total} files: 2 done, {total - 2} skipped" in proc.stderr
    assert objects_of(bucket, "out") == expected
    entries = [json.loads(x) for x in bucket.cat_file(f"{BUCKET}/out/manifest.jsonl").splitlines()]
    assert sorted(e["id"] for e in entries if not e.get("resumed")) == ["play_music", "set_alarm"]


def test_a_dask_cluster_without_a_shared_folder_writes_the_same_objects(
    bucket, s3_server, s3_env, local_run, tmp_path
):
    pytest.importorskip("distributed")
    spec, expected = local_run
    # endpoint and keys as storage options, not in the environment: the workers get them with
    # their tasks; the local inputs' folder is out of the workers' reach (they read the bucket)
    env = {k: v for k, v in s3_env.items() if k not in ("AWS_ENDPOINT_URL", *CREDENTIALS)}
    options = {
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"endpoint_url": s3_server, "region_name": "us-east-1"},
    }
    proc = run(
        spec,
        f"s3://{BUCKET}/in",
        "-o",
        f"s3://{BUCKET}/dask-out/",
        "--dask-local",
        "2",
        "--storage-options",
        json.dumps(options),
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert objects_of(bucket, "dask-out") == expected


def test_a_missing_bucket_or_missing_credentials_is_one_clear_message(bucket, s3_env, tmp_path):
    spec = tmp_path / "line.toml"
    spec.write_text(SPEC)
    proc = run(spec, SAMPLES, "-o", "s3://no-such-bucket-here/out", env=s3_env)
    assert proc.returncode == 1
    assert "s3://no-such-bucket-here/out: cannot write output here: no such bucket" in proc.stderr

    proc = run(spec, "s3://no-such-bucket-here/in", "-o", tmp_path / "out", env=s3_env)
    assert proc.returncode == 1
    assert "s3://no-such-bucket-here/in: cannot list: no such bucket" in proc.stderr

    bare = {k: v for k, v in s3_env.items() if k not in CREDENTIALS}
    bare["AWS_EC2_METADATA_DISABLED"] = "true"  # no instance metadata to ask either
    proc = run(spec, SAMPLES, "-o", f"s3://{BUCKET}/nocreds", env=bare)
    assert proc.returncode == 1
    assert f"s3://{BUCKET}/nocreds: cannot write output here: access refused" in proc.stderr
    assert "AWS_ACCESS_KEY_ID" in proc.stderr and "--storage-options" in proc.stderr
    assert not bucket.exists(f"{BUCKET}/nocreds")


# ------------------------------------------------------------------- memory://, in process


def test_memory_urls_in_process_match_a_local_run(tmp_path):
    pytest.importorskip("fsspec")
    import fsspec

    from speechtext.pipeline import load_spec, run_pipeline

    text_files = sorted(SAMPLES.glob("*.txt"))[:3]
    if not text_files:
        pytest.skip(f"no sample transcripts in {SAMPLES}")
    spec_file = tmp_path / "g2p.toml"
    spec_file.write_text('[[stage]]\nname = "g2p"\n')
    spec = load_spec(spec_file)
    fs = fsspec.filesystem("memory")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "requests.txt").write_text("play some jazz\nwake me up at seven\n")
    fs.pipe_file("/st-in/requests.txt", b"play some jazz\nwake me up at seven\n")
    # beside a recording, a .txt is one utterance (its transcript), whatever its lines
    for path in text_files:
        shutil.copy(path, tmp_path / "in" / path.name)
        shutil.copy(path.with_suffix(".wav"), tmp_path / "in" / path.with_suffix(".wav").name)
        fs.put_file(str(path), f"/st-in/{path.name}")
        fs.put_file(str(path.with_suffix(".wav")), f"/st-in/{path.with_suffix('.wav').name}")
    local = run_pipeline(spec, [tmp_path / "in"], tmp_path / "out")
    remote = run_pipeline(spec, ["memory://st-in"], "memory://st-out")
    assert local.exit_status == remote.exit_status == 0
    expected = outputs_of(tmp_path / "out")
    assert len(expected) == len(text_files) + 1
    got = {
        k[len("/st-out/") :]: fs.cat_file(k)
        for k in fs.find("/st-out")
        if "/.speechtext/" not in k and not k.endswith(("manifest.jsonl", "failures.jsonl"))
    }
    assert got == expected


names = st.text(alphabet="abcxyz._-", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@settings(max_examples=40, deadline=None)
@given(st.sets(st.lists(names, min_size=1, max_size=3).map(tuple), min_size=1, max_size=8))
def test_a_listing_gives_every_visible_file_with_its_relative_path(paths):
    pytest.importorskip("fsspec")
    import fsspec

    from speechtext.io.storage import list_files

    fs = fsspec.filesystem("memory")
    root = "/prop-" + os.urandom(6).hex()
    files = set()
    for parts in paths:  # a path that is also a folder of another is skipped
        rel = "/".join(parts)
        if any(f.startswith(rel + "/") or rel.startswith(f + "/") for f in files):
            continue
        files.add(rel)
        fs.pipe_file(f"{root}/{rel}", rel.encode())
    try:
        listed = list_files(f"memory://{root}")
        visible = {f for f in files if not any(p.startswith(".") for p in f.split("/"))}
        assert listed is not None
        assert {rel.as_posix() for _, rel in listed} == visible
        for url, rel in listed:
            assert url == f"memory://{root}/{rel}" and isinstance(rel, PurePosixPath)
            assert fs.cat_file(url[len("memory://") :]) == rel.as_posix().encode()
    finally:
        fs.rm(root, recursive=True)
