/*
 * log: key=value lines on stderr, one write(2) per line. The message goes last as msg="..."
 * with quotes and backslashes escaped and control characters replaced, so a line can always be
 * parsed back.
 */
#include "store/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "engine/timefmt.h"

enum log_level log_threshold = LOG_INFO;

static _Thread_local const char *thread_name = "main";

static const char *const level_names[LOG_LEVEL_MAX] = {"debug", "info", "warn", "error"};

int log_set_level(const char *name)
{
    for (int i = 0; i < LOG_LEVEL_MAX; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            log_threshold = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_thread(const char *name)
{
    thread_name = name;
}

void log_vwrite(enum log_level level, const char *rid, const char *fmt, va_list ap)
{
    char msg[2048];
    char line[4096];
    char ts[TIMEFMT_BUF];
    struct timeval tv;

    gettimeofday(&tv, NULL);
    timefmt_format_ms((int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000, ts, sizeof ts);
    vsnprintf(msg, sizeof msg, fmt, ap);

    int n = snprintf(line, sizeof line, "ts=%s level=%s thread=%s", ts,
                     level_names[level < LOG_LEVEL_MAX ? level : LOG_ERROR], thread_name);
    if (rid != NULL && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " rid=%s", rid);
    if (n < 0 || (size_t)n >= sizeof line - 16)
        n = (int)(sizeof line - 16);
    size_t pos = (size_t)n;
    const char *prefix = " msg=\"";
    memcpy(line + pos, prefix, strlen(prefix));
    pos += strlen(prefix);
    for (const char *p = msg; *p != '\0' && pos < sizeof line - 4; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            line[pos++] = '\\';
            line[pos++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            line[pos++] = ' ';
        } else {
            line[pos++] = (char)c;
        }
    }
    line[pos++] = '"';
    line[pos++] = '\n';
    ssize_t off = 0;
    while ((size_t)off < pos) {
        ssize_t w = write(STDERR_FILENO, line + off, pos - (size_t)off);
        if (w <= 0)
            break;
        off += w;
    }
}

void log_write(enum log_level level, const char *rid, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, rid, fmt, ap);
    va_end(ap);
}
