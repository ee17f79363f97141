#!/usr/bin/env python3
"""`otasim rollout` from the command line, in virtual time (no server): every example scenario
in sim/scenarios/ runs, twice with identical --json (but for wall_s); the analytic ramp's last
notification matches the hand computation; the abort scenario aborts at the count predicted by
the criterion; bad scenario files exit with status 2 and a message naming the field; the
--timeline CSV parses with the documented columns and agrees with --json; the --svg chart is
well-formed XML with its axes, legend, series and markers; --bench reports its figures.

Environment (set by ctest): OTASIM_BIN, OTAD_SOURCE_DIR."""

import copy
import csv
import glob
import json
import os
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

OTASIM = os.environ.get("OTASIM_BIN", "otasim")
SOURCE = os.environ.get("OTAD_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = os.path.join(SOURCE, "sim", "scenarios")
SVG = "{http://www.w3.org/2000/svg}"
COLUMNS = ["time_s", "queued", "in_progress", "succeeded", "failed", "timed_out", "rejected",
           "canceled", "rate", "notified"]


def otasim(*args, check=True):
    p = subprocess.run([OTASIM, "rollout", *args], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"otasim rollout {' '.join(args)} exited {p.returncode}:\n"
                             f"{p.stdout}\n{p.stderr}")
    return p


def run_json(path, *extra):
    out = json.loads(otasim("--scenario", path, "--json", *extra).stdout)
    wall = out.pop("wall_s")
    assert isinstance(wall, (int, float)) and wall >= 0
    return out


M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(x):
    z = (x + GOLDEN) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def draw64(seed, index, stream, attempt):
    x = splitmix64(seed ^ ((index * GOLDEN) & M64))
    return splitmix64(x ^ ((((stream << 32) | attempt) * 0xD1B54A32D192ED03) & M64))


def groups_of(fleet, seed):
    """The group of every device, as sim/README.md documents it (an independent
    implementation of sim/fleet.c: exact counts by largest remainder, dealt through a seeded
    Feistel permutation with cycle walking)."""
    n = fleet["count"]
    shares = [g["share"] for g in fleet["groups"]]
    counts = [min(int(s * n + 1e-9), n) for s in shares]
    rem = [s * n - c for s, c in zip(shares, counts)]
    while sum(counts) < n:
        best = 0
        for g in range(1, len(rem)):
            if rem[g] > rem[best] + 1e-12:
                best = g
        counts[best] += 1
        rem[best] = -1
    bits = 2
    while bits < 62 and (1 << bits) < n:
        bits += 1
    half = (bits + 1) // 2
    mask = (1 << half) - 1
    keys = [draw64(seed, 0, 1, r) for r in range(6)]

    def feistel(x):
        left, right = x >> half, x & mask
        for k in keys:
            left, right = right, left ^ (splitmix64(right ^ k) & mask)
        return (left << half) | right

    bounds, acc = [], 0
    for c in counts:
        acc += c
        bounds.append(acc)
    out = []
    for i in range(n):
        x = feistel(i)
        while x >= n:
            x = feistel(x)
        out.append(next(g for g, b in enumerate(bounds) if x < b))
    return out


def load(name):
    with open(os.path.join(SCENARIOS, name)) as f:
        return json.load(f)


class Rollout(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="otasim-test-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, doc, name="scenario.json"):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def test_examples_run_and_are_deterministic(self):
        files = sorted(glob.glob(os.path.join(SCENARIOS, "*.json")))
        self.assertGreaterEqual(len(files), 4)
        for path in files:
            with self.subTest(scenario=os.path.basename(path)):
                a = run_json(path)
                b = run_json(path)
                self.assertEqual(a, b)
                for key in ("devices", "task_status", "aborted", "abort_criterion", "counts",
                            "executions", "first_queued_at_s", "last_queued_at_s", "ended_at_s",
                            "rate_steps"):
                    self.assertIn(key, a)
                self.assertEqual(a["executions"], sum(a["counts"].values()))
                self.assertEqual(sum(g["devices"] for g in a["groups"]), a["devices"])
                summary = otasim("--scenario", path).stdout
                self.assertIn("task ", summary)
                self.assertIn("wall time", summary)

    def test_analytic_ramp(self):
        doc = load("analytic-ramp.json")
        ro = doc["configuration"]["PushConfig"]["RolloutConfig"]
        exp = ro["ExponentialRolloutRate"]
        base, factor = exp["BaseRatePerMinute"], exp["IncrementFactor"]
        step = exp["RateIncreaseCriteria"]["numberOfNotifiedThings"]
        cap, n = ro["MaximumPerMinute"], doc["fleet"]["count"]
        # Spacing rule of engine/rollout.h: within a stage of rate r, one notification every
        # 60/r s; the rate steps at every `step`-th notification; the next stage's first slot
        # is 60/r_new after the step.
        t, last, stage, left = 0.0, 0.0, 0, n
        while left > 0:
            rate = min(base * factor ** stage, cap)
            k = min(step, left)
            last = t + (k - 1) * 60.0 / rate
            left -= k
            stage += 1
            t = last + 60.0 / min(base * factor ** stage, cap)
        out = run_json(os.path.join(SCENARIOS, "analytic-ramp.json"))
        self.assertAlmostEqual(out["last_queued_at_s"], last, delta=0.01 * last)
        self.assertEqual(out["counts"]["SUCCEEDED"], n)
        self.assertEqual([s["rate"] for s in out["rate_steps"]], [10, 20, 40, 80, 160])
        self.assertEqual(out["task_status"], "COMPLETED")

    def test_abort_scenario(self):
        out = run_json(os.path.join(SCENARIOS, "abort.json"))
        self.assertTrue(out["aborted"])
        crit = out["abort_criterion"]
        self.assertEqual(crit["index"], 0)
        self.assertEqual(out["task_status"], "CANCELED")
        # The criterion (FAILED >= 20% once 50 are terminal) held at the count it fired at, and
        # at no earlier count: devices end in index order, so the failures among the first k
        # devices are the failures among the first k terminal executions.
        doc = load("abort.json")
        (c,) = doc["configuration"]["PushConfig"]["AbortConfig"]["AbortConfigCriteriaList"]
        failing = [g for g, grp in enumerate(doc["fleet"]["groups"]) if grp["outcome"] == "FAILED"]
        member = groups_of(doc["fleet"], doc["seed"])
        failed, predicted = 0, None
        for i, g in enumerate(member):
            failed += g in failing
            if (i + 1 >= c["MinNumberOfExecutedThings"]
                    and 100.0 * failed / (i + 1) >= c["ThresholdPercentage"]):
                predicted = i + 1
                break
        k = crit["executed"]
        self.assertEqual(k, predicted)
        self.assertIn(f"after {k} executions", crit["comment"])
        self.assertEqual(out["counts"]["SUCCEEDED"] + out["counts"]["FAILED"], out["notified"])
        self.assertEqual(out["counts"]["CANCELED"], out["devices"] - out["notified"])
        self.assertLessEqual(out["last_queued_at_s"], crit["at_s"])

    def test_devices_and_until(self):
        path = os.path.join(SCENARIOS, "analytic-ramp.json")
        out = run_json(path, "--devices", "150")
        self.assertEqual(out["devices"], 150)
        self.assertEqual(out["counts"]["SUCCEEDED"], 150)
        out = run_json(path, "--until", "5m")
        self.assertEqual(out["end"], "horizon")
        self.assertEqual(out["clock_s"], 300)
        self.assertIsNone(out["ended_at_s"])
        self.assertEqual(out["task_status"], "IN_PROGRESS")

    def test_bad_scenarios(self):
        base = load("abort.json")
        cases = [
            ("unknown outcome",
             lambda d: d["fleet"]["groups"][1].__setitem__("outcome", "EXPLODED"),
             "fleet.groups[1].outcome must be one of SUCCEEDED, FAILED, REJECTED, SILENT, "
             "OFFLINE"),
            ("shares not summing to 1",
             lambda d: d["fleet"]["groups"][1].__setitem__("share", 0.2),
             "fleet.groups[].share must sum to 1 (they sum to 0.9)"),
            ("invalid configuration",
             lambda d: d["configuration"]["PushConfig"]["RolloutConfig"].__setitem__(
                 "ExponentialRolloutRate",
                 {"BaseRatePerMinute": 10, "IncrementFactor": 9,
                  "RateIncreaseCriteria": {"numberOfNotifiedThings": 10}}),
             "configuration.PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor "
             "must be between 1.1 and 5"),
            ("missing field", lambda d: d.pop("seed"), "seed is required"),
            ("wrong type", lambda d: d["fleet"].__setitem__("count", "1000"),
             "fleet.count must be an integer"),
            ("unknown member", lambda d: d["fleet"]["groups"][0].__setitem__("acept_delay_s", 1),
             "fleet.groups[0].acept_delay_s is not a known member"),
            ("invalid task", lambda d: d["task"].__setitem__("OtaType", "SOMETIMES"),
             "task.OtaType must be one of ONE_TIME, CONTINUOUS"),
            ("bad query", lambda d: d["task"].__setitem__("OtaTargetQueryString", "a:b AND ("),
             "task.OtaTargetQueryString:"),
        ]
        for what, change, message in cases:
            with self.subTest(what):
                doc = copy.deepcopy(base)
                change(doc)
                p = otasim("--scenario", self.write(doc), "--json", check=False)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(message, p.stderr)
                self.assertEqual(p.stdout, "")
        with self.subTest("not JSON"):
            path = os.path.join(self.tmp.name, "broken.json")
            with open(path, "w") as f:
                f.write('{"seed": 1,\n')
            p = otasim("--scenario", path, check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("invalid JSON at line 2", p.stderr)
        with self.subTest("usage"):
            self.assertEqual(otasim(check=False).returncode, 2)
            self.assertEqual(otasim("--scenario", "x.json", "--until", "soon",
                                    check=False).returncode, 2)

    def test_timeline_csv(self):
        for name in ("nightly-windows.json", "abort.json"):
            with self.subTest(scenario=name):
                path = os.path.join(SCENARIOS, name)
                out_csv = os.path.join(self.tmp.name, "t.csv")
                out = run_json(path, "--timeline", out_csv)
                with open(out_csv, newline="") as f:
                    rows = list(csv.reader(f))
                self.assertEqual(rows[0], COLUMNS)
                data = [dict(zip(COLUMNS, r)) for r in rows[1:]]
                self.assertTrue(all(len(r) == len(COLUMNS) for r in rows))
                for i, r in enumerate(data):
                    self.assertEqual(int(r["time_s"]), 60 * i)
                    for c in COLUMNS[1:-2] + ["notified"]:
                        self.assertGreaterEqual(int(r[c]), 0)
                    self.assertGreaterEqual(float(r["rate"]), 0)
                last = data[-1]
                for col, status in (("succeeded", "SUCCEEDED"), ("failed", "FAILED"),
                                    ("timed_out", "TIMED_OUT"), ("canceled", "CANCELED"),
                                    ("queued", "QUEUED"), ("in_progress", "IN_PROGRESS")):
                    self.assertEqual(int(last[col]), out["counts"][status])
                self.assertEqual(sum(int(r["notified"]) for r in data), out["notified"])
                self.assertLess(int(last["time_s"]) - out["clock_s"], 60)

    def test_svg(self):
        for name, markers in (("abort.json", ["abort-marker"]),
                              ("nightly-windows.json", ["windows"]),
                              ("analytic-ramp.json", [])):
            with self.subTest(scenario=name):
                out_svg = os.path.join(self.tmp.name, "t.svg")
                otasim("--scenario", os.path.join(SCENARIOS, name), "--svg", out_svg)
                root = ET.parse(out_svg).getroot()  # well-formed XML
                self.assertEqual(root.tag, SVG + "svg")
                ids = {e.get("id") for e in root.iter() if e.get("id")}
                for want in ["axis-x", "axis-y", "axis-rate", "legend", "rate-line",
                             "series-succeeded", "series-failed", "series-in-progress",
                             "series-queued"] + markers:
                    self.assertIn(want, ids)
                texts = " ".join("".join(e.itertext()) for e in root.iter(SVG + "text"))
                self.assertIn("time since start", texts)
                self.assertIn("rollout rate", texts)
                self.assertIn("succeeded (", texts)
                polys = root.find(f".//{SVG}g[@id='series-succeeded']/{SVG}polygon")
                self.assertIsNotNone(polys)
                self.assertGreater(len(polys.get("points").split()), 4)
        with self.subTest("committed example"):
            root = ET.parse(os.path.join(SCENARIOS, "example.svg")).getroot()
            self.assertEqual(root.tag, SVG + "svg")

    def test_bench(self):
        p = otasim("--scenario", os.path.join(SCENARIOS, "abort.json"), "--bench")
        for want in ("bench: wall time", "bench: scheduler ticks", "bench: ns per notified",
                     "bench: peak RSS"):
            self.assertIn(want, p.stdout)
        out = json.loads(otasim("--bench", "--devices", "2000", "--json").stdout)
        self.assertEqual(out["devices"], 2000)
        self.assertEqual(out["task_status"], "COMPLETED")
        self.assertIn("ns_per_notified", out["bench"])


if __name__ == "__main__":
    unittest.main()
