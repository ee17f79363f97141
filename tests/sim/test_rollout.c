/*
 * test_rollout: otasim rollout in virtual time (sim/rollout.c over the production scheduler),
 * checked against what can be computed by hand: the notification times of an exponential ramp
 * from the spacing rule of engine/rollout.h, the count at which an abort fires from the
 * devices' outcomes and the criterion, retries from recover_after_attempts, timeouts from step
 * timers, pauses outside maintenance windows, end behaviours, runs that never end, the
 * horizon, and run-to-run determinism of the JSON report.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "engine/execution.h"
#include "engine/mem.h"
#include "engine/task.h"
#include "sim/fleet.h"
#include "sim/report.h"
#include "sim/rollout.h"
#include "sim/scenario.h"

#define SEC INT64_C(1000)
#define MIN INT64_C(60000)

/* A scenario from pieces: configuration PushConfig, task members, fleet. */
static struct scenario *scenario(const char *push, const char *task, const char *fleet)
{
    char text[8192];
    struct scenario *sc = NULL;
    struct oerr err;
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":42,\"start\":\"2026-11-22T10:00:00Z\","
             "\"configuration\":{\"PushConfig\":%s},\"task\":{%s},\"fleet\":%s}",
             push, task, fleet);
    ck_assert_msg(scenario_parse(text, NULL, &sc, &err) == 0, "%s: %s", err.msg, text);
    return sc;
}

static void run(const struct scenario *sc, int64_t horizon_ms, struct rollout_result *r)
{
    struct rollout_opts o;
    struct oerr err;
    rollout_opts_default(&o);
    if (horizon_ms > 0)
        o.horizon_ms = horizon_ms;
    ck_assert_msg(rollout_run(sc, &o, r, &err) == 0, "%s", err.msg);
}

/* Invariants every run keeps. */
static void check_consistent(const struct rollout_result *r)
{
    int64_t notified = 0, total = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        ck_assert_int_eq(r->rows[i].t_ms, (int64_t)i * MIN);
        notified += r->rows[i].notified;
    }
    ck_assert_int_eq(notified, r->notified);
    ck_assert_uint_gt(r->n_rows, 0);
    ck_assert_int_ge(r->rows[r->n_rows - 1].t_ms, r->clock_ms);
    ck_assert_int_lt(r->rows[r->n_rows - 1].t_ms, r->clock_ms + MIN);
    for (int s = 0; s < EXECUTION_STATUS_MAX; s++) {
        ck_assert_int_eq(r->rows[r->n_rows - 1].n[s], r->counts[s]);
        total += s == EXECUTION_PLANNED ? 0 : r->counts[s];
    }
    ck_assert_int_eq(total, r->executions);
    /* an execution is notified, or canceled before it ever was */
    ck_assert_int_ge(r->executions, r->notified);
    ck_assert_int_le(r->executions - r->notified, r->counts[EXECUTION_CANCELED]);
    for (size_t i = 1; i < r->n_chart; i++)
        ck_assert_int_gt(r->chart[i].t_ms, r->chart[i - 1].t_ms);
    ck_assert_uint_le(r->n_chart, ROLLOUT_CHART_MAX);
}

/* ---- the analytic ramp ---- */

static double ramp_rate(int stage)
{
    double r = 10.0 * pow(2.0, stage);
    return r > 160.0 ? 160.0 : r;
}

