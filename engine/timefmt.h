/*
 * timefmt: civil-time arithmetic and the textual time formats of the project, all in UTC and
 * in integer milliseconds since the Unix epoch (SPEC.md, "Times"). No clock is read here.
 *
 *   parse:  RFC 3339 / ISO 8601 date-times: "2026-11-22T10:00:00Z", with fraction
 *           ("...:00.250Z"), with an offset ("+02:00", "-0530"), with no offset (= UTC),
 *           lowercase 't'/'z', a space instead of 'T', and "YYYY-MM-DD HH:MM" (= UTC).
 *   format: "2026-11-22T10:00:00Z", "...:00.123Z" (ms), "...:00.123456789Z" (ns, DEVICE_OTA).
 */
#ifndef OTAD_ENGINE_TIMEFMT_H
#define OTAD_ENGINE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/oerr.h"

#define TIMEFMT_MS_PER_MINUTE INT64_C(60000)
#define TIMEFMT_MS_PER_HOUR   INT64_C(3600000)
#define TIMEFMT_MS_PER_DAY    INT64_C(86400000)

/** Broken-down UTC time; month 1..12, mday 1..31, wday 0..6 with 0 = Sunday. */
struct timefmt_civil {
    int year, month, mday, hour, minute, second, millisecond;
    int wday;
};

/** Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d 1..31). */
int64_t timefmt_days_from_civil(int y, int m, int d);

/** Inverse of timefmt_days_from_civil. */
void timefmt_civil_from_days(int64_t days, int *y, int *m, int *d);

/** Number of days in month m (1..12) of year y. */
int timefmt_days_in_month(int y, int m);

/** 1 if y is a leap year. */
int timefmt_is_leap(int y);

/** Break t (ms since epoch, may be negative) into UTC civil fields. */
void timefmt_to_civil(int64_t t, struct timefmt_civil *out);

/** ms since epoch of the civil time c (wday ignored); fields must be in range. */
int64_t timefmt_from_civil(const struct timefmt_civil *c);

/** Parse s (formats above) into *out_ms; -1 with OERR_INVALID and a message saying why. */
int timefmt_parse(const char *s, int64_t *out_ms, struct oerr *err);

/** Write t as RFC 3339 with second precision ("2026-11-22T10:00:00Z"); returns buf. */
char *timefmt_format_s(int64_t t, char *buf, size_t len);

/** Write t as RFC 3339 with milliseconds ("2026-11-22T10:00:00.123Z"); returns buf. */
char *timefmt_format_ms(int64_t t, char *buf, size_t len);

/** Write t plus extra_ns nanoseconds (0..999999) as RFC 3339 with 9 fraction digits. */
char *timefmt_format_ns(int64_t t, int extra_ns, char *buf, size_t len);

/** Buffer size that fits every format above. */
#define TIMEFMT_BUF 40

#endif
