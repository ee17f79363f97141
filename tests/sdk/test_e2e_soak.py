#!/usr/bin/env python3
"""Soak (not part of the default run: set OTAD_SOAK=1; ctest label `soak`): several concurrent
rollouts over one fleet of simulated devices (tests/sdk/devices.py) with every device behaviour,
retries, timeouts, an exponential rollout rate, an abort criterion that must not fire and a
CONTINUOUS task whose membership changes, through a Redis restart and a kill -9 of otad. At the
end everything must add up:

- every task reached its end (ONE_TIME: COMPLETED), every thing's outcome is one its device's
  behaviour allows (e.g. fail-once: SUCCEEDED on execution 2 where retries are configured);
- TaskProcessingDetails == the maintained counters == a count of every attempt in SQL;
- one QUEUED transition per (thing, execution number): the DEVICE_OTA QUEUED events of each
  carry one instant, the database's queued_at; every terminal attempt has its terminal event;
- pacing: no 60 s window over ceil(max rate) + 1 notifications (retries included), and the
  spacing of the fixed-rate tasks; the outbox drains; the devices saw no unexpected error.

SOAK_THINGS (default 2000) sizes the fleet; the time scale is 10.
"""

import os
import sys
import time
import unittest

import harness
from devices import (Behaviour, Fleet, STATUS_NAMES, TERMINAL, db_counters, db_statuses,
                     details_by_status, events, executions, make_things, pacing_problems,
                     wait_until)

SCALE = 10
N = int(os.environ.get("SOAK_THINGS", "2000"))
BEHAVIOURS = (["succeed"] * 13 + ["fail_once", "fail", "silent", "reject", "hold", "fail_once",
                                  "late"])  # by thing index % 20


def device(kind: str) -> Behaviour:
    if kind == "silent":
        return Behaviour("silent", step_timeout=1)
    if kind == "hold":
        return Behaviour("succeed", hold=True)
    if kind == "late":
        return Behaviour("succeed", late=True)
    return Behaviour(kind)


# (status, execution number) outcomes each behaviour allows, with and without retries
# (FAILED 1, TIMED_OUT 1). A held device may time out before it is released.
WITH_RETRY = {"succeed": {("SUCCEEDED", 1)}, "fail_once": {("SUCCEEDED", 2)},
              "fail": {("FAILED", 2)}, "silent": {("TIMED_OUT", 2)},
              "reject": {("REJECTED", 1)}, "late": {("SUCCEEDED", 1)},
              "hold": {("SUCCEEDED", 1), ("SUCCEEDED", 2), ("TIMED_OUT", 2)}}
NO_RETRY = {"succeed": {("SUCCEEDED", 1)}, "fail_once": {("FAILED", 1)},
            "fail": {("FAILED", 1)}, "silent": {("TIMED_OUT", 1)},
            "reject": {("REJECTED", 1)}, "late": {("SUCCEEDED", 1)},
            "hold": {("SUCCEEDED", 1), ("TIMED_OUT", 1)}}


