/* Per-message cost of the C interface (not a test; see /work/notes/c-bench.md).
 *   make -C bindings-c build && cc -O2 -std=c99 -Ibindings-c/include bindings-c/bench/bench.c \
 *     -o /tmp/fq-bench target/release/libfunnelq.a -lpthread -ldl -lm && /tmp/fq-bench
 * Single thread (send then receive, no waiting) and one producer thread
 * feeding the main thread (waiting when full/empty), 16-byte messages. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "funnelq.h"

#define N 2000000
#define BATCH 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char data[BATCH * 16];
static size_t lens[BATCH];

static void *producer_copy(void *p) {
    funnelq_sender *tx = p;
    for (int i = 0; i < N; i++) funnelq_send_copy(tx, data, 16);
    funnelq_sender_free(tx);
    return NULL;
}

static void *producer_copy_batch(void *p) {
    funnelq_sender *tx = p;
    size_t sent;
    for (int i = 0; i < N; i += BATCH) funnelq_send_copy_batch(tx, data, lens, BATCH, &sent);
    funnelq_sender_free(tx);
    return NULL;
}

static void *producer_zero(void *p) {
    funnelq_sender *tx = p;
    for (uintptr_t i = 0; i < N; i++) funnelq_send(tx, (void *)i, 0);
    funnelq_sender_free(tx);
    return NULL;
}

static void threaded(const char *name, void *(*prod)(void *), int batch) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_channel_new(1024, &tx, &rx);
    pthread_t th;
    double t0 = now();
    pthread_create(&th, NULL, prod, tx);
    funnelq_msg out[BATCH];
    size_t n, total = 0;
    if (batch) {
        while (funnelq_recv_batch(rx, out, BATCH, &n) == FUNNELQ_OK) {
            funnelq_msg_free_n(out, n);
            total += n;
        }
    } else {
        while (funnelq_recv(rx, out) == FUNNELQ_OK) {
            funnelq_msg_free(out);
            total++;
        }
    }
    double el = now() - t0;
    pthread_join(th, NULL);
    funnelq_receiver_free(rx);
    printf("%-34s %6.1f ns/msg  (%zu msgs)\n", name, el / (double)total * 1e9, total);
}

int main(void) {
    for (int i = 0; i < BATCH; i++) lens[i] = 16;
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_channel_new(1024, &tx, &rx);
    funnelq_msg out[BATCH];
    size_t n, s;
    double t0 = now();
    for (int i = 0; i < N; i++) {
        funnelq_try_send(tx, data, 16);
        funnelq_try_recv(rx, out);
    }
    printf("%-34s %6.1f ns/msg\n", "1 thread: zero-copy send+recv", (now() - t0) / N * 1e9);
    t0 = now();
    for (int i = 0; i < N; i++) {
        funnelq_try_send_copy(tx, data, 16);
        funnelq_try_recv(rx, out);
        funnelq_msg_free(out);
    }
    printf("%-34s %6.1f ns/msg\n", "1 thread: copy send+recv+free", (now() - t0) / N * 1e9);
    funnelq_msg items[BATCH];
    for (int i = 0; i < BATCH; i++) items[i] = (funnelq_msg){data, 16, 0, NULL};
    t0 = now();
    for (int i = 0; i < N; i += BATCH) {
        funnelq_send_batch(tx, items, BATCH, &s);
        funnelq_recv_batch(rx, out, BATCH, &n);
    }
    printf("%-34s %6.1f ns/msg\n", "1 thread: zero-copy batch 64", (now() - t0) / N * 1e9);
    t0 = now();
    for (int i = 0; i < N; i += BATCH) {
        funnelq_send_copy_batch(tx, data, lens, BATCH, &s);
        funnelq_recv_batch(rx, out, BATCH, &n);
        funnelq_msg_free_n(out, n);
    }
    printf("%-34s %6.1f ns/msg\n", "1 thread: copy batch 64", (now() - t0) / N * 1e9);
    funnelq_sender_free(tx);
    funnelq_receiver_free(rx);
    threaded("2 threads: zero-copy send/recv", producer_zero, 0);
    threaded("2 threads: copy send/recv", producer_copy, 0);
    threaded("2 threads: copy batch 64", producer_copy_batch, 1);
    return 0;
}
