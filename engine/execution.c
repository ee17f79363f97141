/*
 * execution: the execution state machine (SPEC.md section 2), the checks on what a device may
 * send (requested status, statusDetails, step timers) and the deadline of an IN_PROGRESS
 * execution (section 6). The transition table below is the single source of every legality
 * decision; execution_device_from_mask() is derived from it.
 */
#include "engine/execution.h"

#include <string.h>

#include "engine/oerr.h"

static const char *const status_names[EXECUTION_STATUS_MAX] = {
    [EXECUTION_PLANNED] = "PLANNED",         [EXECUTION_QUEUED] = "QUEUED",
    [EXECUTION_IN_PROGRESS] = "IN_PROGRESS", [EXECUTION_SUCCEEDED] = "SUCCEEDED",
    [EXECUTION_FAILED] = "FAILED",           [EXECUTION_TIMED_OUT] = "TIMED_OUT",
    [EXECUTION_REJECTED] = "REJECTED",       [EXECUTION_REMOVED] = "REMOVED",
    [EXECUTION_CANCELED] = "CANCELED",
};

#define BIT(s) (1u << (s))

/* Legal transitions by actor without force: allowed[actor][from] is the mask of targets. */
static const unsigned allowed[EXECUTION_ACTOR_MAX][EXECUTION_STATUS_MAX] = {
    [EXECUTION_ACTOR_DEVICE] =
        {
            [EXECUTION_QUEUED] = BIT(EXECUTION_IN_PROGRESS) | BIT(EXECUTION_SUCCEEDED) |
                                 BIT(EXECUTION_FAILED) | BIT(EXECUTION_REJECTED),
            [EXECUTION_IN_PROGRESS] = BIT(EXECUTION_IN_PROGRESS) | BIT(EXECUTION_SUCCEEDED) |
                                      BIT(EXECUTION_FAILED) | BIT(EXECUTION_REJECTED),
        },
    [EXECUTION_ACTOR_SCHEDULER] =
        {
            [EXECUTION_PLANNED] =
                BIT(EXECUTION_QUEUED) | BIT(EXECUTION_CANCELED) | BIT(EXECUTION_REMOVED),
            [EXECUTION_QUEUED] = BIT(EXECUTION_CANCELED) | BIT(EXECUTION_REMOVED),
            [EXECUTION_IN_PROGRESS] = BIT(EXECUTION_TIMED_OUT),
        },
    [EXECUTION_ACTOR_USER] =
        {
            [EXECUTION_PLANNED] = BIT(EXECUTION_CANCELED),
            [EXECUTION_QUEUED] = BIT(EXECUTION_CANCELED),
        },
};

const char *execution_status_name(enum execution_status s)
{
    if ((unsigned)s >= EXECUTION_STATUS_MAX)
        return "UNKNOWN";
    return status_names[s];
}

int execution_status_parse(const char *s, enum execution_status *out)
{
    if (s == NULL)
        return -1;
    for (int i = EXECUTION_QUEUED; i < EXECUTION_STATUS_MAX; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum execution_status)i;
            return 0;
        }
    }
    return -1;
}

int execution_is_terminal(enum execution_status s)
{
    return (unsigned)s < EXECUTION_STATUS_MAX && s != EXECUTION_PLANNED && s != EXECUTION_QUEUED &&
           s != EXECUTION_IN_PROGRESS;
}

int execution_transition_legal(enum execution_status from, enum execution_status to,
                               enum execution_actor actor, int force)
{
    if ((unsigned)from >= EXECUTION_STATUS_MAX || (unsigned)to >= EXECUTION_STATUS_MAX ||
        (unsigned)actor >= EXECUTION_ACTOR_MAX)
        return 0;
    if (allowed[actor][from] & BIT(to))
        return 1;
    /* FORCE_CANCEL is the one way out of IN_PROGRESS that is not the device's or a timeout. */
    return force && actor != EXECUTION_ACTOR_DEVICE && from == EXECUTION_IN_PROGRESS &&
           to == EXECUTION_CANCELED;
}

unsigned execution_device_from_mask(enum execution_status to)
{
    unsigned mask = 0;
    for (int from = 0; from < EXECUTION_STATUS_MAX; from++) {
        if (execution_transition_legal((enum execution_status)from, to, EXECUTION_ACTOR_DEVICE, 0))
            mask |= BIT(from);
    }
    return mask;
}

