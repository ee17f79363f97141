/*
 * mem: the one allocation wrapper of the project. Every allocation goes through these
 * functions; they never return NULL: on out-of-memory they print a message and abort, so that
 * "no memory" is never an untested branch (reference/aesthetics.md R8). Free with free().
 */
#ifndef OTAD_ENGINE_MEM_H
#define OTAD_ENGINE_MEM_H

#include <stddef.h>

#define MEM_MALLOC_ATTR __attribute__((malloc, warn_unused_result))

/** malloc that aborts on failure; size 0 returns a unique pointer. */
void *xmalloc(size_t size) MEM_MALLOC_ATTR __attribute__((alloc_size(1)));

/** calloc that aborts on failure and on nmemb * size overflow. */
void *xcalloc(size_t nmemb, size_t size) MEM_MALLOC_ATTR __attribute__((alloc_size(1, 2)));

/** realloc that aborts on failure; the old pointer is invalid afterwards. */
void *xrealloc(void *ptr, size_t size) __attribute__((warn_unused_result, alloc_size(2)));

/** reallocarray that aborts on failure and on overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size) __attribute__((warn_unused_result));

/** strdup that aborts on failure; the caller frees. */
char *xstrdup(const char *s) MEM_MALLOC_ATTR;

/** strndup that aborts on failure; copies at most n bytes and always terminates. */
char *xstrndup(const char *s, size_t n) MEM_MALLOC_ATTR;

/** Abort with a message naming the size that could not be allocated. */
void mem_oom(size_t size) __attribute__((noreturn));

#endif
