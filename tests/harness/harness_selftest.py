"""harness_selftest: checks of the test harness itself (`harness.py selftest`).

Starts real PostgreSQL and Redis, restarts each, round-trips psql parameters and RESP replies,
drives the otad lifecycle against a stand-in otad (a small Python HTTP server that keeps the
otad command-line contract: --listen, --port-file, /healthz, /readyz), and runs the `run` CLI
for its exit status, deadline and log dump. Needs no otad build.
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path

import harness

HARNESS = Path(harness.__file__).resolve()

# A stand-in otad. FAKE_OTAD_MODE: "" serves; "exit" exits 3 at once; "sanitizer" also
# writes a UBSan-looking line to its log; "slowready" answers /readyz 503 for 0.5 s.
FAKE_OTAD = textwrap.dedent("""\
    import http.server, os, signal, sys, time
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    mode = os.environ.get("FAKE_OTAD_MODE", "")
    if mode == "exit":
        print("fake otad: exiting as asked", file=sys.stderr)
        sys.exit(3)
    if mode == "sanitizer":
        print("x.c:1:2: runtime error: signed integer overflow", file=sys.stderr, flush=True)
    host, port = args["--listen"].rsplit(":", 1)
    born = time.monotonic()
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = 200
            if self.path == "/readyz" and mode == "slowready" and time.monotonic() - born < 0.5:
                code = 503
            body = ("%s %s %s" % (self.path, os.environ.get("OTAD_AUTH"), args["--pg"])).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            print("fake otad:", *a, file=sys.stderr, flush=True)
    srv = http.server.HTTPServer((host, int(port)), H)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with open(args["--port-file"] + ".tmp", "w") as f:
        f.write("%d\\n" % srv.server_address[1])
    os.rename(args["--port-file"] + ".tmp", args["--port-file"])
    print("fake otad: listening", file=sys.stderr, flush=True)
    srv.serve_forever()
