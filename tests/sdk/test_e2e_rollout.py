#!/usr/bin/env python3
"""End-to-end rollouts (issue 4): boto3 `iot-managed-integrations` creates the configurations,
managed things and OTA tasks; a Fleet of boto3 `iot-jobs-data` devices (tests/sdk/devices.py)
learns about its jobs from the Redis notify streams and plays them out; the service clock runs
OTAD_TIME_SCALE times faster, so minutes of rollout take seconds. Times are compared in service
time, with the values otad returns.

  test_pacing_500          500 things at MaximumPerMinute 600 complete; QueuedAt values keep
                           the pacing; the counters equal the executions' statuses (wire, SQL)
  test_abort               30% failures, criterion FAILED 20% after 50: task CANCELED with
                           AbortDetails, queued canceled, in-progress ones finish
  test_retry               fail once, then succeed: ExecutionNumber 2, RetryAttempt 1
  test_continuous          a later matching thing gets an execution; one that stops matching
                           is REMOVED
"""

import sys
import unittest

import harness
from devices import (Behaviour, Fleet, STATUS_NAMES, db_counters, db_statuses,
                     details_by_status, executions, make_things, ms, pacing_problems, task_raw,
                     wait_until)

SCALE = 30  # service seconds per real second


class Rollout(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = harness.mi(cls.url)

    def config(self, **push) -> str:
        return self.client.create_ota_task_configuration(
            Name="e2e", PushConfig=push)["TaskConfigurationId"]

    def task(self, things, cfg=None, **extra) -> str:
        args = {"S3Url": "https://bkt.s3.amazonaws.com/fw.bin", "OtaType": "ONE_TIME",
                "OtaMechanism": "PUSH", "Target": list(things)}
        if cfg is not None:
            args["TaskConfigurationId"] = cfg
        args.update(extra)
        return self.client.create_ota_task(**args)["TaskId"]

    def fleet(self, behaviours) -> Fleet:
        return Fleet([self.url], behaviours, redis_socket=self.cluster.redis_socket)

    def wait_status(self, tid, statuses, timeout=60.0) -> dict:
        def probe():
            got = self.client.get_ota_task(Identifier=tid)
            return got if got["Status"] in statuses else None
        return wait_until(f"task {tid} in {statuses}", probe, timeout)

    def assert_counters_agree(self, tid, listed):
        """TaskProcessingDetails == the maintained counters == a direct count of every attempt
        in the database; the listing (latest attempts) agrees with the latest rows."""
        details = details_by_status(
            self.client.get_ota_task(Identifier=tid)["TaskProcessingDetails"])
        every = {s: n for s, n in db_statuses(self.cluster, tid).items() if s != "PLANNED"}
        self.assertEqual(details, every)
        counters = db_counters(self.cluster, tid)
        counters.pop("PLANNED", None)
        self.assertEqual(counters, every)
        shown = {}
        for e in listed:
            s = e["TaskExecutionSummary"]["Status"]
            shown[s] = shown.get(s, 0) + 1
        latest = {s: n for s, n in db_statuses(self.cluster, tid, latest_only=True).items()
                  if s != "PLANNED"}
        self.assertEqual(shown, latest)

    # --- 1. pacing ---------------------------------------------------------------------------

    def test_pacing_500(self):
        things = make_things(self.url, 500)
        cfg = self.config(RolloutConfig={"MaximumPerMinute": 600})
        with self.fleet({t: "succeed" for t in things}) as fleet:
            tid = self.task(things, cfg)
            done = self.wait_status(tid, ("COMPLETED",), timeout=90)
        self.assertEqual(fleet.errors, [])
        self.assertEqual(done["TaskProcessingDetails"]["numberOfSucceededThings"], 500)

        listed = executions(self.client, tid)
        self.assertEqual(sorted(e["ManagedThingId"] for e in listed), sorted(things))
        for e in listed:
            s = e["TaskExecutionSummary"]
            self.assertEqual((s["Status"], s["ExecutionNumber"], s["RetryAttempt"]),
                             ("SUCCEEDED", 1, 0), e["ManagedThingId"])
            self.assertLessEqual(s["QueuedAt"], s["StartedAt"])
            self.assertLessEqual(s["StartedAt"], s["LastUpdatedAt"])
        queued = [ms(e["TaskExecutionSummary"]["QueuedAt"]) for e in listed]
        self.assertEqual(pacing_problems(queued, 600), [])
        # the rollout took its time: 500 at 10 a second is at least 49 s of service time
        self.assertGreaterEqual(max(queued) - min(queued), 499 * 100 - 1000)
        # the wire shows the database's milliseconds
        rows = self.cluster.psql("SELECT thing_id, queued_at FROM executions"
                                 " WHERE task_id = :'v1'", tid)
        self.assertEqual(sorted(int(q) for _, q in rows), sorted(queued))
        self.assert_counters_agree(tid, listed)
        # every device was told by the notify stream, the first time with its QUEUED execution
        for t in things:
            first = fleet.notifies(t)[0]["execution"]
            self.assertEqual((first["jobId"], first["status"], first["executionNumber"]),
                             (tid, "QUEUED", 1), t)

    # --- 2. abort ----------------------------------------------------------------------------

    def test_abort(self):
        # by target position i: 30% fail; i % 10 == 9 start and hold (half of them fail at
        # release); i % 10 == 5 never start (stay QUEUED); the rest succeed
        things = make_things(self.url, 200)
        kinds = {}
        for i, t in enumerate(things):
            d = i % 10
            if d in (0, 3, 6):
                kinds[t] = Behaviour("fail")
            elif d == 9:
                kinds[t] = Behaviour("succeed" if i % 20 == 9 else "fail", hold=True)
            elif d == 5:
                kinds[t] = Behaviour("idle")
            else:
                kinds[t] = Behaviour("succeed")
        held = [t for t in things if kinds[t].hold]
        cfg = self.config(
            RolloutConfig={"MaximumPerMinute": 60},
            AbortConfig={"AbortConfigCriteriaList": [
                {"Action": "CANCEL", "FailureType": "FAILED", "MinNumberOfExecutedThings": 50,
                 "ThresholdPercentage": 20}]})
        with self.fleet(kinds) as fleet:
            tid = self.task(things, cfg)
            self.wait_status(tid, ("CANCELED",))
            raw = task_raw(self.url, tid)
            self.assertEqual(raw["AbortDetails"]["ReasonCode"], "ABORT_CRITERIA_MET")
            self.assertIn("FAILED", raw["AbortDetails"]["Comment"])

            at_abort = {e["ManagedThingId"]: e["TaskExecutionSummary"]
                        for e in executions(self.client, tid)}
            # nothing is waiting any more: planned and queued ones were canceled
            self.assertNotIn("QUEUED", {s["Status"] for s in at_abort.values()})
            canceled = [t for t, s in at_abort.items() if s["Status"] == "CANCELED"]
            never_queued = [t for t in canceled if "QueuedAt" not in at_abort[t]]
            self.assertTrue(never_queued, "the abort came after the whole rollout was queued")
            idle_queued = [t for t in things if kinds[t].kind == "idle" and t in at_abort
                           and "QueuedAt" in at_abort[t]]
            self.assertTrue(idle_queued)
            for t in idle_queued:
                self.assertEqual(at_abort[t]["Status"], "CANCELED", t)
            running = [t for t in held if at_abort.get(t, {}).get("Status") == "IN_PROGRESS"]
            self.assertGreaterEqual(len(running), 2, "no device was in progress at the abort")
            print(f"abort: {raw['AbortDetails']['Comment']!r}; {len(never_queued)} canceled "
                  f"before queueing, {len(idle_queued)} queued ones canceled, {len(running)} "
                  "in progress", file=sys.stderr)

            # the in-progress ones may still finish, with their own outcome
            fleet.release(held)
            wait_until("the held devices to finish", lambda: all(
                fleet.reports(t) for t in running), 30)

            def settled():
                got = {e["ManagedThingId"]: e["TaskExecutionSummary"]
                       for e in executions(self.client, tid)}
                return got if all(got[t]["Status"] != "IN_PROGRESS" for t in running) else None
            final = wait_until("the in-progress executions to end", settled, 30)
        self.assertEqual(fleet.errors, [])
        for t in running:
            want = "SUCCEEDED" if kinds[t].kind == "succeed" else "FAILED"
            self.assertEqual(final[t]["Status"], want, t)
        # no execution that had started was canceled
        for t, s in final.items():
            if s["Status"] == "CANCELED":
                self.assertNotIn("StartedAt", s, t)
        # the criterion held when the abort fired: >= 50 terminal, >= 20 % of them FAILED
        cancel_at = min(ms(s["LastUpdatedAt"]) for s in final.values()
                        if s["Status"] == "CANCELED")
        before = [s["Status"] for s in final.values() if s["Status"] in ("SUCCEEDED", "FAILED")
                  and ms(s["LastUpdatedAt"]) <= cancel_at]
        self.assertGreaterEqual(len(before), 50)
        self.assertGreaterEqual(100 * before.count("FAILED") / len(before), 20)
        self.assertEqual(self.client.get_ota_task(Identifier=tid)["Status"], "CANCELED")
        self.assert_counters_agree(tid, list(
            {"ManagedThingId": t, "TaskExecutionSummary": s} for t, s in final.items()))
        self.assertEqual(db_statuses(self.cluster, tid).get("PLANNED", 0), 0)

    # --- 3. retries --------------------------------------------------------------------------

    def test_retry(self):
        things = make_things(self.url, 12)
        kinds = {t: ("fail_once", "succeed", "fail")[i % 3] for i, t in enumerate(things)}
        with self.fleet(kinds) as fleet:
            tid = self.task(things, OtaTaskExecutionRetryConfig={"RetryConfigCriteria": [
                {"FailureType": "FAILED", "MinNumberOfRetries": 1}]})
            self.wait_status(tid, ("COMPLETED",))
        self.assertEqual(fleet.errors, [])
        listed = {e["ManagedThingId"]: e["TaskExecutionSummary"]
                  for e in executions(self.client, tid)}
        want = {"fail_once": ("SUCCEEDED", 2, 1), "succeed": ("SUCCEEDED", 1, 0),
                "fail": ("FAILED", 2, 1)}  # one retry, then the budget is spent
        for t in things:
            s = listed[t]
            self.assertEqual((s["Status"], s["ExecutionNumber"], s["RetryAttempt"]),
                             want[kinds[t]], f"{t} ({kinds[t]})")
            if kinds[t] != "succeed":
                self.assertEqual([r[1:] for r in fleet.reports(t)],
                                 [(1, "FAILED"), (2, want[kinds[t]][0])])
        rows = self.cluster.psql(
            "SELECT thing_id, execution_number, status, retry_attempt, latest FROM executions"
            " WHERE task_id = :'v1' ORDER BY thing_id, execution_number", tid)
        attempts = {}
        for thing, n, status, retry, latest in rows:
            attempts.setdefault(thing, []).append(
                (int(n), STATUS_NAMES[int(status)], int(retry), latest == "t"))
        for t in things:
            if kinds[t] == "succeed":
                self.assertEqual(attempts[t], [(1, "SUCCEEDED", 0, True)])
            else:
                self.assertEqual(attempts[t], [(1, "FAILED", 0, False),
                                               (2, want[kinds[t]][0], 1, True)])
        # TaskProcessingDetails count every attempt (AWS behaviour)
        self.assertEqual(details_by_status(
            self.client.get_ota_task(Identifier=tid)["TaskProcessingDetails"]),
            {"SUCCEEDED": 8, "FAILED": 12})
        self.assert_counters_agree(tid, executions(self.client, tid))

    # --- 7. CONTINUOUS -----------------------------------------------------------------------

    def test_continuous(self):
        group = f"cont{id(self) % 100000}"
        first = make_things(self.url, 4, meta={"grp": group, "fw": "1"})
        kinds = {t: ("succeed" if i < 2 else "idle") for i, t in enumerate(first)}
        with self.fleet(kinds) as fleet:
            tid = self.client.create_ota_task(
                S3Url="s3://b/f", OtaType="CONTINUOUS",
                OtaTargetQueryString=f"attributes.grp={group} AND attributes.fw=1")["TaskId"]

            def statuses():
                return {e["ManagedThingId"]: e["TaskExecutionSummary"]["Status"]
                        for e in executions(self.client, tid)}
            wait_until("the first things rolled out", lambda: statuses() == {
                first[0]: "SUCCEEDED", first[1]: "SUCCEEDED", first[2]: "QUEUED",
                first[3]: "QUEUED"}, 30)

            later = make_things(self.url, 1, meta={"grp": group, "fw": "1"})[0]
            other = make_things(self.url, 1, meta={"grp": group, "fw": "2"})[0]
            fleet.add(later, "succeed")
            fleet.add(other, "succeed")
            wait_until("the later thing to succeed",
                       lambda: statuses().get(later) == "SUCCEEDED", 30)
            self.client.update_managed_thing(Identifier=first[2],
                                             MetaData={"grp": group, "fw": "2"})
            wait_until("the changed thing removed",
                       lambda: statuses().get(first[2]) == "REMOVED", 30)
            # its device is told that nothing is pending any more
            wait_until("an empty notify for the removed thing",
                       lambda: (fleet.notifies(first[2]) or [{}])[-1].keys() == {"timestamp"},
                       30)
            got = statuses()
        self.assertEqual(fleet.errors, [])
        self.assertEqual(got, {first[0]: "SUCCEEDED", first[1]: "SUCCEEDED",
                               first[2]: "REMOVED", first[3]: "QUEUED", later: "SUCCEEDED"})
        self.assertNotIn(other, got)
        self.assertEqual(self.client.get_ota_task(Identifier=tid)["Status"], "IN_PROGRESS")
        self.assert_counters_agree(tid, executions(self.client, tid))
        self.client.delete_ota_task(Identifier=tid)


if __name__ == "__main__":
    unittest.main(verbosity=2)
