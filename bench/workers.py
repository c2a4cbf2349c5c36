"""A pool of ``python -m stixflow worker`` processes, as an operator would start them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from bench.memory import peak_rss_mib

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
TAIL_CHARS = 2000


class WorkerError(Exception):
    """A worker did not start, or died while the benchmark ran."""


class WorkerPool:
    """``count`` worker processes with the given environment, logs kept in ``log_dir``.

    With ``profile_dir`` each worker runs under cProfile and writes ``worker-<i>.prof`` there
    when it stops (``stixflow worker`` exits cleanly on SIGTERM).
    """

    def __init__(
        self,
        count: int,
        *,
        env: dict[str, str],
        log_dir: Path,
        profile_dir: Path | None = None,
    ) -> None:
        self.count = count
        self.env = env
        self.log_dir = log_dir
        self.profile_dir = profile_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def __enter__(self) -> WorkerPool:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _command(self, index: int) -> list[str]:
        command = [sys.executable]
        if self.profile_dir is not None:
            command += ["-m", "cProfile", "-o", str(self.profile_dir / f"worker-{index}.prof")]
        return [*command, "-m", "stixflow", "worker", "--name", f"bench-worker-{index}"]

    def start(self) -> None:
        """Start the workers and wait until each has logged that it is consuming."""
        for index in range(self.count):
            log = self.log_dir / f"worker-{index}.log"
            with log.open("wb") as stream:
                process = subprocess.Popen(
                    self._command(index), env=self.env, stdout=stream, stderr=subprocess.STDOUT
                )
            self.processes.append(process)
            self.logs.append(log)
        deadline = time.monotonic() + READY_TIMEOUT
        for index in range(self.count):
            while f"bench-worker-{index} started" not in self.logs[index].read_text(
                errors="replace"
            ):
                self.check_alive()
                if time.monotonic() > deadline:
                    raise WorkerError(f"worker {index} not ready after {READY_TIMEOUT:.0f}s")
                time.sleep(0.02)

    def check_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if process.poll() is not None:
                raise WorkerError(
                    f"worker {index} exited with {process.returncode}: {self.tail(index)}"
                )

    def tail(self, index: int) -> str:
        return self.logs[index].read_text(errors="replace")[-TAIL_CHARS:].strip()

    def complaints(self) -> list[str]:
        """The WARNING and ERROR lines the workers logged (retries, dead letters, crashes)."""
        return [
            line
            for log in self.logs
            for line in log.read_text(errors="replace").splitlines()
            if " WARNING " in line or " ERROR " in line
        ]

    def peak_rss_mib(self) -> float | None:
        """The largest ``VmHWM`` among the live workers (read before stopping them)."""
        peaks = [peak_rss_mib(process.pid) for process in self.processes]
        known = [peak for peak in peaks if peak is not None]
        return max(known) if known else None

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