int execution_check_device_status(enum execution_status requested, struct oerr *err)
{
    if ((unsigned)requested >= EXECUTION_STATUS_MAX)
        return oerr_set(err, OERR_INVALID, "status %d is not a valid status", (int)requested);
    if (execution_device_from_mask(requested) == 0)
        return oerr_set(err, OERR_INVALID, "status %s cannot be set by a device",
                        status_names[requested]);
    return 0;
}

static int key_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '_' || c == '-';
}

/*
 * Decode one UTF-8 sequence at s (strict: no overlong forms, no surrogates, nothing above
 * U+10FFFF). Returns its length in bytes and the code point in *cp, or 0 if invalid.
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
        c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
        c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* \p{Cc}: C0 controls, DEL and C1 controls. */
static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

static int check_value(const char *key, const char *value, struct oerr *err)
{
    const unsigned char *p = (const unsigned char *)(value != NULL ? value : "");
    size_t chars = 0;
    if (*p == '\0')
        return oerr_set(err, OERR_INVALID, "statusDetails.%s: empty value", key);
    while (*p != '\0') {
        uint32_t cp;
        size_t len = utf8_next(p, &cp);
        if (len == 0)
            return oerr_set(err, OERR_INVALID,
                            "statusDetails.%s: value is not valid UTF-8 at byte %zu", key,
                            (size_t)(p - (const unsigned char *)value));
        if (is_control(cp))
            return oerr_set(err, OERR_INVALID,
                            "statusDetails.%s: value contains control character U+%04X at "
                            "character %zu",
                            key, (unsigned)cp, chars + 1);
        chars++;
        if (chars > EXECUTION_DETAILS_VALUE_MAX)
            return oerr_set(err, OERR_INVALID, "statusDetails.%s: value longer than %d", key,
                            EXECUTION_DETAILS_VALUE_MAX);
        p += len;
    }
    return 0;
}

static int check_key(const char *key, size_t index, struct oerr *err)
{
    size_t len = key != NULL ? strlen(key) : 0;
    if (len == 0)
        return oerr_set(err, OERR_INVALID, "statusDetails: key %zu is empty", index + 1);
    if (len > EXECUTION_DETAILS_KEY_MAX)
        return oerr_set(err, OERR_INVALID, "statusDetails: key %zu is longer than %d", index + 1,
                        EXECUTION_DETAILS_KEY_MAX);
    for (size_t i = 0; i < len; i++) {
        if (!key_char_ok((unsigned char)key[i]))
            return oerr_set(err, OERR_INVALID,
                            "statusDetails: key %zu has a character outside [a-zA-Z0-9:_-] at "
                            "position %zu",
                            index + 1, i + 1);
    }
    return 0;
}

int execution_check_status_details(const char *const *keys, const char *const *values, size_t n,
                                   struct oerr *err)
{
    if (n > EXECUTION_DETAILS_MAX_PAIRS)
        return oerr_set(err, OERR_INVALID, "statusDetails: %zu pairs, at most %d allowed", n,
                        EXECUTION_DETAILS_MAX_PAIRS);
    for (size_t i = 0; i < n; i++) {
        if (check_key(keys[i], i, err) != 0)
            return -1;
        if (check_value(keys[i], values[i], err) != 0)
            return -1;
    }
    return 0;
}

int execution_check_step_timeout(int64_t minutes, int allow_clear, struct oerr *err)
{
    if (minutes >= 1 && minutes <= 10080)
        return 0;
    if (allow_clear && minutes == -1)
        return 0;
    if (allow_clear)
        return oerr_set(err, OERR_INVALID,
                        "stepTimeoutInMinutes must be between 1 and 10080, or -1 to clear");
    return oerr_set(err, OERR_INVALID, "stepTimeoutInMinutes must be between 1 and 10080");
}

/* a + b for b > 0, saturating at INT64_MAX. */
static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t execution_deadline(int64_t started_at, int64_t in_progress_timeout_ms, int64_t step_set_at,
                           int64_t step_timeout_ms)
{
    int64_t deadline = -1;
    if (started_at >= 0 && in_progress_timeout_ms > 0)
        deadline = add_sat(started_at, in_progress_timeout_ms);
    if (step_set_at >= 0 && step_timeout_ms > 0) {
        int64_t step = add_sat(step_set_at, step_timeout_ms);
        if (deadline < 0 || step < deadline)
            deadline = step;
    }
    return deadline;
}