START_TEST(test_analytic_ramp)
{
    struct scenario *sc =
        scenario("{\"RolloutConfig\":{\"MaximumPerMinute\":160,\"ExponentialRolloutRate\":{"
                 "\"BaseRatePerMinute\":10,\"IncrementFactor\":2,\"RateIncreaseCriteria\":{"
                 "\"numberOfNotifiedThings\":100}}}}",
                 "\"OtaType\":\"ONE_TIME\"",
                 "{\"count\":1000,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\","
                 "\"accept_delay_s\":1,\"duration_s\":10}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);

    /* By hand: stage k notifies 100 things 60/r_k s apart starting at t_k; the step lands on
     * the 100th, and the next stage's first slot is 60/r_(k+1) later. */
    double t = 0, last = 0, step_at[16];
    int64_t left = 1000;
    int stage = 0;
    while (left > 0) {
        int64_t n = left < 100 ? left : 100;
        last = t + (double)(n - 1) * 60.0 / ramp_rate(stage);
        left -= n;
        step_at[stage++] = last;
        t = last + 60.0 / ramp_rate(stage);
    }
    ck_assert(fabs(last - 1344.0) < 1e-9); /* 594 + 300 + 150 + 75 + 225 */
    double got = (double)r.last_queued_ms / 1000.0;
    ck_assert_msg(fabs(got - last) <= 0.01 * last, "last queued at %g s, by hand %g s", got, last);
    ck_assert_int_eq(r.first_queued_ms, 0);

    /* rate steps: 10 at 0, then doubling at each 100th notification until the cap */
    ck_assert_uint_eq(r.n_steps, 5);
    for (size_t i = 0; i < r.n_steps; i++) {
        ck_assert(r.steps[i].rate == ramp_rate((int)i));
        double want = i == 0 ? 0 : step_at[i - 1];
        ck_assert_msg(fabs((double)r.steps[i].at_ms / 1000.0 - want) <= 1.0,
                      "step %zu at %g s, by hand %g s", i, (double)r.steps[i].at_ms / 1000.0, want);
    }
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    ck_assert_int_eq(r.end, ROLLOUT_END_DONE);
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 1000);
    ck_assert_int_eq(r.executions, 1000);
    ck_assert_int_eq(r.retries, 0);
    /* the last device: notified at 1344 s, starts 1 s later, works 10 s */
    ck_assert_int_eq(r.ended_ms, r.last_queued_ms + 11 * SEC);
    ck_assert_int_eq(r.final_at_ms, r.ended_ms);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- abort at the predicted count ---- */

START_TEST(test_abort_predicted)
{
    struct scenario *sc =
        scenario("{\"RolloutConfig\":{\"MaximumPerMinute\":30},\"AbortConfig\":{"
                 "\"AbortConfigCriteriaList\":[{\"FailureType\":\"FAILED\","
                 "\"MinNumberOfExecutedThings\":50,\"ThresholdPercentage\":20}]}}",
                 "\"OtaType\":\"ONE_TIME\"",
                 "{\"count\":1000,\"groups\":[{\"share\":0.7,\"outcome\":\"SUCCEEDED\","
                 "\"accept_delay_s\":1,\"duration_s\":10},{\"share\":0.3,\"outcome\":\"FAILED\","
                 "\"accept_delay_s\":1,\"duration_s\":10}]}");
    /* Devices end in index order (2 s apart, all taking 11 s) and the scheduler ticks every
     * second, so the criterion is checked after every single terminal execution. */
    int64_t failed = 0, predicted = -1;
    for (int64_t i = 0; i < 1000 && predicted < 0; i++) {
        failed += fleet_group_of(sc->fleet, i) == 1;
        if (i + 1 >= 50 && 100.0 * (double)failed / (double)(i + 1) >= 20.0)
            predicted = i + 1;
    }
    ck_assert_int_ge(predicted, 50);

    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.aborted, 1);
    ck_assert_int_eq(r.abort_index, 0);
    ck_assert_int_eq(r.abort_executed, predicted);
    char want[64];
    snprintf(want, sizeof want, "after %lld executions", (long long)predicted);
    ck_assert_msg(strstr(r.abort_comment, want) != NULL, "%s", r.abort_comment);
    /* device `predicted - 1` ended at 2 (predicted - 1) + 11 s: the tick at that instant */
    ck_assert_int_eq(r.abort_at_ms, (2 * (predicted - 1) + 11) * SEC);
    ck_assert_int_eq(r.task_status, TASK_CANCELED);
    ck_assert_int_eq(r.final_at_ms, r.abort_at_ms);
    ck_assert_int_le(r.last_queued_ms, r.abort_at_ms);
    /* everything notified had started (1 s after its notification) and ran to its end; the
     * rest was canceled before it was ever notified */
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED] + r.counts[EXECUTION_FAILED], r.notified);
    ck_assert_int_eq(r.counts[EXECUTION_CANCELED], 1000 - r.notified);
    ck_assert_int_eq(r.notified, r.last_queued_ms / (2 * SEC) + 1);
    ck_assert_int_eq(r.end, ROLLOUT_END_DONE);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- determinism ---- */

static char *json_of(const struct scenario *sc, const struct rollout_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    struct oerr err;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(report_json(fp, sc, r, 0.0, NULL, &err), 0);
    fclose(fp);
    return buf;
}

