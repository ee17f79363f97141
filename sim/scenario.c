/*
 * scenario: reading a scenario file. The scenario's own members (top level, service, fleet)
 * reject unknown names, the embedded API bodies (configuration, task) ignore them as the API
 * does; both are read through engine/jsonview.h so that messages name the full field path.
 */
#include "sim/scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/jsonview.h"
#include "engine/mem.h"
#include "engine/query.h"
#include "engine/rollout.h"
#include "engine/timefmt.h"
#include "sim/cjview.h"

static const char *const top_members[] = {
    "name", "description", "seed", "start", "service", "configuration", "task", "fleet", NULL};
static const char *const ota_types[] = {"ONE_TIME", "CONTINUOUS", NULL};

void scenario_free(struct scenario *sc)
{
    if (sc == NULL)
        return;
    free(sc->name);
    otaspec_schedule_free(&sc->sched);
    free(sc->targets);
    fleet_free(sc->fleet);
    cJSON_Delete(sc->doc);
    free(sc);
}

const struct cJSON *scenario_member(const struct scenario *sc, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(sc->doc, name);
}

/* Prefix err's message with "path." (the engine's messages are relative to the body). */
static void under(struct oerr *err, const char *path)
{
    char p[64];
    snprintf(p, sizeof p, "%s.", path);
    oerr_prefix(err, p);
}

static int parse_service(const struct jview *top, struct scenario *sc, struct oerr *err)
{
    static const char *const members[] = {"max_rate_per_minute", NULL};
    struct jview svc;
    sc->max_rate_per_minute = ROLLOUT_DEFAULT_CEILING;
    if (jview_object(top, "", "service", 0, &svc, err) < 0 ||
        cjview_known_members(&svc, "service", members, err) < 0 ||
        jview_number(&svc, "service", "max_rate_per_minute", 0, 1e-3, 1e9, &sc->max_rate_per_minute,
                     NULL, err) < 0)
        return -1;
    return 0;
}

/* Resolve task.Target names (ids or ARNs, whose last path segment is the id) to devices. */
static int resolve_targets(struct scenario *sc, struct oerr *err)
{
    struct jview top = cjview_of(sc->doc);
    struct jview task = jview_member(&top, "task");
    struct jview list = jview_member(&task, "Target");
    size_t n = jview_count(&list), i = 0;
    free(sc->targets);
    sc->targets = n > 0 ? xcalloc(n, sizeof *sc->targets) : NULL;
    sc->n_targets = 0;
    for (struct jview e = jview_first(&list); e.v != NULL; e = jview_next(&e), i++) {
        const char *s = e.ops->string(e.v);
        const char *slash = strrchr(s, '/');
        const char *id = slash != NULL ? slash + 1 : s;
        if (fleet_index_of(sc->fleet, id, &sc->targets[i]) < 0)
            return oerr_set(err, OERR_INVALID,
                            "task.Target[%zu]: no device of the fleet is "
                            "called '%s'",
                            i, id);
        sc->n_targets = i + 1;
    }
    return 0;
}

static int parse_task(const struct jview *top, struct scenario *sc, struct oerr *err)
{
    static const struct jview_str s3url = {1, 1000, NULL, NULL};
    static const struct jview_str target = {1, 2048, NULL, NULL};
    struct jview task, sched, retry, list;
    const char *url = NULL;
    int type = 0;
    if (jview_object(top, "", "task", 1, &task, err) < 0 ||
        jview_enum(&task, "task", "OtaType", 1, ota_types, &type, NULL, err) < 0 ||
        jview_string(&task, "task", "S3Url", 0, &s3url, &url, err) < 0 ||
        jview_string_list(&task, "task", "Target", 0, 0, 0, &target, &list, err) < 0 ||
        jview_string(&task, "task", "OtaTargetQueryString", 0, NULL, &sc->query, err) < 0)
        return -1;
    sc->type = (enum task_type)type;
    sched = jview_member(&task, "OtaSchedulingConfig");
    if (otaspec_schedule(&sched, "OtaSchedulingConfig", sc->start_ms, &sc->sched, err) < 0) {
        under(err, "task");
        return -1;
    }
    retry = jview_member(&task, "OtaTaskExecutionRetryConfig");
    if (otaspec_retry(&retry, "OtaTaskExecutionRetryConfig", &sc->retry, err) < 0) {
        under(err, "task");
        return -1;
    }
    if (sc->query != NULL) {
        struct query *q = query_parse(sc->query, err);
        if (q == NULL) {
            oerr_prefix(err, "task.OtaTargetQueryString: ");
            return -1;
        }
        query_free(q);
    }
    sc->whole_fleet = list.v == NULL && sc->query == NULL;
    return 0;
}

