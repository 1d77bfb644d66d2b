"""f. HTTP: gunicorn (two sync workers) on loopback, locust users on a member's home page and on a floor page.

The floor is bench.urls' one-query page, behind the same middleware
(session, login, CSRF, locale) as the home page. Locust runs as its own
process (bench/locustfile.py) and its stats CSV is read afterwards.
"""

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios import Row

FLOOR_PATH = "/bench/one-query/"


@dataclass
class LoadResult:
    rps: float
    p50: float
    p95: float
    requests: int
    failures: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def start_gunicorn(opts, port: int, log_path: Path, extra=()) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench", "DATABASE_URL": opts.database_url}
    command = [
        _bin("gunicorn"),
        "config.wsgi:application",
        "--workers",
        str(opts.http_workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *extra,
    ]
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_locust(opts, host: str, path: str, prefix: Path) -> LoadResult:
    """Run locust headless on *path*; return the page's figures from its stats CSV."""
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_USERNAME": opts.member,
        "BENCH_PASSWORD": opts.password,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [
        _bin("locust"),
        "-f",
        str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "-u",
        str(opts.users),
        "-r",
        str(opts.users),
        "-t",
        opts.duration,
        "--csv",
        str(prefix),
        "--host",
        host,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with open(f"{prefix}.log", "w") as log:
        # Locust stops by itself after --duration; the timeout is a safety net.
        subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600, check=False)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    page, total = rows.get("page"), rows["Aggregated"]
    if page is None:
        raise RuntimeError(f"locust made no request to {path}; see {prefix}.log")
    return LoadResult(
        rps=float(page["Requests/s"]),
        p50=float(page["50%"]),
        p95=float(page["95%"]),
        requests=int(page["Request Count"]),
        failures=int(total["Failure Count"]),
    )


def http_scenario(opts) -> Row:
    row = Row("f", f"HTTP: member's home page, {opts.users} users, gunicorn ×{opts.http_workers} ÷ one-query page")
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    log_path = opts.work_dir / "gunicorn.log"
    server = start_gunicorn(opts, port, log_path)
    try:
        wait_until_up(f"{host}/healthz", server)
        home = run_locust(opts, host, "/", opts.work_dir / "locust-home")
        floor = run_locust(opts, host, FLOOR_PATH, opts.work_dir / "locust-floor")
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (gunicorn log: {log_path})") from exc
    finally:
        stop(server)
    ratio = home.rps / floor.rps if floor.rps else 0
    tail_ok = home.p95 <= 4 * home.p50
    row.value = f"{home.rps:,.1f} req/s (p50 {home.p50:.0f} ms, p95 {home.p95:.0f} ms)"
    row.queries = "—"
    row.floor = f"{floor.rps:,.1f} req/s (p50 {floor.p50:.0f} ms, p95 {floor.p95:.0f} ms)"
    row.ratio = f"{ratio:.2f}"
    row.target = "≥ 0.5; p95 ≤ 4 × p50; no errors"
    row.met = ratio >= 0.5 and tail_ok and home.failures == 0 and floor.failures == 0
    row.notes.append(
        f"HTTP: {home.requests:,} home-page and {floor.requests:,} floor requests after login "
        f"(window: {opts.duration} less the logins); failures {home.failures} and {floor.failures}; "
        f"p95/p50 {home.p95 / home.p50 if home.p50 else 0:.1f}."
    )
    return row
