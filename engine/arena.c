/*
 * arena: chunked bump allocation. Chunks form a singly linked list, newest first; big requests
 * get a chunk of their own. arena_reset() keeps the oldest chunk (the one sized chunk_size) so
 * that a reused arena does not touch malloc in the steady state.
 */
#include "engine/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mem.h"

#define ARENA_ALIGN 16u

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct chunk *head;
    size_t chunk_size;
    size_t used_total;
};

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = xmalloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

struct arena *arena_new(size_t chunk_size)
{
    struct arena *a = xmalloc(sizeof *a);
    a->chunk_size = chunk_size < 256 ? 256 : chunk_size;
    a->head = chunk_new(a->chunk_size);
    a->used_total = 0;
    return a;
}

void arena_free(struct arena *a)
{
    if (a == NULL)
        return;
    struct chunk *c = a->head;
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void arena_reset(struct arena *a)
{
    struct chunk *c = a->head;
    while (c->next != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    c->used = 0;
    a->head = c;
    a->used_total = 0;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < size)
        mem_oom(size);
    struct chunk *c = a->head;
    if (c->size - c->used < need) {
        size_t csize = need > a->chunk_size ? need : a->chunk_size;
        struct chunk *n = chunk_new(csize);
        /* keep the first (reusable) chunk last in the list */
        n->next = a->head;
        a->head = n;
        c = n;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        mem_oom(SIZE_MAX);
    void *p = arena_alloc(a, nmemb * size);
    memset(p, 0, nmemb * size);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return arena_strdup(a, "");
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_used(const struct arena *a)
{
    return a->used_total;
}
