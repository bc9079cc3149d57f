/* The bounded queue a C programmer would otherwise write: a ring buffer
 * guarded by one pthread mutex, with a condition variable for "not empty"
 * (the consumer waits on it) and one for "not full" (producers wait on it).
 * It is the native peer of bench.c, so it is deliberately the textbook
 * version: no spinning, no lock-free fast path, no signal elision.
 *
 * Closing mirrors funnelq's end-of-stream: the ring is created with the
 * number of producers, each calls mutex_ring_producer_done() when it has
 * sent everything, and once all have, a receive on an empty ring returns
 * false instead of waiting. */
#ifndef FUNNELQ_BENCH_MUTEX_RING_H
#define FUNNELQ_BENCH_MUTEX_RING_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

struct ring_msg {
    void *ptr;
    size_t len;
};

struct mutex_ring {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct ring_msg *slots;
    size_t capacity;
    size_t head; /* next slot to read */
    size_t count;
    int producers; /* still sending; 0 = end-of-stream once drained */
};

static inline bool mutex_ring_init(struct mutex_ring *r, size_t capacity, int producers) {
    r->slots = malloc(capacity * sizeof *r->slots);
    if (r->slots == NULL) return false;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->not_empty, NULL);
    pthread_cond_init(&r->not_full, NULL);
    r->capacity = capacity;
    r->head = 0;
    r->count = 0;
    r->producers = producers;
    return true;
}

static inline void mutex_ring_destroy(struct mutex_ring *r) {
    pthread_cond_destroy(&r->not_full);
    pthread_cond_destroy(&r->not_empty);
    pthread_mutex_destroy(&r->lock);
    free(r->slots);
}

static inline size_t mutex_ring_slot(const struct mutex_ring *r, size_t offset) {
    size_t i = r->head + offset;
    return i >= r->capacity ? i - r->capacity : i;
}

static inline void mutex_ring_push(struct mutex_ring *r, struct ring_msg msg) {
    pthread_mutex_lock(&r->lock);
    while (r->count == r->capacity) pthread_cond_wait(&r->not_full, &r->lock);
    r->slots[mutex_ring_slot(r, r->count)] = msg;
    r->count++;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

/* Waits while the ring is empty and producers remain; false at end-of-stream. */
static inline bool mutex_ring_pop(struct mutex_ring *r, struct ring_msg *out) {
    pthread_mutex_lock(&r->lock);
    while (r->count == 0 && r->producers > 0) pthread_cond_wait(&r->not_empty, &r->lock);
    if (r->count == 0) {
        pthread_mutex_unlock(&r->lock);
        return false;
    }
    *out = r->slots[r->head];
    r->head = mutex_ring_slot(r, 1);
    r->count--;
    pthread_cond_signal(&r->not_full);
    pthread_mutex_unlock(&r->lock);
    return true;
}

/* The batch forms: as many messages as fit per lock hold. */
static inline void mutex_ring_push_n(struct mutex_ring *r, const struct ring_msg *msgs, size_t n) {
    size_t done = 0;
    pthread_mutex_lock(&r->lock);
    while (done < n) {
        while (r->count == r->capacity) pthread_cond_wait(&r->not_full, &r->lock);
        while (done < n && r->count < r->capacity) {
            r->slots[mutex_ring_slot(r, r->count)] = msgs[done++];
            r->count++;
        }
        /* Before waiting for room again, or the consumer might sleep too. */
        pthread_cond_signal(&r->not_empty);
    }
    pthread_mutex_unlock(&r->lock);
}

/* Waits for the first message only; returns how many (0 at end-of-stream). */
static inline size_t mutex_ring_pop_n(struct mutex_ring *r, struct ring_msg *out, size_t max) {
    pthread_mutex_lock(&r->lock);
    while (r->count == 0 && r->producers > 0) pthread_cond_wait(&r->not_empty, &r->lock);
    size_t n = r->count < max ? r->count : max;
    for (size_t i = 0; i < n; i++) {
        out[i] = r->slots[r->head];
        r->head = mutex_ring_slot(r, 1);
    }
    r->count -= n;
    /* Several slots may have freed: every waiting producer may proceed. */
    if (n > 0) pthread_cond_broadcast(&r->not_full);
    pthread_mutex_unlock(&r->lock);
    return n;
}

static inline void mutex_ring_producer_done(struct mutex_ring *r) {
    pthread_mutex_lock(&r->lock);
    r->producers--;
    /* The consumer may be waiting on a ring that will now stay empty. */
    if (r->producers == 0) pthread_cond_broadcast(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

#endif /* FUNNELQ_BENCH_MUTEX_RING_H */
