#!/usr/bin/env python3
"""End-to-end with several otad processes on one database (issue 4), boto3 clients and a Fleet
of simulated devices (tests/sdk/devices.py):

  TwoProcesses.test_shared_rollout   two otads run one rollout (two tasks) without queueing any
                                     thing twice; devices are split between their URLs; both
                                     schedulers took leases (their /metrics tick counters moved)
  Workers.test_prefork               `otad --workers 3` serves one port from several worker
                                     processes (the accepted sockets' owners, from /proc) and a
                                     rollout through that port completes
  ClockOrigin.test_agree             two processes started at different real times with the same
                                     OTAD_TIME_SCALE and no OTAD_TIME_ORIGIN agree on the time
                                     (the origin is recorded in the database)
"""

import http.client
import os
import re
import sys
import time
import unittest

import harness
from devices import (Fleet, db_statuses, events, executions, make_things, metric, ms,
                     pacing_problems, wait_until)

SCALE = 30


def task(client, things, rate) -> str:
    cfg = client.create_ota_task_configuration(
        Name="e2e", PushConfig={"RolloutConfig": {"MaximumPerMinute": rate}}
    )["TaskConfigurationId"]
    return client.create_ota_task(S3Url="https://bkt.s3.amazonaws.com/fw.bin",
                                  OtaType="ONE_TIME", Target=list(things),
                                  TaskConfigurationId=cfg)["TaskId"]


def completed(client, tid) -> bool:
    return client.get_ota_task(Identifier=tid)["Status"] == "COMPLETED"


class TwoProcesses(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.cluster.start_otad(env=cls.otad_env)
        cls.client = harness.mi(cls.url)
        cls.client.create_destination(
            Name="two", DeliveryDestinationType="KINESIS",
            DeliveryDestinationArn="arn:aws:kinesis:us-east-1:123456789012:stream/two",
            RoleArn="arn:aws:iam::123456789012:role/r")
        cls.client.create_notification_configuration(EventType="DEVICE_OTA",
                                                     DestinationName="two")

    def test_shared_rollout(self):
        urls = [self.url, self.other.url]

        def sched(kind):
            return [metric(u, "otad_scheduler_events_total", f'kind="{kind}"') for u in urls]
        ticks0, queued0 = sched("tick"), sched("queued")
        things = [make_things(self.url, 150), make_things(self.other.url, 150)]
        with Fleet(urls, {t: "succeed" for ts in things for t in ts},
                   redis_socket=self.cluster.redis_socket) as fleet:
            # one task created through each process
            tids = [task(harness.mi(u), ts, 600) for u, ts in zip(urls, things)]
            wait_until("both tasks to complete",
                       lambda: all(completed(self.client, t) for t in tids), 60)
        self.assertEqual(fleet.errors, [])
        ticks = [a - b for a, b in zip(sched("tick"), ticks0)]
        queued = [a - b for a, b in zip(sched("queued"), queued0)]
        print(f"two processes: ticks {ticks}, queued {queued}", file=sys.stderr)
        self.assertTrue(all(t > 0 for t in ticks), f"a scheduler took no lease: ticks {ticks}")
        # every execution was queued once, by one of the two
        self.assertEqual(sum(queued), 300)
        for tid, ts in zip(tids, things):
            self.assertEqual(db_statuses(self.cluster, tid), {"SUCCEEDED": 150})
            listed = executions(self.client, tid)
            self.assertEqual(sorted(e["ManagedThingId"] for e in listed), sorted(ts))
            self.assertEqual({e["TaskExecutionSummary"]["ExecutionNumber"] for e in listed}, {1})
            self.assertEqual(pacing_problems(
                [ms(e["TaskExecutionSummary"]["QueuedAt"]) for e in listed], 600), [])
            instants = {}
            for e in events(self.cluster, "two"):
                p = e["payload"]
                if p.get("otaTaskId") == tid and p.get("status") == "QUEUED" \
                        and p["operation"] == "OTA_EXECUTION_STATUS":
                    instants.setdefault(p["managedThingId"], set()).add(e["timestamp"])
            self.assertEqual(set(instants), set(ts))
            twice = {t: v for t, v in instants.items() if len(v) != 1}
            self.assertEqual(twice, {}, "things queued more than once")
        # the devices talked to both processes
        for u in urls:
            self.assertGreater(metric(u, "otad_http_requests_total",
                                      'op="UpdateJobExecution",status="200"'), 0, u)


class Workers(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE)}
    otad_workers = 3

    def worker_pids(self) -> set:
        master = self.otad.pid
        out = set()
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                out.add(int(d))
        return out

    def owner_of(self, client_port: int, pids) -> int | None:
        """The pid holding the server side of the connection from client_port."""
        want_local = f"0100007F:{self.otad.port:04X}"
        want_remote = f"0100007F:{client_port:04X}"
        inode = None
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want_local and cols[2] == want_remote:
                    inode = cols[9]
        if inode is None:
            return None
        for pid in pids:
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        return pid
            except OSError:
                continue
        return None

    def test_prefork(self):
        pids = wait_until("three workers", lambda: (lambda p: p if len(p) == 3 else None)(
            self.worker_pids()), 30)
        # every worker logs that it serves
        log = self.otad.log.read_text(errors="replace")
        self.assertEqual(len(set(re.findall(r"worker (\d+) serving", log))), 3)
        served = set()
        conns = []
        try:
            for _ in range(10):  # bursts of connections held open; each accepted by a worker
                burst = [http.client.HTTPConnection("127.0.0.1", self.otad.port, timeout=5)
                         for _ in range(8)]
                for c in burst:
                    c.request("GET", "/healthz")
                for c in burst:
                    r = c.getresponse()
                    r.read()
                    self.assertEqual(r.status, 200)
                    served.add(self.owner_of(c.sock.getsockname()[1], pids))
                conns += burst
                if len(served - {None}) == 3:
                    break
        finally:
            for c in conns:
                c.close()
        served.discard(None)
        print(f"workers: {sorted(pids)}; connections served by {sorted(served)}",
              file=sys.stderr)
        self.assertTrue(served <= pids)
        self.assertGreaterEqual(len(served), 2, "one worker answered every connection")

        client = harness.mi(self.url)
        things = make_things(self.url, 100)
        with Fleet([self.url], {t: "succeed" for t in things},
                   redis_socket=self.cluster.redis_socket) as fleet:
            tid = task(client, things, 600)
            wait_until("the rollout through the pre-forked port", lambda: completed(client, tid),
                       60)
        self.assertEqual(fleet.errors, [])
        self.assertEqual(db_statuses(self.cluster, tid), {"SUCCEEDED": 100})
        listed = executions(client, tid)
        self.assertEqual(pacing_problems(
            [ms(e["TaskExecutionSummary"]["QueuedAt"]) for e in listed], 600), [])
        shards = self.cluster.psql("SELECT DISTINCT shard FROM task_counters WHERE task_id ="
                                   " :'v1' AND shard >= 100000 ORDER BY shard", tid)
        print(f"workers: scheduler shards that queued {[int(s) for s, in shards]}",
              file=sys.stderr)
        self.assertTrue(shards)