@unittest.skipUnless(os.environ.get("OTAD_SOAK") == "1", "soak: set OTAD_SOAK=1")
class Soak(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = harness.mi(cls.url)
        cls.client.create_destination(
            Name="soak", DeliveryDestinationType="KINESIS",
            DeliveryDestinationArn="arn:aws:kinesis:us-east-1:123456789012:stream/soak",
            RoleArn="arn:aws:iam::123456789012:role/r")
        cls.client.create_notification_configuration(EventType="DEVICE_OTA",
                                                     DestinationName="soak")
        cls.cluster.redis("CONFIG", "SET", "appendonly", "yes")
        cls.cluster.redis("CONFIG", "SET", "appendfsync", "always")
        wait_until("the AOF rewrite", lambda: "aof_rewrite_in_progress:0" in cls.cluster.redis(
            "INFO", "persistence") and "aof_rewrite_scheduled:0" in cls.cluster.redis(
            "INFO", "persistence"), 30)
        cls.cluster.redis("CONFIG", "REWRITE")

    def config(self, **push) -> str:
        push.setdefault("TimeoutConfig", {"InProgressTimeoutInMinutes": 2})
        return self.client.create_ota_task_configuration(
            Name="soak", PushConfig=push)["TaskConfigurationId"]

    def create(self, cfg, **args) -> str:
        return self.client.create_ota_task(
            S3Url="https://bkt.s3.amazonaws.com/fw.bin", TaskConfigurationId=cfg,
            **args)["TaskId"]

    def progress(self, tids) -> int:
        rows = self.cluster.psql("SELECT count(*) FROM executions WHERE task_id = ANY(:'v1')"
                                 " AND status >= 3", "{" + ",".join(tids) + "}")
        return int(rows[0][0])

    def test_soak(self):
        started = time.monotonic()
        things = make_things(self.url, N, meta={"grp": "soak"})
        kinds = {t: BEHAVIOURS[i % 20] for i, t in enumerate(things)}
        # CONTINUOUS members: a class attribute on a tenth of the fleet
        members = things[3::10]
        for t in members:
            self.client.update_managed_thing(Identifier=t, MetaData={"grp": "soak", "cls": "c3"})
        half = N // 2
        with Fleet([self.url], {t: device(k) for t, k in kinds.items()},
                   redis_socket=self.cluster.redis_socket, threads=24) as fleet:
            tasks = {
                "retry": self.create(self.config(
                    RolloutConfig={"MaximumPerMinute": 200}), OtaType="ONE_TIME",
                    Target=things[:half], OtaTaskExecutionRetryConfig={"RetryConfigCriteria": [
                        {"FailureType": "FAILED", "MinNumberOfRetries": 1},
                        {"FailureType": "TIMED_OUT", "MinNumberOfRetries": 1}]}),
                "exponential": self.create(self.config(RolloutConfig={
                    "MaximumPerMinute": 400, "ExponentialRolloutRate": {
                        "BaseRatePerMinute": 50, "IncrementFactor": 2,
                        "RateIncreaseCriteria": {"numberOfNotifiedThings": 100}}}),
                    OtaType="ONE_TIME", Target=things[half:]),
                "abort": self.create(self.config(
                    RolloutConfig={"MaximumPerMinute": 300},
                    AbortConfig={"AbortConfigCriteriaList": [
                        {"Action": "CANCEL", "FailureType": "ALL",
                         "MinNumberOfExecutedThings": 100, "ThresholdPercentage": 90}]}),
                    OtaType="ONE_TIME", OtaTargetQueryString="attributes.grp=soak"),
                "continuous": self.create(self.config(RolloutConfig={"MaximumPerMinute": 100}),
                                          OtaType="CONTINUOUS",
                                          OtaTargetQueryString="attributes.cls=c3"),
            }
            once = [t for k, t in tasks.items() if k != "continuous"]
            total = half + (N - half) + N
            # a third of the way: Redis restarts (AOF: what was delivered stays delivered)
            wait_until("a third of the work", lambda: self.progress(once) >= total // 3, 300)
            self.cluster.restart_redis()
            self.otad.wait_ready()
            # membership changes: new members, and some leave
            joined = make_things(self.url, 40, meta={"grp": "other", "cls": "c3"})
            for t in joined:
                fleet.add(t, "succeed")
            left = members[:20]
            for t in left:
                self.client.update_managed_thing(Identifier=t, MetaData={"grp": "soak"})
            # two thirds: otad dies and comes back on a new port
            wait_until("two thirds of the work", lambda: self.progress(once) >= 2 * total // 3,
                       300)
            self.otad.kill9()
            self.otad.start()
            type(self).url = self.otad.url
            self.client = harness.mi(self.otad.url)
            fleet.set_urls([self.otad.url])
            fleet.poke_all()
            wait_until("most of the work", lambda: self.progress(once) >= total * 8 // 10, 300)
            fleet.release()
            wait_until("the ONE_TIME tasks to complete", lambda: all(
                self.client.get_ota_task(Identifier=t)["Status"] == "COMPLETED" for t in once),
                600, interval=0.5)
            wait_until("the continuous members to settle", lambda: all(
                e["TaskExecutionSummary"]["Status"] in TERMINAL
                or kinds.get(e["ManagedThingId"]) == "late"
                for e in executions(self.client, tasks["continuous"])), 120, interval=0.5)
            wait_until("the outbox to drain", lambda: self.cluster.psql(
                "SELECT count(*) FROM outbox")[0][0] == "0", 60)
        print(f"soak: {N} things, {time.monotonic() - started:.0f} s, device calls "
              f"{fleet.calls}, retries {dict(fleet.transient_codes)}, conflicts "
              f"{len(fleet.conflicts)}", file=sys.stderr)
        self.assertEqual(fleet.errors, [])

        all_events = events(self.cluster, "soak")
        for name, tid in tasks.items():
            with self.subTest(task=name):
                self.check_task(name, tid, kinds, all_events)
        # membership of the CONTINUOUS task
        got = {e["ManagedThingId"]: e["TaskExecutionSummary"]
               for e in executions(self.client, tasks["continuous"])}
        self.assertEqual(set(got), set(members) | set(joined))
        for t in joined:
            self.assertEqual(got[t]["Status"], "SUCCEEDED", t)

    def check_task(self, name, tid, kinds, all_events):
        listed = {e["ManagedThingId"]: e["TaskExecutionSummary"]
                  for e in executions(self.client, tid)}
        allowed = WITH_RETRY if name == "retry" else NO_RETRY
        wrong = {}
        for t, s in listed.items():
            outcome = (s["Status"], s["ExecutionNumber"])
            if t in kinds and s["Status"] != "REMOVED" and outcome not in allowed[kinds[t]]:
                wrong[t] = (kinds[t], outcome)
        self.assertEqual(wrong, {})
        # counters: wire == maintained == counted
        details = details_by_status(
            self.client.get_ota_task(Identifier=tid)["TaskProcessingDetails"])
        counted = {s: n for s, n in db_statuses(self.cluster, tid).items() if s != "PLANNED"}
        counters = db_counters(self.cluster, tid)
        counters.pop("PLANNED", None)
        self.assertEqual(details, counted)
        self.assertEqual(counters, counted)
        # one QUEUED transition per attempt; terminal attempts have their event
        queued, final = {}, {}
        for e in all_events:
            p = e["payload"]
            if p.get("otaTaskId") != tid or p["operation"] != "OTA_EXECUTION_STATUS":
                continue
            key = (p["managedThingId"], p["executionNumber"])
            if p["status"] == "QUEUED":
                queued.setdefault(key, set()).add(e["timestamp"])
            elif p["status"] in TERMINAL:
                final.setdefault(key, set()).add(p["status"])
        rows = self.cluster.psql("SELECT thing_id, execution_number, status, queued_at"
                                 " FROM executions WHERE task_id = :'v1'", tid)
        times = []
        for thing, n, status, q in rows:
            key = (thing, int(n))
            if q is None:
                continue  # never queued (removed while PLANNED)
            times.append(int(q))
            self.assertEqual(len(queued.get(key, ())), 1, f"{key}: QUEUED instants")
            status = STATUS_NAMES[int(status)]
            if status in TERMINAL:
                self.assertIn(status, final.get(key, set()), f"{key}: no {status} event")
        # pacing (retries are notifications too)
        if name == "exponential":
            problems = pacing_problems(times, 400)
            problems = [p for p in problems if "window" in p]  # stages: only the window rule
        else:
            rate = {"retry": 200, "abort": 300, "continuous": 100}[name]
            problems = pacing_problems(times, rate)
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