static int parse_top(struct scenario *sc, struct oerr *err)
{
    struct jview top = cjview_of(sc->doc);
    struct jview cfg, push, fleet;
    const char *name = NULL, *description = NULL, *start = NULL;
    int64_t seed = 0;
    if (cjview_known_members(&top, "", top_members, err) < 0 ||
        jview_string(&top, "", "name", 0, NULL, &name, err) < 0 ||
        jview_string(&top, "", "description", 0, NULL, &description, err) < 0 ||
        jview_int(&top, "", "seed", 1, 0, SCENARIO_MAX_SEED, &seed, NULL, err) < 0 ||
        jview_string(&top, "", "start", 1, NULL, &start, err) < 0)
        return -1;
    sc->seed = (uint64_t)seed;
    if (name != NULL) {
        free(sc->name);
        sc->name = xstrdup(name);
    }
    if (timefmt_parse(start, &sc->start_ms, err) < 0) {
        oerr_prefix(err, "start: ");
        return -1;
    }
    if (parse_service(&top, sc, err) < 0)
        return -1;
    if (jview_object(&top, "", "configuration", 1, &cfg, err) < 0)
        return -1;
    push = jview_member(&cfg, "PushConfig");
    if (otaspec_push(&push, "PushConfig", &sc->push, err) < 0) {
        under(err, "configuration");
        return -1;
    }
    sc->push.rollout.ceiling = sc->max_rate_per_minute;
    if (parse_task(&top, sc, err) < 0)
        return -1;
    fleet = jview_member(&top, "fleet");
    if (fleet_parse(&fleet, "fleet", sc->seed, &sc->fleet, err) < 0)
        return -1;
    return resolve_targets(sc, err);
}

/* Line and column (1-based) of byte offset off in text. */
static void position(const char *text, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i] != '\0'; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int scenario_parse(const char *text, const char *name, struct scenario **out, struct oerr *err)
{
    struct scenario *sc = xcalloc(1, sizeof *sc);
    const char *end = NULL;
    sc->name = xstrdup(name != NULL ? name : "scenario");
    sc->doc = cJSON_ParseWithOpts(text, &end, 1);
    if (sc->doc == NULL) {
        size_t line, col;
        position(text, end != NULL ? (size_t)(end - text) : 0, &line, &col);
        oerr_set(err, OERR_INVALID, "invalid JSON at line %zu, column %zu", line, col);
        goto fail;
    }
    if (!cJSON_IsObject(sc->doc)) {
        oerr_set(err, OERR_INVALID, "a scenario must be a JSON object");
        goto fail;
    }
    if (parse_top(sc, err) < 0)
        goto fail;
    *out = sc;
    return 0;
fail:
    scenario_free(sc);
    return -1;
}

int scenario_resize(struct scenario *sc, int64_t count, struct oerr *err)
{
    if (fleet_resize(sc->fleet, count, err) < 0)
        return -1;
    return resolve_targets(sc, err);
}

/* The base name of path without a ".json" suffix. */
static char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash != NULL ? slash + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".json") == 0)
        n -= 5;
    return xstrndup(b, n);
}

int scenario_load(const char *path, struct scenario **out, struct oerr *err)
{
    FILE *fp = NULL;
    char *text = NULL, *name = NULL;
    size_t n = 0, cap = 1 << 16;
    int rc = -1;
    fp = fopen(path, "rb");
    if (fp == NULL) {
        oerr_set(err, OERR_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
        goto done;
    }
    text = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= SCENARIO_MAX_BYTES) {
                oerr_set(err, OERR_INVALID, "%s is larger than %u bytes", path, SCENARIO_MAX_BYTES);
                goto done;
            }
            cap *= 2;
            text = xrealloc(text, cap);
        }
        size_t got = fread(text + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        oerr_set(err, OERR_NOT_FOUND, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    text[n] = '\0';
    if (memchr(text, '\0', n) != NULL) {
        oerr_set(err, OERR_INVALID, "%s is not a text file", path);
        goto done;
    }
    name = base_name(path);
    rc = scenario_parse(text, name, out, err);
done:
    if (fp != NULL)
        fclose(fp);
    free(text);
    free(name);
    return rc;
}
