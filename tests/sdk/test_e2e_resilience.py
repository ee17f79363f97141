#!/usr/bin/env python3
"""End-to-end resilience (issue 4): the Redis contract and delivery through a Redis outage, and
an otad crash mid-rollout, with boto3 clients and a Fleet of simulated devices
(tests/sdk/devices.py) that learn about their jobs from the Redis notify streams. A destination
with a DEVICE_OTA notification configuration receives the task and execution events.

  test_redis_outage   notify and DEVICE_OTA messages have the documented shapes (README "Redis
                      contract"); Redis is stopped mid-rollout and restarted: the outbox holds
                      the messages meanwhile, every one arrives, and the outbox drains
  test_crash          kill -9 of otad mid-rollout, then a restart: the rollout completes, no
                      execution is lost or queued twice (one QUEUED transition per thing and
                      execution number, in the DEVICE_OTA events and the database), the pacing
                      holds across the restart

Redis runs with AOF persistence here (turned on at the start of the class), so that what was
delivered before the outage is still in the streams afterwards and "every message arrived" can
be checked on the streams themselves.
"""

import calendar
import json
import re
import sys
import time
import unittest

import harness
from devices import (Fleet, db_statuses, events, executions, make_things, metric, ms,
                     notify_shard, pacing_problems, stream, wait_until)

SCALE = 30
ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:iotmanagedintegrations:{REGION}:{ACCOUNT}"
ENVELOPE_KEYS = {"version", "messageId", "messageType", "source", "customerAccountId",
                 "timestamp", "region", "resources", "payload"}
EXECUTION_KEYS = {"jobId", "status", "queuedAt", "lastUpdatedAt", "versionNumber",
                  "executionNumber"}
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def rfc3339_ms(ts: str) -> int:
    """Epoch ms of an envelope timestamp (nanosecond RFC 3339, UTC)."""
    head, frac = ts[:-1].split(".")
    secs = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
    return secs * 1000 + int(frac[:3])


