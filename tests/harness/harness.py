#!/usr/bin/env python3
"""harness: throw-away PostgreSQL, Redis and otad for otad's integration tests.

Owns the servers a test needs (DESIGN.md section 6, reference/aesthetics.md R21-R22):

- Cluster: a private PostgreSQL (initdb --nosync -A trust, fsync off, unix socket only) and a
  private redis-server (port 0, unix socket, no persistence) in one temp dir; each can be
  stopped, started and restarted on its own with the same data dir and socket path.
- Otad: an otad process started with --listen 127.0.0.1:0 --port-file, ready when its port file
  is written and GET /readyz answers 200; several can run at once on one database.
- HarnessTestCase: a unittest base class with one Cluster and one otad per test class.
- boto3 helpers: mi(), jobs(), iot(), wireless() clients for an otad URL.
- The CLI: `harness.py run [--pg] [--redis] [--otad] -- cmd...` for the C test layers, and
  `harness.py selftest`.

Rules: every child runs in its own session, dies with us (PR_SET_PDEATHSIG) and is stopped
TERM-then-KILL with a deadline; every wait polls with a deadline, never a bare sleep; on
failure the tail of every server log is printed. OTAD_KEEP=1 keeps the temp dir. Standard
library only (boto3 is imported only by the client helpers).
"""

from __future__ import annotations

