/*
 * test_fleet: the fleet description and the device behaviour model. Tables of fleets with the
 * exact group counts (checked against fleet_group_of() over every index, so the permutation is
 * a bijection), MetaData templates and value lists with their values, distributions with their
 * quantiles, per-attempt behaviour, names, and invalid fleets with their exact messages.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "engine/mem.h"
#include "sim/cjview.h"
#include "sim/fleet.h"

static cJSON *doc;

static struct fleet *parse(const char *json, uint64_t seed, struct oerr *err)
{
    struct fleet *f = NULL;
    cJSON_Delete(doc);
    doc = cJSON_Parse(json);
    ck_assert_msg(doc != NULL, "bad test JSON: %s", json);
    struct jview v = cjview_of(doc);
    if (fleet_parse(&v, "fleet", seed, &f, err) < 0)
        return NULL;
    return f;
}

static struct fleet *parse_ok(const char *json, uint64_t seed)
{
    struct oerr err;
    struct fleet *f = parse(json, seed, &err);
    ck_assert_msg(f != NULL, "%s: %s", json, err.msg);
    return f;
}

static void teardown(void)
{
    cJSON_Delete(doc);
    doc = NULL;
}

/* ---- group counts: largest remainder, and the permutation deals exactly those ---- */

static const struct {
    int64_t count;
    const char *shares; /* JSON list of shares */
    int64_t want[4];
} counts[] = {
    {1000, "[0.7,0.3]", {700, 300}},
    {10, "[0.3333333333333333,0.3333333333333333,0.3333333333333334]", {4, 3, 3}}, /* a tie */
    {10, "[0.25,0.25,0.5]", {3, 2, 5}},
    {1, "[0.5,0.5]", {1, 0}},
    {3, "[0.5,0.5]", {2, 1}},
    {7, "[1]", {7}},
    {4097, "[0.1,0.2,0.3,0.4]", {410, 819, 1229, 1639}},
    {65536, "[0.03,0.97]", {1966, 63570}},
    {100003, "[0.95,0.03,0.01,0.01]", {95003, 3000, 1000, 1000}},
    {5, "[0,1]", {0, 5}},
};

START_TEST(test_group_counts)
{
    char json[512];
    cJSON *shares = cJSON_Parse(counts[_i].shares);
    size_t n = (size_t)cJSON_GetArraySize(shares);
    int off =
        snprintf(json, sizeof json, "{\"count\":%lld,\"groups\":[", (long long)counts[_i].count);
    for (size_t g = 0; g < n; g++)
        off += snprintf(json + off, sizeof json - (size_t)off,
                        "%s{\"share\":%.17g,\"outcome\":\"OFFLINE\"}", g > 0 ? "," : "",
                        cJSON_GetArrayItem(shares, (int)g)->valuedouble);
    snprintf(json + off, sizeof json - (size_t)off, "]}");
    cJSON_Delete(shares);

    struct fleet *f = parse_ok(json, 12345);
    ck_assert_uint_eq(fleet_group_count(f), n);
    int64_t seen[4] = {0};
    for (int64_t i = 0; i < fleet_count(f); i++) {
        size_t g = fleet_group_of(f, i);
        ck_assert_uint_lt(g, n);
        seen[g]++;
    }
    for (size_t g = 0; g < n; g++) {
        ck_assert_int_eq(fleet_group(f, g)->count, counts[_i].want[g]);
        ck_assert_int_eq(seen[g], counts[_i].want[g]);
    }
    fleet_free(f);
}
END_TEST

