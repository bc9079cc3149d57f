/* Multi-threaded scenarios of the C interface (pthreads):
 * S02 backpressure, S03 per-producer FIFO + S04 exactly once (4 producers x
 * 100k), S07 close wakes, S08 close race, S11 no lost wake-up, S15 bounded
 * length and memory, and the single-consumer rule (FUNNELQ_BUSY). */
#include "check.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define PRODUCERS 4
#define PER_PRODUCER scaled(100000)

static void *as_ptr(uintptr_t v) { return (void *)v; }

/* ---- S02 backpressure ---------------------------------------------------- */

struct bp_arg {
    funnelq_sender *tx;
    atomic_int *done;
    funnelq_status st;
};

static void *bp_sender(void *p) {
    struct bp_arg *a = p;
    a->st = funnelq_send_copy(a->tx, "w", 1);
    atomic_fetch_add(a->done, 1);
    return NULL;
}

static int wait_for(atomic_int *v, int want, double secs) {
    double t0 = now_s();
    while (atomic_load(v) < want) {
        if (now_s() - t0 > secs) return 0;
        sleep_ms(1);
    }
    return 1;
}

static void s02_backpressure(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    CHECK_ST(funnelq_channel_new(2, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx, "a", 1), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx, "b", 1), FUNNELQ_OK);
    atomic_int done = 0;
    pthread_t th[3];
    struct bp_arg args[3];
    for (int i = 0; i < 3; i++) {
        args[i] = (struct bp_arg){tx, &done, FUNNELQ_INTERNAL};
        CHECK(pthread_create(&th[i], NULL, bp_sender, &args[i]) == 0);
    }
    sleep_ms(150);
    CHECK(atomic_load(&done) == 0); /* all three wait while full */
    CHECK(len_of(rx) == 2);
    funnelq_msg m;
    for (int freed = 1; freed <= 3; freed++) {
        CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
        funnelq_msg_free(&m);
        CHECK(wait_for(&done, freed, 2.0)); /* one slot freed: one sender proceeds */
        sleep_ms(50);
        CHECK(atomic_load(&done) == freed); /* ...and exactly one */
        CHECK(len_of(rx) == 2);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_ST(args[i].st, FUNNELQ_OK);
    }
    for (int i = 0; i < 2; i++) {
        CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
        CHECK(m.len == 1 && ((char *)m.ptr)[0] == 'w');
        funnelq_msg_free(&m);
    }
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

/* ---- S03 / S04 stress: 4 producers x 100k, per-producer sequences -------- */

struct prod_arg {
    funnelq_sender *tx; /* the producer's own clone; freed when done */
    uint32_t id;
    uint32_t count;
    int copy; /* 1: funnelq_send_copy of a 8-byte record; 0: value in the pointer */
};

static void *producer(void *p) {
    struct prod_arg *a = p;
    for (uint32_t seq = 0; seq < a->count; seq++) {
        uint64_t word = ((uint64_t)a->id << 32) | seq;
        funnelq_status st;
        if (a->copy)
            st = funnelq_send_copy(a->tx, &word, sizeof word);
        else
            st = funnelq_send(a->tx, as_ptr((uintptr_t)word), 0);
        if (st != FUNNELQ_OK) {
            fprintf(stderr, "producer %u: %s\n", a->id, funnelq_status_str(st));
            exit(1);
        }
    }
    CHECK_ST(funnelq_sender_free(a->tx), FUNNELQ_OK);
    return NULL;
}

static void check_word(funnelq_msg *m, uint32_t *next, uint64_t *total, size_t cap, funnelq_receiver *rx) {
    uint64_t word;
    if (m->flags & FUNNELQ_MSG_OWNED) {
        CHECK(m->len == sizeof word);
        memcpy(&word, m->ptr, sizeof word);
    } else {
        word = (uint64_t)(uintptr_t)m->ptr;
    }
    uint32_t id = (uint32_t)(word >> 32), seq = (uint32_t)word;
    CHECK(id < PRODUCERS);
    if (seq != next[id]) {
        fprintf(stderr, "\nproducer %u: got seq %u, want %u\n", id, seq, next[id]);
        exit(1);
    }
    next[id]++;
    (*total)++;
    if ((*total & 1023) == 0) CHECK(len_of(rx) <= cap); /* S15: never above capacity */
}

