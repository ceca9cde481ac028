"""The production stack on loopback: a generated database, gunicorn, and the
measurements that need the machine itself (worker memory from /proc).

Generated histories are kept as PostgreSQL template databases named after
their size (lobby_bench_tpl_<visits>), with what made them in the database's
comment. Each run gets a fresh copy (lobby_bench_run_<visits>), so the kiosk's
new visits never leak into the next run and a history is generated only once.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def manage(*args: str, env: dict, quiet: bool = True) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=quiet
    )
    return result.stdout or ""


def collectstatic(env: dict, notes: list[str]) -> list[Path]:
    """collectstatic as production runs it (manifest storage, DEBUG off).

    If it stops on a file that a vendored asset references but the repository
    does not ship (a source map), an empty stand-in is put into the collected
    files, never into static/, and the run notes it: the pages measured here do
    not load source maps, but a deployment would hit the same failure.
    """
    import re

    static_root = ROOT / "var" / "staticfiles"
    stand_ins: list[Path] = []
    for _ in range(10):
        result = subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, text=True, capture_output=True
        )
        if result.returncode == 0:
            return stand_ins  # the caller removes them after the run, so the next run finds the fault again
        missing = re.search(r"The file '([^']+)' could not be found", result.stderr)
        if not missing:
            raise RuntimeError(f"collectstatic failed:\n{result.stderr[-2000:]}")
        stand_in = static_root / missing.group(1)
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("{}" if stand_in.suffix == ".map" else "")
        stand_ins.append(stand_in)
        notes.append(
            f"collectstatic with DEBUG=0 fails: {missing.group(1)} is referenced by a vendored file but not "
            "shipped; the bench put an empty stand-in into var/staticfiles (a deployment needs a real fix)."
        )
    raise RuntimeError("collectstatic kept failing on missing files")


def bench_module(*args: str, env: dict) -> dict:
    """Run `python -m bench.<module> …` in the app's environment; it prints one JSON line."""
    result = subprocess.run([PYTHON, "-m", *args], cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- databases ---------------------------------------------------------------------


@dataclass
class Databases:
    server: str  # postgres://user@host:port, no database name

    def url(self, name: str) -> str:
        return f"{self.server.rstrip('/')}/{name}"

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def comment(self, name: str) -> dict | None:
        with self.admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0] or "{}")
        except json.JSONDecodeError:
            return {}

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def create(self, name: str, template: str | None = None) -> None:
        with self.admin() as conn:
            if template:
                # FILE_COPY copies the files instead of writing the whole database
                # through the WAL: seconds rather than minutes for a million visits.
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def set_comment(self, name: str, value: dict) -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(json.dumps(value)))
            )

    def size(self, name: str) -> int:
        with self.admin() as conn:
            return conn.execute("SELECT pg_database_size(%s)", [name]).fetchone()[0]


