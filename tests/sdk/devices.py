"""devices: a fleet of simulated devices for otad's end-to-end tests, and the checks they share.

A Fleet plays many managed things against otad's IoT Jobs data plane with boto3 `iot-jobs-data`,
the way a real device does. It learns that a thing's pending list changed from the Redis
notify streams (XREAD over every `<prefix>notify:<shard>` stream: the payload names the next
pending execution, README "Redis contract") and/or by polling GetPendingJobExecutions, then
starts the execution (StartNextPendingJobExecution) and reports per the thing's behaviour
(UpdateJobExecution with expectedVersion). A thread pool runs many devices at once; one device
is never handled by two threads at once (a poke that arrives while the device is busy is
remembered and handled right after).

Behaviours, Behaviour(kind, hold=False, late=False, step_timeout=None):

  succeed     start, then SUCCEEDED
  fail        start, then FAILED
  fail_once   start; FAILED on execution number 1, SUCCEEDED on later ones (retries)
  silent      start, never report (the execution times out)
  reject      REJECTED without starting
  idle        never act (the execution stays QUEUED)

hold=True: after the start the device waits for Fleet.release() before its final report, so it
stays IN_PROGRESS as long as the test wants. late=True: the device does not even start before
Fleet.release() (its execution stays QUEUED). step_timeout (minutes) is sent with the start.

Transient failures (otad down or restarting, 503) are retried with a short backoff after asking
the service what is pending again, so a device survives otad crashes and URL changes
(Fleet.set_urls). A conflict (409: the execution was canceled, timed out or changed meanwhile)
ends the device's interest in that execution; it is recorded in Fleet.conflicts.

The rest of the module: wait_until, bulk creation of managed things, listings, the pacing
check of SPEC.md section 4, database counts, Redis stream reading, the notify shard.
"""

from __future__ import annotations

import collections
import concurrent.futures
import heapq
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass

import botocore.exceptions

import harness

STATUS_NAMES = ("PLANNED", "QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT",
                "REJECTED", "REMOVED", "CANCELED")  # executions.status smallint -> name
TERMINAL = frozenset(STATUS_NAMES[3:])
DETAIL_KEYS = {  # TaskProcessingDetails member of each status (the model's casing)
    "QUEUED": "numberOfQueuedThings", "IN_PROGRESS": "NumberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings", "FAILED": "NumberOfFailedThings",
    "TIMED_OUT": "numberOfTimedOutThings", "REJECTED": "numberOfRejectedThings",
    "REMOVED": "numberOfRemovedThings", "CANCELED": "NumberOfCanceledThings",
}
TRANSIENT_CODES = {"ServiceUnavailableException", "InternalServerException",
                   "InternalFailureException", "ThrottlingException"}
STALE_CODES = {"InvalidStateTransitionException", "VersionConflictException",
               "ConflictException"}
KINDS = ("succeed", "fail", "fail_once", "silent", "reject", "idle")
POLL = object()  # a poke without a notify payload: ask GetPendingJobExecutions
RELEASE = object()  # Fleet.release(): report held executions as the device knows them


@dataclass(frozen=True)
class Behaviour:
    kind: str = "succeed"
    hold: bool = False
    late: bool = False
    step_timeout: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown device behaviour {self.kind!r}")

    def final(self, execution_number: int) -> str | None:
        """The status reported after the start, or None (silent)."""
        if self.kind == "succeed":
            return "SUCCEEDED"
        if self.kind == "fail":
            return "FAILED"
        if self.kind == "fail_once":
            return "FAILED" if execution_number == 1 else "SUCCEEDED"
        return None


def behaviour(b) -> Behaviour:
    return b if isinstance(b, Behaviour) else Behaviour(b)


class Device:
    """One simulated thing: its behaviour and what it did, per (jobId, executionNumber)."""

    def __init__(self, thing: str, b: Behaviour, index: int):
        self.thing, self.behaviour, self.index = thing, b, index
        self.lock = threading.Lock()
        self.busy = False
        self.again = None  # the hint of a poke that arrived while busy
        self.state: dict[tuple[str, int], str] = {}  # started, held, silent, idle, done, stale
        self.versions: dict[tuple[str, int], int] = {}
        self.released = False
        self.reports: list[tuple[str, int, str]] = []  # (jobId, executionNumber, status) sent
        self.notifies: list[dict] = []  # every notify payload seen for this thing
        self.history: list[str] = []  # what the device saw and did (for failure messages)

    def note(self, what: str) -> None:
        self.history.append(f"{time.monotonic():.3f} {what}")


