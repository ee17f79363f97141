#!/usr/bin/env python3
"""SigV4 authentication (SPEC.md section 11, reference/wire.md section 4) with real clients.

One otad with OTAD_AUTH=sigv4 and two configured keys. boto3 iot-managed-integrations calls
signed with a configured key succeed (create/get/list OTA task configurations, with labels and
query values that need encoding); a wrong secret, an unknown key, no signature, a signature
for another service or region, a stale or tampered request are refused with 403 and the wire
error type both SDKs read; health, readiness and metrics need no signature; a malformed
OTAD_CREDENTIALS stops otad at start-up. When node and the npm packages of tests/sdk/node are
installed, a request signed by @smithy/signature-v4 (the JS SDK's signer) is accepted too.

Always starts its own otad (OTAD_TEST_URL is ignored: a shared otad has no keys).
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock

import harness

os.environ.pop("OTAD_TEST_URL", None)

import boto3  # noqa: E402  (after the harness put tests/harness on the path)
import botocore.auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

AKID, SECRET = harness.FAKE_ACCESS_KEY, harness.FAKE_SECRET_KEY
AKID2, SECRET2 = "AKIDSECOND", "c2Vjb25kL3NlY3JldCtrZXk9PQ/+abc"
SERVICE = "iotmanagedintegrations"
NODE_DIR = harness.REPO / "tests" / "sdk" / "node"

PUSH = {"RolloutConfig": {"MaximumPerMinute": 10}}


def client(akid=AKID, secret=SECRET, region=harness.REGION, token=None, url=None):
    session = boto3.session.Session(aws_access_key_id=akid, aws_secret_access_key=secret,
                                    aws_session_token=token, region_name=region)
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                 read_timeout=30)
    return session.client("iot-managed-integrations", endpoint_url=url, config=cfg)


def send(url, method, path, body=b"", headers=None):
    """One raw request; returns (status, headers with lower-case names, parsed JSON or None)."""
    req = urllib.request.Request(url + path, data=body if body else None, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    hdrs = {k.lower(): v for k, v in hdrs.items()}
    return status, hdrs, json.loads(raw) if raw and raw[:1] in (b"{", b"[") else None


def signed_headers(url, method, path, body=b"", service=SERVICE, region=harness.REGION,
                   secret=SECRET, when=None):
    """The headers botocore's SigV4Auth adds for this request (at `when`, default now)."""
    req = AWSRequest(method=method, url=url + path, data=body,
                     headers={"Content-Type": "application/json"} if body else {})
    auth = botocore.auth.SigV4Auth(Credentials(AKID, secret), service, region)
    if when is None:
        auth.add_auth(req)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            auth.add_auth(req)
    return dict(req.headers.items())


