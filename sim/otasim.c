/*
 * otasim: the rollout simulator and fleet load tester (sim/README.md). main() dispatches on
 * the subcommand through the table `commands`; each subcommand parses its own options and
 * returns the process exit status: 0 success, 1 a run-time failure (an output cannot be
 * written), 2 a usage error or a bad scenario file.
 *
 *   otasim rollout   a scenario in virtual time over the production scheduler (sim/rollout.h)
 *   otasim load      a live load test against a running otad (not in this build yet)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/oerr.h"
#include "sim/fleet.h"
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
          "                    execution and peak RSS\n",
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

static int write_file(const char *path, const char *what, const struct scenario *sc,
                      const struct rollout_result *r)
{
    struct oerr err;
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "otasim rollout: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc =
        strcmp(what, "svg") == 0 ? svg_write(fp, sc, r, &err) : report_timeline_csv(fp, r, &err);
    if (fclose(fp) != 0 && rc == 0)
        rc = oerr_set(&err, OERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    if (rc < 0)
        fprintf(stderr, "otasim rollout: %s\n", err.msg);
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
    if ((a.timeline != NULL && write_file(a.timeline, "csv", sc, &res) < 0) ||
        (a.svg != NULL && write_file(a.svg, "svg", sc, &res) < 0))
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

static int cmd_load(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("otasim load: not available in this build yet\n", stderr);
    return EXIT_USAGE;
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