class ClockOrigin(harness.HarnessTestCase):
    with_otad = False

    def test_agree(self):
        env = {"OTAD_TIME_SCALE": "60", "OTAD_TIME_ORIGIN": None}
        first = self.cluster.start_otad(env=env)
        started = time.time()
        wait_until("a real second and a half", lambda: time.time() - started > 1.5, 5)
        second = self.cluster.start_otad(env=env)
        a, b = harness.mi(first.url), harness.mi(second.url)

        def created(client) -> int:
            cid = client.create_ota_task_configuration(Name="clock")["TaskConfigurationId"]
            return ms(client.get_ota_task_configuration(Identifier=cid)["CreatedAt"])
        t0 = time.time()
        c1, c2, c3 = created(a), created(b), created(a)
        elapsed_ms = (time.time() - t0) * 1000
        # had the second process taken its own start as origin, its clock would be
        # 1.5 s * (60 - 1) = 88 s ahead
        self.assertLessEqual(c1, c2)
        self.assertLessEqual(c2, c3)
        self.assertLessEqual(c3 - c1, elapsed_ms * 60 + 100)
        origins = [re.findall(r"clock runs 60x from origin (\d+)", o.log.read_text())
                   for o in (first, second)]
        recorded = int(self.cluster.psql(
            "SELECT value FROM service_settings WHERE key = 'clock_origin_ms'")[0][0])
        self.assertEqual(origins, [[str(recorded // 1000)]] * 2)
        self.assertLess(abs(recorded / 1000 - started), 5)  # the first process recorded it
        # the service clock runs 60 times faster than the real one from that origin
        now = recorded + 60 * (time.time() * 1000 - recorded)
        self.assertLess(abs(created(b) - now), 60 * 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
