"""Serving in tests: a free loopback port, and a real `referat serve` subprocess to ask."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REFERAT = Path(sys.executable).with_name("referat")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(
                f"`referat serve` exited with {process.returncode}:\n{output[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"`referat serve` did not answer on {url} within {seconds:.0f} s")


@contextmanager
def served(db: Path, env: dict[str, str], *extra: str) -> Iterator[str]:
    """`referat serve --db DB` in a subprocess on a free loopback port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(REFERAT), "serve", "--db", str(db), "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