class Resilience(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = harness.mi(cls.url)
        cls.dest = "e2edest"
        cls.client.create_destination(
            Name=cls.dest, DeliveryDestinationType="KINESIS",
            DeliveryDestinationArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{cls.dest}",
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
        cls.client.create_notification_configuration(EventType="DEVICE_OTA",
                                                     DestinationName=cls.dest)
        # AOF, kept across restarts (the harness restarts Redis with the same config file)
        cls.cluster.redis("CONFIG", "SET", "appendonly", "yes")
        cls.cluster.redis("CONFIG", "SET", "appendfsync", "always")
        wait_until("the AOF rewrite", lambda: _aof_ready(cls.cluster), 30)
        cls.cluster.redis("CONFIG", "REWRITE")
        cls.origin_ms = int(cls.cluster.psql(
            "SELECT value FROM service_settings WHERE key = 'clock_origin_ms'")[0][0])

    def real_ms(self, service_ms: int) -> float:
        """The real epoch ms of a service time (the clock's origin is in the database)."""
        return self.origin_ms + (service_ms - self.origin_ms) / SCALE

    def set_url(self, url):
        type(self).url = url
        type(self).client = harness.mi(url)

    def fleet(self, behaviours, **kw) -> Fleet:
        return Fleet([self.url], behaviours, redis_socket=self.cluster.redis_socket, **kw)

    def task(self, things, rate) -> str:
        cfg = self.client.create_ota_task_configuration(
            Name="e2e", PushConfig={"RolloutConfig": {"MaximumPerMinute": rate}}
        )["TaskConfigurationId"]
        return self.client.create_ota_task(
            S3Url="https://bkt.s3.amazonaws.com/fw.bin", OtaType="ONE_TIME",
            Target=list(things), TaskConfigurationId=cfg)["TaskId"]

    def outbox(self) -> int:
        return int(self.cluster.psql("SELECT count(*) FROM outbox")[0][0])

    def count(self, tid, status) -> int:
        return db_statuses(self.cluster, tid).get(status, 0)

    def execution_events(self, tid) -> dict:
        """{(thing, executionNumber, status): [envelope, ...]} of the task's execution events."""
        out = {}
        for e in events(self.cluster, self.dest):
            p = e["payload"]
            if p.get("operation") == "OTA_EXECUTION_STATUS" and p["otaTaskId"] == tid:
                out.setdefault((p["managedThingId"], p["executionNumber"], p["status"]),
                               []).append(e)
        return out

    def assert_envelope(self, e):
        self.assertEqual(set(e), ENVELOPE_KEYS)
        self.assertEqual(e["version"], "1.0.0")
        self.assertRegex(e["messageId"], r"^[0-9a-f]{32}$")
        self.assertEqual(e["messageType"], "DEVICE_OTA")
        self.assertEqual(e["source"], "aws.iotmanagedintegrations")
        self.assertEqual(e["customerAccountId"], ACCOUNT)
        self.assertRegex(e["timestamp"], TS_RE)
        self.assertEqual(e["region"], REGION)

    def queued_once(self, tid, things):
        """Each thing has one execution, queued once: the QUEUED events of (thing, 1) all carry
        the same instant (redeliveries repeat it), which is the database's queued_at."""
        got = self.execution_events(tid)
        rows = dict(self.cluster.psql("SELECT thing_id, queued_at FROM executions"
                                      " WHERE task_id = :'v1' AND execution_number = 1", tid))
        counts = self.cluster.psql("SELECT thing_id, count(*) FROM executions"
                                   " WHERE task_id = :'v1' GROUP BY thing_id", tid)
        self.assertEqual({t: int(n) for t, n in counts}, {t: 1 for t in things})
        repeated = 0
        for t in things:
            queued = got.get((t, 1, "QUEUED"), [])
            self.assertTrue(queued, f"{t}: no QUEUED event")
            instants = {rfc3339_ms(e["timestamp"]) for e in queued}
            self.assertEqual(instants, {int(rows[t])}, f"{t}: queued more than once")
            repeated += len(queued) - 1
            for status in ("IN_PROGRESS", "SUCCEEDED"):
                self.assertTrue(got.get((t, 1, status)), f"{t}: no {status} event")
        return repeated

    # --- 8. the Redis contract, and a Redis outage --------------------------------------------

    def test_redis_outage(self):
        things = make_things(self.url, 200)
        with self.fleet({t: "succeed" for t in things}) as fleet:
            tid = self.task(things, 120)  # 100 s of service time, about 3.3 s real
            wait_until("a quarter of the rollout",
                       lambda: self.count(tid, "SUCCEEDED") >= 50, 30, interval=0.02)
            self.cluster.stop_redis()
            down_at = int(time.time() * 1000)
            # the API answers without Redis; the scheduler goes on; messages wait in the outbox
            status, _, _ = self.otad.http("GET", "/readyz")
            self.assertEqual(status, 503)
            self.assertEqual(self.client.get_ota_task(Identifier=tid)["TaskId"], tid)
            wait_until("messages piling up in the outbox", lambda: self.outbox() >= 40, 30)
            queued_in_outage = self.count(tid, "QUEUED")
            self.cluster.start_redis()
            up_at = int(time.time() * 1000)
            self.otad.wait_ready()
            wait_until("the task to complete", lambda: self.client.get_ota_task(
                Identifier=tid)["Status"] == "COMPLETED", 60)
            wait_until("the outbox to drain", lambda: self.outbox() == 0, 30)
        self.assertEqual(fleet.errors, [])
        self.assertGreater(queued_in_outage, 0)
        self.assertEqual({e["TaskExecutionSummary"]["Status"]
                          for e in executions(self.client, tid)}, {"SUCCEEDED"})
        print(f"redis outage: {up_at - down_at} ms real, relay failures "
              f"{metric(self.url, 'otad_relay_failures_total'):g}", file=sys.stderr)
        self.assertEqual(metric(self.url, "otad_relay_redis_up"), 1)

        # DEVICE_OTA: the task's events and every execution's, in the documented envelope
        task_events = [e for e in events(self.cluster, self.dest)
                       if e["payload"].get("otaTaskId") == tid
                       and e["payload"]["operation"] != "OTA_EXECUTION_STATUS"]
        for e in task_events:
            self.assert_envelope(e)
            self.assertEqual(e["resources"], [f"{ARN}:ota-task/{tid}"])
            self.assertEqual(set(e["payload"]), {"operation", "otaTaskId", "status", "otaType"})
            self.assertEqual(e["payload"]["otaType"], "ONE_TIME")
        ops = {(e["payload"]["operation"], e["payload"]["status"]) for e in task_events}
        self.assertIn(("CREATE_OTA", "IN_PROGRESS"), ops)
        self.assertIn(("UPDATE_OTA", "COMPLETED"), ops)
        got = self.execution_events(tid)
        for (thing, n, status), evs in got.items():
            for e in evs:
                self.assert_envelope(e)
                self.assertEqual(e["resources"], [f"{ARN}:ota-task/{tid}",
                                                  f"{ARN}:managed-thing/{thing}"])
                self.assertEqual(e["payload"], {
                    "operation": "OTA_EXECUTION_STATUS", "otaTaskId": tid,
                    "managedThingId": thing, "executionNumber": 1, "status": status,
                    "retryAttempt": 0})
        self.queued_once(tid, things)  # QUEUED, IN_PROGRESS and SUCCEEDED of every thing
        # messages made while Redis was down arrived too: things queued during the outage
        outage = [t for t, q in self.cluster.psql(
            "SELECT thing_id, queued_at FROM executions WHERE task_id = :'v1'", tid)
            if down_at <= self.real_ms(int(q)) <= up_at]
        self.assertTrue(outage, "nothing was queued during the outage")

        # notify-next: on the thing's shard only, with the documented shape
        shard_of = {t: notify_shard(t) for t in things}
        seen = {t: [] for t in things}
        for shard in range(16):
            for _, f in stream(self.cluster, f"otad:notify:{shard}"):
                if f.get("thing") in seen:
                    self.assertEqual(set(f), {"thing", "payload"})
                    self.assertEqual(shard, shard_of[f["thing"]], f["thing"])
                    seen[f["thing"]].append(f["payload"])
        for t in things:
            payloads = [json.loads(p) for p in seen[t]]
            self.assertTrue(payloads, f"{t}: no notify message")
            for p in payloads:
                self.assertIsInstance(p["timestamp"], int)
                if "execution" not in p:
                    self.assertEqual(set(p), {"timestamp"})
                    continue
                self.assertEqual(set(p), {"timestamp", "execution"})
                ex = p["execution"]
                self.assertTrue(EXECUTION_KEYS <= set(ex) <= EXECUTION_KEYS | {"startedAt"}, ex)
                self.assertEqual((ex["jobId"], ex["executionNumber"]), (tid, 1))
                self.assertIn(ex["status"], ("QUEUED", "IN_PROGRESS"))
                for k in ("queuedAt", "lastUpdatedAt", "versionNumber"):
                    self.assertIsInstance(ex[k], int)
            # told about the job (QUEUED), and that nothing is pending after the success
            self.assertTrue(any(p.get("execution", {}).get("status") == "QUEUED"
                                for p in payloads), t)
            self.assertEqual(payloads[-1].keys(), {"timestamp"}, t)

    # --- a refused XADD ----------------------------------------------------------------------

    def test_refused_xadd(self):
        """Redis refuses some XADDs of a pipelined batch (here WRONGTYPE: the destination's
        stream name holds a string; after a restart, LOADING does the same): the batch is
        rolled back and retried, and once Redis accepts again every message arrives. Reading
        only the replies up to the first error would leave the rest in the connection, and
        every later batch would read those stale replies (the relay stuck for good)."""
        bad = "e2ebad"
        self.client.create_destination(
            Name=bad, DeliveryDestinationType="KINESIS",
            DeliveryDestinationArn=f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{bad}",
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
        self.client.update_notification_configuration(EventType="DEVICE_OTA",
                                                      DestinationName=bad)
        try:
            self.cluster.redis("SET", f"otad:events:{bad}", "not a stream")
            refused = self.otad.log.read_text(errors="replace").count("WRONGTYPE")
            things = make_things(self.url, 20)
            tid = self.task(things, 1000)
            wait_until("refused batches (the relay logs them)", lambda: self.otad.log.read_text(
                errors="replace").count("WRONGTYPE") >= refused + 3, 30)
            self.assertGreater(self.outbox(), 0)
            self.cluster.redis("DEL", f"otad:events:{bad}")
            wait_until("the outbox to drain once Redis accepts again",
                       lambda: self.outbox() == 0, 30)
        finally:
            self.client.update_notification_configuration(EventType="DEVICE_OTA",
                                                          DestinationName=self.dest)
        got = {e["payload"]["managedThingId"] for e in events(self.cluster, bad)
               if e["payload"].get("otaTaskId") == tid and e["payload"]["status"] == "QUEUED"}
        self.assertEqual(got, set(things))
        notified = {f["thing"] for shard in range(16)
                    for _, f in stream(self.cluster, f"otad:notify:{shard}")}
        self.assertTrue(set(things) <= notified)

    # --- 9. kill -9 mid-rollout --------------------------------------------------------------

    def test_crash(self):
        things = make_things(self.url, 300)
        rate = 300  # 60 s of service time, 2 s real
        with self.fleet({t: "succeed" for t in things}) as fleet:
            tid = self.task(things, rate)
            wait_until("a third of the rollout queued", lambda: db_statuses(
                self.cluster, tid).get("PLANNED", 300) <= 200, 30, interval=0.02)
            self.otad.kill9()
            at_kill = db_statuses(self.cluster, tid)
            self.assertGreater(at_kill.get("PLANNED", 0), 0, "killed after the rollout")
            self.otad.start()
            restarted = time.monotonic()
            self.set_url(self.otad.url)
            fleet.set_urls([self.otad.url])
            fleet.poke_all()  # devices whose calls failed meanwhile look again
            # a lease the crashed process held expires after 30 s real: allow for it
            wait_until("the task to complete", lambda: self.client.get_ota_task(
                Identifier=tid)["Status"] == "COMPLETED", 90)
            recovered = time.monotonic() - restarted
            wait_until("the outbox to drain", lambda: self.outbox() == 0, 30)
        self.assertEqual(fleet.errors, [])
        print(f"crash: killed with {at_kill}; completed {recovered:.1f} s after the restart;"
              f" device retries {dict(fleet.transient_codes)}", file=sys.stderr)
        listed = executions(self.client, tid)
        self.assertEqual(sorted(e["ManagedThingId"] for e in listed), sorted(things))
        for e in listed:
            s = e["TaskExecutionSummary"]
            self.assertEqual((s["Status"], s["ExecutionNumber"]), ("SUCCEEDED", 1))
        self.assertEqual(db_statuses(self.cluster, tid), {"SUCCEEDED": 300})
        repeated = self.queued_once(tid, things)
        print(f"crash: {repeated} QUEUED events redelivered", file=sys.stderr)
        queued = [ms(e["TaskExecutionSummary"]["QueuedAt"]) for e in listed]
        self.assertEqual(pacing_problems(queued, rate), [])
        for t in things:
            self.assertTrue(any(p.get("execution", {}).get("status") == "QUEUED"
                                for p in fleet.notifies(t)), f"{t}: never notified")
        counters = self.client.get_ota_task(Identifier=tid)["TaskProcessingDetails"]
        self.assertEqual(counters["numberOfSucceededThings"], 300)


def _aof_ready(cluster) -> bool:
    info = dict(line.split(":", 1) for line in cluster.redis("INFO", "persistence").splitlines()
                if ":" in line)
    return (info.get("aof_enabled") == "1" and info.get("aof_rewrite_in_progress") == "0"
            and info.get("aof_rewrite_scheduled") == "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
