/*
 * fleet: parsing the fleet description and the per-device behaviour model (see fleet.h for
 * the generator and the group assignment). A fleet owns its strings: group names, MetaData
 * keys, template literals and value lists. Nothing is stored per device: every query is
 * computed from (fleet, index) in O(1) (group lookup is a binary search over the groups).
 */
#include "sim/fleet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"
#include "sim/cjview.h"

#define GOLDEN        UINT64_C(0x9E3779B97F4A7C15)
#define STREAM_MUL    UINT64_C(0xD1B54A32D192ED03)
#define FEISTEL_ROUND 6
#define DIST_MAX_S    1e8 /* about three years: no device delay is longer */
#define SHARE_EPS     1e-9

/* Streams of the generator. */
enum {
    STREAM_PERM = 1,     /* round keys of the group permutation (index 0) */
    STREAM_ACCEPT = 2,   /* accept delay, per attempt */
    STREAM_DURATION = 3, /* duration, per attempt */
    STREAM_META = 16,    /* + MetaData key number, attempt 0 */
};

/* One piece of a MetaData template: literal text, or {i[/div][%mod]}. */
struct seg {
    char *lit; /* NULL for a placeholder */
    size_t lit_len;
    int64_t div, mod; /* 1 and 0 (none) unless given */
};

struct meta {
    char *key;
    struct seg *seg; /* template (n_seg pieces), or NULL for a value list */
    size_t n_seg;
    char **values; /* value list */
    double *cum;   /* cumulative normalised weights, cum[n_values - 1] = 1 */
    size_t n_values;
};

struct fleet {
    uint64_t seed;
    int64_t count;
    char *prefix;
    int width; /* digits of the zero-padded index */
    struct fleet_group *groups;
    char **group_names;
    size_t n_groups;
    int64_t *cum_count; /* n_groups + 1 entries: group g holds perm positions [cum[g], cum[g+1]) */
    struct meta *meta;
    size_t n_meta;
    unsigned half_bits; /* the permutation works on 2 * half_bits bits */
    uint64_t keys[FEISTEL_ROUND];
};

static const char *const outcome_names[] = {"SUCCEEDED", "FAILED",  "REJECTED",
                                            "SILENT",    "OFFLINE", NULL};
static const char *const discovery_names[] = {"notify", "poll", NULL};

const char *fleet_outcome_name(enum fleet_outcome o)
{
    return (int)o >= 0 && o < FLEET_OUTCOME_MAX ? outcome_names[o] : "?";
}

/* ---- the generator ---- */

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + GOLDEN;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t draw64(uint64_t seed, int64_t index, uint32_t stream, uint32_t attempt)
{
    uint64_t x = splitmix64(seed ^ ((uint64_t)index * GOLDEN));
    return splitmix64(x ^ ((((uint64_t)stream << 32) | attempt) * STREAM_MUL));
}

double fleet_uniform(uint64_t seed, int64_t index, uint32_t stream, uint32_t attempt)
{
    return ((double)(draw64(seed, index, stream, attempt) >> 11) + 0.5) / 9007199254740992.0;
}

/* The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
static double probit(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425;
    if (p < lo) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lo) {
        double q = sqrt(-2 * log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double fleet_dist_sample(const struct fleet_dist *d, double u)
{
    double x;
    switch (d->kind) {
    case FLEET_DIST_UNIFORM:
        x = d->a + u * (d->b - d->a);
        break;
    case FLEET_DIST_LOGNORMAL: {
        /* median m = e^mu; p90 = e^(mu + 1.2815515655446004 sigma) */
        double sigma = (log(d->b) - log(d->a)) / 1.2815515655446004;
        x = d->a * exp(sigma * probit(u));
        break;
    }
    case FLEET_DIST_FIXED:
    default:
        x = d->a;
        break;
    }
    if (!(x >= 0))
        x = 0;
    return x > DIST_MAX_S ? DIST_MAX_S : x;
}

