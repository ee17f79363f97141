#!/usr/bin/env python3
"""many_tasks: many concurrent OTA tasks on one otad; every task's pacing must hold.

A benchmark, not a test. It starts its own PostgreSQL, Redis and otad (the test harness,
tests/harness/harness.py) with the service clock OTAD_TIME_SCALE times faster from an origin
it chooses, creates THINGS managed things and TASKS ONE_TIME tasks that each target all of them
with MaximumPerMinute RATE (through the API, boto3), all starting at the same service instant
(StartTime), and lets the scheduler roll them out. Devices are simulated cheaply in SQL
(--devices sql, the default): every half second one statement turns every QUEUED execution
SUCCEEDED with the counter deltas a device batch makes (its own task_counters shard), so that
the tasks complete; --devices none leaves them QUEUED and stops when everything is queued.

Then it checks, in SQL over every execution, SPEC.md section 4 for every task: no 60 s window
(service time) holds more than ceil(RATE) + 1 QueuedAt values, and the n-th is no earlier than
start + n * 60000 / RATE - 1 s (one batch interval). It reports the scheduler's throughput
(passes, ticks and queued per real second, from otad's /metrics), the CPU of otad and of
PostgreSQL (from /proc), the wall time, and how far behind the ideal rollout the scheduler ran
(the service time the rollout took against THINGS / RATE minutes).

    OTAD_BIN=build/otad python3 tests/bench/many_tasks.py --tasks 1000 --things 1000
    OTAD_BIN=build/otad python3 tests/bench/many_tasks.py --tasks 50 --things 200 --scale 60

Exit status 0 when every task's pacing held (and, with devices, every task completed), 1
otherwise. --json prints the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import math
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "harness"))

import harness  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
DEVICE_SHARD = 900000  # the simulated devices' task_counters shard

DEVICES_SQL = """
WITH done AS (
    UPDATE executions SET status = 3, started_at = :v1::bigint, updated_at = :v1::bigint,
        version = version + 2
    WHERE status = 1
    RETURNING task_id),
per AS (SELECT task_id, count(*) AS n FROM done GROUP BY task_id),
cnt AS (
    INSERT INTO task_counters (task_id, status, shard, n)
    SELECT per.task_id, s.status, :v2::int, CASE WHEN s.status = 1 THEN -per.n ELSE per.n END
    FROM per CROSS JOIN (VALUES (1::smallint), (3::smallint)) AS s (status)
    ON CONFLICT (task_id, status, shard) DO UPDATE SET n = task_counters.n + EXCLUDED.n)
SELECT count(*) FROM done
"""

# Per task: the largest number of QueuedAt values in any (t - 60 s, t], and the number of
# executions queued earlier than start + n * 60000 / rate - batch.
PACING_SQL = """
WITH q AS (
    SELECT task_id, queued_at,
        count(*) OVER (PARTITION BY task_id ORDER BY queued_at
                       RANGE BETWEEN 59999 PRECEDING AND CURRENT ROW) AS in_window,
        row_number() OVER (PARTITION BY task_id ORDER BY queued_at) - 1 AS n,
        min(queued_at) OVER (PARTITION BY task_id) AS start
    FROM executions WHERE queued_at IS NOT NULL)
SELECT task_id, count(*), max(in_window),
    count(*) FILTER (WHERE queued_at < start + n * 60000.0 / :v1::float8 - 1000),
    min(queued_at), max(queued_at)
