/*
 * opstats: what `otasim load` measures about the requests it makes, by operation
 * ("CreateManagedThing", "UpdateJobExecution", ...): request and error counts, a latency
 * histogram (log-linear buckets of 1/128 of a power of two above 256 us, so any quantile is
 * within 0.8 % of the true sample), and errors by type (the X-Amzn-ErrorType of the answer, or
 * "transport" when no answer came). Operations and error types are interned on first use; the
 * order of first use is the order of the reports.
 */
#ifndef OTAD_SIM_OPSTATS_H
#define OTAD_SIM_OPSTATS_H

#include <stddef.h>
#include <stdint.h>

/** Longest operation or error type name kept (longer names are cut). */
#define OPSTATS_NAME_MAX 63

struct opstats;

/** One operation's figures (a copy; seconds). */
struct opstats_op {
    char name[OPSTATS_NAME_MAX + 1];
    int64_t requests; /* answered or failed */
    int64_t errors;   /* status >= 300 or no answer */
    double p50_s, p90_s, p99_s, max_s, mean_s;
};

/** One error type's count (a copy). */
struct opstats_error {
    char type[OPSTATS_NAME_MAX + 1];
    int status; /* the HTTP status of its first occurrence; 0 = transport */
    int64_t count;
};

/** A new, empty set of statistics. Free with opstats_free(). */
struct opstats *opstats_new(void);

/** Free; accepts NULL. */
void opstats_free(struct opstats *s);

/**
 * Record one request of operation op (borrowed) that took latency_s; status is the HTTP
 * status (0 = no answer); error_type (borrowed, may be NULL) names the error of an answer with
 * status >= 300, or of a transport failure.
 */
void opstats_record(struct opstats *s, const char *op, double latency_s, int status,
                    const char *error_type);

/** Forget everything recorded (the operations stay known). */
void opstats_reset(struct opstats *s);

/** Total requests recorded, all operations. */
int64_t opstats_requests(const struct opstats *s);

/** Total errors recorded, all operations. */
int64_t opstats_errors(const struct opstats *s);

/** Number of operations known. */
size_t opstats_op_count(const struct opstats *s);

/** Operation i's figures (0 <= i < opstats_op_count). */
void opstats_op(const struct opstats *s, size_t i, struct opstats_op *out);

/** Figures of operation name; -1 if it was never recorded. */
int opstats_op_named(const struct opstats *s, const char *name, struct opstats_op *out);

/** Number of error types seen. */
size_t opstats_error_count(const struct opstats *s);

/** Error type i (0 <= i < opstats_error_count). */
void opstats_error(const struct opstats *s, size_t i, struct opstats_error *out);

/** Requests with this X-Amzn-ErrorType so far (0 if never seen). */
int64_t opstats_error_named(const struct opstats *s, const char *type);

#endif