#define MIXED_FLEET                                                                                \
    "{\"count\":3000,\"metadata\":{\"region\":{\"values\":[\"eu\",\"us\"]}},\"groups\":["          \
    "{\"share\":0.85,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":{\"lognormal\":{\"median\":"     \
    "10,\"p90\":60}},\"duration_s\":{\"lognormal\":{\"median\":60,\"p90\":300}}},"                 \
    "{\"share\":0.08,\"outcome\":\"FAILED\",\"recover_after_attempts\":1,\"accept_delay_s\":"      \
    "{\"uniform\":[1,20]},\"duration_s\":{\"uniform\":[10,60]}},"                                  \
    "{\"share\":0.04,\"outcome\":\"SILENT\",\"accept_delay_s\":{\"uniform\":[1,20]}},"             \
    "{\"share\":0.03,\"outcome\":\"REJECTED\",\"accept_delay_s\":5}]}"

START_TEST(test_determinism)
{
    struct scenario *sc = scenario(
        "{\"RolloutConfig\":{\"MaximumPerMinute\":20},\"TimeoutConfig\":{"
        "\"InProgressTimeoutInMinutes\":20}}",
        "\"OtaType\":\"ONE_TIME\",\"OtaTargetQueryString\":\"attributes.region=eu\","
        "\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 22 * * ? *)\","
        "\"DurationInMinutes\":240}]},\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":["
        "{\"FailureType\":\"ALL\",\"MinNumberOfRetries\":2}]}",
        MIXED_FLEET);
    struct rollout_result a, b;
    run(sc, 0, &a);
    run(sc, 0, &b);
    check_consistent(&a);
    char *ja = json_of(sc, &a), *jb = json_of(sc, &b);
    ck_assert_str_eq(ja, jb);
    ck_assert_uint_eq(a.n_rows, b.n_rows);
    ck_assert_int_eq(memcmp(a.rows, b.rows, a.n_rows * sizeof *a.rows), 0);
    ck_assert_uint_eq(a.n_chart, b.n_chart);
    ck_assert_int_eq(memcmp(a.chart, b.chart, a.n_chart * sizeof *a.chart), 0);
    free(ja);
    free(jb);
    rollout_result_free(&a);
    rollout_result_free(&b);
    scenario_free(sc);
}
END_TEST

/* ---- maintenance windows: no notification while closed ---- */

START_TEST(test_windows)
{
    struct scenario *sc = scenario(
        "{\"RolloutConfig\":{\"MaximumPerMinute\":10}}",
        "\"OtaType\":\"ONE_TIME\",\"OtaSchedulingConfig\":{\"MaintenanceWindows\":[{"
        "\"StartTime\":\"cron(0 22 * * ? *)\",\"DurationInMinutes\":240}]}",
        "{\"count\":3000,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":"
        "{\"uniform\":[10,120]},\"duration_s\":{\"uniform\":[60,600]}}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    /* start 10:00 UTC: windows at +12h..+16h, +36h..+40h; 2400 a window at 10/min */
    ck_assert_uint_ge(r.n_windows, 2);
    ck_assert_int_eq(r.windows[0].from_ms, 12 * 60 * MIN);
    ck_assert_int_eq(r.windows[0].to_ms, 16 * 60 * MIN);
    ck_assert_int_eq(r.windows[1].from_ms, 36 * 60 * MIN);
    ck_assert_int_eq(r.first_queued_ms, 12 * 60 * MIN);
    ck_assert_int_gt(r.last_queued_ms, 36 * 60 * MIN);
    ck_assert_int_lt(r.last_queued_ms, 40 * 60 * MIN);
    for (size_t i = 0; i < r.n_rows; i++) {
        int64_t from = r.rows[i].t_ms - MIN, to = r.rows[i].t_ms; /* (from, to] */
        int open = 0;
        for (size_t w = 0; w < r.n_windows; w++)
            open |= r.windows[w].from_ms <= to && r.windows[w].to_ms > from;
        ck_assert_msg(open || r.rows[i].notified == 0, "%lld notified in the minute to %lld s",
                      (long long)r.rows[i].notified, (long long)(to / SEC));
        ck_assert_msg(r.rows[i].rate == 0 || open, "rate %g outside the windows at %lld s",
                      r.rows[i].rate, (long long)(to / SEC));
    }
    /* devices caught by the closing window started once it reopened: everything succeeded */
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 3000);
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    ck_assert_int_eq(r.end, ROLLOUT_END_DONE);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- runs that never end ---- */

START_TEST(test_offline_never_ends)
{
    struct scenario *sc = scenario(
        "{}", "\"OtaType\":\"ONE_TIME\"",
        "{\"count\":100,\"groups\":[{\"share\":0.9,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,"
        "\"duration_s\":5},{\"share\":0.1,\"outcome\":\"OFFLINE\"}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.end, ROLLOUT_END_STUCK);
    ck_assert_int_eq(r.ended_ms, -1);
    ck_assert_int_eq(r.final_at_ms, -1);
    ck_assert_int_eq(r.task_status, TASK_IN_PROGRESS);
    ck_assert_int_eq(r.counts[EXECUTION_QUEUED], 10);
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 90);
    ck_assert_int_lt(r.clock_ms, MIN); /* it stopped as soon as nothing could happen */
    char *j = json_of(sc, &r);
    ck_assert_ptr_nonnull(strstr(j, "\"ended_at_s\":null"));
    ck_assert_ptr_nonnull(strstr(j, "\"end\":\"stuck\""));
    free(j);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_continuous_query)
{
    struct scenario *sc =
        scenario("{\"RolloutConfig\":{\"MaximumPerMinute\":100}}",
                 "\"OtaType\":\"CONTINUOUS\",\"OtaTargetQueryString\":\"attributes.model=m1\"",
                 "{\"count\":400,\"metadata\":{\"model\":\"m{i%4}\"},\"groups\":[{\"share\":1,"
                 "\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,\"duration_s\":5}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.targets, 100);
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 100);
    ck_assert_int_eq(r.task_status, TASK_IN_PROGRESS);
    ck_assert_int_eq(r.end, ROLLOUT_END_STUCK);
    ck_assert_int_eq(r.ended_ms, -1);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_zero_targets)
{
    struct scenario *sc = scenario(
        "{}", "\"OtaType\":\"ONE_TIME\",\"OtaTargetQueryString\":\"attributes.model=none\"",
        "{\"count\":10,\"metadata\":{\"model\":\"m{i%4}\"},\"groups\":[{\"share\":1,"
        "\"outcome\":\"OFFLINE\"}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.targets, 0);
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    ck_assert_int_eq(r.end, ROLLOUT_END_DONE);
    ck_assert_int_eq(r.ended_ms, 0);
    ck_assert_int_eq(r.first_queued_ms, -1);
    ck_assert_uint_eq(r.n_steps, 0);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_horizon)
{
    struct scenario *sc = scenario(
        "{\"RolloutConfig\":{\"MaximumPerMinute\":10}}", "\"OtaType\":\"ONE_TIME\"",
        "{\"count\":1000,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,"
        "\"duration_s\":10}]}");
    struct rollout_result r;
    run(sc, 10 * MIN, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.end, ROLLOUT_END_HORIZON);
    ck_assert_int_eq(r.clock_ms, 10 * MIN);
    ck_assert_int_eq(r.rows[r.n_rows - 1].t_ms, 10 * MIN);
    ck_assert_int_eq(r.notified, 101); /* 0, 6, ..., 600 s */
    ck_assert_int_eq(r.counts[EXECUTION_PLANNED], 899);
    ck_assert_int_eq(r.ended_ms, -1);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- device behaviours ---- */

START_TEST(test_retries_and_rejections)
{
    struct scenario *sc = scenario(
        "{}",
        "\"OtaType\":\"ONE_TIME\",\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":["
        "{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":2}]}",
        "{\"count\":200,\"groups\":[{\"share\":0.85,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":"
        "1,\"duration_s\":5},{\"share\":0.1,\"outcome\":\"FAILED\",\"recover_after_attempts\":2,"
        "\"accept_delay_s\":1,\"duration_s\":5},{\"share\":0.05,\"outcome\":\"REJECTED\","
        "\"accept_delay_s\":3}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 190);
    ck_assert_int_eq(r.counts[EXECUTION_FAILED], 40); /* 20 devices fail twice */
    ck_assert_int_eq(r.counts[EXECUTION_REJECTED], 10);
    ck_assert_int_eq(r.retries, 40);
    ck_assert_int_eq(r.executions, 240);
    ck_assert_int_eq(r.notified, 240);
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_step_timer)
{
    struct scenario *sc = scenario(
        "{}", "\"OtaType\":\"ONE_TIME\"",
        "{\"count\":50,\"groups\":[{\"share\":1,\"outcome\":\"SILENT\",\"step_timeout_min\":2,"
        "\"accept_delay_s\":1}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.counts[EXECUTION_TIMED_OUT], 50);
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    /* all notified in the first seconds (ceiling 1000/min), started 1 s later, timed out two
     * minutes after that, within 2 s of the deadline */
    ck_assert_int_eq(r.rows[2].n[EXECUTION_TIMED_OUT], 0);
    ck_assert_int_ge(r.ended_ms, r.last_queued_ms + SEC + 2 * MIN);
    ck_assert_int_le(r.ended_ms, r.last_queued_ms + SEC + 2 * MIN + 2 * SEC);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

START_TEST(test_force_cancel_at_end)
{
    struct scenario *sc = scenario(
        "{}",
        "\"OtaType\":\"ONE_TIME\",\"OtaSchedulingConfig\":{\"EndTime\":\"2026-11-22T11:00:00Z\","
        "\"EndBehavior\":\"FORCE_CANCEL\"}",
        "{\"count\":20,\"groups\":[{\"share\":1,\"outcome\":\"SILENT\",\"accept_delay_s\":1}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.counts[EXECUTION_CANCELED], 20);
    ck_assert_int_eq(r.task_status, TASK_CANCELED);
    ck_assert_int_eq(r.ended_ms, 60 * MIN);
    ck_assert_int_eq(r.end, ROLLOUT_END_DONE);
    ck_assert_int_lt(r.passes, 100); /* the clock jumped over the idle hour */
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* A task that is done completes at its next tick, not at its distant EndTime. */
START_TEST(test_completes_before_end)
{
    struct scenario *sc = scenario(
        "{}",
        "\"OtaType\":\"ONE_TIME\",\"OtaSchedulingConfig\":{\"EndTime\":\"2026-11-29T10:00:00Z\","
        "\"EndBehavior\":\"CANCEL\"}",
        "{\"count\":20,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,"
        "\"duration_s\":30.5}]}");
    struct rollout_result r;
    run(sc, 0, &r);
    check_consistent(&r);
    ck_assert_int_eq(r.task_status, TASK_COMPLETED);
    ck_assert_int_eq(r.counts[EXECUTION_SUCCEEDED], 20);
    /* the last report at last queued + 31.5 s (between two polls of the task), the task's
     * next poll at most a second later */
    ck_assert_int_ge(r.final_at_ms, r.last_queued_ms + 31500);
    ck_assert_int_le(r.final_at_ms, r.last_queued_ms + 32500);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

/* ---- the CSV ---- */

START_TEST(test_csv)
{
    struct scenario *sc = scenario(
        "{}", "\"OtaType\":\"ONE_TIME\"",
        "{\"count\":500,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,"
        "\"duration_s\":90}]}");
    struct rollout_result r;
    struct oerr err;
    char *buf = NULL;
    size_t len = 0;
    run(sc, 0, &r);
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_int_eq(report_timeline_csv(fp, &r, &err), 0);
    fclose(fp);
    const char *header = "time_s,queued,in_progress,succeeded,failed,timed_out,rejected,"
                         "canceled,rate,notified\n";
    ck_assert_int_eq(strncmp(buf, header, strlen(header)), 0);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    ck_assert_uint_eq(lines, r.n_rows + 1);
    /* 500 notified in the first 30 s at 1000/min (one at 0 s, in the row at 0), none finished
     * by 60 s */
    ck_assert_ptr_nonnull(strstr(buf, "\n0,1,0,0,0,0,0,0,1000,1\n60,0,500,0,0,0,0,0,1000,499\n"));
    free(buf);
    rollout_result_free(&r);
    scenario_free(sc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rollout");
    TCase *tc = tcase_create("rollout");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_analytic_ramp);
    tcase_add_test(tc, test_abort_predicted);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_windows);
    tcase_add_test(tc, test_offline_never_ends);
    tcase_add_test(tc, test_continuous_query);
    tcase_add_test(tc, test_zero_targets);
    tcase_add_test(tc, test_horizon);
    tcase_add_test(tc, test_retries_and_rejections);
    tcase_add_test(tc, test_step_timer);
    tcase_add_test(tc, test_force_cancel_at_end);
    tcase_add_test(tc, test_completes_before_end);
    tcase_add_test(tc, test_csv);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
