#!/usr/bin/env python3
"""boto3 `iot-managed-integrations` against a harness-started otad (SigV4 on): the OTA task
operations through the real client. A configuration, managed things and a task are created,
read, listed page by page, updated, their executions listed once the scheduler queued them,
and deleted; the errors the client must recognise by name (ValidationException,
ResourceNotFoundException, ConflictException) come back as modeled exceptions. Also: a
CONTINUOUS task follows managed-thing changes (the store/things.c hook), the CREATE_OTA
DEVICE_OTA event reaches Redis, and OTAD_MAX_TARGETS bounds the targets."""

import datetime
import json
import time
import unittest
import uuid

import harness
from harness import HarnessTestCase, mi

DEADLINE = 20.0  # seconds to wait for the scheduler
ARN_PREFIX = "arn:aws:iotmanagedintegrations:us-east-1:123456789012"


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def wait_until(what: str, probe, timeout: float = DEADLINE):
    """Poll probe() every 50 ms until it returns a true value, which is returned."""
    end = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class MiTasks(HarnessTestCase):
    otad_env = harness.SIGV4_ENV

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = mi(cls.url)

    def assert_error(self, ctx, code: str, status: int) -> dict:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(err["Error"]["Message"])
        return err

    def thing(self, group: str, fw: str) -> str:
        made = self.client.create_managed_thing(
            Role="DEVICE", AuthenticationMaterial="abc",
            AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE", MetaData={"grp": group, "fw": fw})
        return made["Id"]

    def executions(self, task_id: str) -> list:
        pages = self.client.get_paginator("list_ota_task_executions").paginate(
            Identifier=task_id, PaginationConfig={"PageSize": 2})
        return [e for page in pages for e in page["ExecutionSummaries"]]

    # --- the whole life of a task ----------------------------------------------------------

    def test_lifecycle(self):
        c = self.client
        group = unique("life")
        things = [self.thing(group, "1") for _ in range(3)] + [self.thing(group, "2")]
        cfg = c.create_ota_task_configuration(
            Name="cfg tasks", PushConfig={"RolloutConfig": {"MaximumPerMinute": 600},
                                          "TimeoutConfig": {"InProgressTimeoutInMinutes": 60}}
        )["TaskConfigurationId"]
        cfg2 = c.create_ota_task_configuration(Name="cfg two")["TaskConfigurationId"]

        made = c.create_ota_task(
            Description="fw 1", S3Url="https://bkt.s3.amazonaws.com/fw.bin", Protocol="HTTP",
            Target=[f"{ARN_PREFIX}:managed-thing/{things[3]}"], OtaMechanism="PUSH",
            OtaType="ONE_TIME", TaskConfigurationId=cfg,
            OtaTargetQueryString=f"attributes.grp={group} AND attributes.fw=1",
            OtaSchedulingConfig={"EndBehavior": "STOP_ROLLOUT", "StartTime": "2025-01-01T00:00:00Z",
                                 "MaintenanceWindows": [{"DurationInMinutes": 1430,
                                                         "StartTime": "cron(0 0 * * ? *)"}]},
            OtaTaskExecutionRetryConfig={"RetryConfigCriteria": [
                {"FailureType": "FAILED", "MinNumberOfRetries": 2}]},
            Tags={"env": "test"})
        self.assertEqual(made["ResponseMetadata"]["HTTPStatusCode"], 201)
        tid = made["TaskId"]
        self.assertEqual(made["TaskArn"], f"{ARN_PREFIX}:ota-task/{tid}")
        self.assertEqual(made["Description"], "fw 1")

        got = c.get_ota_task(Identifier=tid)
        self.assertEqual(got["OtaType"], "ONE_TIME")
        self.assertEqual(got["S3Url"], "https://bkt.s3.amazonaws.com/fw.bin")
        self.assertEqual(got["TaskConfigurationId"], cfg)
        self.assertEqual(got["Target"], [f"{ARN_PREFIX}:managed-thing/{things[3]}"])
        self.assertEqual(got["OtaSchedulingConfig"]["MaintenanceWindows"][0]["DurationInMinutes"],
                         1430)
        self.assertEqual(got["OtaTaskExecutionRetryConfig"]["RetryConfigCriteria"],
                         [{"FailureType": "FAILED", "MinNumberOfRetries": 2}])
        self.assertEqual(got["Tags"], {"env": "test"})
        self.assertIsInstance(got["CreatedAt"], datetime.datetime)
        self.assertIsInstance(got["LastUpdatedAt"], datetime.datetime)
        self.assertIn(got["Status"], ("IN_PROGRESS", "SCHEDULED"))
        self.assertNotIn("AbortDetails", got)

        # the scheduler queues all four (Target and the three matches); counters follow
        def all_queued():
            d = c.get_ota_task(Identifier=tid)["TaskProcessingDetails"]
            return d if d.get("numberOfQueuedThings") == 4 else None
        details = wait_until("four queued executions", all_queued)
        self.assertEqual(details["NumberOfInProgressThings"], 0)
        self.assertEqual(details["NumberOfCanceledThings"], 0)
        self.assertEqual(details["processingTargets"], [things[3]] + things[:3])

        seen = [t["TaskId"] for page in c.get_paginator("list_ota_tasks").paginate(
            PaginationConfig={"PageSize": 2}) for t in page["Tasks"]]
        self.assertIn(tid, seen)
        self.assertEqual(len(seen), len(set(seen)))

        execs = self.executions(tid)
        self.assertEqual([e["ManagedThingId"] for e in execs], [things[3]] + things[:3])
        for e in execs:
            s = e["TaskExecutionSummary"]
            self.assertEqual(s["Status"], "QUEUED")
            self.assertEqual(s["ExecutionNumber"], 1)
            self.assertEqual(s["RetryAttempt"], 0)
            self.assertIsInstance(s["QueuedAt"], datetime.datetime)
            self.assertNotIn("StartedAt", s)

        c.update_ota_task(Identifier=tid, Description="fw 2", TaskConfigurationId=cfg2)
        got = c.get_ota_task(Identifier=tid)
        self.assertEqual(got["Description"], "fw 2")
        self.assertEqual(got["TaskConfigurationId"], cfg2)
        row = self.cluster.psql("SELECT config_version, push_config IS NULL FROM tasks"
                                " WHERE id = :'v1'", tid)
        self.assertEqual(row, [("2", "t")])

        c.delete_ota_task(Identifier=tid)

        def gone():
            try:
                c.get_ota_task(Identifier=tid)
                return False
            except c.exceptions.ResourceNotFoundException:
                return True
        wait_until("the task to be removed", gone)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.list_ota_task_executions(Identifier=tid)
        self.assert_error(ctx, "ResourceNotFoundException", 404)

    # --- errors the client recognises by name -----------------------------------------------

    def test_validation_error(self):
        c = self.client
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", OtaSchedulingConfig={
                "MaintenanceWindows": [{"StartTime": "cron(0 0 * * 8 *)",
                                        "DurationInMinutes": 10}]})
        err = self.assert_error(ctx, "ValidationException", 400)
        self.assertEqual(err["Error"]["Message"],
                         "OtaSchedulingConfig.MaintenanceWindows[0].StartTime: day-of-week: '8' "
                         "at position 14 is out of range 1-7")
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME",
                              OtaTargetQueryString="owner:a OR OR")
        self.assertIn("position", self.assert_error(ctx, "ValidationException", 400)
                      ["Error"]["Message"])
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.list_ota_tasks(NextToken="garbage")
        self.assert_error(ctx, "ValidationException", 400)

    def test_not_found(self):
        c = self.client
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.get_ota_task(Identifier="nosuchtask")
        err = self.assert_error(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(err["ResourceType"], "OtaTask")
        self.assertEqual(err["ResourceId"], "nosuchtask")
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", TaskConfigurationId="nocfg")
        err = self.assert_error(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(err["ResourceType"], "OtaTaskConfiguration")
        for call in (lambda: c.update_ota_task(Identifier="nosuchtask", Description="x"),
                     lambda: c.delete_ota_task(Identifier="nosuchtask")):
            with self.assertRaises(c.exceptions.ResourceNotFoundException):
                call()

    def test_client_token(self):
        c = self.client
        token = unique("tok")
        first = c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", ClientToken=token)
        again = c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", ClientToken=token)
        self.assertEqual(again["TaskId"], first["TaskId"])
        with self.assertRaises(c.exceptions.ConflictException) as ctx:
            c.create_ota_task(S3Url="s3://b/other", OtaType="ONE_TIME", ClientToken=token)
        self.assert_error(ctx, "ConflictException", 409)
        rows = self.cluster.psql("SELECT count(*) FROM tasks WHERE spec ->> 'S3Url' = 's3://b/other'")
        self.assertEqual(rows, [("0",)])

    # --- CONTINUOUS tasks follow managed-thing changes --------------------------------------

    def test_continuous_membership(self):
        c = self.client
        group = unique("cont")
        first = self.thing(group, "1")
        tid = c.create_ota_task(S3Url="s3://b/f", OtaType="CONTINUOUS",
                                OtaTargetQueryString=f"attributes.grp={group}")["TaskId"]

        def statuses():
            return {e["ManagedThingId"]: e["TaskExecutionSummary"]["Status"]
                    for e in self.executions(tid)}
        wait_until("the first thing queued", lambda: statuses() == {first: "QUEUED"})
        later = self.thing(group, "1")  # created after the task: picked up
        wait_until("the new thing queued",
                   lambda: statuses() == {first: "QUEUED", later: "QUEUED"})
        c.update_managed_thing(Identifier=first, MetaData={"grp": "elsewhere"})
        wait_until("the changed thing removed",
                   lambda: statuses() == {first: "REMOVED", later: "QUEUED"})
        details = c.get_ota_task(Identifier=tid)["TaskProcessingDetails"]
        self.assertEqual(details["numberOfRemovedThings"], 1)
        self.assertEqual(details["numberOfQueuedThings"], 1)  # counts follow the statuses
        c.delete_managed_thing(Identifier=later)
        wait_until("the deleted thing removed",
                   lambda: statuses() == {first: "REMOVED", later: "REMOVED"})
        c.delete_ota_task(Identifier=tid)

    # --- the CREATE_OTA event ----------------------------------------------------------------

    def test_create_event(self):
        c = self.client
        dest = unique("dest")
        c.create_destination(Name=dest, DeliveryDestinationType="KINESIS",
                             DeliveryDestinationArn="arn:aws:kinesis:us-east-1:123456789012:"
                                                    f"stream/{dest}",
                             RoleArn="arn:aws:iam::123456789012:role/r")
        c.create_notification_configuration(EventType="DEVICE_OTA", DestinationName=dest)
        try:
            tid = c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME")["TaskId"]

            def created():
                for _, fields in self.cluster.redis("XRANGE", f"otad:events:{dest}", "-", "+"):
                    event = json.loads(dict(zip(fields[::2], fields[1::2]))["payload"])
                    if (event["payload"].get("operation") == "CREATE_OTA"
                            and event["payload"]["otaTaskId"] == tid):
                        return event
                return None
            event = wait_until("the CREATE_OTA event in Redis", created)
            self.assertEqual(event["messageType"], "DEVICE_OTA")
            self.assertEqual(event["payload"], {"operation": "CREATE_OTA", "otaTaskId": tid,
                                                "status": "COMPLETED", "otaType": "ONE_TIME"})
            self.assertEqual(event["resources"], [f"{ARN_PREFIX}:ota-task/{tid}"])
        finally:
            c.delete_notification_configuration(EventType="DEVICE_OTA")

    # --- OTAD_MAX_TARGETS --------------------------------------------------------------------

    def test_max_targets(self):
        small = self.cluster.start_otad(env=dict(harness.SIGV4_ENV, OTAD_MAX_TARGETS="2"))
        try:
            c = mi(small.url)
            group = unique("max")
            things = [self.thing(group, "1") for _ in range(3)]
            before = self.cluster.psql("SELECT count(*) FROM tasks")
            with self.assertRaises(c.exceptions.ValidationException) as ctx:
                c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", Target=things[:1],
                                  OtaTargetQueryString=f"attributes.grp={group}")
            self.assertEqual(self.assert_error(ctx, "ValidationException", 400)["Error"]["Message"],
                             "the task would have 3 targets (Target and OtaTargetQueryString), "
                             "more than the limit of 2")
            with self.assertRaises(c.exceptions.ValidationException) as ctx:
                c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", Target=things)
            self.assertEqual(self.assert_error(ctx, "ValidationException", 400)["Error"]["Message"],
                             "Target must have at most 2 entries")
            self.assertEqual(self.cluster.psql("SELECT count(*) FROM tasks"), before)
            ok = c.create_ota_task(S3Url="s3://b/f", OtaType="ONE_TIME", Target=things[:2])
            self.assertTrue(ok["TaskId"])
        finally:
            small.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
