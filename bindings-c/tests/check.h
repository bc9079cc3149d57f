/* Tiny test helpers shared by the C tests (header-only). */
#ifndef FUNNELQ_TEST_CHECK_H
#define FUNNELQ_TEST_CHECK_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "funnelq.h"

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "\n%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

#define CHECK_ST(expr, want)                                                            \
    do {                                                                                \
        funnelq_status st_ = (expr);                                                    \
        funnelq_status want_ = (want);                                                  \
        if (st_ != want_) {                                                             \
            fprintf(stderr, "\n%s:%d: %s\n  returned %d (%s), want %d (%s)\n", __FILE__, \
                    __LINE__, #expr, (int)st_, funnelq_status_str((int)st_), (int)want_, \
                    funnelq_status_str((int)want_));                                    \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define RUN(test)                                     \
    do {                                              \
        double t0_ = now_s();                         \
        fprintf(stderr, "%-34s ", #test);             \
        test();                                       \
        fprintf(stderr, "ok (%.2f s)\n", now_s() - t0_); \
    } while (0)

#define MS (1000000ull) /* nanoseconds per millisecond */

/* Scales the stress tests' message counts and rounds: FUNNELQ_TEST_SCALE
 * percent of `n` (default 100; the valgrind pass uses less), at least 1. */
static inline unsigned scaled(unsigned n) {
    const char *env = getenv("FUNNELQ_TEST_SCALE");
    long pct = env ? atol(env) : 100;
    if (pct <= 0) pct = 100;
    unsigned long v = (unsigned long)n * (unsigned long)pct / 100ul;
    return v > 0 ? (unsigned)v : 1u;
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline size_t len_of(const void *h) {
    size_t n = 0;
    CHECK_ST(funnelq_len(h, &n), FUNNELQ_OK);
    return n;
}

/* Timeouts: strict lower bound, loose upper bound (+1.5 s, 2-core CI boxes). */
#define CHECK_ELAPSED(t0, secs)              \
    do {                                     \
        double el_ = now_s() - (t0);         \
        CHECK(el_ >= (secs));                \
        CHECK(el_ < (secs) + 1.5);           \
    } while (0)

#endif
