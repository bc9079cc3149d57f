/* funnelq C demo: send, try_send hitting FULL, recv, a send that waits for
 * a free slot (backpressure), close (drain, then end-of-stream), and 4
 * producer threads feeding one consumer.
 *
 *   cc -std=c99 -O2 demo.c -o demo $(pkg-config --cflags --libs funnelq) -pthread
 */
#define _POSIX_C_SOURCE 200809L
#include <funnelq.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRODUCERS 4
#define PER_PRODUCER 250000

static int check(funnelq_status st, const char *what) {
    if (st != FUNNELQ_OK) {
        fprintf(stderr, "%s: %s\n", what, funnelq_status_str((int)st));
        return 1;
    }
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A send on a full channel, timed: it returns once the consumer frees a slot. */
struct timed_send {
    funnelq_sender *tx;
    funnelq_status status;
    double waited_s;
};

static void *send_timed(void *arg) {
    struct timed_send *w = arg;
    double t0 = now_s();
    w->status = funnelq_send_copy(w->tx, "waited", 7);
    w->waited_s = now_s() - t0;
    return NULL;
}

struct producer {
    funnelq_sender *tx; /* this producer's own clone */
    uint32_t id;
};

static void *produce(void *arg) {
    struct producer *p = arg;
    for (uint32_t seq = 0; seq < PER_PRODUCER; seq++) {
        /* zero copy: the "pointer" carries the value itself */
        uintptr_t word = ((uintptr_t)p->id << 32) | seq;
        if (funnelq_send(p->tx, (void *)word, 0) != FUNNELQ_OK) break;
    }
    funnelq_sender_free(p->tx); /* the last free ends the stream */
    return NULL;
}

int main(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    printf("== funnelq demo (C, libfunnelq %s) ==\n", funnelq_version());

    /* 1. a channel of capacity 2: two sends fill it, try_send hits FULL */
    if (check(funnelq_channel_new(2, &tx, &rx), "channel_new")) return 1;
    if (check(funnelq_send_copy(tx, "hello", 6), "send_copy")) return 1;
    if (check(funnelq_send_copy(tx, "world", 6), "send_copy")) return 1;
    funnelq_status st = funnelq_try_send_copy(tx, "again", 6);
    printf("try_send(\"again\") -> %s: capacity 2 reached, nothing enqueued\n",
           funnelq_status_str((int)st));

    /* 2. backpressure: a send on the full channel waits until recv frees a slot */
    struct timed_send waiter = {.tx = tx};
    pthread_t waiter_thread;
    if (pthread_create(&waiter_thread, NULL, send_timed, &waiter) != 0) return 1;
    nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
    funnelq_msg m;
    if (check(funnelq_recv(rx, &m), "recv")) return 1;
    printf("recv() -> \"%s\" (%zu bytes, copied)\n", (char *)m.ptr, m.len);
    funnelq_msg_free(&m);
    pthread_join(waiter_thread, NULL);
    if (check(waiter.status, "send_copy")) return 1;
    printf("send(\"waited\") waited %.0f ms for that slot (backpressure)\n", waiter.waited_s * 1e3);

    /* 3. close: what is queued still drains, then end-of-stream */
    funnelq_close(tx);
    printf("close(); send(\"late\") -> %s\n", funnelq_status_str((int)funnelq_send_copy(tx, "late", 5)));
    while ((st = funnelq_recv(rx, &m)) == FUNNELQ_OK) {
        printf("recv() after close -> \"%s\" (drained)\n", (char *)m.ptr);
        funnelq_msg_free(&m);
    }
    printf("recv() -> end of stream (%s)\n", funnelq_status_str((int)st));
    funnelq_sender_free(tx);
    funnelq_receiver_free(rx);

    /* 4. 4 producers, one consumer, capacity 1024 */
    if (check(funnelq_channel_new(1024, &tx, &rx), "channel_new")) return 1;
    pthread_t th[PRODUCERS];
    struct producer ps[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        ps[i].id = i;
        if (check(funnelq_sender_clone(tx, &ps[i].tx), "sender_clone")) return 1;
    }
    funnelq_sender_free(tx);
    double t0 = now_s();
    for (int i = 0; i < PRODUCERS; i++) pthread_create(&th[i], NULL, produce, &ps[i]);
    uint32_t next[PRODUCERS] = {0};
    uint64_t total = 0, order_errors = 0;
    funnelq_msg batch[256];
    size_t n;
    while ((st = funnelq_recv_batch(rx, batch, 256, &n)) == FUNNELQ_OK) {
        for (size_t i = 0; i < n; i++) {
            uintptr_t word = (uintptr_t)batch[i].ptr;
            uint32_t id = (uint32_t)(word >> 32), seq = (uint32_t)word;
            if (seq != next[id]) order_errors++;
            next[id] = seq + 1;
        }
        total += n;
    }
    double secs = now_s() - t0;
    for (int i = 0; i < PRODUCERS; i++) pthread_join(th[i], NULL);
    funnelq_receiver_free(rx);
    printf("%d producers x %d messages through capacity 1024: %llu received (then %s), "
           "per-producer order errors %llu, %.1f M msg/s\n",
           PRODUCERS, PER_PRODUCER, (unsigned long long)total, funnelq_status_str((int)st),
           (unsigned long long)order_errors, (double)total / secs / 1e6);
    return total == (uint64_t)PRODUCERS * PER_PRODUCER && order_errors == 0 ? 0 : 1;
}