import argparse
import atexit
import csv
import ctypes
import glob
import http.client
import io
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(os.environ.get("OTAD_SOURCE_DIR") or Path(__file__).resolve().parents[2])
DB_NAME = "otad"  # the database the tests and otad use
DB_USER = "otad"  # the superuser initdb creates; trust auth, so any OS user may connect as it
PG_PORT = 5432  # only names the socket file: PostgreSQL listens on no TCP port
START_TIMEOUT = float(os.environ.get("OTAD_TEST_START_TIMEOUT", "30"))
STOP_TIMEOUT = 10.0
RUN_TIMEOUT = float(os.environ.get("OTAD_TEST_TIMEOUT", "540"))  # below ctest's 600 s
LOG_TAIL_LINES = int(os.environ.get("OTAD_LOG_LINES", "120"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "ERROR: UndefinedBehaviorSanitizer")
FAKE_ACCESS_KEY = "AKIDEXAMPLE"
FAKE_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
# start_otad(env=SIGV4_ENV): otad checks SigV4 against the key pair the client helpers sign with
SIGV4_ENV = {"OTAD_AUTH": "sigv4", "OTAD_CREDENTIALS": f"{FAKE_ACCESS_KEY}:{FAKE_SECRET_KEY}"}
_NULL = "\x1a"  # what psql prints for NULL; mapped back to None


class HarnessError(Exception):
    """A server could not be started, stopped or reached."""


class RedisError(Exception):
    """Redis answered with an error reply (the message is Redis's)."""


def log(msg: str) -> None:
    print(f"harness: {msg}", file=sys.stderr, flush=True)


def wait_for(what: str, probe, timeout: float, alive=None):
    """Poll probe() until it returns a true value and return it; alive() may raise to stop
    early (a child that died). Raises HarnessError naming `what` when the deadline passes."""
    end = time.monotonic() + timeout
    delay = 0.005
    while True:
        got = probe()
        if got:
            return got
        if alive is not None:
            alive()
        if time.monotonic() >= end:
            raise HarnessError(f"{what}: not ready after {timeout:g} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


# --- child processes --------------------------------------------------------------------------

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent() -> None:
    """preexec_fn: the kernel SIGKILLs the child when the harness dies (PR_SET_PDEATHSIG)."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_pg_user() -> dict:
    """Popen arguments that run a PostgreSQL program as `postgres` when we are root (it refuses
    to run as root); the same as `runuser -u postgres --`, but the child stays ours."""
    if not _is_root():
        return {}
    return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}


def _clean_env(extra: dict | None = None) -> dict:
    """The environment without libpq's PG* variables, which would redirect psql and friends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(extra or {})
    return env


def run_cmd(argv, timeout: float, what: str, **kw) -> subprocess.CompletedProcess:
    """Run a short command to completion with a deadline; raise HarnessError on failure."""
    try:
        done = subprocess.run(argv, stdin=kw.pop("stdin", subprocess.DEVNULL),
                              capture_output=True, timeout=timeout,
                              preexec_fn=_die_with_parent, **kw)
    except subprocess.TimeoutExpired as e:
        raise HarnessError(f"{what}: still running after {timeout:g} s") from e
    except OSError as e:
        raise HarnessError(f"{what}: cannot run {argv[0]}: {e.strerror}") from e
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        raise HarnessError(f"{what}: exit status {done.returncode}: {err}")
    return done


class Process:
    """One long-running child in its own session, output appended to a log file. stop() sends
    stop_signal to the leader, then SIGKILL to the whole group after a deadline."""

    def __init__(self, name: str, argv, log_path: Path, env=None, cwd=None, pg_user=False,
                 stop_signal=signal.SIGTERM):
        self.name, self.argv, self.log = name, [str(a) for a in argv], Path(log_path)
        self.env, self.cwd, self.pg_user, self.stop_signal = env, cwd, pg_user, stop_signal
        self.popen: subprocess.Popen | None = None
        self.stopping = False  # set once we asked it to exit: its exit is then expected

    def start(self) -> None:
        if self.running:
            raise HarnessError(f"{self.name}: already running (pid {self.pid})")
        self.stopping = False
        with open(self.log, "ab") as logf:
            try:
                self.popen = subprocess.Popen(
                    self.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                    env=self.env, cwd=self.cwd, start_new_session=True,
                    preexec_fn=_die_with_parent, **(_as_pg_user() if self.pg_user else {}))
            except OSError as e:
                raise HarnessError(f"{self.name}: cannot run {self.argv[0]}: {e.strerror}") from e

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def check_alive(self) -> None:
        """Raise HarnessError if the process has exited (for wait_for's alive hook)."""
        if self.popen is not None and self.popen.poll() is not None:
            raise HarnessError(f"{self.name}: exited with status {self.popen.returncode} "
                               f"(log: {self.log})")

    def _killpg(self, sig) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop gracefully, then by force; return the exit status (negative: signal)."""
        if self.popen is None:
            return None
        self.stopping = True
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(self.stop_signal)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: no exit {timeout:g} s after {self.stop_signal.name}, killing")
        self._killpg(signal.SIGKILL)  # the leader, if still there, and any straggler
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired as e:
            raise HarnessError(f"{self.name}: pid {self.pid} survives SIGKILL") from e
        return self.popen.returncode

    def kill9(self) -> int | None:
        """SIGKILL the whole process group at once (a crash, for recovery tests)."""
        if self.popen is None:
            return None
        self.stopping = True
        self._killpg(signal.SIGKILL)
        try:
            self.popen.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            raise HarnessError(f"{self.name}: pid {self.pid} survives SIGKILL") from e
        return self.popen.returncode


# --- PostgreSQL -------------------------------------------------------------------------------

def pg_bindir() -> Path:
    """Where initdb and postgres live: $OTAD_PG_BINDIR, the newest /usr/lib/postgresql/*/bin,
    or PATH."""
    if os.environ.get("OTAD_PG_BINDIR"):
        return Path(os.environ["OTAD_PG_BINDIR"])
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise HarnessError("postgresql: initdb not found (install postgresql or set OTAD_PG_BINDIR)")


class Postgres:
    """A private PostgreSQL cluster: data in <dir>/pg, socket in <dir>, log <dir>/postgres.log."""

    def __init__(self, base: Path):
        self.base = base
        self.bindir = pg_bindir()
        self.data = base / "pg"
        self.log = base / "postgres.log"
        self.proc = Process("postgres", [self.bindir / "postgres", "-D", self.data], self.log,
                            env=_clean_env(), cwd=base, pg_user=True,
                            stop_signal=signal.SIGINT)  # fast shutdown: do not wait for clients
        self.initialized = False

    @property
    def conninfo(self) -> str:
        return f"host={self.base} port={PG_PORT} dbname={DB_NAME} user={DB_USER}"

    def _init(self) -> None:
        run_cmd([self.bindir / "initdb", "-D", self.data, "-U", DB_USER, "-A", "trust",
                 "-E", "UTF8", "--no-locale", "--nosync"], 120, "initdb",
                env=_clean_env(), cwd=self.base, **_as_pg_user())
        conf = (f"\n# otad test harness\nlisten_addresses = ''\n"
                f"unix_socket_directories = '{self.base}'\nport = {PG_PORT}\n"
                "fsync = off\nfull_page_writes = off\nmax_connections = 200\n"
                "timezone = 'UTC'\nlog_timezone = 'UTC'\n")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write(conf)
        self.initialized = True

    def _ready(self) -> bool:
        try:
            done = subprocess.run([self.bindir / "pg_isready", "-q", "-h", self.base,
                                   "-p", str(PG_PORT), "-U", DB_USER, "-d", "postgres"],
                                  env=_clean_env(), stdin=subprocess.DEVNULL, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def start(self) -> None:
        first = not self.initialized
        if first:
            self._init()
        self.proc.start()
        wait_for("postgres", self._ready, START_TIMEOUT, self.proc.check_alive)
        if first:
            psql_exec(f"host={self.base} port={PG_PORT} dbname=postgres user={DB_USER}",
                      f"CREATE DATABASE {DB_NAME}")

    def stop(self) -> None:
        self.proc.stop()


def _psql_path() -> str:
    try:
        path = pg_bindir() / "psql"
        if path.exists():
            return str(path)
    except HarnessError:
        pass
    return shutil.which("psql") or "psql"


def psql_exec(conninfo: str, sql: str, *params) -> list[tuple]:
    """Run sql through psql; params are bound to psql variables :'v1', :'v2', ... (quoted
    literals, so any text is safe). Returns every result row as a tuple of str (None for
    NULL); statements without rows add none."""
    argv = [_psql_path(), "-X", "-q", "--csv", "-t",
            "-v", "ON_ERROR_STOP=1", "-P", f"null={_NULL}", "-d", conninfo, "-f", "-"]
    for i, p in enumerate(params, 1):
        if p is None or isinstance(p, bytes):
            raise TypeError(f"psql parameter {i}: use SQL NULL or text, not {type(p).__name__}")
        if isinstance(p, bool):
            p = "true" if p else "false"
        argv[1:1] = ["-v", f"v{i}={p}"]
    done = run_cmd(argv, 60, "psql", input=sql.encode(), stdin=None, env=_clean_env())
    rows = csv.reader(io.StringIO(done.stdout.decode(), newline=""))
    # every line is a row: an empty one is a single empty string
    return [tuple(None if v == _NULL else v for v in row) if row else ("",) for row in rows]


# --- Redis ------------------------------------------------------------------------------------

class RespConnection:
    """A minimal RESP2 client over a unix socket. Replies: simple string -> str, integer ->
    int, bulk -> str (utf-8, undecodable bytes kept as surrogates) or bytes when raw, nil ->
    None, array -> list; an error reply raises RedisError."""

    def __init__(self, path: str, timeout: float = 10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise HarnessError(f"redis: cannot connect to {path}: {e.strerror or e}") from e
        self.rfile = self.sock.makefile("rb")

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()

    def call(self, *args, raw: bool = False):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        try:
            self.sock.sendall(b"".join(out))
            return self._reply(raw)
        except OSError as e:
            raise HarnessError(f"redis: {e.strerror or e}") from e

    def _line(self) -> bytes:
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise HarnessError("redis: connection closed")
        return line[:-2]

    def _reply(self, raw: bool):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            if len(data) != n + 2:
                raise HarnessError("redis: connection closed")
            return data[:n] if raw else data[:n].decode(errors="surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply(raw) for _ in range(n)]
        raise HarnessError(f"redis: unexpected reply {line[:40]!r}")


class Redis:
    """A private redis-server: no TCP port, socket <dir>/redis.sock, log <dir>/redis.log."""

    def __init__(self, base: Path):
        self.socket = str(base / "redis.sock")
        self.log = base / "redis.log"
        workdir = base / "redis"
        workdir.mkdir()
        conf = base / "redis.conf"
        conf.write_text(f"port 0\nunixsocket {self.socket}\nunixsocketperm 700\n"
                        f"dir {workdir}\nsave \"\"\nappendonly no\ndaemonize no\n"
                        "logfile \"\"\n", encoding="utf-8")
        server = shutil.which("redis-server")
        if not server:
            raise HarnessError("redis: redis-server not found (install redis-server)")
        self.proc = Process("redis", [server, conf], self.log, cwd=base)

    def _ping(self) -> bool:
        try:
            conn = RespConnection(self.socket, timeout=2)
        except HarnessError:
            return False
        try:
            return conn.call("PING") == "PONG"
        except (HarnessError, RedisError):
            return False  # e.g. LOADING
        finally:
            conn.close()

    def start(self) -> None:
        self.proc.start()
        wait_for("redis", self._ping, START_TIMEOUT, self.proc.check_alive)

    def stop(self) -> None:
        self.proc.stop()


# --- otad -------------------------------------------------------------------------------------

def otad_bin() -> str:
    """$OTAD_BIN (relative to the current directory) or <repo>/build/otad."""
    return os.path.abspath(os.environ.get("OTAD_BIN") or REPO / "build" / "otad")


def http_request(url: str, method: str, path: str, body: bytes | str | None = None,
                 headers: dict | None = None, timeout: float = 10.0):
    """One HTTP request to url (http://host:port); returns (status, headers dict, body bytes)."""
    hostport = url.removeprefix("http://").rstrip("/")
    conn = http.client.HTTPConnection(hostport, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class Otad:
    """One otad process of a Cluster. url/port are valid after start() returns; start() may be
    called again after stop() or kill9() (a new port, the same log file)."""

    def __init__(self, cluster: "Cluster", n: int, extra_args=(), env=None, workers=None):
        self.cluster, self.n = cluster, n
        self.log = cluster.dir / f"otad-{n}.log"
        self.port_file = cluster.dir / f"otad-{n}.port"
        argv = [otad_bin(), "--listen", "127.0.0.1:0", "--port-file", self.port_file,
                "--pg", cluster.pg_conninfo, "--redis", cluster.redis_socket]
        if workers is not None:
            argv += ["--workers", str(workers)]
        argv += list(extra_args)
        child_env = {k: v for k, v in os.environ.items()
                     if k not in ("OTAD_LISTEN", "OTAD_PG", "OTAD_REDIS")}
        child_env["OTAD_AUTH"] = "none"
        for k, v in (env or {}).items():
            if v is None:
                child_env.pop(k, None)
            else:
                child_env[k] = str(v)
        self.proc = Process(f"otad-{n}", argv, self.log, env=child_env, cwd=cluster.dir)
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.running

    def _read_port(self) -> int | None:
        try:
            text = self.port_file.read_text()
        except FileNotFoundError:
            return None
        if not text.endswith("\n"):
            return None  # still being written
        try:
            return int(text)
        except ValueError as e:
            raise HarnessError(f"otad-{self.n}: port file holds {text!r}") from e

    def start(self, timeout: float = START_TIMEOUT) -> "Otad":
        if not os.access(otad_bin(), os.X_OK):
            raise HarnessError(f"otad: {otad_bin()} is not an executable (set OTAD_BIN)")
        self.port_file.unlink(missing_ok=True)
        self.port = None
        self.proc.start()
        end = time.monotonic() + timeout
        self.port = wait_for(f"otad-{self.n} port file", self._read_port, timeout,
                             self.proc.check_alive)
        self.wait_ready(max(end - time.monotonic(), 1.0))
        return self

    def _ready(self) -> bool:
        try:
            return self.http("GET", "/readyz", timeout=2)[0] == 200
        except (OSError, http.client.HTTPException):
            return False

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until GET /readyz answers 200."""
        wait_for(f"otad-{self.n} /readyz", self._ready, timeout, self.proc.check_alive)

    def http(self, method: str, path: str, body=None, headers=None, timeout: float = 10.0):
        """One request to this otad; returns (status, headers, body bytes)."""
        return http_request(self.url, method, path, body, headers, timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, SIGKILL after the deadline; returns the exit status."""
        return self.proc.stop(timeout)

    def kill9(self) -> int | None:
        """SIGKILL otad and its workers at once (a crash)."""
        return self.proc.kill9()


# --- the cluster ------------------------------------------------------------------------------

_live: set["Cluster"] = set()
_uncaught = False


class Cluster:
    """PostgreSQL and/or Redis in one temp dir, plus the otad processes started on them.

    With from_env=True, a server whose OTAD_TEST_PG / OTAD_TEST_REDIS variable is already set
    is used as given instead of started (R22: point the tests at a running instance); such a
    server cannot be stopped or restarted from here."""

    def __init__(self, pg: bool = True, redis: bool = True, from_env: bool = False):
        _install_handlers()
        self.keep = os.environ.get("OTAD_KEEP") == "1"
        self.dir = Path(tempfile.mkdtemp(prefix="otad-test-"))
        self.pg = self.redis_server = None
        self._pg_external = os.environ.get("OTAD_TEST_PG") if from_env else None
        self._redis_external = os.environ.get("OTAD_TEST_REDIS") if from_env else None
        try:
            if len(str(self.dir)) > 80:
                raise HarnessError(f"temp dir {self.dir} is too long for unix socket paths "
                                   "(set TMPDIR=/tmp)")
            if _is_root():
                pw = pwd.getpwnam("postgres")
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)  # postgres writes its socket here
            if pg and not self._pg_external:
                self.pg = Postgres(self.dir)
            if redis and not self._redis_external:
                self.redis_server = Redis(self.dir)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.otads: list[Otad] = []
        self._counter = itertools.count(1)
        self._conn: RespConnection | None = None
        self.stopped = False
        _live.add(self)

    def __enter__(self) -> "Cluster":
        try:
            return self.start()
        except BaseException:
            self.stop(failed=True)
            raise

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop(failed=exc_type is not None)

    # servers
    def start(self) -> "Cluster":
        """Start every server of the cluster; returns self."""
        if self.pg:
            self.start_pg()
        if self.redis_server:
            self.start_redis()
        return self

    def start_pg(self) -> None:
        self._own(self.pg, "postgres").start()

    def stop_pg(self) -> None:
        self._own(self.pg, "postgres").stop()

    def restart_pg(self) -> None:
        self.stop_pg()
        self.start_pg()

    def start_redis(self) -> None:
        self._own(self.redis_server, "redis").start()

    def stop_redis(self) -> None:
        self._drop_conn()
        self._own(self.redis_server, "redis").stop()

    def restart_redis(self) -> None:
        self.stop_redis()
        self.start_redis()

    def _own(self, server, name):
        if server is None:
            raise HarnessError(f"{name}: not a server of this cluster (external or not asked)")
        return server

    @property
    def pg_conninfo(self) -> str:
        """libpq conninfo of the test database (usable by libpq and psql -d)."""
        if self._pg_external:
            return self._pg_external
        return self._own(self.pg, "postgres").conninfo

    @property
    def redis_socket(self) -> str:
        """Path of the Redis unix socket."""
        if self._redis_external:
            return self._redis_external
        return self._own(self.redis_server, "redis").socket

    def test_env(self) -> dict:
        """The OTAD_TEST_* variables describing this cluster."""
        env = {"OTAD_TEST_DIR": str(self.dir)}
        if self.pg or self._pg_external:
            env["OTAD_TEST_PG"] = self.pg_conninfo
        if self.redis_server or self._redis_external:
            env["OTAD_TEST_REDIS"] = self.redis_socket
        return env

    # clients
    def psql(self, sql: str, *params) -> list[tuple]:
        """Run sql in the test database; see psql_exec."""
        return psql_exec(self.pg_conninfo, sql, *params)

    def redis(self, *args, raw: bool = False):
        """One Redis command on the cluster's shared connection; see RespConnection."""
        if self._conn is None:
            self._conn = RespConnection(self.redis_socket)
        try:
            return self._conn.call(*args, raw=raw)
        except HarnessError:
            self._drop_conn()
            raise

    def redis_connect(self, timeout: float = 10.0) -> RespConnection:
        """A new connection of the caller's own (for blocking commands); the caller closes it."""
        return RespConnection(self.redis_socket, timeout)

    def _drop_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # otad
    def start_otad(self, extra_args=(), env=None, workers=None) -> Otad:
        """Start one more otad on this cluster and wait until it is ready."""
        otad = Otad(self, next(self._counter), extra_args, env, workers)
        self.otads.append(otad)
        return otad.start()

    # failure reporting
    def logs(self) -> list[tuple[str, Path]]:
        out = []
        if self.pg:
            out.append(("postgres", self.pg.log))
        if self.redis_server:
            out.append(("redis", self.redis_server.log))
        out += [(f"otad-{o.n}", o.log) for o in self.otads]
        return out

    def dump_logs(self, file=None) -> None:
        """Print the tail of every server log (R21)."""
        file = file or sys.stderr
        for name, path in self.logs():
            try:
                lines = path.read_text(errors="replace").splitlines()
            except FileNotFoundError:
                lines = ["(no log written)"]
            tail = lines[-LOG_TAIL_LINES:]
            print(f"===== {name} log {path} (last {len(tail)} of {len(lines)} lines) =====",
                  file=file)
            for line in tail:
                print(line, file=file)
        print("===== end of server logs =====", file=file, flush=True)

    def problems(self) -> list[str]:
        """What went wrong on the server side even if the test passed: an otad that exited
        without being asked to, and sanitizer reports in an otad log."""
        return self._unexpected_exits() + self._sanitizer_reports()

    def _unexpected_exits(self) -> list[str]:
        return [f"otad-{o.n} exited unexpectedly with status {o.proc.returncode}"
                for o in self.otads if o.proc.returncode is not None and not o.proc.stopping]

    def _sanitizer_reports(self) -> list[str]:
        found = []
        for o in self.otads:
            try:
                text = o.log.read_text(errors="replace")
            except FileNotFoundError:
                continue
            for mark in SANITIZER_MARKS:
                if mark in text:
                    found.append(f"otad-{o.n} log has a sanitizer report ({mark!r})")
                    break
        return found

    def stop(self, failed: bool = False) -> list[str]:
        """Stop everything (otads first); print the logs if failed or if problems() finds
        something, which is returned. Removes the temp dir unless OTAD_KEEP=1."""
        if self.stopped:
            return []
        self.stopped = True
        _live.discard(self)
        exits = self._unexpected_exits()
        self._drop_conn()
        errors = []
        servers = [o.proc for o in self.otads]
        servers += [s.proc for s in (self.redis_server, self.pg) if s is not None]
        for proc in servers:
            try:
                proc.stop()
            except HarnessError as e:
                errors.append(str(e))
        problems = exits + self._sanitizer_reports()  # leak reports come at exit
        for p in problems + errors:
            log(p)
        if failed or problems or errors:
            self.dump_logs()
        if self.keep:
            log(f"kept {self.dir} (OTAD_KEEP=1)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems + errors


def _install_handlers() -> None:
    """Once: stop leftover clusters at exit, dumping logs after an uncaught exception, and turn
    SIGTERM/SIGHUP into SystemExit so that cleanup runs."""
    if getattr(_install_handlers, "done", False):
        return
    _install_handlers.done = True
    atexit.register(_stop_all)
    previous_hook = sys.excepthook

    def hook(*exc):
        global _uncaught
        _uncaught = True
        previous_hook(*exc)

    sys.excepthook = hook
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) == signal.SIG_DFL:
                signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    except ValueError:
        pass  # not the main thread: children still die with us through PDEATHSIG


def _stop_all() -> None:
    for cluster in list(_live):
        cluster.stop(failed=_uncaught)


# --- boto3 clients ----------------------------------------------------------------------------

def client(service: str, url: str, **config):
    """A boto3 client for service at url: fake static credentials, us-east-1, one attempt
    (retries off, so errors surface), short timeouts. config adds botocore Config options."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=FAKE_ACCESS_KEY,
                                    aws_secret_access_key=FAKE_SECRET_KEY, region_name=REGION)
    cfg = {"retries": {"total_max_attempts": 1, "mode": "standard"}, "connect_timeout": 5,
           "read_timeout": 60}
    cfg.update(config)
    return session.client(service, endpoint_url=url, config=Config(**cfg))


def mi(url: str, **config):
    """Managed integrations (OTA tasks, configurations, managed things, destinations)."""
    return client("iot-managed-integrations", url, **config)


def jobs(url: str, **config):
    """IoT Jobs data plane (the device side)."""
    return client("iot-jobs-data", url, **config)


def iot(url: str, **config):
    """AWS IoT (OTA updates)."""
    return client("iot", url, **config)


def wireless(url: str, **config):
    """IoT Wireless (FUOTA)."""
    return client("iotwireless", url, **config)


# --- unittest ---------------------------------------------------------------------------------

class HarnessTestCase(unittest.TestCase):
    """One Cluster and (unless with_otad is False) one otad per test class, as cls.cluster,
    cls.otad and cls.url. Logs are printed at teardown when a test of the class failed or
    the servers had problems (which then fail the class). OTAD_TEST_URL/_PG/_REDIS, when set,
    point the class at running servers instead."""

    with_otad = True
    otad_args: tuple = ()
    otad_env: dict | None = None
    otad_workers: int | None = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._harness_failed = True  # until setUpClass completes
        cls.cluster = Cluster(from_env=True)
        cls.addClassCleanup(cls._harness_teardown)
        cls.cluster.start()
        cls.otad = None
        cls.url = os.environ.get("OTAD_TEST_URL")
        if cls.with_otad and not cls.url:
            cls.otad = cls.cluster.start_otad(cls.otad_args, cls.otad_env, cls.otad_workers)
            cls.url = cls.otad.url
        cls._harness_failed = False

    @classmethod
    def _harness_teardown(cls):
        problems = cls.cluster.stop(failed=cls._harness_failed)
        if problems:
            raise AssertionError("server problems: " + "; ".join(problems))

    def run(self, result=None):
        before = _bad_count(result) if result is not None else 0
        result = super().run(result)
        if result is not None and _bad_count(result) > before:
            type(self)._harness_failed = True
        return result

    def mi(self, **config):
        return mi(self.url, **config)

    def jobs(self, **config):
        return jobs(self.url, **config)

    def iot(self, **config):
        return iot(self.url, **config)

    def wireless(self, **config):
        return wireless(self.url, **config)


def _bad_count(result) -> int:
    return len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)


# --- CLI --------------------------------------------------------------------------------------

def run_with_deadline(argv, env, timeout: float) -> int:
    """Run the test command in its own session; kill its group at the deadline. Returns its
    exit status, 128+N when killed by signal N."""
    try:
        proc = subprocess.Popen(argv, env=env, start_new_session=True,
                                preexec_fn=_die_with_parent)
    except OSError as e:
        raise HarnessError(f"cannot run {argv[0]}: {e.strerror}") from e
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log(f"{argv[0]}: still running after {timeout:g} s, killing it")
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return 124
    finally:
        if proc.poll() is None:  # an exception (Ctrl-C) interrupted the wait
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever the test left behind in its group
    except ProcessLookupError:
        pass
    return 128 - rc if rc < 0 else rc


def cmd_run(args) -> int:
    if not args.cmd:
        log("run: no command given after --")
        return 2
    want_otad = args.otad and not os.environ.get("OTAD_TEST_URL")
    cluster = Cluster(pg=args.pg or args.otad, redis=args.redis or args.otad, from_env=True)
    status = 1
    try:
        cluster.start()
        env = dict(os.environ, **cluster.test_env())
        if want_otad:
            env["OTAD_TEST_URL"] = cluster.start_otad(args.otad_arg, workers=args.workers).url
        status = run_with_deadline(args.cmd, env, args.timeout)
        if status != 0:
            log(f"{args.cmd[0]}: exit status {status}")
    except HarnessError as e:
        log(str(e))
    finally:
        if cluster.stop(failed=status != 0) and status == 0:
            status = 1
    return status


def cmd_selftest(args) -> int:
    sys.modules.setdefault("harness", sys.modules[__name__])
    import harness_selftest  # beside this file

    return harness_selftest.main(args.rest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="harness.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start servers, run a command in them, tear down")
    run.add_argument("--pg", action="store_true", help="start PostgreSQL (OTAD_TEST_PG)")
    run.add_argument("--redis", action="store_true", help="start Redis (OTAD_TEST_REDIS)")
    run.add_argument("--otad", action="store_true",
                     help="start otad too (implies --pg --redis; OTAD_TEST_URL)")
    run.add_argument("--otad-arg", action="append", default=[], metavar="ARG",
                     help="one more argument for otad (repeatable)")
    run.add_argument("--workers", type=int, help="otad --workers N")
    run.add_argument("--timeout", type=float, default=RUN_TIMEOUT,
                     help="seconds before the command is killed (default %(default)g)")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- command and arguments")
    st = sub.add_parser("selftest", help="check the harness itself")
    st.add_argument("rest", nargs=argparse.REMAINDER, help="unittest arguments")
    args = parser.parse_args(argv)
    if args.command == "run":
        if args.cmd and args.cmd[0] == "--":
            args.cmd = args.cmd[1:]
        return cmd_run(args)
    return cmd_selftest(args)


if __name__ == "__main__":
    sys.exit(main())
