/*
 * log: the project's one logging module. One line per event on stderr, as key=value pairs:
 *
 *   ts=2026-11-22T10:00:00.123Z level=warn thread=api rid=5f1c... msg="could not connect: ..."
 *
 * The level is tested before any argument is formatted (the macros below), messages follow the
 * PostgreSQL style (lowercase, no trailing period, "could not X: reason"), and each line is
 * written with a single write(2) so threads never interleave within a line. The request-id
 * variant rlog_*() prefixes the request id so a client-visible error can be matched with its
 * internal detail.
 */
#ifndef OTAD_STORE_LOG_H
#define OTAD_STORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_LEVEL_MAX };

/** The current threshold; lines below it are not formatted. */
extern enum log_level log_threshold;

/** Set the threshold from a name ("debug", "info", "warn", "error"); -1 if unknown. */
int log_set_level(const char *name);

/** Name this thread in its log lines ("api", "sched", "relay"); the string must be static. */
void log_set_thread(const char *name);

/** Write one line at level with an optional request id (NULL for none). */
void log_write(enum log_level level, const char *rid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** va_list form of log_write. */
void log_vwrite(enum log_level level, const char *rid, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define log_at(lvl, rid, ...)                                                                      \
    do {                                                                                           \
        if ((lvl) >= log_threshold)                                                                \
            log_write((lvl), (rid), __VA_ARGS__);                                                  \
    } while (0)

#define log_debug(...)       log_at(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)        log_at(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...)        log_at(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...)       log_at(LOG_ERROR, NULL, __VA_ARGS__)
#define rlog_debug(rid, ...) log_at(LOG_DEBUG, (rid), __VA_ARGS__)
#define rlog_info(rid, ...)  log_at(LOG_INFO, (rid), __VA_ARGS__)
#define rlog_warn(rid, ...)  log_at(LOG_WARN, (rid), __VA_ARGS__)
#define rlog_error(rid, ...) log_at(LOG_ERROR, (rid), __VA_ARGS__)

#endif
