/*
 * test_otaspec: the OTA body rules through engine/jsonview.h, fed by the simulator's cJSON view
 * (sim/cjview.h; the engine itself includes no JSON library). Tables of bodies with the parsed
 * values or the exact error message.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "engine/otaspec.h"
#include "engine/timefmt.h"
#include "sim/cjview.h"

static cJSON *doc;

static struct jview view(const char *json)
{
    cJSON_Delete(doc);
    doc = json != NULL ? cJSON_Parse(json) : NULL;
    ck_assert_msg(json == NULL || doc != NULL, "bad test JSON: %s", json);
    return cjview_of(doc);
}

static void teardown(void)
{
    cJSON_Delete(doc);
    doc = NULL;
}

static const struct {
    const char *json;
    const char *msg;
} push_bad[] = {
    {"[]", "PushConfig must be an object"},
    {"{\"RolloutConfig\":{\"MaximumPerMinute\":0}}",
     "PushConfig.RolloutConfig.MaximumPerMinute must be at least 1"},
    {"{\"RolloutConfig\":{\"MaximumPerMinute\":1.5}}",
     "PushConfig.RolloutConfig.MaximumPerMinute must be an integer"},
    {"{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":7,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":1}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor must be between 1.1 and 5"},
    {"{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":101,"
     "\"IncrementFactor\":2,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":1}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.BaseRatePerMinute must be between 1 and "
     "100"},
    {"{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":2}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria is required"},
    {"{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":2,\"RateIncreaseCriteria\":{}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria must set "
     "numberOfNotifiedThings or numberOfSucceededThings"},
    {"{\"RolloutConfig\":{\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
     "\"IncrementFactor\":2,\"RateIncreaseCriteria\":{\"numberOfSucceededThings\":101}}}}",
     "PushConfig.RolloutConfig.ExponentialRolloutRate.RateIncreaseCriteria."
     "numberOfSucceededThings must be between 1 and 100"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"FAILED\"}]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].ThresholdPercentage is required"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"BAD\","
     "\"ThresholdPercentage\":5}]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].FailureType must be one of FAILED, "
     "REJECTED, TIMED_OUT, ALL"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"ALL\","
     "\"ThresholdPercentage\":101}]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].ThresholdPercentage must be between 0 "
     "and 100"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"ALL\","
     "\"ThresholdPercentage\":1,\"MinNumberOfExecutedThings\":0}]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].MinNumberOfExecutedThings must be "
     "between 1 and 100"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"Action\":\"STOP\","
     "\"FailureType\":\"ALL\",\"ThresholdPercentage\":1}]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0].Action must be one of CANCEL"},
    {"{\"AbortConfig\":{\"AbortConfigCriteriaList\":[5]}}",
     "PushConfig.AbortConfig.AbortConfigCriteriaList[0] must be an object"},
    {"{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":10081}}",
     "PushConfig.TimeoutConfig.InProgressTimeoutInMinutes must be between 1 and 10080"},
    {"{\"TimeoutConfig\":\"x\"}", "PushConfig.TimeoutConfig must be an object"},
};

START_TEST(test_push_invalid)
{
    struct otaspec_push p;
    struct oerr err;
    struct jview v = view(push_bad[_i].json);
    ck_assert_int_eq(otaspec_push(&v, "PushConfig", &p, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, push_bad[_i].msg);
}
END_TEST

START_TEST(test_push_valid)
{
    struct otaspec_push p;
    struct oerr err;
    struct jview v =
        view("{\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":60},\"RolloutConfig\":"
             "{\"MaximumPerMinute\":10,\"ExponentialRolloutRate\":{\"BaseRatePerMinute\":5,"
             "\"IncrementFactor\":1.5,\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":10}}},"
             "\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"Action\":\"CANCEL\",\"FailureType\":"
             "\"FAILED\",\"MinNumberOfExecutedThings\":10,\"ThresholdPercentage\":50.5},"
             "{\"FailureType\":\"TIMED_OUT\",\"ThresholdPercentage\":20}]},\"Unknown\":1}");
    ck_assert_msg(otaspec_push(&v, "PushConfig", &p, &err) == 0, "%s", err.msg);
    ck_assert(p.rollout.max_per_minute == 10.0);
    ck_assert(p.rollout.base_per_minute == 5.0);
    ck_assert(p.rollout.increment_factor == 1.5);
    ck_assert_int_eq(p.rollout.notified_criterion, 10);
    ck_assert_int_eq(p.rollout.succeeded_criterion, 0);
    ck_assert_int_eq(p.in_progress_timeout_min, 60);
    ck_assert_uint_eq(p.n_abort, 2);
    ck_assert_int_eq(p.abort[0].failure_type, ABORT_FAILED);
    ck_assert_int_eq(p.abort[0].min_executed, 10);
    ck_assert(p.abort[0].threshold_pct == 50.5);
    ck_assert_int_eq(p.abort[1].failure_type, ABORT_TIMED_OUT);
    ck_assert_int_eq(p.abort[1].min_executed, 1); /* default */
    /* absent: defaults */
    v = view(NULL);
    ck_assert_int_eq(otaspec_push(&v, "PushConfig", &p, &err), 0);
    ck_assert(p.rollout.max_per_minute == 0.0 && p.n_abort == 0 && p.in_progress_timeout_min == 0);
}
END_TEST

