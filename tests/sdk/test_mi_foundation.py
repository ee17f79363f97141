#!/usr/bin/env python3
"""boto3 `iot-managed-integrations` against a harness-started otad: every operation of the
foundation families (OTA task configurations, managed things, destinations, notification
configurations) through the real client, plus the errors the client must recognise by name
(ResourceNotFoundException, ValidationException, ConflictException)."""

import datetime
import unittest
import uuid

from harness import HarnessTestCase, mi


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


class MiFoundation(HarnessTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = mi(cls.url)

    def assert_error(self, ctx, code: str, status: int):
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
        self.assertTrue(err["Error"]["Message"])
        return err

    # --- OTA task configurations ---------------------------------------------------------

    def test_task_configurations(self):
        c = self.client
        push = {"TimeoutConfig": {"InProgressTimeoutInMinutes": 60},
                "RolloutConfig": {"MaximumPerMinute": 10}}
        made = c.create_ota_task_configuration(Name="cfg sdk", Description="d-1",
                                               PushConfig=push)
        cid = made["TaskConfigurationId"]
        self.assertEqual(made["ResponseMetadata"]["HTTPStatusCode"], 201)
        got = c.get_ota_task_configuration(Identifier=cid)
        self.assertEqual(got["Name"], "cfg sdk")
        self.assertEqual(got["Description"], "d-1")
        self.assertEqual(got["PushConfig"]["RolloutConfig"]["MaximumPerMinute"], 10)
        self.assertIsInstance(got["CreatedAt"], datetime.datetime)

        seen = [i["TaskConfigurationId"]
                for page in c.get_paginator("list_ota_task_configurations").paginate(
                    PaginationConfig={"PageSize": 2})
                for i in page["Items"]]
        self.assertIn(cid, seen)
        self.assertEqual(len(seen), len(set(seen)))

        c.delete_ota_task_configuration(Identifier=cid)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.get_ota_task_configuration(Identifier=cid)
        self.assert_error(ctx, "ResourceNotFoundException", 404)

    def test_task_configuration_client_token_conflict(self):
        c = self.client
        token = unique("tok-")
        first = c.create_ota_task_configuration(Name="one", ClientToken=token)
        again = c.create_ota_task_configuration(Name="one", ClientToken=token)
        self.assertEqual(first["TaskConfigurationId"], again["TaskConfigurationId"])
        with self.assertRaises(c.exceptions.ConflictException) as ctx:
            c.create_ota_task_configuration(Name="two", ClientToken=token)
        self.assert_error(ctx, "ConflictException", 409)

    # --- managed things ------------------------------------------------------------------

    def test_managed_things(self):
        c = self.client
        owner = unique("owner")
        made = c.create_managed_thing(
            Role="DEVICE", Owner=owner, AuthenticationMaterial="abc",
            AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE", Name="K\u00fcche 1",
            SerialNumber="SN-1", Brand="Acme", Model="M1", Classification="light",
            MetaData={"fw": "1.0"}, Tags={"env": "test"},
            WiFiSimpleSetupConfiguration={"EnableAsProvisioner": True, "TimeoutInMinutes": 5},
            CapabilityReport={"version": "1.0.0", "endpoints": [
                {"id": "1", "deviceTypes": ["light"], "capabilities": [
                    {"id": "matter.OnOff@1.4", "name": "On/Off", "version": "1",
                     "properties": ["OnOff"], "actions": [], "events": []}]}]},
            CapabilitySchemas=[{"Format": "ZCL", "CapabilityId": "matter.OnOff@1.4",
                                "ExtrinsicId": "0x0006", "ExtrinsicVersion": 1,
                                "Schema": {"type": "object"}}])
        tid = made["Id"]
        self.assertEqual(made["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(made["Arn"],
                         f"arn:aws:iotmanagedintegrations:us-east-1:123456789012:managed-thing/{tid}")
        self.assertIsInstance(made["CreatedAt"], datetime.datetime)

        got = c.get_managed_thing(Identifier=tid)
        self.assertEqual(got["Id"], tid)
        self.assertEqual(got["Owner"], owner)
        self.assertEqual(got["Role"], "DEVICE")
        self.assertEqual(got["ProvisioningStatus"], "PRE_ASSOCIATED")
        self.assertEqual(got["Name"], "K\u00fcche 1")
        self.assertEqual(got["MetaData"], {"fw": "1.0"})
        self.assertEqual(got["Tags"], {"env": "test"})
        self.assertEqual(got["WiFiSimpleSetupConfiguration"],
                         {"EnableAsProvisioner": True, "TimeoutInMinutes": 5})
        self.assertIsInstance(got["UpdatedAt"], datetime.datetime)

        c.update_managed_thing(Identifier=tid, Name="renamed", MetaData={"fw": "2.0"},
                               HubNetworkMode="STANDARD")
        got = c.get_managed_thing(Identifier=tid)
        self.assertEqual(got["Name"], "renamed")
        self.assertEqual(got["MetaData"], {"fw": "2.0"})
        self.assertEqual(got["HubNetworkMode"], "STANDARD")
        self.assertEqual(got["Owner"], owner)

        second = c.create_managed_thing(Role="CONTROLLER", Owner=owner,
                                        AuthenticationMaterial="x",
                                        AuthenticationMaterialType="DISCOVERED_DEVICE")["Id"]
        items = [i for page in c.get_paginator("list_managed_things").paginate(
            OwnerFilter=owner, PaginationConfig={"PageSize": 1}) for i in page["Items"]]
        self.assertEqual([i["Id"] for i in items], [tid, second])
        self.assertEqual(items[0]["Name"], "renamed")
        only = c.list_managed_things(OwnerFilter=owner, RoleFilter="CONTROLLER")["Items"]
        self.assertEqual([i["Id"] for i in only], [second])
        none = c.list_managed_things(OwnerFilter=owner, ProvisioningStatusFilter="ACTIVATED")
        self.assertEqual(none["Items"], [])

        c.delete_managed_thing(Identifier=tid, Force=True)
        c.delete_managed_thing(Identifier=second)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.get_managed_thing(Identifier=tid)
        err = self.assert_error(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(err["ResourceId"], tid)
        self.assertEqual(err["ResourceType"], "ManagedThing")

    def test_managed_thing_validation(self):
        c = self.client
        owner = unique("val")
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_managed_thing(Role="DEVICE", Owner=owner, AuthenticationMaterial="abc",
                                   AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE",
                                   MetaData={"!!": "v"})
        err = self.assert_error(ctx, "ValidationException", 400)
        self.assertIn("MetaData key '!!'", err["Error"]["Message"])
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_managed_thing(Role="DEVICE", Owner=owner, AuthenticationMaterial="abc",
                                   AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE",
                                   WiFiSimpleSetupConfiguration={"TimeoutInMinutes": 16})
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "WiFiSimpleSetupConfiguration.TimeoutInMinutes must be between 5 and 15")
        self.assertEqual(c.list_managed_things(OwnerFilter=owner)["Items"], [])

    def test_managed_thing_client_token(self):
        c = self.client
        token = unique("tok-")
        owner = unique("tok")
        args = dict(Role="DEVICE", Owner=owner, AuthenticationMaterial="abc",
                    AuthenticationMaterialType="ZIGBEE_QR_BAR_CODE", ClientToken=token)
        first = c.create_managed_thing(**args)
        again = c.create_managed_thing(**args)
        self.assertEqual(first["Id"], again["Id"])
        with self.assertRaises(c.exceptions.ConflictException) as ctx:
            c.create_managed_thing(**dict(args, Name="different"))
        self.assert_error(ctx, "ConflictException", 409)
        self.assertEqual(len(c.list_managed_things(OwnerFilter=owner)["Items"]), 1)

    # --- destinations --------------------------------------------------------------------

    def create_destination(self, name: str, **extra):
        return self.client.create_destination(
            Name=name, DeliveryDestinationArn=ARN, DeliveryDestinationType="KINESIS",
            RoleArn=ROLE, **extra)

    def test_destinations(self):
        c = self.client
        name = unique("dest \u00fc ")
        made = self.create_destination(name, Description="first", Tags={"env": "test"})
        self.assertEqual(made["Name"], name)
        self.assertEqual(made["ResponseMetadata"]["HTTPStatusCode"], 201)

        got = c.get_destination(Name=name)
        self.assertEqual(got["Name"], name)
        self.assertEqual(got["DeliveryDestinationArn"], ARN)
        self.assertEqual(got["DeliveryDestinationType"], "KINESIS")
        self.assertEqual(got["RoleArn"], ROLE)
        self.assertEqual(got["Description"], "first")
        self.assertEqual(got["Tags"], {"env": "test"})
        self.assertIsInstance(got["CreatedAt"], datetime.datetime)

        names = [d["Name"] for page in c.get_paginator("list_destinations").paginate(
            PaginationConfig={"PageSize": 1}) for d in page["DestinationList"]]
        self.assertEqual(names.count(name), 1)

        upd = c.update_destination(Name=name, Description="second", RoleArn="role-2")
        self.assertEqual(upd["ResponseMetadata"]["HTTPStatusCode"], 201)
        got = c.get_destination(Name=name)
        self.assertEqual(got["Description"], "second")
        self.assertEqual(got["RoleArn"], "role-2")
        self.assertEqual(got["DeliveryDestinationArn"], ARN)

        with self.assertRaises(c.exceptions.ConflictException) as ctx:
            self.create_destination(name)
        self.assert_error(ctx, "ConflictException", 409)

        gone = c.delete_destination(Name=name)
        self.assertEqual(gone["ResponseMetadata"]["HTTPStatusCode"], 200)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.get_destination(Name=name)
        err = self.assert_error(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(err["ResourceType"], "Destination")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.update_destination(Name=name, Description="again")

    def test_destination_validation(self):
        c = self.client
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_destination(Name=unique("bad"),
                                 DeliveryDestinationArn="arn:aws:kinesis:us-east-1:1:stream",
                                 DeliveryDestinationType="KINESIS", RoleArn=ROLE)
        self.assertEqual(ctx.exception.response["Error"]["Message"],
                         "DeliveryDestinationArn must be an ARN like "
                         "arn:aws:<service>:<region>:<account>:<type>/<name>")

    # --- notification configurations -----------------------------------------------------

    def test_notification_configurations(self):
        c = self.client
        d1, d2 = unique("n1-"), unique("n2-")
        self.create_destination(d1)
        self.create_destination(d2)
        made = c.create_notification_configuration(EventType="DEVICE_OTA", DestinationName=d1,
                                                   Tags={"team": "fw"})
        self.assertEqual(made["EventType"], "DEVICE_OTA")
        self.assertEqual(made["ResponseMetadata"]["HTTPStatusCode"], 201)

        got = c.get_notification_configuration(EventType="DEVICE_OTA")
        self.assertEqual(got["DestinationName"], d1)
        self.assertEqual(got["Tags"], {"team": "fw"})
        self.assertIsInstance(got["UpdatedAt"], datetime.datetime)

        listed = [i for page in c.get_paginator("list_notification_configurations").paginate()
                  for i in page["NotificationConfigurationList"]]
        self.assertIn({"EventType": "DEVICE_OTA", "DestinationName": d1}, listed)

        with self.assertRaises(c.exceptions.ConflictException) as ctx:
            c.create_notification_configuration(EventType="DEVICE_OTA", DestinationName=d2)
        self.assert_error(ctx, "ConflictException", 409)
        with self.assertRaises(c.exceptions.ValidationException) as ctx:
            c.create_notification_configuration(EventType="DEVICE_STATE",
                                                DestinationName="missing-destination")
        err = self.assert_error(ctx, "ValidationException", 400)
        self.assertIn("missing-destination", err["Error"]["Message"])

        upd = c.update_notification_configuration(EventType="DEVICE_OTA", DestinationName=d2)
        self.assertEqual(upd["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertEqual(c.get_notification_configuration(EventType="DEVICE_OTA")
                         ["DestinationName"], d2)

        gone = c.delete_notification_configuration(EventType="DEVICE_OTA")
        self.assertEqual(gone["ResponseMetadata"]["HTTPStatusCode"], 200)
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as ctx:
            c.get_notification_configuration(EventType="DEVICE_OTA")
        err = self.assert_error(ctx, "ResourceNotFoundException", 404)
        self.assertEqual(err["ResourceType"], "NotificationConfiguration")
        self.assertEqual(err["ResourceId"], "DEVICE_OTA")

    def test_notification_configuration_client_token(self):
        c = self.client
        d = unique("nt-")
        self.create_destination(d)
        token = unique("tok-")
        first = c.create_notification_configuration(EventType="DEVICE_WSS", DestinationName=d,
                                                    ClientToken=token)
        again = c.create_notification_configuration(EventType="DEVICE_WSS", DestinationName=d,
                                                    ClientToken=token)
        self.assertEqual(first["EventType"], again["EventType"])
        with self.assertRaises(c.exceptions.ConflictException):
            c.create_notification_configuration(EventType="DEVICE_EVENT", DestinationName=d,
                                                ClientToken=token)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.get_notification_configuration(EventType="DEVICE_EVENT")
        c.delete_notification_configuration(EventType="DEVICE_WSS")


ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/otad-events"
ROLE = "arn:aws:iam::123456789012:role/otad"

if __name__ == "__main__":
    unittest.main(verbosity=2)
