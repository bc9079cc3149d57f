/* Throughput of the funnelq C library beside the queue a C programmer would
 * otherwise write (mutex_ring.h: one pthread mutex, two condition variables),
 * in the same run. ci/bench-c.sh builds and runs it; alone:
 *
 *   make -C bindings-c build
 *   cc -std=c99 -O2 -pthread -Ibindings-c/include bindings-c/bench/bench.c \
 *     -o /tmp/fq-bench target/release/libfunnelq.a -lpthread -ldl -lm
 *   /tmp/fq-bench [messages per run, default 1000000] [runs, default 9]
 *
 * P producer threads (P = 1, 2, 4) feed the main thread through a queue of
 * capacity 1024. A message is a pointer and a length handed over without a
 * copy (funnelq_send / funnelq_recv), and, as a second funnelq form, the same
 * in batches of 64 (funnelq_send_batch / funnelq_recv_batch); the mutex ring
 * does both too. The consumer checks that every producer's messages arrive
 * complete and in order, so a broken queue fails the run instead of timing it.
 *
 * Output: one tab-separated line per (producers, implementation) with the
 * median over the runs of messages per second:
 *   case <TAB> producers <TAB> implementation <TAB> role <TAB> msgs_per_sec
 * Progress goes to stderr. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "funnelq.h"
#include "mutex_ring.h"

#define CASE "small messages, capacity 1024"
#define CAPACITY 1024
#define BATCH 64
#define MAX_PRODUCERS 4
#define MAX_RUNS 15
/* A message's pointer value encodes (sequence number, producer id): the id
 * fits in the low bits, so the check costs a mask and a shift. */
#define ID_BITS 3
#define MSG_LEN 16

enum kind { FQ_ONE, FQ_BATCH, RING_ONE, RING_BATCH };

static const struct impl {
    enum kind kind;
    const char *name;
    const char *role;
} IMPLS[] = {
    {FQ_ONE, "funnelq send/recv", "funnelq"},
    {FQ_BATCH, "funnelq send_batch/recv_batch 64", "funnelq"},
    {RING_ONE, "pthread mutex+condvar ring", "native"},
    {RING_BATCH, "pthread ring, 64 per lock", "other"},
};
#define N_IMPLS (sizeof IMPLS / sizeof IMPLS[0])
static const int PRODUCERS[] = {1, 2, 4};
#define N_PRODUCERS (sizeof PRODUCERS / sizeof PRODUCERS[0])

struct producer {
    pthread_t thread;
    enum kind kind;
    uintptr_t id;
    size_t count;
    funnelq_sender *tx;
    struct mutex_ring *ring;
};

