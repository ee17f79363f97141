/*
 * otasim: the rollout simulator and fleet load tester (sim/README.md). main() dispatches on
 * the subcommand through the table `commands`; each subcommand parses its own options and
 * returns the process exit status: 0 success, 1 a run-time failure (an output cannot be
 * written), 2 a usage error or a bad scenario file.
 *
 *   otasim rollout   a scenario in virtual time over the production scheduler (sim/rollout.h)
 *   otasim load      a scenario live against a running otad, or the update benchmark
 *                    (sim/load.h, sim/loadbench.h)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine/oerr.h"
#include "sim/fleet.h"
#include "sim/httpc.h"
#include "sim/load.h"
#include "sim/loadbench.h"
#include "sim/loadreport.h"
#include "sim/notify.h"
#include "sim/report.h"
#include "sim/rollout.h"
#include "sim/scenario.h"
#include "sim/svg.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

/* The built-in --bench scenario: 100,000 devices, exponential ramp at the default ceiling,
 * 3% failing once, 1% silent once (timing out after 5 minutes), retried. */
static const char bench_scenario[] =
    "{\"name\":\"bench-100k\",\"seed\":1,\"start\":\"2026-01-01T00:00:00Z\","
    "\"configuration\":{\"PushConfig\":{"
    "\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":100,"
    "\"IncrementFactor\":2,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":100}}},"
    "\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":5}}},"
    "\"task\":{\"OtaType\":\"ONE_TIME\",\"S3Url\":\"s3://firmware/bench.bin\","
    "\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":["
    "{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":2},"
    "{\"FailureType\":\"TIMED_OUT\",\"MinNumberOfRetries\":1}]}},"
    "\"fleet\":{\"count\":100000,\"name_prefix\":\"bench-\",\"groups\":["
    "{\"name\":\"healthy\",\"share\":0.96,\"outcome\":\"SUCCEEDED\","
    "\"accept_delay_s\":{\"uniform\":[1,5]},\"duration_s\":{\"uniform\":[5,25]}},"
    "{\"name\":\"flaky\",\"share\":0.03,\"outcome\":\"FAILED\",\"recover_after_attempts\":1,"
    "\"accept_delay_s\":{\"uniform\":[1,5]},\"duration_s\":{\"uniform\":[5,25]}},"
    "{\"name\":\"silent\",\"share\":0.01,\"outcome\":\"SILENT\",\"recover_after_attempts\":1,"
    "\"accept_delay_s\":{\"uniform\":[1,5]},\"duration_s\":{\"uniform\":[5,25]}}]}}";