""")


def fake_otad_bin(tmp: Path) -> str:
    path = tmp / "fake-otad"
    path.write_text(f"#!{sys.executable}\n" + FAKE_OTAD)
    path.chmod(0o755)
    return str(path)


class SelfTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="otad-selftest-"))
        cls.old_bin = os.environ.get("OTAD_BIN")
        os.environ["OTAD_BIN"] = fake_otad_bin(cls.tmp)
        cls.cluster = harness.Cluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        if cls.old_bin is None:
            os.environ.pop("OTAD_BIN", None)
        else:
            os.environ["OTAD_BIN"] = cls.old_bin
        for p in cls.tmp.iterdir():
            p.unlink()
        cls.tmp.rmdir()

    def test_psql_parameters_round_trip(self):
        cases = [(v, v) for v in ("plain", "it's", "back\\slash", "semi;colon -- x",
                                  "new\nline", "comma, \"quote\"", "ünïcode ✓", "", ":'v1'")]
        cases += [(42, "42"), (True, "true"), (False, "false")]
        for value, want in cases:
            with self.subTest(value=value):
                self.assertEqual(self.cluster.psql("SELECT :'v1'::text", value), [(want,)])

    def test_psql_rows_nulls_and_errors(self):
        c = self.cluster
        self.assertEqual(c.psql("SELECT current_database(), NULL, ''"), [("otad", None, "")])
        self.assertEqual(c.psql("SELECT g, g * 2 FROM generate_series(1, 3) g"),
                         [("1", "2"), ("2", "4"), ("3", "6")])
        self.assertEqual(c.psql("CREATE TEMP TABLE t (x int); SELECT 1 WHERE false"), [])
        self.assertEqual(c.psql("SHOW fsync"), [("off",)])
        with self.assertRaisesRegex(harness.HarnessError, "syntax error"):
            c.psql("SELEC 1")
        with self.assertRaises(TypeError):
            c.psql("SELECT :'v1'", None)

    def test_redis_replies_are_structured(self):
        c = self.cluster
        cases = [
            (("PING",), "PONG"),
            (("SET", "k", "v 1"), "OK"),
            (("GET", "k"), "v 1"),
            (("GET", "missing"), None),
            (("INCR", "n"), 1),
            (("RPUSH", "l", "a", "b"), 2),
            (("LRANGE", "l", 0, -1), ["a", "b"]),
            (("CONFIG", "GET", "port"), ["port", "0"]),
        ]
        for args, want in cases:
            with self.subTest(args=args):
                self.assertEqual(c.redis(*args), want)
        c.redis("SET", "bin", b"\x00\xff")
        self.assertEqual(c.redis("GET", "bin", raw=True), b"\x00\xff")
        xid = c.redis("XADD", "s", "*", "thing", "t1")
        self.assertEqual(c.redis("XRANGE", "s", "-", "+"), [[xid, ["thing", "t1"]]])
        with self.assertRaisesRegex(harness.RedisError, "WRONGTYPE"):
            c.redis("INCR", "l")

    def test_redis_restart_keeps_socket_path(self):
        c = self.cluster
        path, pid = c.redis_socket, c.redis_server.proc.pid
        c.redis("SET", "before", "1")
        c.stop_redis()
        self.assertFalse(c.redis_server.proc.running)
        with self.assertRaises(harness.HarnessError):
            c.redis("PING")
        c.start_redis()
        self.assertEqual(c.redis_socket, path)
        self.assertNotEqual(c.redis_server.proc.pid, pid)
        self.assertEqual(c.redis("GET", "before"), None)  # no persistence
        c.restart_redis()
        self.assertEqual(c.redis("PING"), "PONG")

    def test_pg_restart_keeps_data(self):
        c = self.cluster
        c.psql("CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES (:'v1')", "x")
        c.restart_pg()
        self.assertIn(("x",), c.psql("SELECT v FROM kept"))

    def test_two_otads_stop_kill_restart(self):
        c = self.cluster
        a = c.start_otad()
        b = c.start_otad(env={"OTAD_AUTH": "sigv4", "FAKE_OTAD_MODE": "slowready"})
        self.assertNotEqual(a.port, b.port)
        status, _, body = a.http("GET", "/healthz")
        self.assertEqual((status, body.decode()), (200, f"/healthz none {c.pg_conninfo}"))
        self.assertEqual(b.http("GET", "/readyz")[2].decode().split()[1], "sigv4")
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.kill9(), -9)
        b.start()
        self.assertTrue(b.running)
        self.assertEqual(b.http("GET", "/readyz")[0], 200)
        self.assertEqual(c.problems(), [])
        b.stop()

    def test_otad_early_exit_is_reported_fast(self):
        started = time.monotonic()
        with self.assertRaisesRegex(harness.HarnessError, "exited with status 3"):
            self.cluster.start_otad(env={"FAKE_OTAD_MODE": "exit"})
        self.assertLess(time.monotonic() - started, 5)
        self.cluster.otads.pop()  # the failed one is not a problem of the other tests

    def test_problems_found(self):
        c = self.cluster
        o = c.start_otad(env={"FAKE_OTAD_MODE": "sanitizer"})
        try:
            self.assertEqual(c.problems(), ["otad-%d log has a sanitizer report "
                                            "('runtime error:')" % o.n])
            o.stop()
            c.otads.remove(o)
            o = c.start_otad()
            os.kill(o.pid, 9)  # not through the harness: a crash
            o.proc.popen.wait(10)
            self.assertEqual(c.problems(), ["otad-%d exited unexpectedly with status -9" % o.n])
        finally:
            o.stop()
            c.otads.remove(o)

    def run_cli(self, *args, timeout=120):
        env = dict(os.environ, OTAD_LOG_LINES="5")
        return subprocess.run([sys.executable, str(HARNESS), "run", *args], env=env,
                              capture_output=True, text=True, timeout=timeout)

    def test_cli_run(self):
        probe = ("import os, socket, sys; s = socket.socket(socket.AF_UNIX);"
                 "s.connect(os.environ['OTAD_TEST_REDIS']); s.sendall(b'PING\\r\\n');"
                 "assert s.recv(16) == b'+PONG\\r\\n';"
                 "assert 'dbname=otad' in os.environ['OTAD_TEST_PG'];"
                 "assert os.environ['OTAD_TEST_URL'].startswith('http://127.0.0.1:');"
                 "sys.exit(int(sys.argv[1]))")
        ok = self.run_cli("--otad", "--", sys.executable, "-c", probe, "0")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertNotIn("===== end of server logs", ok.stderr)
        bad = self.run_cli("--otad", "--", sys.executable, "-c", probe, "7")
        self.assertEqual(bad.returncode, 7, bad.stderr)
        for log in ("postgres log", "redis log", "otad-1 log", "end of server logs"):
            self.assertIn(log, bad.stderr)

    def test_cli_run_deadline(self):
        started = time.monotonic()
        r = self.run_cli("--redis", "--timeout", "1", "--", "sleep", "60")
        self.assertEqual(r.returncode, 124, r.stderr)
        self.assertIn("still running after 1 s", r.stderr)
        self.assertLess(time.monotonic() - started, 30)


def main(argv) -> int:
    prog = unittest.main(module=__name__, argv=["harness.py selftest", *argv], exit=False,
                         verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1