class Fleet:
    """Simulated devices for things (a dict thing id -> Behaviour or kind name).

    urls: otad base URLs; device i talks to urls[i % len(urls)]. redis_socket: listen to the
    notify streams (None: poll only). poll_interval: seconds between polls of every device that
    is not finished (None: never; devices then rely on the notify streams)."""

    def __init__(self, urls, things: dict, redis_socket: str | None = None, shards: int = 16,
                 prefix: str = "otad:", poll_interval: float | None = None, threads: int = 16):
        self.urls = list(urls)
        self.devices = {t: Device(t, behaviour(b), i) for i, (t, b) in enumerate(things.items())}
        self.redis_socket, self.shards, self.prefix = redis_socket, shards, prefix
        self.poll_interval = poll_interval
        self.pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="device")
        self.nthreads = threads
        self.clients: dict = {}  # url -> boto3 iot-jobs-data client
        self.stopping = threading.Event()
        self.timer_cv = threading.Condition()
        self.timers: list = []
        self.seq = itertools.count()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.errors: list[str] = []  # unexpected errors (the tests assert this stays empty)
        self.conflicts: list[tuple[str, str, int, str]] = []  # (thing, job, n, error code)
        self.transient = 0  # retried failures (otad down, 503)
        self.transient_codes: collections.Counter = collections.Counter()
        self.calls = 0
        self.notify_count = 0

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> "Fleet":
        for i in range(min(len(self.urls), len(self.devices))):
            self._client(Device("", Behaviour(), i))  # build the clients before the rush
        self._spawn(self._timer_loop, "fleet-timer")
        if self.redis_socket:
            self._spawn(self._listen, "fleet-notify")
        if self.poll_interval:
            self._spawn(self._poll_loop, "fleet-poll")
        return self

    def stop(self) -> None:
        self.stopping.set()
        with self.timer_cv:
            self.timer_cv.notify_all()
        for t in self.threads:
            t.join(10)
        self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "Fleet":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, fn, name) -> None:
        t = threading.Thread(target=fn, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def add(self, thing: str, b="succeed") -> None:
        """One more device (a thing created during the test)."""
        with self.lock:
            self.devices[thing] = Device(thing, behaviour(b), len(self.devices))
        self.poke(thing)

    def set_urls(self, urls) -> None:
        """Talk to other otad URLs from now on (after a restart: a new port)."""
        with self.lock:
            self.urls = list(urls)

    # --- driving -------------------------------------------------------------------------------

    def poke(self, thing: str, hint=POLL, delay: float = 0.0) -> None:
        """Have the device look at its pending list (hint: a notify payload, or POLL)."""
        dev = self.devices.get(thing)
        if dev is None or self.stopping.is_set():
            return
        if delay > 0:
            with self.timer_cv:
                heapq.heappush(self.timers, (time.monotonic() + delay, next(self.seq), thing, hint))
                self.timer_cv.notify()
            return
        with dev.lock:
            if dev.busy:
                # a poll sees the current state, so it covers any notify; else the latest wins
                if hint is RELEASE or dev.again is RELEASE:
                    dev.again = RELEASE
                elif hint is POLL or dev.again is POLL:
                    dev.again = POLL
                else:
                    dev.again = hint
                return
            dev.busy = True
        try:
            self.pool.submit(self._run, dev, hint)
        except RuntimeError:  # shut down meanwhile
            pass

    def poke_all(self) -> None:
        for thing in list(self.devices):
            self.poke(thing)

    def release(self, things=None) -> None:
        """Let held devices (hold=True) make their final report."""
        for thing in (list(self.devices) if things is None else things):
            dev = self.devices[thing]
            with dev.lock:
                dev.released = True
            self.poke(thing, RELEASE)

    def _run(self, dev: Device, hint) -> None:
        while True:
            try:
                self._handle(dev, hint)
            except Exception as e:  # noqa: BLE001 - a device must never die silently
                self._error(f"{dev.thing}: {type(e).__name__}: {e}")
            with dev.lock:
                if dev.again is None or self.stopping.is_set():
                    dev.busy = False
                    return
                hint, dev.again = dev.again, None

    def _client(self, dev: Device):
        """The shared client of the device's URL (botocore clients are thread-safe; building
        one per thread would cost the fleet seconds of CPU at its start)."""
        with self.lock:
            url = self.urls[dev.index % len(self.urls)]
            client = self.clients.get(url)
            if client is None:
                client = self.clients[url] = harness.jobs(
                    url, read_timeout=15, connect_timeout=2,
                    max_pool_connections=self.nthreads + 4)
            return client

    def _call(self, dev: Device, fn, **kw):
        """One data-plane call; returns the response, or raises _Transient / _Stale."""
        with self.lock:
            self.calls += 1
        try:
            return fn(**kw)
        except botocore.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in TRANSIENT_CODES or status >= 500:
                raise _Transient(code) from e
            if code in STALE_CODES or code == "ResourceNotFoundException":
                raise _Stale(code) from e
            raise
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectTimeoutError) as e:
            raise _Transient(type(e).__name__) from e

    def _handle(self, dev: Device, hint) -> None:
        try:
            self._act(dev, hint)
        except _Transient as e:
            with self.lock:
                self.transient += 1
                self.transient_codes[str(e)] += 1
            self.poke(dev.thing, POLL, delay=0.2)

    def _pending(self, dev: Device, hint) -> list[tuple[str, int, str, int]]:
        """(jobId, executionNumber, status, versionNumber) of what the device should look at."""
        if hint is RELEASE:
            held = [(job, n, "IN_PROGRESS", dev.versions[(job, n)])
                    for (job, n), st in list(dev.state.items()) if st == "held"]
            # a device reports what it holds, whatever happened meanwhile; then looks for more
            return held + self._pending(dev, POLL)
        if hint is not POLL:
            ex = hint.get("execution")
            if not ex:
                return []
            return [(ex["jobId"], int(ex["executionNumber"]), ex["status"],
                     int(ex["versionNumber"]))]
        client = self._client(dev)
        try:
            got = self._call(dev, client.get_pending_job_executions, thingName=dev.thing)
        except _Stale:
            return []
        out = [(e["jobId"], int(e["executionNumber"]), "IN_PROGRESS", int(e["versionNumber"]))
               for e in got.get("inProgressJobs", [])]
        out += [(e["jobId"], int(e["executionNumber"]), "QUEUED", int(e["versionNumber"]))
                for e in got.get("queuedJobs", [])]
        return out

    def _act(self, dev: Device, hint) -> None:
        b = dev.behaviour
        client = self._client(dev)
        pending = self._pending(dev, hint)
        dev.note(f"{'poll' if hint is POLL else 'release' if hint is RELEASE else 'notify'}"
                 f" -> {pending}")
        for job, n, status, version in pending:
            key = (job, n)
            state = dev.state.get(key)
            if state in ("done", "stale", "silent", "idle"):
                continue
            if state == "held" and not dev.released:
                continue
            if b.kind == "idle":
                dev.state[key] = "idle"
                continue
            if b.late and not dev.released:
                continue  # looked at it, will act once released
            if b.kind == "reject":
                self._report(dev, client, job, n, "REJECTED", version if status == "QUEUED"
                             else None)
                continue
            if state is None and status == "QUEUED":
                kw = {"thingName": dev.thing, "statusDetails": {"step": "start"}}
                if b.step_timeout is not None:
                    kw["stepTimeoutInMinutes"] = b.step_timeout
                try:
                    got = self._call(dev, client.start_next_pending_job_execution, **kw)
                except _Stale:
                    continue
                ex = got.get("execution")
                dev.note(f"start-next -> {ex and (ex['jobId'], ex['executionNumber'])}")
                if not ex:
                    continue  # nothing pending any more (canceled, hidden)
                job, n = ex["jobId"], int(ex["executionNumber"])
                key, version = (job, n), int(ex["versionNumber"])
                if dev.state.get(key) in ("done", "stale", "silent", "held", "idle"):
                    continue  # start-next handed back one this device already dealt with
                dev.state[key] = "started"
            dev.versions[key] = version
            if b.kind == "silent":
                dev.state[key] = "silent"
                continue
            if b.hold and not dev.released:
                dev.state[key] = "held"
                continue
            self._report(dev, client, job, n, b.final(n), version)

    def _report(self, dev: Device, client, job: str, n: int, status: str, version) -> None:
        kw = {"thingName": dev.thing, "jobId": job, "status": status, "executionNumber": n,
              "statusDetails": {"step": "end"}}
        if version is not None:
            kw["expectedVersion"] = version
        try:
            self._call(dev, client.update_job_execution, **kw)
            dev.note(f"update {job} {n} {status} ok")
        except _Stale as e:
            dev.note(f"update {job} {n} {status} refused: {e}")
            dev.state[(job, n)] = "stale"
            with self.lock:
                self.conflicts.append((dev.thing, job, n, str(e)))
            return
        with dev.lock:
            dev.state[(job, n)] = "done"
            dev.reports.append((job, n, status))

    def _error(self, msg: str) -> None:
        with self.lock:
            self.errors.append(msg)

    # --- learning about jobs -------------------------------------------------------------------

    def _listen(self) -> None:
        streams = [f"{self.prefix}notify:{i}" for i in range(self.shards)]
        ids = {s: "0-0" for s in streams}
        conn = None
        while not self.stopping.is_set():
            try:
                if conn is None:
                    conn = harness.RespConnection(self.redis_socket, timeout=5)
                reply = conn.call("XREAD", "COUNT", 2000, "BLOCK", 300, "STREAMS", *streams,
                                  *(ids[s] for s in streams))
            except (harness.HarnessError, harness.RedisError, OSError):
                if conn is not None:
                    try:
                        conn.close()
                    except OSError:
                        pass
                conn = None
                self.stopping.wait(0.1)  # Redis is down: try again shortly
                continue
            for stream, entries in reply or []:
                for entry_id, fields in entries:
                    ids[stream] = entry_id
                    f = dict(zip(fields[::2], fields[1::2]))
                    dev = self.devices.get(f.get("thing"))
                    if dev is None:
                        continue
                    payload = json.loads(f["payload"])
                    with dev.lock:
                        dev.notifies.append(payload)
                    with self.lock:
                        self.notify_count += 1
                    self.poke(dev.thing, payload)
        if conn is not None:
            conn.close()

    def _poll_loop(self) -> None:
        while not self.stopping.wait(self.poll_interval):
            self.poke_all()

    def _timer_loop(self) -> None:
        while True:
            with self.timer_cv:
                while not self.stopping.is_set() and (
                        not self.timers or self.timers[0][0] > time.monotonic()):
                    wait = self.timers[0][0] - time.monotonic() if self.timers else None
                    self.timer_cv.wait(wait)
                if self.stopping.is_set():
                    return
                _, _, thing, hint = heapq.heappop(self.timers)
            self.poke(thing, hint)

    # --- what happened -------------------------------------------------------------------------

    def reports(self, thing: str) -> list[tuple[str, int, str]]:
        dev = self.devices[thing]
        with dev.lock:
            return list(dev.reports)

    def states(self, thing: str) -> dict:
        dev = self.devices[thing]
        with dev.lock:
            return dict(dev.state)

    def history(self, thing: str) -> list[str]:
        dev = self.devices[thing]
        with dev.lock:
            return list(dev.history)

    def notifies(self, thing: str) -> list[dict]:
        dev = self.devices[thing]
        with dev.lock:
            return list(dev.notifies)


