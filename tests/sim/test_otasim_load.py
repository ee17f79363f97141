#!/usr/bin/env python3
"""`otasim load` against harness-started otads.

- Live vs simulated: one scenario (exponential ramp, failures retried, silent devices timing
  out and retried, rejections, a polling group) run in virtual time (`otasim rollout --json`)
  and live (`otasim load --json` against an otad with OTAD_TIME_SCALE=20 and the scenario's
  OTAD_MAX_RATE_PER_MINUTE) ends with identical counts by status, attempts, retries and rate
  steps, lost_updates 0, and event times that agree within the tolerance below. The live
  --timeline and --svg are written and readable.
- SigV4: a run with the right keys against an otad with OTAD_AUTH=sigv4 succeeds; with a wrong
  secret it stops at the first request and reports the 403 InvalidSignatureException; unsigned
  it reports MissingAuthenticationTokenException.
- The update benchmark with a few hundred devices for two seconds reports plausible figures.
- Bad arguments and bad scenario files exit with status 2 and a message naming the problem.

Time tolerance. A live run differs from the simulation by (a) the scheduler's batching: the
pacer queues in batches at least 1 s of service time apart, so a notification may come up to
1 s later than its slot; (b) real-time latencies that the scaled clock multiplies: the relay
from PostgreSQL to Redis, the devices' HTTP round trips and timer wake-ups, each a few
milliseconds to tens of milliseconds of real time, times K = 20; a chain of them (notify ->
accept -> start -> time-out -> retry) accumulates; (c) otad completes a finished ONE_TIME task
at its safety-net re-tick (OTAD_TICK_MS, 10 s of service time) after the last execution
settled, where the simulation completes it at once. So: first notification (one scheduler pass
after the creation) 1 s + 0.25 s * K = 6 s; last notification 1 s + 0.5 s * K = 11 s; task
completion and end 10 s + 1 s + 0.25 s * K = 16 s; against a run of about two minutes of service
time. (Measured on the development machine: +0.2 s, +0.6 s and +10.6 s.)

Environment (set by ctest): OTASIM_BIN, OTAD_BIN, OTAD_SOURCE_DIR, PYTHONPATH=tests/harness."""

import csv
import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

import harness

OTASIM = os.environ.get("OTASIM_BIN", "otasim")
SCALE = 20
MAX_RATE = 600
TICK_S = 10  # OTAD_TICK_MS default
TOL_FIRST_S = 1 + 0.25 * SCALE
TOL_LAST_S = 1 + 0.5 * SCALE
TOL_END_S = TICK_S + 1 + 0.25 * SCALE
SVG = "{http://www.w3.org/2000/svg}"

SCENARIO = {
    "name": "live-vs-sim",
    "seed": 11,
    "start": "2026-03-01T00:00:00Z",
    "service": {"max_rate_per_minute": MAX_RATE},
    "configuration": {"PushConfig": {
        "RolloutConfig": {"MaximumPerMinute": 480, "ExponentialRolloutRate": {
            "BaseRatePerMinute": 60, "IncrementFactor": 2,
            "RateIncreaseCriteria": {"numberOfNotifiedThings": 25}}},
        "TimeoutConfig": {"InProgressTimeoutInMinutes": 1}}},
    "task": {"OtaType": "ONE_TIME", "S3Url": "s3://firmware/live.bin",
             "OtaTaskExecutionRetryConfig": {"RetryConfigCriteria": [
                 {"FailureType": "FAILED", "MinNumberOfRetries": 1},
                 {"FailureType": "TIMED_OUT", "MinNumberOfRetries": 1}]}},
    "fleet": {"count": 150, "name_prefix": "live-", "metadata": {"model": "m{i%3}"}, "groups": [
        {"name": "healthy", "share": 0.8, "outcome": "SUCCEEDED",
         "accept_delay_s": {"uniform": [1, 3]}, "duration_s": {"uniform": [5, 15]}},
        {"name": "flaky", "share": 0.06, "outcome": "FAILED", "recover_after_attempts": 1,
         "accept_delay_s": 2, "duration_s": 8},
        {"name": "hung", "share": 0.04, "outcome": "SILENT", "recover_after_attempts": 1,
         "accept_delay_s": 2, "duration_s": 8},
        {"name": "refusing", "share": 0.04, "outcome": "REJECTED", "accept_delay_s": 3},
        {"name": "polling", "share": 0.06, "outcome": "SUCCEEDED", "discovery": "poll",
         "accept_delay_s": 2, "duration_s": 6}]},
}