static void s03_s04_fifo_stress(void) {
    const size_t cap = 256;
    funnelq_sender *tx;
    funnelq_receiver *rx;
    CHECK_ST(funnelq_channel_new(cap, &tx, &rx), FUNNELQ_OK);
    pthread_t th[PRODUCERS];
    struct prod_arg args[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        args[i] = (struct prod_arg){NULL, i, PER_PRODUCER, (int)(i & 1)};
        CHECK_ST(funnelq_sender_clone(tx, &args[i].tx), FUNNELQ_OK);
    }
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK); /* S12: producers hold the only senders */
    for (int i = 0; i < PRODUCERS; i++) CHECK(pthread_create(&th[i], NULL, producer, &args[i]) == 0);
    uint32_t next[PRODUCERS] = {0};
    uint64_t total = 0;
    funnelq_msg batch[64];
    int use_batch = 0;
    for (;;) {
        funnelq_status st;
        if (use_batch) {
            size_t n = 0;
            st = funnelq_recv_batch(rx, batch, 64, &n);
            if (st == FUNNELQ_OK) {
                CHECK(n >= 1 && n <= 64);
                for (size_t i = 0; i < n; i++) check_word(&batch[i], next, &total, cap, rx);
                CHECK_ST(funnelq_msg_free_n(batch, n), FUNNELQ_OK);
            }
        } else {
            funnelq_msg m;
            st = funnelq_recv(rx, &m);
            if (st == FUNNELQ_OK) {
                check_word(&m, next, &total, cap, rx);
                funnelq_msg_free(&m);
            }
        }
        if (st == FUNNELQ_CLOSED) break;
        CHECK_ST(st, FUNNELQ_OK);
        use_batch = (total / 1000) & 1;
    }
    for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
    CHECK(total == (uint64_t)PRODUCERS * PER_PRODUCER); /* exactly once */
    for (int i = 0; i < PRODUCERS; i++) CHECK(next[i] == PER_PRODUCER);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

/* ---- S07 close wakes ------------------------------------------------------ */

struct wake_arg {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_status st;
    double woke_at;
};

static void *blocked_recv(void *p) {
    struct wake_arg *a = p;
    funnelq_msg m;
    a->st = funnelq_recv(a->rx, &m);
    a->woke_at = now_s();
    return NULL;
}

static void *blocked_send(void *p) {
    struct wake_arg *a = p;
    a->st = funnelq_send_copy(a->tx, "blocked", 7);
    a->woke_at = now_s();
    return NULL;
}

static void s07_close_wakes(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    /* a receiver waiting on an empty channel wakes with end-of-stream */
    CHECK_ST(funnelq_channel_new(1, &tx, &rx), FUNNELQ_OK);
    struct wake_arg r = {tx, rx, FUNNELQ_INTERNAL, 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, blocked_recv, &r) == 0);
    sleep_ms(100);
    /* while it waits, a second receive is refused */
    funnelq_msg m;
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_BUSY);
    CHECK_ST(funnelq_recv_timeout(rx, &m, 10 * MS), FUNNELQ_BUSY);
    size_t n;
    CHECK_ST(funnelq_len(rx, &n), FUNNELQ_OK); /* queries still work */
    double t0 = now_s();
    CHECK_ST(funnelq_close(tx), FUNNELQ_OK);
    pthread_join(th, NULL);
    CHECK_ST(r.st, FUNNELQ_CLOSED);
    CHECK(r.woke_at - t0 < 1.5);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);

    /* senders waiting on a full channel wake with FUNNELQ_CLOSED (closed by the receiver) */
    CHECK_ST(funnelq_channel_new(1, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx, "first", 5), FUNNELQ_OK);
    struct wake_arg s[2] = {{tx, rx, FUNNELQ_INTERNAL, 0}, {tx, rx, FUNNELQ_INTERNAL, 0}};
    pthread_t ths[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&ths[i], NULL, blocked_send, &s[i]) == 0);
    sleep_ms(100);
    t0 = now_s();
    CHECK_ST(funnelq_close(rx), FUNNELQ_OK);
    for (int i = 0; i < 2; i++) {
        pthread_join(ths[i], NULL);
        CHECK_ST(s[i].st, FUNNELQ_CLOSED);
        CHECK(s[i].woke_at - t0 < 1.5);
    }
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK); /* queued message still drains */
    CHECK(m.len == 5 && memcmp(m.ptr, "first", 5) == 0);
    funnelq_msg_free(&m);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);

    /* freeing the receiver wakes a blocked sender too (S13) */
    CHECK_ST(funnelq_channel_new(1, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx, "x", 1), FUNNELQ_OK);
    struct wake_arg s3 = {tx, rx, FUNNELQ_INTERNAL, 0};
    CHECK(pthread_create(&th, NULL, blocked_send, &s3) == 0);
    sleep_ms(100);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
    pthread_join(th, NULL);
    CHECK_ST(s3.st, FUNNELQ_CLOSED);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
}

/* ---- S08 close race ------------------------------------------------------- */

struct race_arg {
    funnelq_sender *tx;
    uint64_t ok;
};