FROM q GROUP BY task_id
"""


def log(msg: str) -> None:
    print(f"many_tasks: {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def children(ppid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == ppid:
                        out.append(int(d))
            except OSError:
                pass
    return out


def metrics(url: str) -> dict:
    status, _, body = harness.http_request(url, "GET", "/metrics", timeout=30)
    out = {}
    if status != 200:
        return out
    for line in body.decode().splitlines():
        if line.startswith("otad_scheduler_events_total{kind="):
            kind = line.split('"')[1]
            out[kind] = float(line.split()[-1])
        elif line.startswith("otad_relay_messages_total "):
            out["relayed"] = float(line.split()[-1])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--things", type=int, default=1000, help="things per task (all shared)")
    ap.add_argument("--rate", type=float, default=60, help="MaximumPerMinute of every task")
    ap.add_argument("--scale", type=float, default=60, help="OTAD_TIME_SCALE")
    ap.add_argument("--devices", choices=("sql", "none"), default="sql")
    ap.add_argument("--workers", type=int, default=1, help="otad --workers")
    ap.add_argument("--start-in", type=float, default=None,
                    help="real seconds from now to the tasks' StartTime (default: an estimate "
                         "of the creation time)")
    ap.add_argument("--timeout", type=float, default=3600, help="real seconds to give up")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pg-log-ms", type=float, default=None,
                    help="log PostgreSQL statements slower than this (OTAD_KEEP=1 keeps the log)")
    args = ap.parse_args()

    origin_s = int(time.time())

    def service_now_ms() -> float:
        return origin_s * 1000 + args.scale * (time.time() * 1000 - origin_s * 1000)

    env = {"OTAD_TIME_SCALE": str(args.scale), "OTAD_TIME_ORIGIN": str(origin_s),
           "OTAD_LOG_LEVEL": "warn", "OTAD_STREAM_MAXLEN": "10000",
           "OTAD_MAX_TARGETS": str(max(args.things, 100000))}
    figures = {"tasks": args.tasks, "things": args.things, "rate": args.rate,
               "scale": args.scale, "devices": args.devices, "workers": args.workers}
    with harness.Cluster() as cluster:
        if args.pg_log_ms is not None:
            cluster.psql(f"ALTER SYSTEM SET log_min_duration_statement = {int(args.pg_log_ms)}")
            cluster.psql("SELECT pg_reload_conf()")
        otad = cluster.start_otad(env=env, workers=args.workers)
        mi = harness.mi(otad.url, max_pool_connections=16, read_timeout=300)
        t0 = time.monotonic()
        things = _make_things(mi, args.things)
        figures["things_s"] = round(time.monotonic() - t0, 1)
        log(f"{args.things} things in {figures['things_s']} s")
        cfg = mi.create_ota_task_configuration(
            Name="bench", PushConfig={"RolloutConfig": {"MaximumPerMinute": args.rate}}
        )["TaskConfigurationId"]

        # the StartTime: when creation is expected to be over, measured on a few throw-away
        # tasks (created with a StartTime a day ahead, then deleted)
        start_in = args.start_in
        if start_in is None:
            probe = min(8, args.tasks)
            t0 = time.monotonic()
            gone = _create_tasks(mi, things, cfg, _start_ms(service_now_ms() + 86400e3), probe)
            per_task = (time.monotonic() - t0) / probe
            for tid in gone:
                mi.delete_ota_task(Identifier=tid)
            start_in = per_task * args.tasks * 1.3 + 10
            log(f"a task takes {per_task * 1000:.0f} ms to create; StartTime in {start_in:.0f} s")
        start_ms = _start_ms(service_now_ms() + start_in * 1000 * args.scale)
        t0 = time.monotonic()
        tids = _create_tasks(mi, things, cfg, start_ms, args.tasks)
        figures["create_s"] = round(time.monotonic() - t0, 1)
        log(f"{args.tasks} tasks of {args.things} things created in {figures['create_s']} s")
        late = service_now_ms() > start_ms
        if late:
            log("creation ended after StartTime: the first tasks started early")
        while service_now_ms() < start_ms:
            time.sleep(min(0.2, (start_ms - service_now_ms()) / 1000 / args.scale))

        pids = [otad.pid] + children(otad.pid)
        pg_pids = [cluster.pg.proc.pid] + children(cluster.pg.proc.pid)
        m0, cpu0, pg0, w0 = metrics(otad.url), cpu_seconds(pids), cpu_seconds(pg_pids), \
            time.monotonic()
        total = args.tasks * args.things
        queued_all_at = None
        devices_s = 0.0
        last_log = 0.0
        while True:
            now = time.monotonic()
            if now - w0 > args.timeout:
                log("timeout")
                break
            if args.devices == "sql":
                d0 = time.monotonic()
                cluster.psql(DEVICES_SQL, str(int(service_now_ms())), str(DEVICE_SHARD))
                devices_s += time.monotonic() - d0
            m = metrics(otad.url) if args.workers == 1 else {}
            queued = m.get("queued", 0) - m0.get("queued", 0)
            if args.workers != 1 or queued >= total:
                if queued_all_at is None:
                    left = int(cluster.psql("SELECT count(*) FROM executions"
                                            " WHERE status = 0")[0][0])
                    if left == 0:
                        queued_all_at = time.monotonic()
                        m_q, cpu_q, pg_q = m, cpu_seconds(pids), cpu_seconds(pg_pids)
                        log(f"everything queued after {queued_all_at - w0:.1f} s")
            if queued_all_at is not None:
                if args.devices == "none":
                    break
                open_ = int(cluster.psql("SELECT count(*) FROM tasks"
                                         " WHERE status <> 'COMPLETED'")[0][0])
                if open_ == 0:
                    break
            if now - last_log > 10:
                log(f"{now - w0:.0f} s: queued {queued:.0f} of {total}, ticks "
                    f"{m.get('tick', 0) - m0.get('tick', 0):.0f}")
                last_log = now
            time.sleep(0.5)
        w1 = time.monotonic()
        m1, cpu1, pg1 = metrics(otad.url), cpu_seconds(pids), cpu_seconds(pg_pids)
        if queued_all_at is None:
            queued_all_at, m_q, cpu_q, pg_q = w1, m1, cpu1, pg1
        qwall = queued_all_at - w0
        if args.workers == 1:  # /metrics is per worker: with several, any one of them answers
            figures.update({
                "passes_per_s": round((m_q.get("pass", 0) - m0.get("pass", 0)) / qwall, 1),
                "ticks_per_s": round((m_q.get("tick", 0) - m0.get("tick", 0)) / qwall, 1),
                "ticks": m_q.get("tick", 0) - m0.get("tick", 0),
                "queued_per_tick": round((m_q.get("queued", 0) - m0.get("queued", 0))
                                         / max(m_q.get("tick", 0) - m0.get("tick", 0), 1), 1),
                "failed_ticks": m1.get("failed_tick", 0) - m0.get("failed_tick", 0),
            })
        figures.update({
            "late_start": late,
            "queue_wall_s": round(qwall, 1),
            "total_wall_s": round(w1 - w0, 1),
            "queued_per_s": round(total / qwall, 1),
            "otad_cpu_s": round(cpu_q - cpu0, 1),
            "otad_cpu_pct": round(100 * (cpu_q - cpu0) / qwall, 1),
            "pg_cpu_s": round(pg_q - pg0, 1),
            "pg_cpu_pct": round(100 * (pg_q - pg0) / qwall, 1),
            "devices_sql_s": round(devices_s, 1),
            "ideal_service_min": round(args.things / args.rate, 1),
            "ideal_real_s": round(args.things / args.rate * 60 / args.scale, 1),
        })

        rows = cluster.psql(PACING_SQL, str(args.rate))
        cap = math.ceil(args.rate) + 1
        worst = max((int(r[2]) for r in rows), default=0)
        early = sum(int(r[3]) for r in rows)
        spans = [(int(r[5]) - int(r[4])) / 60000 for r in rows]
        incomplete = args.tasks - sum(1 for r in rows if int(r[1]) == args.things)
        figures.update({
            "tasks_checked": len(rows),
            "tasks_not_fully_queued": incomplete,
            "max_in_60s_window": worst,
            "window_cap": cap,
            "early_notifications": early,
            "rollout_service_min": {"min": round(min(spans, default=0), 1),
                                    "max": round(max(spans, default=0), 1)},
        })
        if args.devices == "sql":
            figures["tasks_not_completed"] = int(cluster.psql(
                "SELECT count(*) FROM tasks WHERE status <> 'COMPLETED'")[0][0])
        ok = (worst <= cap and early == 0 and incomplete == 0
              and figures.get("tasks_not_completed", 0) == 0)
        figures["pacing_holds"] = worst <= cap and early == 0
        figures["ok"] = ok
        otad.stop()

    for k, v in figures.items():
        print(f"{k:24} {v}")
    if args.json:
        print(json.dumps(figures))
    return 0 if ok else 1


def _start_ms(ms_: float) -> int:
    return int(math.ceil(ms_ / 1000) * 1000)


def _rfc3339(ms_: int) -> str:
    return datetime.datetime.fromtimestamp(ms_ / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def _make_things(mi, n: int) -> list[str]:
    def one(i):
        return mi.create_managed_thing(Role="DEVICE", AuthenticationMaterial=f"b{i}",
                                       AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE")["Id"]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        return list(ex.map(one, range(n)))


def _create_tasks(mi, things, cfg, start_ms: int, n: int) -> list[str]:
    def one(_):
        return mi.create_ota_task(
            S3Url="https://bkt.s3.amazonaws.com/fw.bin", OtaType="ONE_TIME", Target=things,
            TaskConfigurationId=cfg,
            OtaSchedulingConfig={"StartTime": _rfc3339(start_ms)})["TaskId"]
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        return list(ex.map(one, range(n)))


if __name__ == "__main__":
    sys.exit(main())
