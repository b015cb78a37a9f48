"""predict --file streams: a million lines in bounded memory, quiet when piped."""

import os
import shutil
import subprocess
import sys

import pytest

LINES = 1_000_000


def write_reviews(path, lines: int) -> None:
    words = ["great", "film", "awful", "plot", "boring", "superb", "the", "a"]
    with open(path, "w") as fh:
        for i in range(lines):
            fh.write(f"{words[i % 8]} {words[(i * 7) % 8]} review {i}\n")


#: Runs a command with stdout to a file and prints (exit code, peak RSS KiB).
#: Measured from this small process because a child forked from the (large)
#: test runner starts as a copy of it, and ru_maxrss would report that size.
LAUNCHER = """
import os, subprocess, sys
with open(sys.argv[1], "wb") as out:
    proc = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
sys.stderr.buffer.write(err)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def stream(reviews, out_path) -> tuple[int, bytes, float]:
    """Run predict --json --file; returns (exit code, stderr, peak RSS in MiB)."""
    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable))
    cmd = [sys.executable, "-c", LAUNCHER, str(out_path), exe, "predict", "--json", "--file", str(reviews)]
    result = subprocess.run(cmd, capture_output=True)
    code, peak_kib = map(int, result.stdout.split())
    return code, result.stderr, peak_kib / 1024


@pytest.mark.slow
def test_a_million_lines_stream_with_bounded_memory(tmp_path):
    small, large = tmp_path / "small.txt", tmp_path / "million.txt"
    write_reviews(small, 10_000)
    write_reviews(large, LINES)
    code, _, small_peak = stream(small, tmp_path / "small.jsonl")
    assert code == 0
    code, stderr, large_peak = stream(large, tmp_path / "million.jsonl")
    assert code == 0, stderr
    assert stderr == b""  # stderr is a pipe, not a terminal: no progress bar
    with open(tmp_path / "million.jsonl", "rb") as fh:
        assert sum(1 for _ in fh) == LINES
    # Streaming: a hundred times more lines must not need more memory (holding
    # the 30 MB input or the million output records would add far more than this).
    assert large_peak - small_peak < 32, (small_peak, large_peak)
    assert large_peak < 250, large_peak  # ~70 MiB runtime + one 256-review chunk


def test_progress_shows_on_a_terminal(tmp_path):
    import pty

    reviews = tmp_path / "reviews.txt"
    reviews.write_text("great film\n" * 5000)
    exe = shutil.which("edge-sentiment", path=os.path.dirname(sys.executable))
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([exe, "predict", "--file", str(reviews)], stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait() == 0
    assert b"scoring" in seen and b"texts" in seen