class _Transient(Exception):
    """otad could not answer (down, restarting, 5xx): try again."""


class _Stale(Exception):
    """The execution changed under the device (409) or is gone (404)."""


# --- helpers shared by the end-to-end tests --------------------------------------------------

def wait_until(what: str, probe, timeout: float, interval: float = 0.05):
    """Poll probe() until it returns a true value, which is returned; AssertionError naming
    what at the deadline."""
    end = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def make_things(url: str, n: int, meta: dict | None = None, threads: int = 8) -> list[str]:
    """Create n managed things through the API (in parallel); their ids in creation order of
    the requests (index i is the i-th request)."""
    c = harness.mi(url, max_pool_connections=threads + 2)  # thread-safe, shared

    def one(i):
        args = {"Role": "DEVICE", "AuthenticationMaterial": f"m{i}",
                "AuthenticationMaterialType": "ZIGBEE_QR_BAR_CODE"}
        if meta:
            args["MetaData"] = dict(meta)
        return c.create_managed_thing(**args)["Id"]

    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, range(n)))


def executions(mi, task_id: str) -> list[dict]:
    """ListOtaTaskExecutions, every page: [{ManagedThingId, TaskExecutionSummary}]."""
    pages = mi.get_paginator("list_ota_task_executions").paginate(
        Identifier=task_id, PaginationConfig={"PageSize": 1000})
    return [e for page in pages for e in page["ExecutionSummaries"]]


