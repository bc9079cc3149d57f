/* Cost of the handle check on the per-message path, on one thread (so the
 * figure is the library's own work, not the scheduler's): nanoseconds per
 *   - funnelq_len(tx): a call that does almost nothing but check its handle,
 *   - funnelq_try_send + funnelq_try_recv: one message through the channel,
 *     two handle checks (and the receive's claim).
 * Best of several rounds (the least disturbed one). Build and run:
 *
 *   make -C bindings-c build
 *   cc -std=c99 -O2 -Ibindings-c/include bindings-c/bench/handle_cost.c \
 *     -o /tmp/fq-handle-cost target/release/libfunnelq.a -lpthread -ldl -lm
 *   /tmp/fq-handle-cost [iterations per round, default 2000000] [rounds, default 15]
 *
 * Output: one "name <TAB> ns per call" line per measurement. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "funnelq.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, funnelq_status st) {
    fprintf(stderr, "%s: %s\n", what, funnelq_status_str((int)st));
    exit(1);
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    int rounds = argc > 2 ? atoi(argv[2]) : 15;
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_status st = funnelq_channel_new(1024, &tx, &rx);
    if (st != FUNNELQ_OK) die("funnelq_channel_new", st);
    double best_len = 1e18, best_msg = 1e18;
    size_t sink = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            size_t n;
            funnelq_len(tx, &n);
            sink += n;
        }
        double t1 = now_ns();
        for (long i = 0; i < iters; i++) {
            funnelq_msg m;
            if ((st = funnelq_try_send(tx, (void *)(uintptr_t)i, 8)) != FUNNELQ_OK) die("try_send", st);
            if ((st = funnelq_try_recv(rx, &m)) != FUNNELQ_OK) die("try_recv", st);
            sink += m.len;
        }
        double t2 = now_ns();
        if ((t1 - t0) / (double)iters < best_len) best_len = (t1 - t0) / (double)iters;
        if ((t2 - t1) / (double)iters < best_msg) best_msg = (t2 - t1) / (double)iters;
    }
    printf("funnelq_len\t%.2f\n", best_len);
    printf("funnelq_try_send+funnelq_try_recv\t%.2f\n", best_msg);
    funnelq_sender_free(tx);
    funnelq_receiver_free(rx);
    return sink == 0 ? 1 : 0;
}