static int64_t to_ms(double s)
{
    return (int64_t)llround(s * 1000.0);
}

/* ---- the group permutation ---- */

static void perm_setup(struct fleet *f)
{
    unsigned bits = 2;
    while (bits < 62 && (UINT64_C(1) << bits) < (uint64_t)f->count)
        bits++;
    f->half_bits = (bits + 1) / 2;
    for (int r = 0; r < FEISTEL_ROUND; r++)
        f->keys[r] = draw64(f->seed, 0, STREAM_PERM, (uint32_t)r);
}

/* A bijection of [0, 2^(2 half_bits)): a balanced Feistel network. */
static uint64_t feistel(const struct fleet *f, uint64_t x)
{
    uint64_t mask = (UINT64_C(1) << f->half_bits) - 1;
    uint64_t l = x >> f->half_bits, r = x & mask;
    for (int k = 0; k < FEISTEL_ROUND; k++) {
        uint64_t t = l ^ (splitmix64(r ^ f->keys[k]) & mask);
        l = r;
        r = t;
    }
    return (l << f->half_bits) | r;
}

/* A bijection of [0, count): cycle walking stays inside the range (the domain is at most four
 * times larger, so the walk is short). */
static uint64_t perm(const struct fleet *f, uint64_t i)
{
    uint64_t x = feistel(f, i);
    while (x >= (uint64_t)f->count)
        x = feistel(f, x);
    return x;
}

/* Exact group counts by largest remainder; ties go to the earlier group. */
static void assign_counts(struct fleet *f)
{
    int64_t total = 0;
    double *rem = xcalloc(f->n_groups, sizeof *rem);
    for (size_t g = 0; g < f->n_groups; g++) {
        double exact = f->groups[g].share * (double)f->count;
        f->groups[g].count = (int64_t)floor(exact + 1e-9);
        if (f->groups[g].count > f->count)
            f->groups[g].count = f->count;
        rem[g] = exact - (double)f->groups[g].count;
        total += f->groups[g].count;
    }
    while (total < f->count) {
        size_t best = 0;
        for (size_t g = 1; g < f->n_groups; g++)
            if (rem[g] > rem[best] + 1e-12)
                best = g;
        f->groups[best].count++;
        rem[best] = -1;
        total++;
    }
    while (total > f->count) { /* only through rounding noise in the shares */
        size_t worst = f->n_groups - 1;
        while (worst > 0 && f->groups[worst].count == 0)
            worst--;
        f->groups[worst].count--;
        total--;
    }
    free(rem);
    f->cum_count[0] = 0;
    for (size_t g = 0; g < f->n_groups; g++)
        f->cum_count[g + 1] = f->cum_count[g] + f->groups[g].count;
    perm_setup(f);
}

