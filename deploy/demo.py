#!/usr/bin/env python3
"""demo: a short tour of a running otad with the real AWS SDK for Python (boto3).

Creates an OTA task configuration with a rollout configuration (exponential rate, abort and
timeout settings) and a managed thing, reads both back, checks that what comes back is what was
sent, and prints every step. deploy/dev.sh up runs it against http://127.0.0.1:8080.

Usage: deploy/demo.py [URL]   (default $OTAD_URL or http://127.0.0.1:8080)
"""

import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "harness"))
import harness  # noqa: E402 (the boto3 client settings shared with the tests)

PUSH_CONFIG = {
    "RolloutConfig": {
        "MaximumPerMinute": 100,
        "ExponentialRolloutRate": {
            "BaseRatePerMinute": 10,
            "IncrementFactor": 2.0,
            "RateIncreaseCriteria": {"numberOfNotifiedThings": 20},
        },
    },
    "AbortConfig": {
        "AbortConfigCriteriaList": [
            {"Action": "CANCEL", "FailureType": "FAILED", "MinNumberOfExecutedThings": 10,
             "ThresholdPercentage": 25.0},
        ],
    },
    "TimeoutConfig": {"InProgressTimeoutInMinutes": 30},
}


def show(title: str, data: dict) -> None:
    data = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    print(f"  {title}: {json.dumps(data, default=str, sort_keys=True)}")


def same(sent: dict, got: dict, what: str) -> None:
    if got != sent:
        raise SystemExit(f"demo: {what} came back different:\n  sent {sent}\n  got  {got}")


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("OTAD_URL", "http://127.0.0.1:8080")
    from botocore.exceptions import BotoCoreError, ClientError

    mi = harness.mi(url)
    print(f"demo: boto3 against {url} (iot-managed-integrations)")
    try:
        print("1. CreateOtaTaskConfiguration with a rollout configuration")
        created = mi.create_ota_task_configuration(
            Name="dev-demo", Description="created by the dev demo", PushConfig=PUSH_CONFIG,
            ClientToken=uuid.uuid4().hex)
        show("created", created)
        config_id = created["TaskConfigurationId"]

        print(f"2. GetOtaTaskConfiguration {config_id}")
        config = mi.get_ota_task_configuration(Identifier=config_id)
        show("read back", config)
        same(PUSH_CONFIG, config.get("PushConfig"), "PushConfig")
        same("dev-demo", config.get("Name"), "Name")

        print("3. CreateManagedThing")
        serial = "SN-" + uuid.uuid4().hex[:8]
        thing = mi.create_managed_thing(
            Role="DEVICE", AuthenticationMaterial="demo-" + serial,
            AuthenticationMaterialType="CUSTOM_PROTOCOL_QR_BAR_CODE", Name="demo thing",
            SerialNumber=serial, ClientToken=uuid.uuid4().hex)
        show("created", thing)

        print(f"4. GetManagedThing {thing['Id']}")
        got = mi.get_managed_thing(Identifier=thing["Id"])
        show("read back", got)
        same(thing["Arn"], got.get("Arn"), "Arn")
        same(serial, got.get("SerialNumber"), "SerialNumber")
    except ClientError as e:
        err = e.response.get("Error", {})
        print(f"demo: {e.operation_name} failed: HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')}"
              f" {err.get('Code')}: {err.get('Message')}", file=sys.stderr)
        return 1
    except BotoCoreError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    print("demo: done: the configuration and the thing round-trip through otad")
    return 0


if __name__ == "__main__":
    sys.exit(main())
