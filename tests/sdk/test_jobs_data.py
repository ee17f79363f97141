#!/usr/bin/env python3
"""boto3 `iot-jobs-data` playing a device against a harness-started otad (SigV4 on), with
boto3 `iot-managed-integrations` creating the configuration, the managed things and the OTA
task (the job id is the task id). A device's whole life: pending list, describe `$next`, start
next with statusDetails and a step timer, progress updates, success with the job document; and
the errors the client must recognise: a version conflict (HTTP 409 VersionConflictException),
an invalid transition (InvalidStateTransitionException), unknown thing and job
(ResourceNotFoundException), a status a device may not set (InvalidRequestException)."""

import json
import time
import unittest
import uuid

import botocore.exceptions

import harness
from harness import HarnessTestCase, jobs, mi

DEADLINE = 20.0  # seconds to wait for the scheduler to queue


def wait_until(what: str, probe, timeout: float = DEADLINE):
    end = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class JobsData(HarnessTestCase):
    otad_env = harness.SIGV4_ENV

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mi_client = mi(cls.url)
        cls.jobs_client = jobs(cls.url)

    def assert_error(self, ctx, code: str, status: int) -> str:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(err["Error"]["Message"])
        return err["Error"]["Message"]

    def thing(self) -> str:
        return self.mi_client.create_managed_thing(
            Role="DEVICE", AuthenticationMaterial="abc",
            AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE")["Id"]

    def task(self, things, timeout_minutes=None) -> str:
        args = {}
        if timeout_minutes is not None:
            cfg = self.mi_client.create_ota_task_configuration(
                Name=f"cfg{uuid.uuid4().hex[:8]}",
                PushConfig={"TimeoutConfig": {"InProgressTimeoutInMinutes": timeout_minutes}})
            args["TaskConfigurationId"] = cfg["TaskConfigurationId"]
        made = self.mi_client.create_ota_task(
            S3Url="https://bkt.s3.amazonaws.com/fw.bin", Protocol="HTTP", OtaType="ONE_TIME",
            OtaMechanism="PUSH", Target=list(things), Description="fw 2", **args)
        return made["TaskId"]

    def queued(self, thing: str, job: str):
        def probe():
            got = self.jobs_client.get_pending_job_executions(thingName=thing)
            return [j for j in got["queuedJobs"] if j["jobId"] == job]
        return wait_until(f"job {job} queued for {thing}", probe)[0]

    def test_device_life(self):
        j = self.jobs_client
        thing = self.thing()
        job = self.task([thing], timeout_minutes=30)
        summary = self.queued(thing, job)
        self.assertEqual(summary["versionNumber"], 1)
        self.assertEqual(summary["executionNumber"], 1)
        self.assertIsInstance(summary["queuedAt"], int)
        self.assertNotIn("startedAt", summary)

        # $next, read-only, with the job document (the default)
        nxt = j.describe_job_execution(thingName=thing, jobId="$next")["execution"]
        self.assertEqual(nxt["jobId"], job)
        self.assertEqual(nxt["status"], "QUEUED")
        doc = json.loads(nxt["jobDocument"])
        self.assertEqual(doc["otaTask"]["taskId"], job)
        self.assertEqual(doc["otaTask"]["s3Url"], "https://bkt.s3.amazonaws.com/fw.bin")
        self.assertEqual(doc["otaTask"]["protocol"], "HTTP")
        again = j.describe_job_execution(thingName=thing, jobId="$next")["execution"]
        self.assertEqual(again["status"], "QUEUED")

        # start: IN_PROGRESS, statusDetails, step timer
        started = j.start_next_pending_job_execution(
            thingName=thing, statusDetails={"step": "download"}, stepTimeoutInMinutes=10)
        ex = started["execution"]
        self.assertEqual(ex["jobId"], job)
        self.assertEqual(ex["thingName"], thing)
        self.assertEqual(ex["status"], "IN_PROGRESS")
        self.assertEqual(ex["statusDetails"], {"step": "download"})
        self.assertEqual(ex["versionNumber"], 2)
        self.assertIsInstance(ex["startedAt"], int)
        self.assertTrue(590 <= ex["approximateSecondsBeforeTimedOut"] <= 600)
        self.assertIn("jobDocument", ex)
        pending = j.get_pending_job_executions(thingName=thing)
        self.assertEqual([p["jobId"] for p in pending["inProgressJobs"]], [job])
        self.assertEqual(pending["queuedJobs"], [])

        # progress with a new step timer and the expected version
        upd = j.update_job_execution(
            thingName=thing, jobId=job, status="IN_PROGRESS",
            statusDetails={"step": "install", "progress": "50"}, stepTimeoutInMinutes=5,
            expectedVersion=2, includeJobExecutionState=True)
        self.assertEqual(upd["executionState"],
                         {"status": "IN_PROGRESS",
                          "statusDetails": {"step": "install", "progress": "50"},
                          "versionNumber": 3})
        self.assertNotIn("jobDocument", upd)
        desc = j.describe_job_execution(thingName=thing, jobId=job, includeJobDocument=False)
        self.assertNotIn("jobDocument", desc["execution"])
        self.assertTrue(290 <= desc["execution"]["approximateSecondsBeforeTimedOut"] <= 300)
        desc = j.describe_job_execution(thingName=thing, jobId=job, executionNumber=1,
                                        includeJobDocument=True)
        self.assertIn("jobDocument", desc["execution"])

        # a stale version is refused and changes nothing
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            j.update_job_execution(thingName=thing, jobId=job, status="SUCCEEDED",
                                   expectedVersion=2)
        self.assert_error(ctx, "VersionConflictException", 409)
        self.assertEqual(
            j.describe_job_execution(thingName=thing, jobId=job)["execution"]["versionNumber"], 3)

        # success, with the document and the state
        done = j.update_job_execution(
            thingName=thing, jobId=job, status="SUCCEEDED", statusDetails={"progress": "100"},
            includeJobExecutionState=True, includeJobDocument=True)
        self.assertEqual(done["executionState"]["status"], "SUCCEEDED")
        self.assertEqual(done["executionState"]["versionNumber"], 4)
        self.assertEqual(json.loads(done["jobDocument"])["otaTask"]["taskId"], job)

        # terminal: any further change is an invalid transition
        with self.assertRaises(j.exceptions.InvalidStateTransitionException) as ctx:
            j.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS")
        self.assert_error(ctx, "InvalidStateTransitionException", 409)
        pending = j.get_pending_job_executions(thingName=thing)
        self.assertEqual(pending["inProgressJobs"], [])
        self.assertEqual(pending["queuedJobs"], [])
        self.assertNotIn("execution", j.start_next_pending_job_execution(thingName=thing))
        with self.assertRaises(j.exceptions.ResourceNotFoundException):
            j.describe_job_execution(thingName=thing, jobId="$next")

        # the task counts the success and completes
        def completed():
            got = self.mi_client.get_ota_task(Identifier=job)
            return got if got["Status"] == "COMPLETED" else None
        got = wait_until("the task to complete", completed)
        self.assertEqual(got["TaskProcessingDetails"].get("numberOfSucceededThings"), 1)

    def test_fanout(self):
        """The device's transitions reach Redis: DEVICE_OTA execution events on the destination's
        stream, and a notify-next with nothing pending once the execution is terminal."""
        c, j = self.mi_client, self.jobs_client
        dest = f"dest{uuid.uuid4().hex[:10]}"
        c.create_destination(Name=dest, DeliveryDestinationType="KINESIS",
                             DeliveryDestinationArn="arn:aws:kinesis:us-east-1:123456789012:"
                                                    f"stream/{dest}",
                             RoleArn="arn:aws:iam::123456789012:role/r")
        c.create_notification_configuration(EventType="DEVICE_OTA", DestinationName=dest)
        try:
            thing = self.thing()
            job = self.task([thing])
            self.queued(thing, job)
            j.start_next_pending_job_execution(thingName=thing)
            j.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS",
                                   statusDetails={"p": "1"})
            j.update_job_execution(thingName=thing, jobId=job, status="SUCCEEDED")

            def statuses():
                seen = []
                for _, fields in self.cluster.redis("XRANGE", f"otad:events:{dest}", "-", "+"):
                    event = json.loads(dict(zip(fields[::2], fields[1::2]))["payload"])
                    p = event["payload"]
                    if (p.get("operation") == "OTA_EXECUTION_STATUS"
                            and p.get("managedThingId") == thing):
                        seen.append(p)
                return seen if len(seen) >= 3 else None
            events = wait_until("the execution events in Redis", statuses)
            # one event per status change: the scheduler's QUEUED, then the device's (the
            # progress update changes no status)
            self.assertEqual([e["status"] for e in events], ["QUEUED", "IN_PROGRESS", "SUCCEEDED"])
            self.assertEqual(events[2]["otaTaskId"], job)
            self.assertEqual(events[2]["executionNumber"], 1)

            shard = 2166136261
            for byte in thing.encode():
                shard = ((shard ^ byte) * 16777619) & 0xFFFFFFFF
            stream = f"otad:notify:{shard % 16}"

            def empty_next():
                for _, fields in self.cluster.redis("XRANGE", stream, "-", "+"):
                    f = dict(zip(fields[::2], fields[1::2]))
                    if f.get("thing") == thing and "execution" not in json.loads(f["payload"]):
                        return True
                return None
            wait_until("the notify-next with nothing pending", empty_next)
        finally:
            c.delete_notification_configuration(EventType="DEVICE_OTA")

    def test_errors(self):
        j = self.jobs_client
        thing = self.thing()
        job = self.task([thing])
        self.queued(thing, job)
        with self.assertRaises(j.exceptions.ResourceNotFoundException) as ctx:
            j.get_pending_job_executions(thingName="no-such-thing")
        self.assertIn("no-such-thing", self.assert_error(ctx, "ResourceNotFoundException", 404))
        with self.assertRaises(j.exceptions.ResourceNotFoundException):
            j.start_next_pending_job_execution(thingName="no-such-thing")
        with self.assertRaises(j.exceptions.ResourceNotFoundException):
            j.describe_job_execution(thingName=thing, jobId="no-such-job")
        with self.assertRaises(j.exceptions.ResourceNotFoundException):
            j.update_job_execution(thingName=thing, jobId="no-such-job", status="IN_PROGRESS")
        with self.assertRaises(j.exceptions.InvalidRequestException) as ctx:
            j.update_job_execution(thingName=thing, jobId=job, status="TIMED_OUT")
        self.assertIn("TIMED_OUT", self.assert_error(ctx, "InvalidRequestException", 400))
        with self.assertRaises(j.exceptions.InvalidRequestException):
            j.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS",
                                   statusDetails={f"k{i}": "v" for i in range(11)})
        with self.assertRaises(j.exceptions.InvalidRequestException):
            j.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS",
                                   stepTimeoutInMinutes=10081)
        # a QUEUED execution may be rejected without starting; then it is terminal
        rej = j.update_job_execution(thingName=thing, jobId=job, status="REJECTED",
                                     includeJobExecutionState=True)
        self.assertEqual(rej["executionState"]["status"], "REJECTED")
        with self.assertRaises(j.exceptions.InvalidStateTransitionException):
            j.update_job_execution(thingName=thing, jobId=job, status="SUCCEEDED")


if __name__ == "__main__":
    unittest.main(verbosity=2)