static void *race_sender(void *p) {
    struct race_arg *a = p;
    for (;;) {
        funnelq_status st = (a->ok & 1) ? funnelq_send_copy(a->tx, &a->ok, sizeof a->ok)
                                        : funnelq_send(a->tx, as_ptr(1), 0);
        if (st == FUNNELQ_CLOSED) break;
        if (st != FUNNELQ_OK) {
            fprintf(stderr, "race sender: %s\n", funnelq_status_str(st));
            exit(1);
        }
        a->ok++;
    }
    return NULL;
}

static void s08_close_race(void) {
    for (int round = 0; round < (int)scaled(200); round++) {
        funnelq_sender *tx;
        funnelq_receiver *rx;
        CHECK_ST(funnelq_channel_new(4096, &tx, &rx), FUNNELQ_OK);
        struct race_arg a[2] = {{tx, 0}, {tx, 0}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++) CHECK(pthread_create(&th[i], NULL, race_sender, &a[i]) == 0);
        for (volatile int spin = 0; spin < (round % 20) * 1000; spin++) {
        }
        CHECK_ST(funnelq_close(round & 1 ? (const void *)rx : (const void *)tx), FUNNELQ_OK);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        uint64_t got = 0;
        funnelq_msg m;
        funnelq_status st;
        while ((st = funnelq_recv(rx, &m)) == FUNNELQ_OK) {
            got++;
            funnelq_msg_free(&m);
        }
        CHECK_ST(st, FUNNELQ_CLOSED);
        CHECK(got == a[0].ok + a[1].ok); /* every Ok delivered, nothing else */
        CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
        CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
    }
}

/* ---- S11 no lost wake-up: capacity 1, 4 producers ------------------------- */

static void s11_no_lost_wakeup(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    CHECK_ST(funnelq_channel_new(1, &tx, &rx), FUNNELQ_OK);
    const uint32_t per = scaled(20000);
    pthread_t th[PRODUCERS];
    struct prod_arg args[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        args[i] = (struct prod_arg){NULL, i, per, 0};
        CHECK_ST(funnelq_sender_clone(tx, &args[i].tx), FUNNELQ_OK);
    }
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    for (int i = 0; i < PRODUCERS; i++) CHECK(pthread_create(&th[i], NULL, producer, &args[i]) == 0);
    uint32_t next[PRODUCERS] = {0};
    uint64_t total = 0;
    funnelq_msg m;
    funnelq_status st;
    double t0 = now_s();
    while ((st = funnelq_recv(rx, &m)) == FUNNELQ_OK) check_word(&m, next, &total, 1, rx);
    CHECK_ST(st, FUNNELQ_CLOSED);
    CHECK(total == (uint64_t)PRODUCERS * per);
    CHECK(now_s() - t0 < 30.0);
    for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

/* ---- S15 bounded memory --------------------------------------------------- */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
/* ASan replaces malloc, so glibc's mallinfo2() sees nothing; its own
 * allocator keeps the live byte count instead (declared here because GCC
 * does not ship sanitizer/allocator_interface.h). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
static size_t heap_in_use(void) {
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd; /* every arena's live chunks + mmapped blocks */
}
#endif

#define S15_CAP 8
#define S15_MSG 64
#define S15_WAITERS 6
#define S15_PER_WAITER 500
/* Allocator bookkeeping noise; any per-message leak over 100k+ operations is
 * megabytes, far above it. */
#define S15_SLACK 8192