static void usage(FILE *out)
{
    fputs("usage: otasim rollout --scenario FILE [--json] [--timeline CSV] [--svg FILE]\n"
          "                      [--until DURATION] [--devices N] [--bench]\n"
          "       otasim rollout --bench [--devices N]   (a built-in 100,000-device scenario)\n"
          "       otasim load --endpoint URL --redis ADDR --scenario FILE [--devices N] [--json]\n"
          "                   [--time-scale K] [--access-key AK --secret-key SK] [--region R]\n"
          "                   [--timeline CSV] [--svg FILE] [--connections N]\n"
          "                   [--notify-shards N] [--stream-prefix P] [--poll-interval S]\n"
          "                   [--until DURATION] [--no-progress]\n"
          "       otasim load --endpoint URL --bench updates [--devices N] [--duration S]\n"
          "                   [--connections N] [--access-key AK --secret-key SK] [--json]\n"
          "       otasim --help\n"
          "\n"
          "rollout: run the scenario's task through the production scheduler in virtual time\n"
          "  --scenario FILE   the scenario (JSON; see sim/README.md)\n"
          "  --json            print one JSON object instead of the summary\n"
          "  --timeline CSV    write per-minute counts by status and the rollout rate\n"
          "  --svg FILE        write the timeline as an SVG chart\n"
          "  --until DURATION  stop after this much virtual time: 90m, 12h, 30d, or seconds\n"
          "                    (default 30d)\n"
          "  --devices N       override fleet.count\n"
          "  --bench           also report wall time, scheduler ticks, ns per notified\n"
          "                    execution and peak RSS\n"
          "\n"
          "load: create the scenario's fleet, configuration and task on a running otad, then\n"
          "run every device live (sim/README.md, \"otasim load\")\n"
          "  --endpoint URL        otad's base URL, e.g. http://127.0.0.1:8080\n"
          "  --redis ADDR          Redis of that otad (host:port, redis://host:port/db or a\n"
          "                        socket path); needed when devices use the notify streams\n"
          "  --scenario FILE       the scenario; --devices N overrides fleet.count\n"
          "  --time-scale K        the server's OTAD_TIME_SCALE: device delays are divided by K\n"
          "  --access-key AK --secret-key SK   SigV4-sign every request; --region (us-east-1)\n"
          "  --json                print one JSON object instead of the summary\n"
          "  --timeline CSV, --svg FILE        the observed timeline, as otasim rollout writes\n"
          "  --connections N       HTTP keep-alive connections shared by all devices (64)\n"
          "  --notify-shards N, --stream-prefix P   the server's OTAD_NOTIFY_SHARDS (16) and\n"
          "                        OTAD_STREAM_PREFIX (otad:)\n"
          "  --poll-interval S     real seconds between polls of polling devices (1)\n"
          "  --until DURATION      stop after this much service time (30d)\n"
          "  --no-progress         no progress line (it is only drawn on a terminal anyway)\n"
          "  --bench updates       the update throughput benchmark: --devices N (1000) devices\n"
          "                        IN_PROGRESS, each sending progress updates for --duration S\n"
          "                        (10) seconds; the server's OTAD_MAX_RATE_PER_MINUTE should\n"
          "                        be at least N\n",
          out);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "90m", "12h", "30d", "45s" or plain seconds; 1 s .. 3650 days. */
static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = 1000;
    if (errno != 0 || end == s)
        return -1;
    if (strcmp(end, "d") == 0)
        unit = 86400000.0;
    else if (strcmp(end, "h") == 0)
        unit = 3600000.0;
    else if (strcmp(end, "m") == 0)
        unit = 60000.0;
    else if (strcmp(end, "s") != 0 && *end != '\0')
        return -1;
    v *= unit;
    if (!(v >= 1000.0) || v > 3650.0 * 86400000.0)
        return -1;
    *ms = (int64_t)v;
    return 0;
}

static int parse_devices(const char *s, int64_t *n)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > FLEET_MAX_COUNT)
        return -1;
    *n = v;
    return 0;
}

struct rollout_args {
    const char *scenario, *timeline, *svg;
    int json, bench;
    int64_t devices; /* 0 = as the scenario says */
    struct rollout_opts opts;
};