/* Members are spread over the index range, not dealt in blocks, and the seed matters. */
START_TEST(test_group_spread)
{
    const char *json = "{\"count\":10000,\"groups\":[{\"share\":0.3,\"outcome\":\"FAILED\","
                       "\"accept_delay_s\":1,\"duration_s\":1},{\"share\":0.7,\"outcome\":"
                       "\"SUCCEEDED\",\"accept_delay_s\":1,\"duration_s\":1}]}";
    struct fleet *a = parse_ok(json, 1);
    struct fleet *b = parse_ok(json, 2);
    int differ = 0;
    for (int64_t block = 0; block < 10000; block += 1000) {
        int64_t in = 0;
        for (int64_t i = block; i < block + 1000; i++) {
            in += fleet_group_of(a, i) == 0;
            differ += fleet_group_of(a, i) != fleet_group_of(b, i);
        }
        ck_assert_msg(in > 240 && in < 360, "block %lld holds %lld of group 0", (long long)block,
                      (long long)in);
    }
    ck_assert_int_gt(differ, 1000);
    fleet_free(a);
    fleet_free(b);
}
END_TEST

/* ---- the generator and the distributions ---- */

START_TEST(test_uniform)
{
    double sum = 0;
    for (int64_t i = 0; i < 100000; i++) {
        double u = fleet_uniform(7, i, 2, 1);
        ck_assert(u > 0 && u < 1);
        ck_assert(u == fleet_uniform(7, i, 2, 1));
        sum += u;
    }
    ck_assert_msg(fabs(sum / 100000 - 0.5) < 0.005, "mean %g", sum / 100000);
    ck_assert(fleet_uniform(7, 5, 2, 1) != fleet_uniform(7, 5, 3, 1));
    ck_assert(fleet_uniform(7, 5, 2, 1) != fleet_uniform(7, 5, 2, 2));
    ck_assert(fleet_uniform(7, 5, 2, 1) != fleet_uniform(8, 5, 2, 1));
    ck_assert(fleet_uniform(7, 5, 2, 1) != fleet_uniform(7, 6, 2, 1));
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const struct {
    struct fleet_dist d;
    double p10, p50, p90; /* expected quantiles */
} dists[] = {
    {{FLEET_DIST_FIXED, 12.5, 0}, 12.5, 12.5, 12.5},
    {{FLEET_DIST_UNIFORM, 10, 30}, 12, 20, 28},
    {{FLEET_DIST_LOGNORMAL, 60, 240}, 15, 60, 240},
    {{FLEET_DIST_LOGNORMAL, 5, 5}, 5, 5, 5},
};

START_TEST(test_distributions)
{
    enum { N = 20001 };
    double *x = xcalloc(N, sizeof *x);
    for (int64_t i = 0; i < N; i++)
        x[i] = fleet_dist_sample(&dists[_i].d, fleet_uniform(99, i, 3, 1));
    qsort(x, N, sizeof *x, cmp_double);
    double q[3] = {x[N / 10], x[N / 2], x[N * 9 / 10]};
    double want[3] = {dists[_i].p10, dists[_i].p50, dists[_i].p90};
    for (int k = 0; k < 3; k++)
        ck_assert_msg(fabs(q[k] - want[k]) <= 0.03 * want[k], "quantile %d: %g, want %g", k, q[k],
                      want[k]);
    /* the quantile function itself: exact at the median and p90 */
    ck_assert(fabs(fleet_dist_sample(&dists[_i].d, 0.5) - dists[_i].p50) < 1e-6 * dists[_i].p50);
    if (dists[_i].d.kind != FLEET_DIST_UNIFORM)
        ck_assert(fabs(fleet_dist_sample(&dists[_i].d, 0.9) - dists[_i].p90) <
                  1e-6 * dists[_i].p90);
    free(x);
}
END_TEST

/* ---- names ---- */

static const struct {
    const char *prefix; /* NULL = default */
    int64_t count, index;
    const char *name;
} names[] = {
    {"dev-", 1000, 7, "dev-007"},  {"dev-", 1000, 999, "dev-999"},
    {"dev-", 1001, 7, "dev-0007"}, {"x", 1, 0, "x0"},
    {NULL, 10, 3, "device-3"},     {"a:b_c-", 100000, 42, "a:b_c-00042"},
};

START_TEST(test_names)
{
    char json[256], buf[FLEET_NAME_MAX + 1];
    int64_t back = -1;
    if (names[_i].prefix != NULL)
        snprintf(json, sizeof json,
                 "{\"count\":%lld,\"name_prefix\":\"%s\",\"groups\":[{\"share\":1,\"outcome\":"
                 "\"OFFLINE\"}]}",
                 (long long)names[_i].count, names[_i].prefix);
    else
        snprintf(json, sizeof json,
                 "{\"count\":%lld,\"groups\":[{\"share\":1,\"outcome\":\"OFFLINE\"}]}",
                 (long long)names[_i].count);
    struct fleet *f = parse_ok(json, 1);
    ck_assert_int_eq(fleet_name(f, names[_i].index, buf, sizeof buf), (int)strlen(names[_i].name));
    ck_assert_str_eq(buf, names[_i].name);
    ck_assert_int_eq(fleet_index_of(f, names[_i].name, &back), 0);
    ck_assert_int_eq(back, names[_i].index);
    ck_assert_int_eq(fleet_name(f, names[_i].index, buf, strlen(names[_i].name)), -1);
    fleet_free(f);
}
END_TEST

START_TEST(test_index_of_rejects)
{
    struct fleet *f = parse_ok("{\"count\":1000,\"name_prefix\":\"dev-\",\"groups\":[{\"share\":"
                               "1,\"outcome\":\"OFFLINE\"}]}",
                               1);
    static const char *const bad[] = {"dev-1000", "dev-07", "dev-0007", "dev-x07", "cam-007",
                                      "dev-",     "",       "dev--07",  "dev-07 "};
    int64_t i;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        ck_assert_msg(fleet_index_of(f, bad[k], &i) == -1, "%s accepted", bad[k]);
    fleet_free(f);
}
END_TEST

/* ---- MetaData ---- */

static const struct {
    const char *pattern; /* JSON value */
    int64_t index;
    const char *value;
} meta[] = {
    {"\"r{i%10}\"", 123, "r3"},
    {"\"b{i/1000}\"", 12345, "b12"},
    {"\"x{i/10%3}\"", 125, "x0"},
    {"\"x{i/10%3}\"", 135, "x1"},
    {"\"{i}\"", 0, "0"},
    {"\"{i}\"", 98765, "98765"},
    {"\"{{lit}}-{i}\"", 7, "{lit}-7"},
    {"\"plain\"", 5, "plain"},
    {"\"\"", 5, ""},
    {"\"site-{i/250}-{i%4}\"", 1001, "site-4-1"},
    {"{\"values\":[\"only\"]}", 3, "only"},
    {"{\"values\":[\"a\",\"b\",\"c\"],\"weights\":[0,1,0]}", 3, "b"},
    {"{\"values\":[\"a\",\"b\",\"c\"],\"weights\":[0,0,2]}", 77, "c"},
};

START_TEST(test_meta_values)
{
    char json[256], buf[FLEET_META_VALUE_MAX + 1];
    snprintf(json, sizeof json,
             "{\"count\":100000,\"metadata\":{\"k\":%s},\"groups\":[{\"share\":1,\"outcome\":"
             "\"OFFLINE\"}]}",
             meta[_i].pattern);
    struct fleet *f = parse_ok(json, 3);
    ck_assert_uint_eq(fleet_meta_count(f), 1);
    ck_assert_str_eq(fleet_meta_key(f, 0), "k");
    ck_assert_int_eq(fleet_meta_value(f, meta[_i].index, 0, buf, sizeof buf),
                     (int)strlen(meta[_i].value));
    ck_assert_str_eq(buf, meta[_i].value);
    fleet_free(f);
}
END_TEST

START_TEST(test_meta_weights)
{
    char buf[16];
    int64_t n[3] = {0};
    struct fleet *f = parse_ok("{\"count\":30000,\"metadata\":{\"region\":{\"values\":[\"eu\","
                               "\"us\",\"ap\"],\"weights\":[0.5,0.3,0.2]}},\"groups\":[{\"share\""
                               ":1,\"outcome\":\"OFFLINE\"}]}",
                               11);
    for (int64_t i = 0; i < 30000; i++) {
        ck_assert_int_eq(fleet_meta_value(f, i, 0, buf, sizeof buf), 2);
        n[strcmp(buf, "eu") == 0 ? 0 : strcmp(buf, "us") == 0 ? 1 : 2]++;
    }
    ck_assert_msg(labs((long)(n[0] - 15000)) < 400 && labs((long)(n[1] - 9000)) < 400 &&
                      labs((long)(n[2] - 6000)) < 400,
                  "eu %lld us %lld ap %lld", (long long)n[0], (long long)n[1], (long long)n[2]);
    fleet_free(f);
}
END_TEST

/* ---- behaviour per attempt ---- */

START_TEST(test_attempts)
{
    struct fleet *f =
        parse_ok("{\"count\":100,\"groups\":[{\"share\":1,\"outcome\":\"FAILED\","
                 "\"recover_after_attempts\":2,\"step_timeout_min\":7,"
                 "\"accept_delay_s\":{\"uniform\":[1,5]},\"duration_s\":{\"uniform\":[10,20]}}]}",
                 5);
    int differ = 0;
    for (int64_t i = 0; i < 100; i++) {
        struct fleet_attempt a[4];
        for (uint32_t k = 1; k <= 3; k++) {
            fleet_attempt(f, i, k, &a[k]);
            ck_assert_int_eq(a[k].group, 0);
            ck_assert_int_eq(a[k].outcome, k <= 2 ? FLEET_FAILED : FLEET_SUCCEEDED);
            ck_assert_int_eq(a[k].step_timeout_min, 7);
            ck_assert(a[k].accept_delay_ms >= 1000 && a[k].accept_delay_ms <= 5000);
            ck_assert(a[k].duration_ms >= 10000 && a[k].duration_ms <= 20000);
        }
        differ += a[1].duration_ms != a[2].duration_ms;
        struct fleet_attempt again;
        fleet_attempt(f, i, 2, &again);
        ck_assert_int_eq(again.duration_ms, a[2].duration_ms);
        ck_assert_int_eq(again.accept_delay_ms, a[2].accept_delay_ms);
    }
    ck_assert_int_gt(differ, 90);
    fleet_free(f);
}
END_TEST

START_TEST(test_resize)
{
    struct oerr err;
    struct fleet *f = parse_ok("{\"count\":10,\"name_prefix\":\"d\",\"groups\":[{\"share\":0.5,"
                               "\"outcome\":\"OFFLINE\"},{\"share\":0.5,\"outcome\":\"OFFLINE\"}]}",
                               1);
    ck_assert_int_eq(fleet_resize(f, 1001, &err), 0);
    ck_assert_int_eq(fleet_count(f), 1001);
    ck_assert_int_eq(fleet_group(f, 0)->count, 501);
    ck_assert_int_eq(fleet_group(f, 1)->count, 500);
    char buf[32];
    fleet_name(f, 5, buf, sizeof buf);
    ck_assert_str_eq(buf, "d0005");
    ck_assert_int_eq(fleet_resize(f, 0, &err), -1);
    ck_assert_str_eq(err.msg, "the device count must be between 1 and 10000000");
    fleet_free(f);
}
END_TEST

/* ---- invalid fleets ---- */

#define G_OK "{\"share\":1,\"outcome\":\"SUCCEEDED\",\"accept_delay_s\":1,\"duration_s\":1}"

static const struct {
    const char *json;
    const char *msg;
} bad[] = {
    {"[]", "fleet must be an object"},
    {"{\"groups\":[" G_OK "]}", "fleet.count is required"},
    {"{\"count\":\"5\",\"groups\":[" G_OK "]}", "fleet.count must be an integer"},
    {"{\"count\":0,\"groups\":[" G_OK "]}", "fleet.count must be between 1 and 10000000"},
    {"{\"count\":5}", "fleet.groups is required"},
    {"{\"count\":5,\"groups\":[]}", "fleet.groups must have between 1 and 64 entries"},
    {"{\"count\":5,\"groups\":[" G_OK "],\"size\":3}", "fleet.size is not a known member"},
    {"{\"count\":5,\"name_prefix\":\"a b\",\"groups\":[" G_OK "]}",
     "fleet.name_prefix may contain only letters, digits, '-', '_' and ':'"},
    {"{\"count\":5,\"name_prefix\":"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "\",\"groups\":[" G_OK "]}",
     "fleet: name_prefix and a 1-digit index are longer than 64 characters"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"EXPLODED\"}]}",
     "fleet.groups[0].outcome must be one of SUCCEEDED, FAILED, REJECTED, SILENT, OFFLINE"},
    {"{\"count\":5,\"groups\":[{\"outcome\":\"OFFLINE\"}]}", "fleet.groups[0].share is required"},
    {"{\"count\":5,\"groups\":[{\"share\":1.5,\"outcome\":\"OFFLINE\"}]}",
     "fleet.groups[0].share must be between 0 and 1"},
    {"{\"count\":5,\"groups\":[{\"share\":0.5,\"outcome\":\"OFFLINE\"},{\"share\":0.4,"
     "\"outcome\":\"OFFLINE\"}]}",
     "fleet.groups[].share must sum to 1 (they sum to 0.9)"},
    {"{\"count\":5,\"groups\":[{\"share\":0.6,\"outcome\":\"OFFLINE\"},{\"share\":0.6,"
     "\"outcome\":\"OFFLINE\"}]}",
     "fleet.groups[].share must sum to 1 (they sum to 1.2)"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"OFFLINE\",\"acept_delay_s\":1}]}",
     "fleet.groups[0].acept_delay_s is not a known member"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"SUCCEEDED\",\"duration_s\":1}]}",
     "fleet.groups[0].accept_delay_s is required for outcome SUCCEEDED"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"FAILED\",\"accept_delay_s\":1}]}",
     "fleet.groups[0].duration_s is required for outcome FAILED"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"SILENT\",\"accept_delay_s\":1,"
     "\"recover_after_attempts\":1}]}",
     "fleet.groups[0].duration_s is required for outcome SILENT with recover_after_attempts"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":1,"
     "\"recover_after_attempts\":1}]}",
     "fleet.groups[0].recover_after_attempts applies only to outcome FAILED or SILENT"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"FAILED\",\"accept_delay_s\":1,"
     "\"duration_s\":1,\"recover_after_attempts\":11}]}",
     "fleet.groups[0].recover_after_attempts must be between 1 and 10"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"SILENT\",\"accept_delay_s\":1,"
     "\"step_timeout_min\":0}]}",
     "fleet.groups[0].step_timeout_min must be between 1 and 10080"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"OFFLINE\",\"discovery\":\"push\"}]}",
     "fleet.groups[0].discovery must be one of notify, poll"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":-1}]}",
     "fleet.groups[0].accept_delay_s must be between 0 and 1e+08"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":\"1\"}]}",
     "fleet.groups[0].accept_delay_s must be a number of seconds, {\"uniform\":[a,b]} or "
     "{\"lognormal\":{\"median\":m,\"p90\":p}}"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":"
     "{\"normal\":[1,2]}}]}",
     "fleet.groups[0].accept_delay_s.normal is not a known member"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":"
     "{\"uniform\":[3,2]}}]}",
     "fleet.groups[0].accept_delay_s.uniform must satisfy 0 <= a <= b <= 1e+08"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":"
     "{\"uniform\":[1,2,3]}}]}",
     "fleet.groups[0].accept_delay_s.uniform must be a list of two numbers [a, b]"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":"
     "{\"lognormal\":{\"median\":0,\"p90\":2}}}]}",
     "fleet.groups[0].accept_delay_s.lognormal must satisfy 0 < median <= p90"},
    {"{\"count\":5,\"groups\":[{\"share\":1,\"outcome\":\"REJECTED\",\"accept_delay_s\":"
     "{\"lognormal\":{\"median\":1}}}]}",
     "fleet.groups[0].accept_delay_s.lognormal.p90 is required"},
    {"{\"count\":5,\"metadata\":[],\"groups\":[" G_OK "]}", "fleet.metadata must be an object"},
    {"{\"count\":5,\"metadata\":{\"k\":5},\"groups\":[" G_OK "]}",
     "fleet.metadata.k must be a template string or {\"values\":[...], \"weights\":[...]}"},
    {"{\"count\":5,\"metadata\":{\"k\":\"a{i%0}\"},\"groups\":[" G_OK "]}",
     "fleet.metadata.k: bad placeholder at position 2 (use {i}, {i/N}, {i%M} or {i/N%M} with N, "
     "M from 1 to 10000000)"},
    {"{\"count\":5,\"metadata\":{\"k\":\"a{i%3/2}\"},\"groups\":[" G_OK "]}",
     "fleet.metadata.k: bad placeholder at position 2 (use {i}, {i/N}, {i%M} or {i/N%M} with N, "
     "M from 1 to 10000000)"},
    {"{\"count\":5,\"metadata\":{\"k\":\"a{\"},\"groups\":[" G_OK "]}",
     "fleet.metadata.k: bad placeholder at position 2 (use {i}, {i/N}, {i%M} or {i/N%M} with N, "
     "M from 1 to 10000000)"},
    {"{\"count\":5,\"metadata\":{\"k\":\"a}b\"},\"groups\":[" G_OK "]}",
     "fleet.metadata.k: unmatched '}' at position 2 (write }} for a brace)"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[]}},\"groups\":[" G_OK "]}",
     "fleet.metadata.k.values must have between 1 and 1000 entries"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[\"a\",3]}},\"groups\":[" G_OK "]}",
     "fleet.metadata.k.values[1] must be a string"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[\"a\",\"b\"],\"weights\":[1]}},\"groups\":"
     "[" G_OK "]}",
     "fleet.metadata.k.weights must have as many entries as values (2)"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[\"a\",\"b\"],\"weights\":[1,-1]}},"
     "\"groups\":[" G_OK "]}",
     "fleet.metadata.k.weights[1] must be a number >= 0"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[\"a\"],\"weights\":[0]}},\"groups\":"
     "[" G_OK "]}",
     "fleet.metadata.k.weights must not all be 0"},
    {"{\"count\":5,\"metadata\":{\"k\":{\"values\":[\"a\"],\"odds\":[1]}},\"groups\":[" G_OK "]}",
     "fleet.metadata.k.odds is not a known member"},
};

START_TEST(test_invalid)
{
    struct oerr err;
    ck_assert_ptr_null(parse(bad[_i].json, 1, &err));
    ck_assert_int_eq(err.code, OERR_INVALID);
    ck_assert_str_eq(err.msg, bad[_i].msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fleet");
    TCase *tc = tcase_create("fleet");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_group_counts, 0, sizeof counts / sizeof counts[0]);
    tcase_add_test(tc, test_group_spread);
    tcase_add_test(tc, test_uniform);
    tcase_add_loop_test(tc, test_distributions, 0, sizeof dists / sizeof dists[0]);
    tcase_add_loop_test(tc, test_names, 0, sizeof names / sizeof names[0]);
    tcase_add_test(tc, test_index_of_rejects);
    tcase_add_loop_test(tc, test_meta_values, 0, sizeof meta / sizeof meta[0]);
    tcase_add_test(tc, test_meta_weights);
    tcase_add_test(tc, test_attempts);
    tcase_add_test(tc, test_resize);
    tcase_add_loop_test(tc, test_invalid, 0, sizeof bad / sizeof bad[0]);
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
