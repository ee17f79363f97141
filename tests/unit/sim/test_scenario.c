/*
 * test_scenario: scenario files. A valid scenario with every member read back; a table of
 * broken scenarios (one member changed in a valid base) with the exact message, which must
 * name the field path; JSON syntax errors with their position; reading files; --devices.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "engine/otaspec.h"
#include "engine/rollout.h"
#include "engine/timefmt.h"
#include "engine/window.h"
#include "sim/fleet.h"
#include "sim/scenario.h"

static const char base[] =
    "{\"name\":\"base\",\"seed\":42,\"start\":\"2026-11-22T10:00:00Z\","
    "\"configuration\":{\"Name\":\"c\",\"PushConfig\":{"
    "\"RolloutConfig\":{\"MaximumPerMinute\":160,\"ExponentialRolloutRate\":{"
    "\"BaseRatePerMinute\":10,\"IncrementFactor\":2,"
    "\"RateIncreaseCriteria\":{\"numberOfNotifiedThings\":100}}},"
    "\"TimeoutConfig\":{\"InProgressTimeoutInMinutes\":30},"
    "\"AbortConfig\":{\"AbortConfigCriteriaList\":[{\"FailureType\":\"FAILED\","
    "\"MinNumberOfExecutedThings\":50,\"ThresholdPercentage\":20}]}}},"
    "\"task\":{\"OtaType\":\"ONE_TIME\",\"S3Url\":\"s3://b/k\",\"Unknown\":1,"
    "\"OtaSchedulingConfig\":{\"EndTime\":\"2026-11-25T10:00:00Z\",\"EndBehavior\":\"CANCEL\","
    "\"MaintenanceWindows\":[{\"StartTime\":\"cron(0 22 * * ? *)\",\"DurationInMinutes\":240}]},"
    "\"OtaTaskExecutionRetryConfig\":{\"RetryConfigCriteria\":[{\"FailureType\":\"FAILED\","
    "\"MinNumberOfRetries\":2}]}},"
    "\"fleet\":{\"count\":1000,\"name_prefix\":\"dev-\",\"metadata\":{\"ring\":\"r{i%10}\"},"
    "\"groups\":[{\"share\":0.7,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,"
    "\"duration_s\":10},{\"share\":0.3,\"outcome\":\"FAILED\",\"accept_delay_s\":1,"
    "\"duration_s\":10}]},"
    "\"_comment\":\"ignored\"}";

/* base with one change: set path (dot-separated, [n] for list items) to value (JSON), or
 * delete it when value is NULL. */
