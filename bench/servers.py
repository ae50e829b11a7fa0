"""Serve a WSGI app with gunicorn on a free 127.0.0.1 port for the duration of a ``with`` block."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Server:
    """A running gunicorn: where it listens."""

    host: str
    port: int
    pid: int


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(
    process: subprocess.Popen[bytes], port: int, health_path: str, log: Path, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", health_path)
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn on port {port} not ready after {timeout_s} s:\n{log.read_text()[-3000:]}")


@dataclass(frozen=True)
class ServedApp:
    """A WSGI app to serve: gunicorn's ``module:factory(literal args)`` spec, a log file, a health URL."""

    spec: str
    log: Path
    health_path: str = "/"


def _start(app: ServedApp, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--chdir",
        str(REPO),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
        app.spec,
    ]
    app.log.parent.mkdir(parents=True, exist_ok=True)
    with app.log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,
        )
    return process, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn(*apps: ServedApp, workers: int = 2, threads: int = 4) -> Iterator[list[Server]]:
    """Serve each app with gunicorn (gthread workers) until the block ends, then stop them (SIGTERM).

    The apps start together (their workers import in parallel) and are ready when the block begins;
    the repository root is the working directory, so ``bench`` is importable.
    """
    started: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for app in apps:
            started.append(_start(app, workers, threads))
        for app, (process, port) in zip(apps, started, strict=True):
            _wait_ready(process, port, app.health_path, app.log)
        yield [Server("127.0.0.1", port, process.pid) for process, port in started]
    finally:
        for process, _port in started:
            _stop(process)