size_t fleet_group_of(const struct fleet *f, int64_t index)
{
    int64_t pos = (int64_t)perm(f, (uint64_t)index);
    size_t lo = 0, hi = f->n_groups; /* find g with cum[g] <= pos < cum[g + 1] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (f->cum_count[mid] <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---- accessors ---- */

int64_t fleet_count(const struct fleet *f)
{
    return f->count;
}

uint64_t fleet_seed(const struct fleet *f)
{
    return f->seed;
}

size_t fleet_group_count(const struct fleet *f)
{
    return f->n_groups;
}

const struct fleet_group *fleet_group(const struct fleet *f, size_t g)
{
    return &f->groups[g];
}

static int digits(int64_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

int fleet_resize(struct fleet *f, int64_t count, struct oerr *err)
{
    if (count < 1 || count > FLEET_MAX_COUNT)
        return oerr_set(err, OERR_INVALID, "the device count must be between 1 and %lld",
                        (long long)FLEET_MAX_COUNT);
    int width = digits(count - 1);
    if (strlen(f->prefix) + (size_t)width > FLEET_NAME_MAX)
        return oerr_set(err, OERR_INVALID,
                        "name_prefix and a %d-digit index are longer than %d characters", width,
                        FLEET_NAME_MAX);
    f->count = count;
    f->width = width;
    assign_counts(f);
    return 0;
}

int fleet_name(const struct fleet *f, int64_t index, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s%0*lld", f->prefix, f->width, (long long)index);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

int fleet_index_of(const struct fleet *f, const char *name, int64_t *index)
{
    size_t plen = strlen(f->prefix);
    if (strncmp(name, f->prefix, plen) != 0)
        return -1;
    const char *p = name + plen;
    if (strlen(p) != (size_t)f->width)
        return -1;
    int64_t v = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v >= f->count)
        return -1;
    *index = v;
    return 0;
}

size_t fleet_meta_count(const struct fleet *f)
{
    return f->n_meta;
}

const char *fleet_meta_key(const struct fleet *f, size_t k)
{
    return f->meta[k].key;
}

int fleet_meta_value(const struct fleet *f, int64_t index, size_t k, char *buf, size_t len)
{
    const struct meta *m = &f->meta[k];
    if (m->seg == NULL) {
        double u = fleet_uniform(f->seed, index, STREAM_META + (uint32_t)k, 0);
        size_t v = 0;
        while (v + 1 < m->n_values && u >= m->cum[v])
            v++;
        int n = snprintf(buf, len, "%s", m->values[v]);
        return n < 0 || (size_t)n >= len ? -1 : n;
    }
    size_t used = 0;
    for (size_t s = 0; s < m->n_seg; s++) {
        const struct seg *sg = &m->seg[s];
        int n;
        if (sg->lit != NULL) {
            if (used + sg->lit_len >= len)
                return -1;
            memcpy(buf + used, sg->lit, sg->lit_len);
            used += sg->lit_len;
            continue;
        }
        int64_t v = index / sg->div;
        if (sg->mod > 0)
            v %= sg->mod;
        n = snprintf(buf + used, len - used, "%lld", (long long)v);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    if (used >= len)
        return -1;
    buf[used] = '\0';
    return (int)used;
}

void fleet_attempt(const struct fleet *f, int64_t index, uint32_t attempt,
                   struct fleet_attempt *out)
{
    size_t g = fleet_group_of(f, index);
    const struct fleet_group *gr = &f->groups[g];
    out->group = g;
    out->outcome = gr->outcome;
    if (gr->recover_after_attempts > 0 && (int64_t)attempt > gr->recover_after_attempts)
        out->outcome = FLEET_SUCCEEDED;
    out->accept_delay_ms = to_ms(fleet_dist_sample(
        &gr->accept_delay, fleet_uniform(f->seed, index, STREAM_ACCEPT, attempt)));
    out->duration_ms = to_ms(
        fleet_dist_sample(&gr->duration, fleet_uniform(f->seed, index, STREAM_DURATION, attempt)));
    out->step_timeout_min = gr->step_timeout_min;
}

/* ---- parsing ---- */

static void meta_free(struct meta *m)
{
    free(m->key);
    for (size_t s = 0; s < m->n_seg; s++)
        free(m->seg[s].lit);
    free(m->seg);
    for (size_t v = 0; v < m->n_values; v++)
        free(m->values[v]);
    free(m->values);
    free(m->cum);
}

void fleet_free(struct fleet *f)
{
    if (f == NULL)
        return;
    free(f->prefix);
    for (size_t g = 0; g < f->n_groups; g++)
        free(f->group_names[g]);
    free(f->group_names);
    free(f->groups);
    free(f->cum_count);
    for (size_t k = 0; k < f->n_meta; k++)
        meta_free(&f->meta[k]);
    free(f->meta);
    free(f);
}

/* A distribution member: a number, {"uniform":[a,b]} or {"lognormal":{"median":m,"p90":p}}. */
static int parse_dist(const struct jview *obj, const char *prefix, const char *name,
                      struct fleet_dist *out, int *present, struct oerr *err)
{
    char path[300], sub[340];
    static const char *const forms[] = {"uniform", "lognormal", NULL};
    static const char *const lognormal_members[] = {"median", "p90", NULL};
    struct jview v = jview_member(obj, name);
    jview_path(path, sizeof path, prefix, name);
    *present = v.v != NULL;
    memset(out, 0, sizeof *out);
    if (v.v == NULL)
        return 0;
    if (jview_type_of(&v) == JVIEW_NUMBER)
        return jview_number(obj, prefix, name, 1, 0, DIST_MAX_S, &out->a, NULL, err);
    if (jview_type_of(&v) != JVIEW_OBJECT || jview_count(&v) != 1)
        return oerr_set(err, OERR_INVALID,
                        "%s must be a number of seconds, {\"uniform\":[a,b]} or "
                        "{\"lognormal\":{\"median\":m,\"p90\":p}}",
                        path);
    if (cjview_known_members(&v, path, forms, err) < 0)
        return -1;
    struct jview u = jview_member(&v, "uniform");
    if (u.v != NULL) {
        jview_path(sub, sizeof sub, path, "uniform");
        struct jview a = jview_first(&u);
        struct jview b = jview_next(&a);
        if (jview_type_of(&u) != JVIEW_ARRAY || jview_count(&u) != 2 ||
            jview_type_of(&a) != JVIEW_NUMBER || jview_type_of(&b) != JVIEW_NUMBER)
            return oerr_set(err, OERR_INVALID, "%s must be a list of two numbers [a, b]", sub);
        out->kind = FLEET_DIST_UNIFORM;
        out->a = a.ops->number(a.v);
        out->b = b.ops->number(b.v);
        if (!(out->a >= 0) || !(out->b <= DIST_MAX_S) || !(out->a <= out->b))
            return oerr_set(err, OERR_INVALID, "%s must satisfy 0 <= a <= b <= %g", sub,
                            DIST_MAX_S);
        return 0;
    }
    struct jview ln = jview_member(&v, "lognormal");
    jview_path(sub, sizeof sub, path, "lognormal");
    if (jview_type_of(&ln) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object {\"median\":m,\"p90\":p}", sub);
    if (cjview_known_members(&ln, sub, lognormal_members, err) < 0 ||
        jview_number(&ln, sub, "median", 1, 0, DIST_MAX_S, &out->a, NULL, err) < 0 ||
        jview_number(&ln, sub, "p90", 1, 0, DIST_MAX_S, &out->b, NULL, err) < 0)
        return -1;
    if (!(out->a > 0) || !(out->b >= out->a))
        return oerr_set(err, OERR_INVALID, "%s must satisfy 0 < median <= p90", sub);
    out->kind = FLEET_DIST_LOGNORMAL;
    return 0;
}

static const char *const group_members[] = {"name",
                                            "share",
                                            "outcome",
                                            "accept_delay_s",
                                            "duration_s",
                                            "recover_after_attempts",
                                            "step_timeout_min",
                                            "discovery",
                                            NULL};

static int parse_group(const struct jview *obj, const char *path, size_t i, struct fleet *f,
                       struct oerr *err)
{
    struct fleet_group *g = &f->groups[i];
    const char *name = NULL;
    int outcome = 0, discovery = 0, has_accept = 0, has_duration = 0, has_recover = 0;
    if (jview_type_of(obj) != JVIEW_OBJECT)
        return oerr_set(err, OERR_INVALID, "%s must be an object", path);
    if (cjview_known_members(obj, path, group_members, err) < 0 ||
        jview_string(obj, path, "name", 0, NULL, &name, err) < 0 ||
        jview_number(obj, path, "share", 1, 0, 1, &g->share, NULL, err) < 0 ||
        jview_enum(obj, path, "outcome", 1, outcome_names, &outcome, NULL, err) < 0 ||
        parse_dist(obj, path, "accept_delay_s", &g->accept_delay, &has_accept, err) < 0 ||
        parse_dist(obj, path, "duration_s", &g->duration, &has_duration, err) < 0 ||
        jview_int(obj, path, "recover_after_attempts", 0, 1, 10, &g->recover_after_attempts,
                  &has_recover, err) < 0 ||
        jview_int(obj, path, "step_timeout_min", 0, 1, 10080, &g->step_timeout_min, NULL, err) <
            0 ||
        jview_enum(obj, path, "discovery", 0, discovery_names, &discovery, NULL, err) < 0)
        return -1;
    g->outcome = (enum fleet_outcome)outcome;
    g->discovery = (enum fleet_discovery)discovery;
    if (has_recover && g->outcome != FLEET_FAILED && g->outcome != FLEET_SILENT)
        return oerr_set(err, OERR_INVALID,
                        "%s.recover_after_attempts applies only to outcome FAILED or SILENT", path);
    if (!has_accept && g->outcome != FLEET_OFFLINE)
        return oerr_set(err, OERR_INVALID, "%s.accept_delay_s is required for outcome %s", path,
                        outcome_names[outcome]);
    int runs = g->outcome == FLEET_SUCCEEDED || g->outcome == FLEET_FAILED || has_recover;
    if (!has_duration && runs)
        return oerr_set(err, OERR_INVALID, "%s.duration_s is required for outcome %s%s", path,
                        outcome_names[outcome], has_recover ? " with recover_after_attempts" : "");
    char fallback[32];
    snprintf(fallback, sizeof fallback, "groups[%zu]", i);
    f->group_names[i] = xstrdup(name != NULL ? name : fallback);
    g->name = f->group_names[i];
    return 0;
}

static int parse_groups(const struct jview *obj, const char *prefix, struct fleet *f,
                        struct oerr *err)
{
    struct jview list;
    char path[300];
    if (jview_array(obj, prefix, "groups", 1, 1, 64, &list, err) < 0)
        return -1;
    jview_path(path, sizeof path, prefix, "groups");
    size_t n = jview_count(&list);
    f->groups = xcalloc(n, sizeof *f->groups);
    f->group_names = xcalloc(n, sizeof *f->group_names);
    f->cum_count = xcalloc(n + 1, sizeof *f->cum_count);
    double sum = 0;
    size_t i = 0;
    for (struct jview g = jview_first(&list); g.v != NULL; g = jview_next(&g), i++) {
        char gpath[340];
        snprintf(gpath, sizeof gpath, "%s[%zu]", path, i);
        f->n_groups = i + 1; /* fleet_free() frees what has been parsed */
        if (parse_group(&g, gpath, i, f, err) < 0)
            return -1;
        sum += f->groups[i].share;
    }
    if (fabs(sum - 1.0) > SHARE_EPS)
        return oerr_set(err, OERR_INVALID, "%s[].share must sum to 1 (they sum to %.12g)", path,
                        sum);
    return 0;
}

/* The operand after '/' or '%' at *p: 1..FLEET_MAX_COUNT without sign or leading zero. */
static int parse_operand(const char **p, int64_t *out)
{
    const char *q = *p + 1;
    char *end;
    if (*q < '1' || *q > '9')
        return 0;
    long long v = strtoll(q, &end, 10);
    if (v < 1 || v > FLEET_MAX_COUNT)
        return 0;
    *out = v;
    *p = end;
    return 1;
}

/* Parse a template: literal text with {i}, {i/N}, {i%M}, {i/N%M}; {{ and }} are braces. */
static int parse_template(const char *s, const char *path, struct meta *m, struct oerr *err)
{
    size_t cap = 4, max_len = 0;
    char *lit = xmalloc(strlen(s) + 1);
    size_t n_lit = 0;
    m->seg = xcalloc(cap, sizeof *m->seg);
    for (size_t i = 0; s[i] != '\0';) {
        if ((s[i] == '{' && s[i + 1] == '{') || (s[i] == '}' && s[i + 1] == '}')) {
            lit[n_lit++] = s[i];
            i += 2;
            continue;
        }
        if (s[i] == '}') {
            oerr_set(err, OERR_INVALID, "%s: unmatched '}' at position %zu (write }} for a brace)",
                     path, i + 1);
            goto fail;
        }
        if (s[i] != '{') {
            lit[n_lit++] = s[i++];
            continue;
        }
        /* a placeholder */
        size_t start = i;
        const char *p = s + i + 1;
        int64_t div = 1, mod = 0;
        int ok = *p == 'i';
        if (ok)
            p++;
        if (ok && *p == '/')
            ok = parse_operand(&p, &div);
        if (ok && *p == '%')
            ok = parse_operand(&p, &mod);
        if (!ok || *p != '}') {
            oerr_set(err, OERR_INVALID,
                     "%s: bad placeholder at position %zu (use {i}, {i/N}, {i%%M} or {i/N%%M} "
                     "with N, M from 1 to %lld)",
                     path, start + 1, (long long)FLEET_MAX_COUNT);
            goto fail;
        }
        if (m->n_seg + 2 > cap) {
            cap *= 2;
            m->seg = xreallocarray(m->seg, cap, sizeof *m->seg);
        }
        if (n_lit > 0) {
            m->seg[m->n_seg].lit = xstrndup(lit, n_lit);
            m->seg[m->n_seg++].lit_len = n_lit;
            max_len += n_lit;
            n_lit = 0;
        }
        m->seg[m->n_seg].div = div;
        m->seg[m->n_seg++].mod = mod;
        max_len += 8; /* an index below FLEET_MAX_COUNT has at most 8 digits */
        i = (size_t)(p - s) + 1;
    }
    if (n_lit > 0) {
        if (m->n_seg + 1 > cap)
            m->seg = xreallocarray(m->seg, ++cap, sizeof *m->seg);
        m->seg[m->n_seg].lit = xstrndup(lit, n_lit);
        m->seg[m->n_seg++].lit_len = n_lit;
        max_len += n_lit;
    }
    free(lit);
    if (max_len > FLEET_META_VALUE_MAX)
        return oerr_set(err, OERR_INVALID, "%s can be longer than %d characters", path,
                        FLEET_META_VALUE_MAX);
    return 0;
fail:
    free(lit);
    return -1;
}

static int parse_values(const struct jview *v, const char *path, struct meta *m, struct oerr *err)
{
    static const char *const members[] = {"values", "weights", NULL};
    struct jview values, weights;
    char vpath[400];
    static const struct jview_str value_rule = {0, FLEET_META_VALUE_MAX, NULL, NULL};
    if (cjview_known_members(v, path, members, err) < 0 ||
        jview_string_list(v, path, "values", 1, 1, 1000, &value_rule, &values, err) < 0 ||
        jview_array(v, path, "weights", 0, 1, 1000, &weights, err) < 0)
        return -1;
    size_t n = jview_count(&values);
    m->values = xcalloc(n, sizeof *m->values);
    m->cum = xcalloc(n, sizeof *m->cum);
    size_t i = 0;
    for (struct jview e = jview_first(&values); e.v != NULL; e = jview_next(&e), i++) {
        m->values[i] = xstrdup(e.ops->string(e.v));
        m->n_values = i + 1;
        m->cum[i] = (double)(i + 1);
    }
    if (weights.v != NULL) {
        jview_path(vpath, sizeof vpath, path, "weights");
        if (jview_count(&weights) != n)
            return oerr_set(err, OERR_INVALID, "%s must have as many entries as values (%zu)",
                            vpath, n);
        double sum = 0;
        i = 0;
        for (struct jview e = jview_first(&weights); e.v != NULL; e = jview_next(&e), i++) {
            double w = jview_type_of(&e) == JVIEW_NUMBER ? e.ops->number(e.v) : -1;
            if (!(w >= 0) || !isfinite(w))
                return oerr_set(err, OERR_INVALID, "%s[%zu] must be a number >= 0", vpath, i);
            sum += w;
            m->cum[i] = sum;
        }
        if (!(sum > 0))
            return oerr_set(err, OERR_INVALID, "%s must not all be 0", vpath);
    }
    for (i = 0; i < n; i++)
        m->cum[i] /= m->cum[n - 1];
    m->cum[n - 1] = 1.0;
    return 0;
}

static int parse_meta(const struct jview *obj, const char *prefix, struct fleet *f,
                      struct oerr *err)
{
    struct jview map;
    char path[300];
    if (jview_object(obj, prefix, "metadata", 0, &map, err) < 0)
        return -1;
    if (map.v == NULL)
        return 0;
    jview_path(path, sizeof path, prefix, "metadata");
    size_t n = jview_count(&map);
    if (n > FLEET_META_MAX)
        return oerr_set(err, OERR_INVALID, "%s must have at most %d entries", path, FLEET_META_MAX);
    f->meta = xcalloc(n, sizeof *f->meta);
    for (struct jview e = jview_first(&map); e.v != NULL; e = jview_next(&e)) {
        char kpath[440];
        const char *key = jview_key(&e);
        struct meta *m = &f->meta[f->n_meta++];
        m->key = xstrdup(key);
        jview_path(kpath, sizeof kpath, path, key);
        size_t len = strlen(key);
        if (len < 1 || len > 128)
            return oerr_set(err, OERR_INVALID, "%s: keys must be 1 to 128 characters long", kpath);
        if (jview_type_of(&e) == JVIEW_STRING) {
            if (parse_template(e.ops->string(e.v), kpath, m, err) < 0)
                return -1;
        } else if (jview_type_of(&e) == JVIEW_OBJECT) {
            if (parse_values(&e, kpath, m, err) < 0)
                return -1;
        } else {
            return oerr_set(err, OERR_INVALID,
                            "%s must be a template string or {\"values\":[...], \"weights\":[...]}",
                            kpath);
        }
    }
    return 0;
}

static int prefix_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':';
}

int fleet_parse(const struct jview *obj, const char *prefix, uint64_t seed, struct fleet **out,
                struct oerr *err)
{
    static const char *const members[] = {"count", "name_prefix", "metadata", "groups", NULL};
    struct fleet *f = xcalloc(1, sizeof *f);
    const char *name_prefix = NULL;
    char path[300];
    int64_t count = 0;
    f->seed = seed;
    if (jview_type_of(obj) != JVIEW_OBJECT) {
        oerr_set(err, OERR_INVALID, "%s %s", prefix,
                 obj->v == NULL ? "is required" : "must be an object");
        goto fail;
    }
    if (cjview_known_members(obj, prefix, members, err) < 0 ||
        jview_int(obj, prefix, "count", 1, 1, FLEET_MAX_COUNT, &count, NULL, err) < 0 ||
        jview_string(obj, prefix, "name_prefix", 0, NULL, &name_prefix, err) < 0)
        goto fail;
    f->prefix = xstrdup(name_prefix != NULL ? name_prefix : "device-");
    for (const char *p = f->prefix; *p != '\0'; p++) {
        if (!prefix_char(*p)) {
            oerr_set(err, OERR_INVALID, "%s may contain only letters, digits, '-', '_' and ':'",
                     jview_path(path, sizeof path, prefix, "name_prefix"));
            goto fail;
        }
    }
    if (parse_groups(obj, prefix, f, err) < 0 || parse_meta(obj, prefix, f, err) < 0)
        goto fail;
    if (fleet_resize(f, count, err) < 0) {
        oerr_prefix(err, ": ");
        oerr_prefix(err, prefix);
        goto fail;
    }
    *out = f;
    return 0;
fail:
    fleet_free(f);
    return -1;
}