#define NOW INT64_C(1795316700000) /* 2026-11-22T03:05:00Z */

static const struct {
    const char *json;
    const char *msg;
} sched_bad[] = {
    {"{\"StartTime\":\"2026-13-01T00:00:00Z\"}", "OtaSchedulingConfig.StartTime: "},
    {"{\"EndTime\":\"2026-11-22T03:00:00Z\"}", "OtaSchedulingConfig.EndTime must be in the future"},
    {"{\"StartTime\":\"2026-12-02T00:00:00Z\",\"EndTime\":\"2026-12-01T00:00:00Z\"}",
     "OtaSchedulingConfig.EndTime must be after StartTime"},
    {"{\"EndBehavior\":\"STOP\"}",
     "OtaSchedulingConfig.EndBehavior must be one of STOP_ROLLOUT, CANCEL, FORCE_CANCEL"},
    {"{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 1 * * ? *)\"}]}",
     "OtaSchedulingConfig.MaintenanceWindows[0].DurationInMinutes is required"},
    {"{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 1 * * ? *)\",\"DurationInMinutes\":1431}]}",
     "OtaSchedulingConfig.MaintenanceWindows[0].DurationInMinutes must be between 1 and 1430"},
    {"{\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 1 * * 8 *)\",\"DurationInMinutes\":60}]}",
     "OtaSchedulingConfig.MaintenanceWindows[0].StartTime: "},
    {"{\"MaintenanceWindows\":{}}", "OtaSchedulingConfig.MaintenanceWindows must be a list"},
};

START_TEST(test_schedule_invalid)
{
    struct otaspec_schedule s;
    struct oerr err;
    struct jview v = view(sched_bad[_i].json);
    ck_assert_int_eq(otaspec_schedule(&v, "OtaSchedulingConfig", NOW, &s, &err), -1);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_msg(strncmp(err.msg, sched_bad[_i].msg, strlen(sched_bad[_i].msg)) == 0,
                  "got '%s', expected a message starting '%s'", err.msg, sched_bad[_i].msg);
    ck_assert(s.windows == NULL);
}
END_TEST