def ms(dt) -> int:
    """A boto3 datetime (epoch seconds with milliseconds on the wire) as epoch ms."""
    return round(dt.timestamp() * 1000)


def pacing_problems(times_ms, rate: float, batch_ms: int = 1000, start_ms: int | None = None):
    """SPEC.md section 4 over QueuedAt values: no 60 s window holds more than ceil(rate) + 1,
    and the n-th (0-based, sorted) is no earlier than start + n * 60000 / rate - batch_ms
    (start: the first). Returns a list of problems (empty: the pacing holds)."""
    q = sorted(times_ms)
    problems = []
    if not q:
        return problems
    cap = math.ceil(rate) + 1
    lo = 0
    worst = (0, 0)
    for hi, t in enumerate(q):
        while q[lo] <= t - 60000:
            lo += 1
        if hi - lo + 1 > worst[0]:
            worst = (hi - lo + 1, t)
    if worst[0] > cap:
        problems.append(f"{worst[0]} notifications in the 60 s window ending at {worst[1]} "
                        f"(at most {cap} at {rate:g}/min)")
    start = q[0] if start_ms is None else start_ms
    for n, t in enumerate(q):
        earliest = start + n * 60000.0 / rate - batch_ms
        if t < earliest:
            problems.append(f"notification {n} at {t} is {earliest - t:.0f} ms before "
                            f"start + n * 60000 / r - batch ({earliest:.0f})")
            break
    return problems


