/*
 * opstats: per-operation request statistics (see opstats.h). Latencies are kept in
 * microseconds in a log-linear histogram: values below 256 us have a bucket each; above, each
 * power of two [2^e, 2^(e+1)) is cut into 128 equal buckets. A quantile is the midpoint of the
 * bucket holding it (the maximum is exact).
 */
#include "sim/opstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"

#define LINEAR    256
#define SUB_BITS  7
#define SUB       (1 << SUB_BITS)
#define MAX_EXP   40 /* 2^41 us, about 25 days: larger values land in the last bucket */
#define N_BUCKETS (LINEAR + (MAX_EXP - 8 + 1) * SUB)

struct op {
    char name[OPSTATS_NAME_MAX + 1];
    int64_t requests, errors;
    uint64_t max_us;
    double sum_s;
    int64_t *buckets; /* N_BUCKETS */
};

struct opstats {
    struct op *ops;
    size_t n_ops, cap_ops;
    struct opstats_error *errors;
    size_t n_errors, cap_errors;
};

struct opstats *opstats_new(void)
{
    return xcalloc(1, sizeof(struct opstats));
}

void opstats_free(struct opstats *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_ops; i++)
        free(s->ops[i].buckets);
    free(s->ops);
    free(s->errors);
    free(s);
}

static size_t bucket_of(uint64_t us)
{
    if (us < LINEAR)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us);
    if (e > MAX_EXP)
        return N_BUCKETS - 1;
    size_t m = (size_t)(us >> (e - SUB_BITS)) & (SUB - 1);
    return LINEAR + (size_t)(e - 8) * SUB + m;
}

/* The midpoint of bucket b, in microseconds. */
static double bucket_mid(size_t b)
{
    if (b < LINEAR)
        return (double)b + 0.5;
    int e = (int)((b - LINEAR) / SUB) + 8;
    double m = (double)((b - LINEAR) % SUB);
    double width = ldexp(1.0, e - SUB_BITS);
    return (SUB + m) * width + width / 2;
}

static void copy_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n > OPSTATS_NAME_MAX)
        n = OPSTATS_NAME_MAX;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static struct op *op_of(struct opstats *s, const char *name)
{
    for (size_t i = 0; i < s->n_ops; i++)
        if (strncmp(s->ops[i].name, name, OPSTATS_NAME_MAX) == 0)
            return &s->ops[i];
    if (s->n_ops == s->cap_ops) {
        s->cap_ops = s->cap_ops == 0 ? 16 : s->cap_ops * 2;
        s->ops = xreallocarray(s->ops, s->cap_ops, sizeof *s->ops);
    }
    struct op *o = &s->ops[s->n_ops++];
    memset(o, 0, sizeof *o);
    copy_name(o->name, name);
    o->buckets = xcalloc(N_BUCKETS, sizeof *o->buckets);
    return o;
}

static void count_error(struct opstats *s, const char *type, int status)
{
    for (size_t i = 0; i < s->n_errors; i++)
        if (strncmp(s->errors[i].type, type, OPSTATS_NAME_MAX) == 0) {
            s->errors[i].count++;
            return;
        }
    if (s->n_errors == s->cap_errors) {
        s->cap_errors = s->cap_errors == 0 ? 8 : s->cap_errors * 2;
        s->errors = xreallocarray(s->errors, s->cap_errors, sizeof *s->errors);
    }
    struct opstats_error *e = &s->errors[s->n_errors++];
    copy_name(e->type, type);
    e->status = status;
    e->count = 1;
}

void opstats_record(struct opstats *s, const char *op, double latency_s, int status,
                    const char *error_type)
{
    struct op *o = op_of(s, op);
    double us = latency_s > 0 ? latency_s * 1e6 : 0;
    uint64_t v = us >= 9e18 ? UINT64_MAX : (uint64_t)us;
    o->requests++;
    o->buckets[bucket_of(v)]++;
    o->sum_s += latency_s > 0 ? latency_s : 0;
    if (v > o->max_us)
        o->max_us = v;
    if (status == 0 || status >= 300) {
        o->errors++;
        if (error_type == NULL || error_type[0] == '\0')
            error_type = status == 0 ? "transport" : "HTTP error without X-Amzn-ErrorType";
        count_error(s, error_type, status);
    }
}

void opstats_reset(struct opstats *s)
{
    for (size_t i = 0; i < s->n_ops; i++) {
        struct op *o = &s->ops[i];
        o->requests = o->errors = 0;
        o->max_us = 0;
        o->sum_s = 0;
        memset(o->buckets, 0, N_BUCKETS * sizeof *o->buckets);
    }
    s->n_errors = 0;
}

int64_t opstats_requests(const struct opstats *s)
{
    int64_t n = 0;
    for (size_t i = 0; i < s->n_ops; i++)
        n += s->ops[i].requests;
    return n;
}

int64_t opstats_errors(const struct opstats *s)
{
    int64_t n = 0;
    for (size_t i = 0; i < s->n_ops; i++)
        n += s->ops[i].errors;
    return n;
}

size_t opstats_op_count(const struct opstats *s)
{
    return s->n_ops;
}

static double quantile(const struct op *o, double q)
{
    if (o->requests == 0)
        return 0;
    /* the smallest bucket with at least ceil(q * n) samples at or below it */
    int64_t rank = (int64_t)ceil(q * (double)o->requests);
    if (rank < 1)
        rank = 1;
    int64_t seen = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        seen += o->buckets[b];
        if (seen >= rank) {
            double mid = bucket_mid(b);
            return (mid > (double)o->max_us ? (double)o->max_us : mid) / 1e6;
        }
    }
    return (double)o->max_us / 1e6;
}

void opstats_op(const struct opstats *s, size_t i, struct opstats_op *out)
{
    const struct op *o = &s->ops[i];
    memset(out, 0, sizeof *out);
    memcpy(out->name, o->name, sizeof out->name);
    out->requests = o->requests;
    out->errors = o->errors;
    out->p50_s = quantile(o, 0.50);
    out->p90_s = quantile(o, 0.90);
    out->p99_s = quantile(o, 0.99);
    out->max_s = (double)o->max_us / 1e6;
    out->mean_s = o->requests > 0 ? o->sum_s / (double)o->requests : 0;
}

int opstats_op_named(const struct opstats *s, const char *name, struct opstats_op *out)
{
    for (size_t i = 0; i < s->n_ops; i++)
        if (strncmp(s->ops[i].name, name, OPSTATS_NAME_MAX) == 0) {
            opstats_op(s, i, out);
            return 0;
        }
    return -1;
}

size_t opstats_error_count(const struct opstats *s)
{
    return s->n_errors;
}

void opstats_error(const struct opstats *s, size_t i, struct opstats_error *out)
{
    *out = s->errors[i];
}

int64_t opstats_error_named(const struct opstats *s, const char *type)
{
    for (size_t i = 0; i < s->n_errors; i++)
        if (strncmp(s->errors[i].type, type, OPSTATS_NAME_MAX) == 0)
            return s->errors[i].count;
    return 0;
}