def prepare_history(dbs: Databases, *, visits: int, version: int, app_env: dict, regenerate: bool) -> dict:
    """The template database holding `visits` of history, made once and reused.

    It is migrated on every run, so migrations that landed since it was made
    are applied to it (and to the history in it) before it is copied.
    """
    name = f"lobby_bench_tpl_{visits}"
    meta = dbs.comment(name)
    wanted = {"visits": visits, "generator_version": version}
    reuse = not regenerate and meta is not None and all(meta.get(k) == v for k, v in wanted.items())
    env = {**app_env, "DATABASE_URL": dbs.url(name)}
    if reuse:
        log(f"reusing {name} (generated {meta.get('generated_at')}, {meta.get('seconds')} s)")
        manage("migrate", "--noinput", env=env)
        # A migration's new expression index has no statistics until ANALYZE.
        with psycopg.connect(dbs.url(name), autocommit=True) as conn:
            conn.execute("ANALYZE")
        meta["reused"] = True
        return meta
    log(f"generating {visits:,} visits of history into {name} (made once, then reused)")
    dbs.drop(name)
    dbs.create(name)
    manage("migrate", "--noinput", env=env)
    result = bench_module("bench.generate", "history", "--visits", str(visits), env=env)
    meta = {**result, **wanted, "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    dbs.set_comment(name, meta)
    meta["reused"] = False
    return meta


def settle(database_url: str, timeout: float = 30) -> None:
    """Wait until the requests the load tool left in flight have finished: no
    new visit for a second and a half."""
    deadline, last, stable_since = time.monotonic() + timeout, None, time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            current = conn.execute("SELECT max(id), count(*) FROM visitors_visit").fetchone()
            if current != last:
                last, stable_since = current, time.monotonic()
            elif time.monotonic() - stable_since >= 1.5:
                return
            time.sleep(0.25)


def fresh_copy(dbs: Databases, visits: int) -> str:
    template, name = f"lobby_bench_tpl_{visits}", f"lobby_bench_run_{visits}"
    started = time.monotonic()
    dbs.drop(name)
    dbs.create(name, template=template)
    log(f"copied {template} to {name} in {time.monotonic() - started:.1f}s")
    return name


# --- gunicorn ---------------------------------------------------------------------


@dataclass
class Gunicorn:
    env: dict
    port: int
    workers: int
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        args = [
            str(Path(PYTHON).with_name("gunicorn")),
            "config.wsgi",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            *self.extra_args,
        ]
        log(f"starting {' '.join(args[1:])} (its log and the app's: {self.log_path})")
        # gunicorn's own messages and the app's log records (errors with their
        # tracebacks) both go to stderr: keep them together in one file.
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, start_new_session=True, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                request = urllib.request.Request(self.url + "/healthz", headers={"X-Forwarded-Proto": "https"})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def errors(self) -> int:
        """Server errors the app logged during this run."""
        try:
            return self.log_path.read_text(errors="replace").count("Internal Server Error")
        except OSError:
            return 0

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]


# --- worker memory ----------------------------------------------------------------------


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class MemoryWatch:
    """Peak resident memory of each worker while a block runs.

    Resets the kernel's high-water mark (VmHWM) first where allowed, so the peak
    counts only this block, and also samples VmRSS every few milliseconds in case
    the reset is refused.
    """

    def __init__(self, pids: list[int], interval: float = 0.01):
        self.pids, self.interval = pids, interval
        self.before: dict[int, int] = {}
        self.sampled_peak: dict[int, int] = {}
        self.hwm_reset = False
        self._stop = threading.Event()

    def __enter__(self):
        for pid in self.pids:
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # 5: reset the peak RSS
                self.hwm_reset = True
            except OSError:
                pass
            self.before[pid] = _status_kib(pid, "VmRSS") or 0
            self.sampled_peak[pid] = self.before[pid]
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            for pid in self.pids:
                rss = _status_kib(pid, "VmRSS")
                if rss is not None and rss > self.sampled_peak[pid]:
                    self.sampled_peak[pid] = rss

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.after = {}
        for pid in self.pids:
            peak = self.sampled_peak[pid]
            if self.hwm_reset:
                peak = max(peak, _status_kib(pid, "VmHWM") or 0)
            self.after[pid] = peak

    def growth(self) -> dict:
        """The worker that grew most: its RSS before, its peak, and the growth, in MiB."""
        pid = max(self.pids, key=lambda p: self.after[p] - self.before[p])
        return {
            "pid": pid,
            "rss_before_mib": round(self.before[pid] / 1024, 1),
            "rss_peak_mib": round(self.after[pid] / 1024, 1),
            "growth_mib": round((self.after[pid] - self.before[pid]) / 1024, 1),
            "method": "VmHWM reset via clear_refs + VmRSS sampling" if self.hwm_reset else "VmRSS sampling (10 ms)",
        }


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class ServerCpu:
    """CPU time the stack spends: the gunicorn workers plus the PostgreSQL
    backends connected to the run's database. Unlike latency, CPU seconds per
    request hardly change when other work shares the machine, so they compare
    runs taken at different loads."""

    def __init__(self, gunicorn: "Gunicorn", database_url: str, database: str):
        self.gunicorn, self.database_url, self.database = gunicorn, database_url, database

    def sample(self) -> dict[int, float]:
        pids = list(self.gunicorn.worker_pids())
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            rows = conn.execute(
                # Client backends only: autovacuum workers on the same database
                # are not the requests' cost.
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'",
                [self.database],
            ).fetchall()
        pids += [pid for (pid,) in rows]
        return {pid: cpu for pid in pids if (cpu := _cpu_seconds(pid)) is not None}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def secret_key() -> str:
    return secrets.token_urlsafe(50)