def db_statuses(cluster, task_id: str, latest_only: bool = False) -> dict[str, int]:
    """Executions of the task by status name, counted in the database (PLANNED included)."""
    rows = cluster.psql("SELECT status, count(*) FROM executions WHERE task_id = :'v1'"
                        + (" AND latest" if latest_only else "") + " GROUP BY status", task_id)
    return {STATUS_NAMES[int(s)]: int(n) for s, n in rows}


def db_counters(cluster, task_id: str) -> dict[str, int]:
    """The maintained counters (sum of the shards) by status name, zeros left out."""
    rows = cluster.psql("SELECT status, sum(n) FROM task_counters WHERE task_id = :'v1'"
                        " GROUP BY status", task_id)
    return {STATUS_NAMES[int(s)]: int(n) for s, n in rows if int(n) != 0}


def details_by_status(details: dict) -> dict[str, int]:
    """TaskProcessingDetails as {status name: count}, zeros left out."""
    return {s: int(details[k]) for s, k in DETAIL_KEYS.items() if details.get(k)}


def stream(cluster, name: str) -> list[tuple[str, dict]]:
    """Every entry of a Redis stream: [(id, {field: value})]."""
    out = []
    start = "-"
    while True:
        got = cluster.redis("XRANGE", name, start, "+", "COUNT", 5000)
        for entry_id, fields in got:
            out.append((entry_id, dict(zip(fields[::2], fields[1::2]))))
        if len(got) < 5000:
            return out
        start = "(" + got[-1][0]


def events(cluster, destination: str, prefix: str = "otad:") -> list[dict]:
    """The DEVICE_OTA envelopes on a destination's stream, oldest first."""
    return [json.loads(f["payload"]) for _, f in stream(cluster, f"{prefix}events:{destination}")]


def notify_shard(thing: str, shards: int = 16) -> int:
    """FNV-1a 32-bit of the thing id's bytes mod shards (README "Redis contract")."""
    h = 2166136261
    for b in thing.encode():
        h ^= b
        h = (h * 16777619) & 0xFFFFFFFF
    return h % shards


def metric(url: str, name: str, labels: str = "") -> float:
    """One sample of otad's /metrics (0 when absent), e.g. metric(url, "x_total", 'kind="tick"')."""
    status, _, body = harness.http_request(url, "GET", "/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    want = f"{name}{{{labels}}}" if labels else name
    for line in body.decode().splitlines():
        if line.startswith(want + " "):
            return float(line.split()[-1])
    return 0.0


def task_raw(url: str, task_id: str) -> dict:
    """GetOtaTask as otad sends it (boto3 drops members outside the model, like AbortDetails)."""
    status, _, body = harness.http_request(url, "GET", f"/ota-tasks/{task_id}")
    if status != 200:
        raise AssertionError(f"GetOtaTask {task_id} answered {status}: {body[:200]!r}")
    return json.loads(body)