START_TEST(test_schedule_valid)
{
    struct otaspec_schedule s;
    struct oerr err;
    struct jview v = view("{\"StartTime\":\"2026-11-22 10:00\",\"EndTime\":"
                          "\"2026-11-23T10:00:00+02:00\",\"EndBehavior\":\"FORCE_CANCEL\","
                          "\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 1 * * ? *)\","
                          "\"DurationInMinutes\":60},{\"StartTime\":\"30 1 * * ? *\","
                          "\"DurationInMinutes\":60}]}");
    ck_assert_msg(otaspec_schedule(&v, "OtaSchedulingConfig", NOW, &s, &err) == 0, "%s", err.msg);
    int64_t start, end;
    ck_assert_int_eq(timefmt_parse("2026-11-22T10:00:00Z", &start, &err), 0);
    ck_assert_int_eq(timefmt_parse("2026-11-23T08:00:00Z", &end, &err), 0);
    ck_assert_int_eq(s.schedule.start_at, start);
    ck_assert_int_eq(s.schedule.end_at, end);
    ck_assert_int_eq(s.schedule.end_behavior, TASK_END_FORCE_CANCEL);
    ck_assert_int_eq(s.has_end_behavior, 1);
    ck_assert_uint_eq(s.n_windows, 2);
    ck_assert_str_eq(s.window[1].cron, "30 1 * * ? *");
    ck_assert_int_eq(s.window[0].duration_min, 60);
    ck_assert(s.schedule.windows == s.windows && s.windows != NULL);
    ck_assert_uint_eq(window_set_count(s.windows), 2);
    otaspec_schedule_free(&s);
    /* absent: start now, no end, STOP_ROLLOUT, no windows */
    v = view(NULL);
    ck_assert_int_eq(otaspec_schedule(&v, "OtaSchedulingConfig", NOW, &s, &err), 0);
    ck_assert(s.schedule.start_at < 0 && s.schedule.end_at < 0 && s.windows == NULL);
    ck_assert_int_eq(s.schedule.end_behavior, TASK_END_STOP_ROLLOUT);
}
END_TEST

static const struct {
    const char *json;
    const char *msg; /* NULL = valid */
} retry_table[] = {
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":2}]}", NULL},
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":4},"
     "{\"FailureType\":\"TIMED_OUT\",\"MinNumberOfRetries\":6}]}",
     NULL},
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":5},"
     "{\"FailureType\":\"ALL\",\"MinNumberOfRetries\":6}]}",
     "OtaTaskExecutionRetryConfig."},
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":1},"
     "{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig."},
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"REJECTED\",\"MinNumberOfRetries\":1}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].FailureType must be one of FAILED, "
     "TIMED_OUT, ALL"},
    {"{\"RetryConfigCriteria\":[{\"FailureType\":\"ALL\",\"MinNumberOfRetries\":11}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].MinNumberOfRetries must be between 0 "
     "and 10"},
    {"{\"RetryConfigCriteria\":[{},{},{}]}",
     "OtaTaskExecutionRetryConfig.RetryConfigCriteria must have between 0 and 2 entries"},
};

START_TEST(test_retry)
{
    struct retry_config rc;
    struct oerr err;
    struct jview v = view(retry_table[_i].json);
    int r = otaspec_retry(&v, "OtaTaskExecutionRetryConfig", &rc, &err);
    if (retry_table[_i].msg == NULL) {
        ck_assert_msg(r == 0, "%s", err.msg);
        ck_assert_uint_ge(rc.n, 1);
    } else {
        ck_assert_int_eq(r, -1);
        ck_assert_msg(strncmp(err.msg, retry_table[_i].msg, strlen(retry_table[_i].msg)) == 0,
                      "got '%s'", err.msg);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("otaspec");
    TCase *tc = tcase_create("bodies");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_push_invalid, 0, sizeof push_bad / sizeof push_bad[0]);
    tcase_add_test(tc, test_push_valid);
    tcase_add_loop_test(tc, test_schedule_invalid, 0, sizeof sched_bad / sizeof sched_bad[0]);
    tcase_add_test(tc, test_schedule_valid);
    tcase_add_loop_test(tc, test_retry, 0, sizeof retry_table / sizeof retry_table[0]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