class SigV4Test(harness.HarnessTestCase):
    otad_env = {"OTAD_AUTH": "sigv4",
                "OTAD_CREDENTIALS": f" {AKID}:{SECRET} , {AKID2}:{SECRET2}"}

    def assert_refused(self, call, code, message_part):
        with self.assertRaises(ClientError) as cm:
            call()
        err = cm.exception.response
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(err["Error"]["Code"], code)
        self.assertIn(message_part, err["Error"]["Message"])
        return err

    def assert_raw_refused(self, status, hdrs, body, code, message_part):
        self.assertEqual(status, 403)
        self.assertEqual(hdrs.get("x-amzn-errortype"), code)
        self.assertEqual(body["__type"], code)
        self.assertIn(message_part, body["Message"])  # MI error shapes use "Message"

    # --- accepted ---

    def test_signed_calls_succeed(self):
        mi = client(url=self.url)
        created = mi.create_ota_task_configuration(Name="sigv4 cfg", PushConfig=PUSH)
        cid = created["TaskConfigurationId"]
        got = mi.get_ota_task_configuration(Identifier=cid)
        self.assertEqual(got["Name"], "sigv4 cfg")
        listed = mi.list_ota_task_configurations(MaxResults=100)
        self.assertIn(cid, [c["TaskConfigurationId"] for c in listed["Items"]])

    def test_second_key_accepted(self):
        mi = client(AKID2, SECRET2, url=self.url)
        cid = mi.create_ota_task_configuration(Name="k2", PushConfig=PUSH)["TaskConfigurationId"]
        self.assertEqual(mi.get_ota_task_configuration(Identifier=cid)["Name"], "k2")

    def test_encoded_label_and_query_verify(self):
        # The signature covers "%2520"-style double-encoded labels and re-encoded query
        # values; the handler's own answer (404 / 400) proves the request passed auth.
        mi = client(url=self.url)
        with self.assertRaises(ClientError) as cm:
            mi.get_ota_task_configuration(Identifier="no such:cfg $x")
        self.assertNotEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as cm:
            mi.list_ota_task_configurations(NextToken="a b/c+=~")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")

    def test_session_token_signed_and_accepted(self):
        # Static keys only: a session token is accepted when it is signed (botocore signs it).
        mi = client(token="FQoGZXIvYXdzEXAMPLE+token/=", url=self.url)
        mi.list_ota_task_configurations(MaxResults=1)

    def test_clock_at_the_edge_accepted(self):
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=4)
        hdrs = signed_headers(self.url, "GET", "/ota-task-configurations", when=when)
        status, _, _ = send(self.url, "GET", "/ota-task-configurations", headers=hdrs)
        self.assertEqual(status, 200)

    # --- refused ---

    def test_wrong_secret(self):
        mi = client(AKID, SECRET[:-1] + "X", url=self.url)
        self.assert_refused(mi.list_ota_task_configurations, "InvalidSignatureException",
                            "signature does not match")

    def test_unknown_key(self):
        mi = client("AKIDUNKNOWN", SECRET, url=self.url)
        self.assert_refused(mi.list_ota_task_configurations, "UnrecognizedClientException",
                            "The security token included in the request is invalid.")

    def test_wrong_region(self):
        mi = client(region="eu-west-1", url=self.url)
        self.assert_refused(mi.list_ota_task_configurations, "InvalidSignatureException",
                            "expected 'us-east-1', got 'eu-west-1'")

    def test_unsigned_request(self):
        for method, path, body in (("GET", "/ota-task-configurations", b""),
                                   ("POST", "/ota-task-configurations",
                                    json.dumps({"Name": "x", "PushConfig": PUSH}).encode())):
            with self.subTest(method=method):
                status, hdrs, doc = send(self.url, method, path, body,
                                         {"Content-Type": "application/json"})
                self.assert_raw_refused(status, hdrs, doc, "MissingAuthenticationTokenException",
                                        "no Authorization header")
                self.assertIn("x-amzn-requestid", hdrs)

    def test_signed_for_another_service(self):
        hdrs = signed_headers(self.url, "GET", "/ota-task-configurations", service="iot")
        status, rh, doc = send(self.url, "GET", "/ota-task-configurations", headers=hdrs)
        self.assert_raw_refused(status, rh, doc, "InvalidSignatureException",
                                "expected 'iotmanagedintegrations', got 'iot'")

    def test_expired(self):
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
        hdrs = signed_headers(self.url, "GET", "/ota-task-configurations", when=when)
        status, rh, doc = send(self.url, "GET", "/ota-task-configurations", headers=hdrs)
        self.assert_raw_refused(status, rh, doc, "InvalidSignatureException",
                                f"Signature expired: {hdrs['X-Amz-Date']} is now earlier than ")
        self.assertTrue(doc["Message"].endswith(" - 5 min.)"), doc["Message"])

    def test_tampered_body(self):
        body = json.dumps({"Name": "honest", "PushConfig": PUSH}).encode()
        hdrs = signed_headers(self.url, "POST", "/ota-task-configurations", body)
        evil = body.replace(b"honest", b"forged")
        status, rh, doc = send(self.url, "POST", "/ota-task-configurations", evil, hdrs)
        self.assert_raw_refused(status, rh, doc, "InvalidSignatureException",
                                "signature does not match")

    def test_tampered_path(self):
        hdrs = signed_headers(self.url, "GET", "/ota-task-configurations/a")
        status, rh, doc = send(self.url, "GET", "/ota-task-configurations/b", headers=hdrs)
        self.assert_raw_refused(status, rh, doc, "InvalidSignatureException",
                                "signature does not match")

    def test_malformed_authorization(self):
        hdrs = signed_headers(self.url, "GET", "/ota-task-configurations")
        hdrs["Authorization"] = hdrs["Authorization"].replace("Signature=", "Sig=")
        status, rh, doc = send(self.url, "GET", "/ota-task-configurations", headers=hdrs)
        self.assert_raw_refused(status, rh, doc, "InvalidSignatureException",
                                "malformed Authorization header")

    # --- never authenticated ---

    def test_health_needs_no_auth(self):
        for path in ("/healthz", "/readyz", "/metrics"):
            with self.subTest(path=path):
                status, _, _ = harness.http_request(self.url, "GET", path)
                self.assertEqual(status, 200)

    # --- the JS SDK's signer ---

    @unittest.skipUnless(shutil.which("node") and (NODE_DIR / "node_modules" / "@smithy"
                                                   / "signature-v4").is_dir(),
                         "node or tests/sdk/node/node_modules not installed")
    def test_js_signer_accepted(self):
        script = r"""
            import { createRequire } from 'module';
            const env = process.env;
            const require = createRequire(env.SIGV4_NODE_DIR + '/node_modules/@aws-sdk/core/');
            const { SignatureV4 } = require('@smithy/signature-v4');
            const { Sha256 } = require('@aws-crypto/sha256-js');
            const url = new URL(env.SIGV4_URL);
            const signer = new SignatureV4({ service: 'iotmanagedintegrations', region: 'us-east-1',
                sha256: Sha256, credentials: { accessKeyId: env.SIGV4_AKID,
                secretAccessKey: env.SIGV4_SECRET } });
            const body = JSON.stringify({ Name: 'js cfg',
                PushConfig: { RolloutConfig: { MaximumPerMinute: 5 } } });
            const req = await signer.sign({ method: 'POST', protocol: 'http:',
                hostname: url.hostname, port: Number(url.port), path: '/ota-task-configurations',
                query: {}, body, headers: { host: url.host, 'content-type': 'application/json',
                'content-length': String(body.length) } });
            const res = await fetch(url.origin + '/ota-task-configurations',
                { method: 'POST', headers: req.headers, body });
            console.log(JSON.stringify({ status: res.status, body: await res.text() }));
        """
        env = dict(os.environ, SIGV4_NODE_DIR=str(NODE_DIR), SIGV4_URL=self.url,
                   SIGV4_AKID=AKID, SIGV4_SECRET=SECRET)
        done = subprocess.run(["node", "--input-type=module"], input=script.encode(), env=env,
                              capture_output=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr.decode())
        out = json.loads(done.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out["status"], 201, out["body"])
        self.assertIn("TaskConfigurationId", json.loads(out["body"]))