static char *mutate(const char *path, const char *value)
{
    cJSON *doc = cJSON_Parse(base);
    cJSON *parent = doc, *node = doc;
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    const char *last = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok != NULL; tok = strtok_r(NULL, ".", &save)) {
        parent = node;
        last = tok;
        char *br = strchr(tok, '[');
        if (br != NULL) {
            *br = '\0';
            parent = cJSON_GetObjectItemCaseSensitive(node, tok);
            node = cJSON_GetArrayItem(parent, (int)strtol(br + 1, NULL, 10));
            last = br + 1;
            ck_assert_ptr_nonnull(node);
            continue;
        }
        node = cJSON_GetObjectItemCaseSensitive(node, tok);
    }
    if (cJSON_IsArray(parent)) {
        ck_assert_ptr_nonnull(value);
        cJSON_ReplaceItemInArray(parent, (int)strtol(last, NULL, 10), cJSON_Parse(value));
    } else if (value == NULL) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
    } else if (node != NULL) {
        cJSON_ReplaceItemInObjectCaseSensitive(parent, last, cJSON_Parse(value));
    } else {
        cJSON_AddItemToObject(parent, last, cJSON_Parse(value));
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

START_TEST(test_valid)
{
    struct scenario *sc = NULL;
    struct oerr err;
    int64_t t;
    ck_assert_msg(scenario_parse(base, "fallback", &sc, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(sc->name, "base");
    ck_assert_uint_eq(sc->seed, 42);
    ck_assert_int_eq(timefmt_parse("2026-11-22T10:00:00Z", &t, NULL), 0);
    ck_assert_int_eq(sc->start_ms, t);
    ck_assert(sc->max_rate_per_minute == ROLLOUT_DEFAULT_CEILING);
    ck_assert(sc->push.rollout.ceiling == ROLLOUT_DEFAULT_CEILING);
    ck_assert(sc->push.rollout.max_per_minute == 160.0);
    ck_assert(sc->push.rollout.base_per_minute == 10.0);
    ck_assert_int_eq(sc->push.rollout.notified_criterion, 100);
    ck_assert_int_eq(sc->push.in_progress_timeout_min, 30);
    ck_assert_uint_eq(sc->push.n_abort, 1);
    ck_assert_int_eq(sc->push.abort[0].min_executed, 50);
    ck_assert_int_eq(sc->type, TASK_ONE_TIME);
    ck_assert_int_eq(sc->sched.schedule.end_behavior, TASK_END_CANCEL);
    ck_assert_uint_eq(sc->sched.n_windows, 1);
    ck_assert_str_eq(sc->sched.window[0].cron, "cron(0 22 * * ? *)");
    ck_assert_uint_eq(sc->retry.n, 1);
    ck_assert_int_eq(sc->retry.c[0].retries, 2);
    ck_assert_ptr_null(sc->query);
    ck_assert_int_eq(sc->whole_fleet, 1);
    ck_assert_uint_eq(sc->n_targets, 0);
    ck_assert_int_eq(fleet_count(sc->fleet), 1000);
    ck_assert_ptr_nonnull(scenario_member(sc, "task"));
    ck_assert_ptr_null(scenario_member(sc, "load"));
    scenario_free(sc);
}
END_TEST

START_TEST(test_targets_and_query)
{
    struct scenario *sc = NULL;
    struct oerr err;
    char *a = mutate("task.Target", "[\"dev-007\",\"arn:aws:iotmanagedintegrations:us-east-1:1:"
                                    "managed-thing/dev-999\"]");
    ck_assert_msg(scenario_parse(a, NULL, &sc, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(sc->name, "base");
    ck_assert_int_eq(sc->whole_fleet, 0);
    ck_assert_uint_eq(sc->n_targets, 2);
    ck_assert_int_eq(sc->targets[0], 7);
    ck_assert_int_eq(sc->targets[1], 999);
    /* --devices 500 makes dev-999 unknown; 100000 makes every name one digit too short */
    ck_assert_int_eq(scenario_resize(sc, 500, &err), -1);
    ck_assert_str_eq(err.msg, "task.Target[1]: no device of the fleet is called 'dev-999'");
    ck_assert_int_eq(scenario_resize(sc, 1000, &err), 0);
    ck_assert_int_eq(scenario_resize(sc, 100000, &err), -1);
    ck_assert_str_eq(err.msg, "task.Target[0]: no device of the fleet is called 'dev-007'");
    scenario_free(sc);
    cJSON_free(a);

    a = mutate("task.OtaTargetQueryString", "\"attributes.ring=r3 OR thingName:dev-00*\"");
    ck_assert_msg(scenario_parse(a, NULL, &sc, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(sc->query, "attributes.ring=r3 OR thingName:dev-00*");
    ck_assert_int_eq(sc->whole_fleet, 0);
    scenario_free(sc);
    cJSON_free(a);
}
END_TEST

static const struct {
    const char *path;
    const char *value; /* NULL = delete */
    const char *msg;
} bad[] = {
    {"seed", NULL, "seed is required"},
    {"seed", "\"42\"", "seed must be an integer"},
    {"seed", "-1", "seed must be between 0 and 9007199254740991"},
    {"start", NULL, "start is required"},
    {"start", "\"yesterday\"",
     "start: invalid date-time: expected a 4-digit year at position 1, found 'y'"},
    {"name", "5", "name must be a string"},
    {"sedd", "1", "sedd is not a known member"},
    {"service", "{\"max_rate\":5}", "service.max_rate is not a known member"},
    {"service", "{\"max_rate_per_minute\":0}",
     "service.max_rate_per_minute must be between 0.001 and 1e+09"},
    {"configuration", NULL, "configuration is required"},
    {"configuration.PushConfig", "[]", "configuration.PushConfig must be an object"},
    {"configuration.PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor", "9",
     "configuration.PushConfig.RolloutConfig.ExponentialRolloutRate.IncrementFactor must be "
     "between 1.1 and 5"},
    {"configuration.PushConfig.AbortConfig.AbortConfigCriteriaList[0]",
     "{\"FailureType\":\"SOMETIMES\",\"ThresholdPercentage\":5}",
     "configuration.PushConfig.AbortConfig.AbortConfigCriteriaList[0].FailureType must be one "
     "of FAILED, REJECTED, TIMED_OUT, ALL"},
    {"configuration.PushConfig.TimeoutConfig.InProgressTimeoutInMinutes", "0",
     "configuration.PushConfig.TimeoutConfig.InProgressTimeoutInMinutes must be between 1 and "
     "10080"},
    {"task", NULL, "task is required"},
    {"task.OtaType", NULL, "task.OtaType is required"},
    {"task.OtaType", "\"SOMETIMES\"", "task.OtaType must be one of ONE_TIME, CONTINUOUS"},
    {"task.S3Url", "\"\"", "task.S3Url must be between 1 and 1000 characters long"},
    {"task.Target", "\"dev-001\"", "task.Target must be a list"},
    {"task.Target", "[\"dev-001\",\"dev-1000\"]",
     "task.Target[1]: no device of the fleet is called 'dev-1000'"},
    {"task.OtaTargetQueryString", "\"attributes.ring=r1 AND (\"",
     "task.OtaTargetQueryString: unclosed '(' at position 24"},
    {"task.OtaSchedulingConfig.EndTime", "\"2026-11-22T09:00:00Z\"",
     "task.OtaSchedulingConfig.EndTime must be in the future"},
    {"task.OtaSchedulingConfig.EndBehavior", "\"STOP\"",
     "task.OtaSchedulingConfig.EndBehavior must be one of STOP_ROLLOUT, CANCEL, FORCE_CANCEL"},
    {"task.OtaSchedulingConfig.MaintenanceWindows[0]",
     "{\"StartTime\":\"cron(0 22 * * ? *)\",\"DurationInMinutes\":1431}",
     "task.OtaSchedulingConfig.MaintenanceWindows[0].DurationInMinutes must be between 1 and "
     "1430"},
    {"task.OtaTaskExecutionRetryConfig.RetryConfigCriteria[0]",
     "{\"FailureType\":\"FAILED\",\"MinNumberOfRetries\":11}",
     "task.OtaTaskExecutionRetryConfig.RetryConfigCriteria[0].MinNumberOfRetries must be "
     "between 0 and 10"},
    {"fleet", NULL, "fleet is required"},
    {"fleet.groups[1]", "{\"share\":0.3,\"outcome\":\"MELTED\"}",
     "fleet.groups[1].outcome must be one of SUCCEEDED, FAILED, REJECTED, SILENT, OFFLINE"},
    {"fleet.groups[1]", "{\"share\":0.2,\"outcome\":\"OFFLINE\"}",
     "fleet.groups[].share must sum to 1 (they sum to 0.9)"},
    {"fleet.count", "2.5", "fleet.count must be an integer"},
};

START_TEST(test_invalid)
{
    struct scenario *sc = NULL;
    struct oerr err;
    char *text = mutate(bad[_i].path, bad[_i].value);
    ck_assert_int_eq(scenario_parse(text, NULL, &sc, &err), -1);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, bad[_i].msg);
    cJSON_free(text);
}
END_TEST

static const struct {
    const char *text;
    const char *msg;
} syntax[] = {
    {"", "invalid JSON at line 1, column 1"},
    {"{\"seed\": 1,\n  \"start\": }", "invalid JSON at line 2, column 12"},
    {"{} x", "invalid JSON at line 1, column 4"},
    {"[1, 2]", "a scenario must be a JSON object"},
    {"\"text\"", "a scenario must be a JSON object"},
};

START_TEST(test_syntax)
{
    struct scenario *sc = NULL;
    struct oerr err;
    ck_assert_int_eq(scenario_parse(syntax[_i].text, NULL, &sc, &err), -1);
    ck_assert_str_eq(err.msg, syntax[_i].msg);
}
END_TEST

START_TEST(test_load)
{
    struct scenario *sc = NULL;
    struct oerr err;
    char path[] = "/tmp/test_scenario_XXXXXX.json";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    char *text = mutate("name", NULL); /* the name then comes from the file name */
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cJSON_free(text);
    ck_assert_msg(scenario_load(path, &sc, &err) == 0, "%s", err.msg);
    const char *slash = strrchr(path, '/');
    ck_assert_int_eq(strncmp(sc->name, slash + 1, strlen(sc->name)), 0);
    ck_assert_uint_eq(strlen(sc->name), strlen(slash + 1) - 5);
    scenario_free(sc);
    unlink(path);

    ck_assert_int_eq(scenario_load("/nonexistent/x.json", &sc, &err), -1);
    ck_assert_int_eq(err.code, OERR_NOT_FOUND);
    ck_assert_str_eq(err.msg, "cannot open /nonexistent/x.json: No such file or directory");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("scenario");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_targets_and_query);
    tcase_add_loop_test(tc, test_invalid, 0, sizeof bad / sizeof bad[0]);
    tcase_add_loop_test(tc, test_syntax, 0, sizeof syntax / sizeof syntax[0]);
    tcase_add_test(tc, test_load);
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
