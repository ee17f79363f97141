/*
 * arena: a bump allocator for memory that lives exactly as long as one unit of work (an HTTP
 * request, a scheduler tick). Allocations are freed all at once by arena_reset() or
 * arena_free(); never free() an arena pointer. Long-lived objects must not point into an arena
 * (reference/aesthetics.md R10). Not thread-safe: one arena belongs to one thread at a time.
 */
#ifndef OTAD_ENGINE_ARENA_H
#define OTAD_ENGINE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/** A new empty arena whose chunks are at least chunk_size bytes; free with arena_free(). */
struct arena *arena_new(size_t chunk_size);

/** Free the arena and everything allocated from it; accepts NULL. */
void arena_free(struct arena *a);

/** Release every allocation but keep the first chunk for reuse. */
void arena_reset(struct arena *a);

/** size bytes aligned for any type; never NULL (aborts on out-of-memory). */
void *arena_alloc(struct arena *a, size_t size);

/** Zeroed nmemb * size bytes; aborts on overflow. */
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);

/** A copy of the NUL-terminated s. */
char *arena_strdup(struct arena *a, const char *s);

/** A NUL-terminated copy of the first n bytes of s (s need not be terminated). */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/** A formatted string. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** va_list form of arena_printf. */
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/** Bytes handed out since the last reset (for metrics and caps). */
size_t arena_used(const struct arena *a);

#endif