static int parse_rollout_args(int argc, char **argv, struct rollout_args *a)
{
    static const struct option longopts[] = {{"scenario", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"timeline", required_argument, NULL, 't'},
                                             {"svg", required_argument, NULL, 'g'},
                                             {"until", required_argument, NULL, 'u'},
                                             {"devices", required_argument, NULL, 'n'},
                                             {"bench", no_argument, NULL, 'b'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    rollout_opts_default(&a->opts);
    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "h", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 's':
            a->scenario = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 't':
            a->timeline = optarg;
            break;
        case 'g':
            a->svg = optarg;
            break;
        case 'b':
            a->bench = 1;
            break;
        case 'u':
            if (parse_duration(optarg, &a->opts.horizon_ms) < 0) {
                fprintf(stderr,
                        "otasim rollout: --until: '%s' is not a duration such as 90m, "
                        "12h, 30d or 3600 (seconds)\n",
                        optarg);
                return -1;
            }
            break;
        case 'n':
            if (parse_devices(optarg, &a->devices) < 0) {
                fprintf(stderr, "otasim rollout: --devices: '%s' is not a count from 1 to %lld\n",
                        optarg, (long long)FLEET_MAX_COUNT);
                return -1;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "otasim rollout: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otasim rollout: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    if (a->scenario == NULL && !a->bench) {
        fprintf(stderr, "otasim rollout: --scenario FILE is required (or --bench alone)\n");
        return -1;
    }
    return 0;
}

/* Write the timeline CSV or the SVG chart (what) of r to path; messages name cmd. */
static int write_file(const char *cmd, const char *path, const char *what,
                      const struct scenario *sc, const struct rollout_result *r, const char *title)
{
    struct oerr err;
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "otasim %s: cannot create %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    int rc = strcmp(what, "svg") == 0 ? svg_write(fp, sc, r, title, &err)
                                      : report_timeline_csv(fp, r, &err);
    if (fclose(fp) != 0 && rc == 0)
        rc = oerr_set(&err, OERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    if (rc < 0)
        fprintf(stderr, "otasim %s: %s\n", cmd, err.msg);
    return rc;
}

static int cmd_rollout(int argc, char **argv)
{
    struct rollout_args a;
    struct scenario *sc = NULL;
    struct rollout_result res;
    struct oerr err;
    double t0 = now_s();
    int status = EXIT_USAGE;
    memset(&res, 0, sizeof res);
    if (parse_rollout_args(argc, argv, &a) < 0) {
        fputs("run 'otasim --help' for the options\n", stderr);
        return EXIT_USAGE;
    }
    const char *what = a.scenario != NULL ? a.scenario : "built-in bench scenario";
    int rc = a.scenario != NULL ? scenario_load(a.scenario, &sc, &err)
                                : scenario_parse(bench_scenario, "bench-100k", &sc, &err);
    if (rc == 0 && a.devices > 0)
        rc = scenario_resize(sc, a.devices, &err);
    if (rc < 0) {
        fprintf(stderr, "otasim: %s: %s\n", what, err.msg);
        goto done;
    }
    status = EXIT_RUNTIME;
    if (rollout_run(sc, &a.opts, &res, &err) < 0) {
        fprintf(stderr, "otasim: %s: %s\n", what, err.msg);
        status = err.code == OERR_INVALID || err.code == OERR_CONFLICT ? EXIT_USAGE : EXIT_RUNTIME;
        goto done;
    }
    if ((a.timeline != NULL && write_file("rollout", a.timeline, "csv", sc, &res, NULL) < 0) ||
        (a.svg != NULL && write_file("rollout", a.svg, "svg", sc, &res, NULL) < 0))
        goto done;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct report_bench bench = {.wall_s = now_s() - t0, .peak_rss_kib = ru.ru_maxrss};
    if (a.json) {
        if (report_json(stdout, sc, &res, bench.wall_s, a.bench ? &bench : NULL, &err) < 0) {
            fprintf(stderr, "otasim: %s\n", err.msg);
            goto done;
        }
    } else {
        report_summary(stdout, sc, &res, bench.wall_s);
        if (a.bench)
            report_bench(stdout, &res, &bench);
    }
    status = fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
done:
    rollout_result_free(&res);
    scenario_free(sc);
    return status;
}

/* ---- otasim load ---- */

struct load_args {
    const char *scenario, *timeline, *svg, *bench;
    int json, progress;
    int64_t devices; /* 0 = as the scenario says */
    double duration_s;
    struct load_opts o;
};

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int load_usage_error(const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "otasim load: %s: '%s' is not %s\n", opt, value, want);
    return -1;
}

static int parse_load_args(int argc, char **argv, struct load_args *a)
{
    static const struct option longopts[] = {{"endpoint", required_argument, NULL, 'e'},
                                             {"redis", required_argument, NULL, 'r'},
                                             {"scenario", required_argument, NULL, 's'},
                                             {"devices", required_argument, NULL, 'n'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"time-scale", required_argument, NULL, 'k'},
                                             {"access-key", required_argument, NULL, 'a'},
                                             {"secret-key", required_argument, NULL, 'S'},
                                             {"region", required_argument, NULL, 'R'},
                                             {"timeline", required_argument, NULL, 't'},
                                             {"svg", required_argument, NULL, 'g'},
                                             {"connections", required_argument, NULL, 'c'},
                                             {"notify-shards", required_argument, NULL, 'N'},
                                             {"stream-prefix", required_argument, NULL, 'P'},
                                             {"poll-interval", required_argument, NULL, 'p'},
                                             {"until", required_argument, NULL, 'u'},
                                             {"bench", required_argument, NULL, 'b'},
                                             {"duration", required_argument, NULL, 'd'},
                                             {"no-progress", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->progress = 1;
    a->duration_s = 10;
    a->o.region = "us-east-1";
    a->o.time_scale = 1;
    a->o.connections = HTTPC_DEFAULT_CONNECTIONS;
    a->o.notify_shards = 16;
    a->o.stream_prefix = "otad:";
    a->o.poll_interval_s = 1;
    a->o.horizon_ms = ROLLOUT_HORIZON_DEFAULT_MS;
    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, "h", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'e':
            a->o.endpoint = optarg;
            break;
        case 'r':
            a->o.redis = optarg;
            break;
        case 's':
            a->scenario = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'q':
            a->progress = 0;
            break;
        case 'a':
            a->o.access_key = optarg;
            break;
        case 'S':
            a->o.secret_key = optarg;
            break;
        case 'R':
            a->o.region = optarg;
            break;
        case 't':
            a->timeline = optarg;
            break;
        case 'g':
            a->svg = optarg;
            break;
        case 'P':
            a->o.stream_prefix = optarg;
            break;
        case 'b':
            if (strcmp(optarg, "updates") != 0)
                return load_usage_error("--bench", optarg, "a benchmark (only 'updates')");
            a->bench = optarg;
            break;
        case 'n':
            if (parse_devices(optarg, &a->devices) < 0)
                return load_usage_error("--devices", optarg, "a count from 1 to 10000000");
            break;
        case 'k':
            if (parse_double(optarg, 1, 1e6, &a->o.time_scale) < 0)
                return load_usage_error("--time-scale", optarg, "a factor from 1 to 1000000");
            break;
        case 'c':
            if (parse_int(optarg, 1, HTTPC_MAX_CONNECTIONS, &a->o.connections) < 0)
                return load_usage_error("--connections", optarg, "a count from 1 to 4096");
            break;
        case 'N':
            if (parse_int(optarg, 1, NOTIFY_MAX_SHARDS, &a->o.notify_shards) < 0)
                return load_usage_error("--notify-shards", optarg, "a count from 1 to 1024");
            break;
        case 'p':
            if (parse_double(optarg, 0.01, 3600, &a->o.poll_interval_s) < 0)
                return load_usage_error("--poll-interval", optarg,
                                        "a number of seconds from 0.01 to 3600");
            break;
        case 'd':
            if (parse_double(optarg, 0.1, 86400, &a->duration_s) < 0)
                return load_usage_error("--duration", optarg,
                                        "a number of seconds from 0.1 to 86400");
            break;
        case 'u':
            if (parse_duration(optarg, &a->o.horizon_ms) < 0)
                return load_usage_error("--until", optarg,
                                        "a duration such as 90m, 12h, 30d or 3600 (seconds)");
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "otasim load: unknown option or missing value: %s\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otasim load: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    if (a->o.endpoint == NULL) {
        fprintf(stderr, "otasim load: --endpoint URL is required\n");
        return -1;
    }
    if ((a->o.access_key == NULL) != (a->o.secret_key == NULL)) {
        fprintf(stderr, "otasim load: --access-key and --secret-key go together\n");
        return -1;
    }
    if (a->bench != NULL) {
        if (a->scenario != NULL || a->timeline != NULL || a->svg != NULL) {
            fprintf(stderr, "otasim load: --bench takes no --scenario, --timeline or --svg\n");
            return -1;
        }
        if (a->devices == 0)
            a->devices = 1000;
    } else if (a->scenario == NULL) {
        fprintf(stderr, "otasim load: --scenario FILE is required (or --bench updates)\n");
        return -1;
    }
    a->o.progress = a->progress && !a->json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
    return 0;
}

static int cmd_bench_updates(const struct load_args *a, double t0)
{
    struct loadbench_result res;
    struct oerr err;
    int rc = loadbench_run(&a->o, a->devices, a->duration_s, &res, &err);
    struct loadreport_info info = {a->o.endpoint, 1, a->o.access_key != NULL, now_s() - t0,
                                   rc < 0 ? err.msg : NULL};
    if (rc < 0)
        fprintf(stderr, "otasim load: %s\n", err.msg);
    int status = rc < 0 ? EXIT_RUNTIME : 0;
    if (a->json ? loadreport_bench_json(stdout, &res, &info, &err) < 0
                : (loadreport_bench_summary(stdout, &res, &info), 0))
        status = EXIT_RUNTIME;
    if (rc == 0 && res.version_mismatches > 0) {
        fprintf(stderr,
                "otasim load: %lld devices found a server version that disagrees with "
                "their acknowledged updates\n",
                (long long)res.version_mismatches);
        status = EXIT_RUNTIME;
    }
    loadbench_result_free(&res);
    return fflush(stdout) == 0 ? status : EXIT_RUNTIME;
}

static int cmd_load(int argc, char **argv)
{
    struct load_args a;
    struct scenario *sc = NULL;
    struct load_result res;
    struct oerr err;
    double t0 = now_s();
    int status = EXIT_USAGE;
    memset(&res, 0, sizeof res);
    if (parse_load_args(argc, argv, &a) < 0) {
        fputs("run 'otasim --help' for the options\n", stderr);
        return EXIT_USAGE;
    }
    if (a.bench != NULL)
        return cmd_bench_updates(&a, t0);
    int rc = scenario_load(a.scenario, &sc, &err);
    if (rc == 0 && a.devices > 0)
        rc = scenario_resize(sc, a.devices, &err);
    if (rc < 0) {
        fprintf(stderr, "otasim: %s: %s\n", a.scenario, err.msg);
        goto done;
    }
    int needs_redis = 0;
    for (size_t g = 0; g < fleet_group_count(sc->fleet); g++)
        needs_redis |= fleet_group(sc->fleet, g)->discovery == FLEET_NOTIFY;
    if (needs_redis && a.o.redis == NULL) {
        fprintf(stderr,
                "otasim load: --redis ADDR is required: devices of %s learn of jobs "
                "from the notify streams\n",
                a.scenario);
        goto done;
    }
    status = EXIT_RUNTIME;
    rc = load_run(sc, &a.o, &res, &err);
    struct loadreport_info info = {a.o.endpoint, a.o.time_scale, a.o.access_key != NULL,
                                   now_s() - t0, rc < 0 ? err.msg : NULL};
    if (rc < 0) {
        fprintf(stderr, "otasim load: %s: %s\n", a.scenario, err.msg);
        if (err.code == OERR_INVALID && res.stats != NULL && opstats_requests(res.stats) == 0)
            status = EXIT_USAGE; /* refused before any request: a bad option */
    }
    if (rc == 0) {
        /* the chart's title says what this run was */
        char title[300];
        snprintf(title, sizeof title, "Live load test: %s (otad at %s, time x%g)", sc->name,
                 a.o.endpoint, a.o.time_scale);
        if ((a.timeline != NULL && write_file("load", a.timeline, "csv", sc, &res.run, NULL) < 0) ||
            (a.svg != NULL && write_file("load", a.svg, "svg", sc, &res.run, title) < 0))
            goto done;
    }
    if (a.json ? loadreport_json(stdout, sc, &res, &info, &err) < 0
               : (loadreport_summary(stdout, sc, &res, &info), 0)) {
        fprintf(stderr, "otasim load: %s\n", err.msg);
        goto done;
    }
    if (rc == 0 && !a.json && a.svg != NULL)
        printf("chart          %s\n", a.svg);
    if (rc == 0 && res.check.lost_updates > 0)
        fprintf(stderr, "otasim load: lost_updates %lld: the server disagrees with the devices\n",
                (long long)res.check.lost_updates);
    else if (rc == 0)
        status = 0;
    if (fflush(stdout) != 0)
        status = EXIT_RUNTIME;
done:
    load_result_free(&res);
    scenario_free(sc);
    return status;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

static const struct command commands[] = {
    {"rollout", cmd_rollout},
    {"load", cmd_load},
};

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; argc > 1 && i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (argc > 1)
        fprintf(stderr, "otasim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