SMALL = {
    "name": "small", "seed": 3, "start": "2026-03-01T00:00:00Z",
    "configuration": {"PushConfig": {"RolloutConfig": {"MaximumPerMinute": 600}}},
    "task": {"OtaType": "ONE_TIME", "S3Url": "s3://firmware/small.bin"},
    "fleet": {"count": 30, "name_prefix": "small-", "groups": [
        {"share": 1, "outcome": "SUCCEEDED", "accept_delay_s": 1, "duration_s": 4}]},
}


def run(*args, timeout=240):
    return subprocess.run([OTASIM, *args], capture_output=True, text=True, timeout=timeout)


def write(tmp, doc, name="scenario.json"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


class Live(harness.HarnessTestCase):
    otad_env = {"OTAD_TIME_SCALE": str(SCALE), "OTAD_MAX_RATE_PER_MINUTE": str(MAX_RATE)}

    def test_live_run_matches_the_simulation(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = write(tmp, SCENARIO)
            sim = run("rollout", "--scenario", path, "--json")
            self.assertEqual(sim.returncode, 0, sim.stderr)
            sim = json.loads(sim.stdout)
            csv_path, svg_path = os.path.join(tmp, "t.csv"), os.path.join(tmp, "t.svg")
            p = run("load", "--endpoint", self.url, "--redis", self.cluster.redis_socket,
                    "--scenario", path, "--json", "--time-scale", str(SCALE),
                    "--poll-interval", "0.2", "--timeline", csv_path, "--svg", svg_path)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            live = json.loads(p.stdout)

            self.assertIsNone(live["error"])
            self.assertEqual(live["lost_updates"], 0, live["consistency"])
            self.assertEqual(live["errors"], 0, live["errors_by_type"])
            self.assertEqual(live["misrouted"], 0)
            self.assertEqual(live["device_errors"], 0)
            for field in ("devices", "targets", "task_status", "end", "aborted", "counts",
                          "executions", "retries", "not_notified", "notified"):
                self.assertEqual(live[field], sim[field], f"{field}: live {live[field]} "
                                 f"vs simulated {sim[field]}")
            self.assertEqual([s["rate"] for s in live["rate_steps"]],
                             [s["rate"] for s in sim["rate_steps"]])
            self.assertEqual([s["stage"] for s in live["rate_steps"]],
                             [s["stage"] for s in sim["rate_steps"]])
            self.assertLessEqual(abs(live["first_queued_at_s"] - sim["first_queued_at_s"]),
                                 TOL_FIRST_S)
            for field, tol in (("last_queued_at_s", TOL_LAST_S), ("ended_at_s", TOL_END_S),
                               ("task_final_at_s", TOL_END_S)):
                self.assertIsNotNone(live[field], field)
                self.assertLessEqual(abs(live[field] - sim[field]), tol,
                                     f"{field}: live {live[field]} vs simulated {sim[field]}")
            for got, want in zip(live["rate_steps"], sim["rate_steps"]):
                self.assertLessEqual(abs(got["at_s"] - want["at_s"]), TOL_LAST_S)
            # the devices' own record, as the consistency check saw it
            reports = live["consistency"]["device_reports"]
            self.assertEqual(reports["SUCCEEDED"], sim["counts"]["SUCCEEDED"])
            self.assertEqual(reports["FAILED"], sim["counts"]["FAILED"])
            self.assertEqual(reports["REJECTED"], sim["counts"]["REJECTED"])
            self.assertEqual(live["consistency"]["executions_listed"], sim["targets"])
            # every operation a device uses was measured, with ordered percentiles
            ops = {o["name"]: o for o in live["operations"]}
            for name in ("CreateManagedThing", "CreateOtaTaskConfiguration", "CreateOtaTask",
                         "StartNextPendingJobExecution", "UpdateJobExecution",
                         "GetPendingJobExecutions", "ListOtaTaskExecutions", "GetOtaTask"):
                self.assertIn(name, ops)
                o = ops[name]
                self.assertTrue(0 <= o["p50_ms"] <= o["p90_ms"] <= o["p99_ms"] <= o["max_ms"], o)
            self.assertEqual(ops["CreateManagedThing"]["requests"], SCENARIO["fleet"]["count"])
            self.assertGreater(live["notifications"], 0)
            self.assertGreater(live["polls"], 0)

            # the observed timeline: the documented columns, ending at the final counts
            with open(csv_path) as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(list(rows[0].keys()),
                             ["time_s", "queued", "in_progress", "succeeded", "failed",
                              "timed_out", "rejected", "canceled", "rate", "notified"])
            last = rows[-1]
            self.assertEqual(int(last["succeeded"]), sim["counts"]["SUCCEEDED"])
            self.assertEqual(int(last["failed"]), sim["counts"]["FAILED"])
            self.assertEqual(int(last["timed_out"]), sim["counts"]["TIMED_OUT"])
            self.assertEqual(sum(int(r["notified"]) for r in rows), sim["notified"])
            root = ET.parse(svg_path).getroot()
            ids = {e.get("id") for e in root.iter() if e.get("id")}
            for want in ("axis-x", "axis-y", "axis-rate", "legend", "rate-line",
                         "series-succeeded"):
                self.assertIn(want, ids)

            # and the server agrees, read with boto3
            task = self.mi().get_ota_task(Identifier=live["task_id"])
            self.assertEqual(task["Status"], sim["task_status"])


class SigV4(harness.HarnessTestCase):
    otad_env = dict(harness.SIGV4_ENV, OTAD_TIME_SCALE=str(SCALE))

    def load(self, *keys):
        with tempfile.TemporaryDirectory() as tmp:
            path = write(tmp, SMALL)
            p = run("load", "--endpoint", self.url, "--redis", self.cluster.redis_socket,
                    "--scenario", path, "--json", "--time-scale", str(SCALE), *keys)
        return p, json.loads(p.stdout)

    def test_signed_run_succeeds(self):
        p, out = self.load("--access-key", harness.FAKE_ACCESS_KEY,
                           "--secret-key", harness.FAKE_SECRET_KEY)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(out["signed"])
        self.assertEqual(out["errors"], 0, out["errors_by_type"])
        self.assertEqual(out["counts"]["SUCCEEDED"], 30)
        self.assertEqual(out["lost_updates"], 0)

    def test_wrong_secret_reports_403(self):
        p, out = self.load("--access-key", harness.FAKE_ACCESS_KEY, "--secret-key", "wrong")
        self.assertEqual(p.returncode, 1)
        self.assertIn("403 InvalidSignatureException", p.stderr)
        self.assertIn("InvalidSignatureException", out["error"])
        self.assertGreaterEqual(out["errors_by_type"]["InvalidSignatureException"], 1)
        self.assertEqual(out["errors_by_status"], {"403": out["errors"]})

    def test_unsigned_is_refused(self):
        p, out = self.load()
        self.assertEqual(p.returncode, 1)
        self.assertFalse(out["signed"])
        self.assertGreaterEqual(out["errors_by_type"]["MissingAuthenticationTokenException"], 1)


class Bench(harness.HarnessTestCase):
    otad_env = {"OTAD_MAX_RATE_PER_MINUTE": "1000000", "OTAD_LOG_LEVEL": "warn"}

    def test_bench_updates(self):
        p = run("load", "--endpoint", self.url, "--bench", "updates", "--devices", "300",
                "--duration", "2", "--connections", "16", "--json")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["mode"], "bench-updates")
        self.assertEqual(out["started"], 300)
        self.assertEqual(out["finished"], 300)
        self.assertEqual(out["version_mismatches"], 0)
        self.assertEqual(out["update_errors"], 0)
        self.assertGreater(out["updates"], 300)  # every device updated, most of them often
        self.assertGreaterEqual(out["duration_s"], 2)
        self.assertLess(out["duration_s"], 10)
        self.assertAlmostEqual(out["updates_per_s"], out["updates"] / out["duration_s"],
                               delta=1)
        lat = out["latency_ms"]
        self.assertTrue(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat)
        self.assertLess(lat["p50"], 1000)
        ops = {o["name"]: o for o in out["all_requests"]["operations"]}
        # progress updates in the phase, plus one final SUCCEEDED per device
        self.assertEqual(ops["UpdateJobExecution"]["requests"], out["updates"] + 300)


class BadArguments(unittest.TestCase):
    def check(self, args, *phrases, doc=None):
        with tempfile.TemporaryDirectory() as tmp:
            if doc is not None:
                args = [a.replace("SCENARIO", write(tmp, doc)) for a in args]
            p = run("load", *args, timeout=30)
        self.assertEqual(p.returncode, 2, f"{args}: {p.stdout} {p.stderr}")
        for phrase in phrases:
            self.assertIn(phrase, p.stderr)

    def test_usage_errors(self):
        url = ["--endpoint", "http://127.0.0.1:1"]
        self.check(["--scenario", "x.json"], "--endpoint URL is required")
        self.check(url, "--scenario FILE is required")
        self.check(url + ["--scenario", "x.json", "--frobnicate"], "unknown option")
        self.check(url + ["--scenario", "x.json", "--time-scale", "0"], "--time-scale: '0'")
        self.check(url + ["--scenario", "x.json", "--devices", "-5"], "--devices: '-5'")
        self.check(url + ["--scenario", "x.json", "--connections", "0"], "--connections")
        self.check(url + ["--bench", "reads"], "--bench: 'reads'")
        self.check(url + ["--bench", "updates", "--scenario", "x.json"], "--bench takes no")
        self.check(url + ["--scenario", "x.json", "--access-key", "AK"], "go together")
        self.check(url + ["--scenario", "x.json", "stray"], "unexpected argument: stray")
        self.check(url + ["--scenario", "SCENARIO"], "--redis ADDR is required", doc=SMALL)
        self.check(["--endpoint", "ftp://127.0.0.1:1", "--scenario", "SCENARIO", "--redis",
                    "/nonexistent.sock"], "only http:// is supported", doc=SMALL)

    def test_bad_scenarios(self):
        url = ["--endpoint", "http://127.0.0.1:1", "--redis", "/nonexistent.sock",
               "--scenario", "SCENARIO"]
        self.check(url[:-2] + ["--scenario", "/nonexistent/s.json"], "/nonexistent/s.json")
        bad = json.loads(json.dumps(SMALL))
        bad["fleet"]["groups"][0]["outcome"] = "EXPLODED"
        self.check(url, "fleet.groups[0].outcome", doc=bad)
        bad = json.loads(json.dumps(SMALL))
        bad["fleet"]["groups"][0]["share"] = 0.9
        self.check(url, "must sum to 1", doc=bad)
        bad = json.loads(json.dumps(SMALL))
        bad["configuration"]["PushConfig"]["RolloutConfig"]["MaximumPerMinute"] = 0
        self.check(url, "configuration.PushConfig.RolloutConfig.MaximumPerMinute", doc=bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