static void die(const char *what, int status) {
    fprintf(stderr, "bench: %s: %s\n", what, status >= 0 ? funnelq_status_str(status) : "failed");
    exit(1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *encode(uintptr_t id, size_t seq) { return (void *)(((uintptr_t)seq << ID_BITS) | id); }

static void *produce(void *arg) {
    struct producer *p = arg;
    size_t seq = 0;
    switch (p->kind) {
    case FQ_ONE:
        for (; seq < p->count; seq++) {
            funnelq_status st = funnelq_send(p->tx, encode(p->id, seq), MSG_LEN);
            if (st != FUNNELQ_OK) die("funnelq_send", (int)st);
        }
        break;
    case FQ_BATCH: {
        funnelq_msg items[BATCH];
        while (seq < p->count) {
            size_t n = p->count - seq < BATCH ? p->count - seq : BATCH, sent;
            for (size_t i = 0; i < n; i++) items[i] = (funnelq_msg){encode(p->id, seq + i), MSG_LEN, 0, NULL};
            funnelq_status st = funnelq_send_batch(p->tx, items, n, &sent);
            if (st != FUNNELQ_OK || sent != n) die("funnelq_send_batch", (int)st);
            seq += n;
        }
        break;
    }
    case RING_ONE:
        for (; seq < p->count; seq++) mutex_ring_push(p->ring, (struct ring_msg){encode(p->id, seq), MSG_LEN});
        break;
    case RING_BATCH: {
        struct ring_msg items[BATCH];
        while (seq < p->count) {
            size_t n = p->count - seq < BATCH ? p->count - seq : BATCH;
            for (size_t i = 0; i < n; i++) items[i] = (struct ring_msg){encode(p->id, seq + i), MSG_LEN};
            mutex_ring_push_n(p->ring, items, n);
            seq += n;
        }
        break;
    }
    }
    /* Freeing the last sender is funnelq's end-of-stream. */
    if (p->tx != NULL) funnelq_sender_free(p->tx);
    if (p->ring != NULL) mutex_ring_producer_done(p->ring);
    return NULL;
}

/* Per-producer FIFO check of one received message. */
static void check(size_t next[], int producers, void *ptr, size_t len) {
    uintptr_t v = (uintptr_t)ptr, id = v & ((1u << ID_BITS) - 1);
    if (id >= (uintptr_t)producers || (size_t)(v >> ID_BITS) != next[id] || len != MSG_LEN) {
        fprintf(stderr, "bench: producer %lu: got message %lu, expected %lu\n", (unsigned long)id,
                (unsigned long)(v >> ID_BITS), (unsigned long)(id < (uintptr_t)producers ? next[id] : 0));
        exit(1);
    }
    next[id]++;
}

/* One run: `total` messages from `producers` threads; returns seconds from
 * starting the producers to the consumer seeing end-of-stream. */
static double run(enum kind kind, int producers, size_t total) {
    struct producer prod[MAX_PRODUCERS];
    size_t next[MAX_PRODUCERS] = {0};
    funnelq_sender *tx = NULL;
    funnelq_receiver *rx = NULL;
    struct mutex_ring ring;
    int fq = kind == FQ_ONE || kind == FQ_BATCH;

    if (fq) {
        funnelq_status st = funnelq_channel_new(CAPACITY, &tx, &rx);
        if (st != FUNNELQ_OK) die("funnelq_channel_new", (int)st);
    } else if (!mutex_ring_init(&ring, CAPACITY, producers)) {
        die("mutex_ring_init", -1);
    }
    for (int i = 0; i < producers; i++) {
        prod[i] = (struct producer){.kind = kind, .id = (uintptr_t)i, .ring = fq ? NULL : &ring};
        prod[i].count = total / (size_t)producers + ((size_t)i < total % (size_t)producers);
        if (fq) {
            funnelq_status st = i == 0 ? FUNNELQ_OK : funnelq_sender_clone(tx, &prod[i].tx);
            if (st != FUNNELQ_OK) die("funnelq_sender_clone", (int)st);
        }
    }
    if (fq) prod[0].tx = tx;

    /* Thread creation is inside the timed span: tens of microseconds
     * against a run of tens of milliseconds. */
    double t0 = now();
    for (int i = 0; i < producers; i++)
        if (pthread_create(&prod[i].thread, NULL, produce, &prod[i]) != 0) die("pthread_create", -1);

    size_t received = 0;
    switch (kind) {
    case FQ_ONE: {
        funnelq_msg m;
        funnelq_status st;
        while ((st = funnelq_recv(rx, &m)) == FUNNELQ_OK) {
            check(next, producers, m.ptr, m.len);
            received++;
        }
        if (st != FUNNELQ_CLOSED) die("funnelq_recv", (int)st);
        break;
    }
    case FQ_BATCH: {
        funnelq_msg m[BATCH];
        size_t n;
        funnelq_status st;
        while ((st = funnelq_recv_batch(rx, m, BATCH, &n)) == FUNNELQ_OK) {
            for (size_t i = 0; i < n; i++) check(next, producers, m[i].ptr, m[i].len);
            received += n;
        }
        if (st != FUNNELQ_CLOSED) die("funnelq_recv_batch", (int)st);
        break;
    }
    case RING_ONE: {
        struct ring_msg m;
        while (mutex_ring_pop(&ring, &m)) {
            check(next, producers, m.ptr, m.len);
            received++;
        }
        break;
    }
    case RING_BATCH: {
        struct ring_msg m[BATCH];
        size_t n;
        while ((n = mutex_ring_pop_n(&ring, m, BATCH)) > 0) {
            for (size_t i = 0; i < n; i++) check(next, producers, m[i].ptr, m[i].len);
            received += n;
        }
        break;
    }
    }
    double elapsed = now() - t0;

    for (int i = 0; i < producers; i++) pthread_join(prod[i].thread, NULL);
    if (received != total) {
        fprintf(stderr, "bench: received %lu of %lu messages\n", (unsigned long)received, (unsigned long)total);
        exit(1);
    }
    if (fq) {
        funnelq_receiver_free(rx);
    } else {
        mutex_ring_destroy(&ring);
    }
    return elapsed;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long arg(int argc, char **argv, int i, long fallback, long lo, long hi) {
    if (argc <= i) return fallback;
    char *end;
    long v = strtol(argv[i], &end, 10);
    if (*end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "usage: %s [messages %ld..%ld] [runs 1..%d]\n", argv[0], lo, hi, MAX_RUNS);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    size_t total = (size_t)arg(argc, argv, 1, 1000000, 1, 1L << 28);
    int runs = (int)arg(argc, argv, 2, 9, 1, MAX_RUNS);
    static double secs[N_PRODUCERS][N_IMPLS][MAX_RUNS];

    /* Runs outermost and implementations interleaved, so that a burst of load
     * from elsewhere on the machine hits every implementation alike. */
    for (int r = 0; r < runs; r++) {
        for (size_t p = 0; p < N_PRODUCERS; p++)
            for (size_t i = 0; i < N_IMPLS; i++) secs[p][i][r] = run(IMPLS[i].kind, PRODUCERS[p], total);
        fprintf(stderr, "bench: run %d of %d done\n", r + 1, runs);
    }
    for (size_t p = 0; p < N_PRODUCERS; p++) {
        for (size_t i = 0; i < N_IMPLS; i++) {
            qsort(secs[p][i], (size_t)runs, sizeof(double), by_value);
            /* The median; for an even count, the lower middle (a real run). */
            double median = secs[p][i][(runs - 1) / 2];
            printf("%s\t%d\t%s\t%s\t%.0f\n", CASE, PRODUCERS[p], IMPLS[i].name, IMPLS[i].role,
                   (double)total / median);
        }
    }
    return 0;
}