#define CHECK_HEAP_NEAR(now, ref)                                                         \
    do {                                                                                  \
        size_t now_ = (now), ref_ = (ref);                                                \
        if (now_ > ref_ + S15_SLACK || ref_ > now_ + S15_SLACK) {                         \
            fprintf(stderr, "\n%s:%d: heap in use %zu bytes, want %zu +/- %d\n", __FILE__, \
                    __LINE__, now_, ref_, S15_SLACK);                                     \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

/* n copied messages through the channel, never more than S15_CAP queued;
 * alternates single receives and batch receives. */
static void s15_round_trips(funnelq_sender *tx, funnelq_receiver *rx, const char *payload, int n) {
    funnelq_msg batch[S15_CAP];
    for (int done = 0; done < n; done += S15_CAP) {
        for (int i = 0; i < S15_CAP; i++) CHECK_ST(funnelq_send_copy(tx, payload, S15_MSG), FUNNELQ_OK);
        CHECK_ST(funnelq_try_send_copy(tx, payload, S15_MSG), FUNNELQ_FULL);
        if ((done / S15_CAP) & 1) {
            size_t got = 0;
            for (size_t k = 0; k < S15_CAP; k += got) {
                CHECK_ST(funnelq_recv_batch(rx, batch, S15_CAP - k, &got), FUNNELQ_OK);
                CHECK(batch[0].len == S15_MSG && memcmp(batch[0].ptr, payload, S15_MSG) == 0);
                CHECK_ST(funnelq_msg_free_n(batch, got), FUNNELQ_OK);
            }
        } else {
            for (int i = 0; i < S15_CAP; i++) {
                CHECK_ST(funnelq_recv(rx, &batch[0]), FUNNELQ_OK);
                CHECK(batch[0].len == S15_MSG);
                funnelq_msg_free(&batch[0]);
            }
        }
        CHECK(len_of(rx) == 0);
    }
}

struct s15_arg {
    funnelq_sender *tx;
    const char *payload;
    atomic_int *started;
};

static void *s15_waiter(void *p) {
    struct s15_arg *a = p;
    atomic_fetch_add(a->started, 1);
    for (int i = 0; i < S15_PER_WAITER; i++) CHECK_ST(funnelq_send_copy(a->tx, a->payload, S15_MSG), FUNNELQ_OK);
    return NULL;
}

static void s15_bounded_memory(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    CHECK_ST(funnelq_channel_new(S15_CAP, &tx, &rx), FUNNELQ_OK);
    char payload[S15_MSG];
    for (int i = 0; i < S15_MSG; i++) payload[i] = (char)('a' + i % 26);
    /* warm-up, so one-time lazy allocations are not mistaken for growth */
    s15_round_trips(tx, rx, payload, 1000);
    const size_t base = heap_in_use();

    /* steady traffic: 200k copies in and out leave the heap where it was */
    s15_round_trips(tx, rx, payload, 200000);
    CHECK_HEAP_NEAR(heap_in_use(), base);

    /* a full channel holds only its capacity's worth; refused sends (FULL,
     * TIMEOUT) free their copy and allocate nothing that outlives the call */
    for (int i = 0; i < S15_CAP; i++) CHECK_ST(funnelq_send_copy(tx, payload, S15_MSG), FUNNELQ_OK);
    const size_t full = heap_in_use();
    CHECK(full >= base && full - base <= (size_t)S15_CAP * (S15_MSG + 64) + S15_SLACK);
    for (int i = 0; i < 100000; i++) {
        CHECK_ST(funnelq_try_send_copy(tx, payload, S15_MSG), FUNNELQ_FULL);
        CHECK_ST(funnelq_try_send(tx, payload, S15_MSG), FUNNELQ_FULL);
        if (i % 100 == 0) {
            CHECK_ST(funnelq_send_copy_timeout(tx, payload, S15_MSG, 1000), FUNNELQ_TIMEOUT);
            CHECK_ST(funnelq_send_timeout(tx, payload, S15_MSG, i % 200 ? 0 : 1000), FUNNELQ_TIMEOUT);
        }
    }
    CHECK(len_of(rx) == S15_CAP);
    CHECK_HEAP_NEAR(heap_in_use(), full);

    /* senders blocked on the full channel: the length stays at capacity, and
     * the heap grows by at most each waiter's own record (its message copy,
     * its thread's bookkeeping), not while they wait */
    atomic_int started = 0;
    pthread_t th[S15_WAITERS];
    struct s15_arg args[S15_WAITERS];
    for (int i = 0; i < S15_WAITERS; i++) {
        args[i] = (struct s15_arg){tx, payload, &started};
        CHECK(pthread_create(&th[i], NULL, s15_waiter, &args[i]) == 0);
    }
    CHECK(wait_for(&started, S15_WAITERS, 5.0));
    sleep_ms(100);
    CHECK(len_of(rx) == S15_CAP);
    const size_t blocked = heap_in_use();
    CHECK(blocked <= full + (size_t)S15_WAITERS * (S15_MSG + 2048) + S15_SLACK);
    sleep_ms(200);
    CHECK(len_of(rx) == S15_CAP);
    CHECK_HEAP_NEAR(heap_in_use(), blocked);

    funnelq_msg m;
    for (long got = 0; got < (long)S15_WAITERS * S15_PER_WAITER + S15_CAP; got++) {
        CHECK(len_of(rx) <= S15_CAP);
        CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
        CHECK(m.len == S15_MSG);
        funnelq_msg_free(&m);
    }
    for (int i = 0; i < S15_WAITERS; i++) pthread_join(th[i], NULL);
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_EMPTY);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

int main(void) {
    alarm(120); /* a hang (lost wake-up) is a failure */
    RUN(s02_backpressure);
    RUN(s03_s04_fifo_stress);
    RUN(s07_close_wakes);
    RUN(s08_close_race);
    RUN(s11_no_lost_wakeup);
    RUN(s15_bounded_memory);
    fprintf(stderr, "all thread tests passed\n");
    return 0;
}