class NoKeysTest(harness.HarnessTestCase):
    """sigv4 with no keys configured: otad starts and refuses every signed request."""
    otad_env = {"OTAD_AUTH": "sigv4", "OTAD_CREDENTIALS": None}

    def test_every_request_refused(self):
        self.assert_code(client(url=self.url), "UnrecognizedClientException")
        status, hdrs, _ = send(self.url, "GET", "/ota-task-configurations")
        self.assertEqual((status, hdrs.get("x-amzn-errortype")),
                         (403, "MissingAuthenticationTokenException"))
        self.assertEqual(harness.http_request(self.url, "GET", "/readyz")[0], 200)

    def assert_code(self, mi, code):
        with self.assertRaises(ClientError) as cm:
            mi.list_ota_task_configurations()
        self.assertEqual(cm.exception.response["Error"]["Code"], code)


class BadCredentialsTest(harness.HarnessTestCase):
    """A malformed OTAD_CREDENTIALS stops otad before it serves."""
    with_otad = False

    def test_malformed_list_refused(self):
        cases = (("AKIDONLY", "entry 1 is not ACCESS_KEY_ID:SECRET_ACCESS_KEY"),
                 (f"{AKID}:{SECRET},,{AKID2}:{SECRET2}", "entry 2 is empty"),
                 (f"{AKID}:{SECRET},{AKID}:other", f"access key {AKID} is listed twice"),
                 (f"{AKID}:", "entry 1 is not ACCESS_KEY_ID:SECRET_ACCESS_KEY"))
        for creds, message in cases:
            with self.subTest(creds=creds):
                tmp = self.cluster.dir / "bad-creds.port"
                env = {k: v for k, v in os.environ.items() if not k.startswith("OTAD_")}
                env.update(OTAD_AUTH="sigv4", OTAD_CREDENTIALS=creds)
                done = subprocess.run(
                    [harness.otad_bin(), "--listen", "127.0.0.1:0", "--port-file", str(tmp),
                     "--pg", self.cluster.pg_conninfo, "--redis", self.cluster.redis_socket],
                    env=env, capture_output=True, timeout=60)
                self.assertNotEqual(done.returncode, 0)
                log = done.stdout.decode() + done.stderr.decode()
                self.assertIn(message, log)
                self.assertNotIn(SECRET, log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
