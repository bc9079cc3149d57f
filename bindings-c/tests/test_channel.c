/* Single-threaded scenarios of the C interface:
 * S01 capacity, S05 close drains, S06 close rejects, S09 empty, S10 timeouts,
 * S12 senders gone, S13 receiver gone, S14 bad input, S18 batch,
 * plus zero-copy / copy ownership round trips. */
#include "check.h"

#include <stdint.h>

static void new_chan(size_t cap, funnelq_sender **tx, funnelq_receiver **rx) {
    CHECK_ST(funnelq_channel_new(cap, tx, rx), FUNNELQ_OK);
    CHECK(*tx != NULL && *rx != NULL);
}

static void *as_ptr(uintptr_t v) { return (void *)v; }

static void s01_capacity(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(4, &tx, &rx);
    size_t cap = 0;
    CHECK_ST(funnelq_capacity(tx, &cap), FUNNELQ_OK);
    CHECK(cap == 4);
    CHECK_ST(funnelq_capacity(rx, &cap), FUNNELQ_OK);
    CHECK(cap == 4);
    for (uintptr_t i = 1; i <= 4; i++) CHECK_ST(funnelq_try_send(tx, as_ptr(i), i), FUNNELQ_OK);
    CHECK_ST(funnelq_try_send(tx, as_ptr(5), 5), FUNNELQ_FULL);
    CHECK_ST(funnelq_try_send_copy(tx, "x", 1), FUNNELQ_FULL);
    CHECK(len_of(tx) == 4 && len_of(rx) == 4);
    funnelq_msg m;
    for (uintptr_t i = 1; i <= 4; i++) {
        CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_OK);
        CHECK(m.ptr == as_ptr(i) && m.len == i && m.flags == 0);
    }
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_EMPTY);
    CHECK(len_of(rx) == 0);
    /* exactly 1 and the maximum are accepted */
    funnelq_sender *tx1;
    funnelq_receiver *rx1;
    new_chan(1, &tx1, &rx1);
    CHECK_ST(funnelq_try_send(tx1, NULL, 0), FUNNELQ_OK);
    CHECK_ST(funnelq_try_send(tx1, NULL, 0), FUNNELQ_FULL);
    CHECK_ST(funnelq_sender_free(tx1), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx1), FUNNELQ_OK);
    CHECK(funnelq_max_capacity() == ((size_t)1 << 30));
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void zero_copy_and_copy_roundtrip(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(8, &tx, &rx);
    char *owned = malloc(16);
    strcpy(owned, "zero-copy");
    char stack[] = "copied bytes";
    CHECK_ST(funnelq_send(tx, owned, strlen(owned) + 1), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx, stack, sizeof stack), FUNNELQ_OK);
    memset(stack, 'X', sizeof stack - 1); /* the copy is independent */
    CHECK_ST(funnelq_send_copy(tx, NULL, 0), FUNNELQ_OK);
    CHECK_ST(funnelq_send(tx, NULL, 0), FUNNELQ_OK);
    funnelq_msg m;
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.ptr == owned && m.flags == 0 && strcmp(m.ptr, "zero-copy") == 0);
    CHECK_ST(funnelq_msg_free(&m), FUNNELQ_OK); /* no-op for zero-copy */
    free(owned);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.flags == FUNNELQ_MSG_OWNED && m.len == 13 && strcmp(m.ptr, "copied bytes") == 0);
    CHECK_ST(funnelq_msg_free(&m), FUNNELQ_OK);
    CHECK(m.ptr == NULL && m.len == 0 && m.flags == 0);
    CHECK_ST(funnelq_msg_free(&m), FUNNELQ_OK); /* twice is harmless */
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.flags == FUNNELQ_MSG_OWNED && m.len == 0 && m.ptr == NULL);
    CHECK_ST(funnelq_msg_free(&m), FUNNELQ_OK);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.flags == 0 && m.len == 0 && m.ptr == NULL);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s05_close_drains(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(8, &tx, &rx);
    const char *words[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) CHECK_ST(funnelq_send_copy(tx, words[i], strlen(words[i]) + 1), FUNNELQ_OK);
    CHECK_ST(funnelq_close(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_close(tx), FUNNELQ_OK); /* idempotent */
    bool closed = false;
    CHECK_ST(funnelq_is_closed(rx, &closed), FUNNELQ_OK);
    CHECK(closed);
    funnelq_msg m;
    for (int i = 0; i < 3; i++) {
        CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
        CHECK(strcmp(m.ptr, words[i]) == 0);
        funnelq_msg_free(&m);
    }
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_recv_timeout(rx, &m, 10 * MS), FUNNELQ_CLOSED);
    size_t n = 99;
    funnelq_msg batch[4];
    CHECK_ST(funnelq_recv_batch(rx, batch, 4, &n), FUNNELQ_CLOSED);
    CHECK(n == 0);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s06_close_rejects(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(8, &tx, &rx);
    CHECK_ST(funnelq_send(tx, as_ptr(1), 1), FUNNELQ_OK);
    CHECK_ST(funnelq_close(rx), FUNNELQ_OK); /* from the receiver side */
    bool closed = false;
    CHECK_ST(funnelq_is_closed(tx, &closed), FUNNELQ_OK);
    CHECK(closed);
    CHECK_ST(funnelq_send(tx, as_ptr(2), 1), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_try_send(tx, as_ptr(2), 1), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_send_timeout(tx, as_ptr(2), 1, 10 * MS), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_send_copy(tx, "abc", 3), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_try_send_copy(tx, "abc", 3), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_send_copy_timeout(tx, "abc", 3, 10 * MS), FUNNELQ_CLOSED);
    size_t sent = 99;
    funnelq_msg items[2] = {{as_ptr(3), 0, 0, NULL}, {as_ptr(4), 0, 0, NULL}};
    CHECK_ST(funnelq_send_batch(tx, items, 2, &sent), FUNNELQ_CLOSED);
    CHECK(sent == 0);
    size_t lens[2] = {1, 2};
    CHECK_ST(funnelq_try_send_copy_batch(tx, "abc", lens, 2, &sent), FUNNELQ_CLOSED);
    CHECK(sent == 0);
    CHECK(len_of(tx) == 1);
    funnelq_msg m;
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.ptr == as_ptr(1));
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s09_empty(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(2, &tx, &rx);
    funnelq_msg m;
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_EMPTY);
    size_t n = 7;
    funnelq_msg batch[2];
    CHECK_ST(funnelq_try_recv_batch(rx, batch, 2, &n), FUNNELQ_EMPTY);
    CHECK(n == 0);
    double t0 = now_s();
    CHECK_ST(funnelq_recv_timeout(rx, &m, 150 * MS), FUNNELQ_TIMEOUT);
    CHECK_ELAPSED(t0, 0.150);
    t0 = now_s();
    CHECK_ST(funnelq_recv_batch_timeout(rx, batch, 2, &n, 100 * MS), FUNNELQ_TIMEOUT);
    CHECK_ELAPSED(t0, 0.100);
    CHECK(n == 0);
    /* a message that is there is returned at once */
    CHECK_ST(funnelq_send(tx, as_ptr(9), 0), FUNNELQ_OK);
    t0 = now_s();
    CHECK_ST(funnelq_recv_timeout(rx, &m, 5000 * MS), FUNNELQ_OK);
    CHECK(now_s() - t0 < 1.0 && m.ptr == as_ptr(9));
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s10_timeouts(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(1, &tx, &rx);
    CHECK_ST(funnelq_send(tx, as_ptr(1), 0), FUNNELQ_OK);
    double t0 = now_s();
    CHECK_ST(funnelq_send_timeout(tx, as_ptr(2), 0, 150 * MS), FUNNELQ_TIMEOUT);
    CHECK_ELAPSED(t0, 0.150);
    t0 = now_s();
    CHECK_ST(funnelq_send_copy_timeout(tx, "abc", 3, 100 * MS), FUNNELQ_TIMEOUT);
    CHECK_ELAPSED(t0, 0.100);
    CHECK_ST(funnelq_send_timeout(tx, as_ptr(2), 0, 0), FUNNELQ_TIMEOUT);
    CHECK(len_of(tx) == 1); /* nothing was enqueued */
    funnelq_msg m;
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.ptr == as_ptr(1));
    CHECK_ST(funnelq_try_recv(rx, &m), FUNNELQ_EMPTY);
    /* with room, a timed send succeeds at once; a huge timeout means "wait" */
    CHECK_ST(funnelq_send_timeout(tx, as_ptr(3), 0, UINT64_MAX), FUNNELQ_OK);
    CHECK_ST(funnelq_recv_timeout(rx, &m, UINT64_MAX), FUNNELQ_OK);
    CHECK(m.ptr == as_ptr(3));
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s12_senders_gone(void) {
    funnelq_sender *tx, *tx2;
    funnelq_receiver *rx;
    new_chan(8, &tx, &rx);
    CHECK_ST(funnelq_sender_clone(tx, &tx2), FUNNELQ_OK);
    CHECK(tx2 != tx);
    CHECK_ST(funnelq_send_copy(tx, "a", 1), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx2, "b", 1), FUNNELQ_OK);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    bool closed = true;
    CHECK_ST(funnelq_is_closed(rx, &closed), FUNNELQ_OK);
    CHECK(!closed); /* one sender is left */
    CHECK_ST(funnelq_send_copy(tx2, "c", 1), FUNNELQ_OK);
    funnelq_msg m;
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(((char *)m.ptr)[0] == 'a');
    funnelq_msg_free(&m);
    CHECK_ST(funnelq_sender_free(tx2), FUNNELQ_OK);
    CHECK_ST(funnelq_is_closed(rx, &closed), FUNNELQ_OK);
    CHECK(closed);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK); /* drained first */
    CHECK(((char *)m.ptr)[0] == 'b');
    funnelq_msg_free(&m);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(((char *)m.ptr)[0] == 'c');
    funnelq_msg_free(&m);
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED); /* then end-of-stream */
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

struct drop_log {
    int calls;
    size_t bytes;
};

static void drop_counter(void *ptr, size_t len, void *ctx) {
    struct drop_log *log = ctx;
    log->calls++;
    log->bytes += len;
    free(ptr);
}

static void s13_receiver_gone(void) {
    struct drop_log log = {0, 0};
    funnelq_sender *tx, *tx2;
    funnelq_receiver *rx;
    CHECK_ST(funnelq_channel_new_with_drop(8, drop_counter, &log, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_sender_clone(tx, &tx2), FUNNELQ_OK);
    for (int i = 0; i < 3; i++) CHECK_ST(funnelq_send(tx, malloc(10), 10), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx2, "copy one", 8), FUNNELQ_OK);
    CHECK_ST(funnelq_send_copy(tx2, "copy two", 8), FUNNELQ_OK);
    size_t lens[3] = {2, 0, 3}, sent = 0;
    CHECK_ST(funnelq_send_copy_batch(tx2, "ab" "cde", lens, 3, &sent), FUNNELQ_OK); /* one shared block */
    CHECK(sent == 3);
    /* one received message is the receiver's, not the drop hook's */
    funnelq_msg m;
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    free(m.ptr);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
    CHECK(log.calls == 2 && log.bytes == 20); /* queued zero-copy items released */
    CHECK_ST(funnelq_send_copy(tx, "late", 4), FUNNELQ_CLOSED);
    void *mine = malloc(4);
    CHECK_ST(funnelq_try_send(tx2, mine, 4), FUNNELQ_CLOSED);
    CHECK_ST(funnelq_send(tx2, mine, 4), FUNNELQ_CLOSED);
    free(mine); /* handed back: not passed to the hook */
    bool closed = false;
    CHECK_ST(funnelq_is_closed(tx, &closed), FUNNELQ_OK);
    CHECK(closed);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_sender_free(tx2), FUNNELQ_OK);
    CHECK(log.calls == 2);
    /* copies were freed by funnelq: the AddressSanitizer run checks for leaks */

    /* all handles freed with messages queued: hook runs when the last goes */
    struct drop_log log2 = {0, 0};
    CHECK_ST(funnelq_channel_new_with_drop(4, drop_counter, &log2, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_send(tx, malloc(3), 3), FUNNELQ_OK);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK(log2.calls == 0); /* still receivable */
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
    CHECK(log2.calls == 1 && log2.bytes == 3);
}

struct fake_handle {
    uint64_t words[8];
};

static void s14_bad_input(void) {
    funnelq_sender *tx = NULL;
    funnelq_receiver *rx = NULL;
    CHECK_ST(funnelq_channel_new(0, &tx, &rx), FUNNELQ_INVALID);
    CHECK_ST(funnelq_channel_new(funnelq_max_capacity() + 1, &tx, &rx), FUNNELQ_INVALID);
    CHECK_ST(funnelq_channel_new(SIZE_MAX, &tx, &rx), FUNNELQ_INVALID);
    CHECK(tx == NULL && rx == NULL);
    CHECK_ST(funnelq_channel_new(4, NULL, &rx), FUNNELQ_INVALID);
    CHECK_ST(funnelq_channel_new(4, &tx, NULL), FUNNELQ_INVALID);
    CHECK(tx == NULL && rx == NULL);

    /* null handles: every entry point */
    funnelq_msg m = {NULL, 0, 0, NULL};
    funnelq_msg batch[2];
    size_t n = 0;
    bool b = false;
    size_t lens[1] = {1};
    CHECK_ST(funnelq_send(NULL, NULL, 0), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_send(NULL, NULL, 0), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_timeout(NULL, NULL, 0, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy(NULL, "a", 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_send_copy(NULL, "a", 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy_timeout(NULL, "a", 1, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_batch(NULL, batch, 1, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_send_batch(NULL, batch, 1, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy_batch(NULL, "a", lens, 1, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_send_copy_batch(NULL, "a", lens, 1, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv(NULL, &m), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_recv(NULL, &m), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_timeout(NULL, &m, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_batch(NULL, batch, 2, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_recv_batch(NULL, batch, 2, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_batch_timeout(NULL, batch, 2, &n, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_close(NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_is_closed(NULL, &b), FUNNELQ_INVALID);
    CHECK_ST(funnelq_len(NULL, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_capacity(NULL, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_sender_clone(NULL, &tx), FUNNELQ_INVALID);
    CHECK_ST(funnelq_sender_free(NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_receiver_free(NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_msg_free(NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_msg_free_n(NULL, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_msg_free_n(NULL, 0), FUNNELQ_OK);

    /* foreign and misaligned pointers, and handles of the wrong kind */
    struct fake_handle fake;
    memset(&fake, 0xA5, sizeof fake);
    CHECK_ST(funnelq_send((funnelq_sender *)&fake, NULL, 0), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv((funnelq_receiver *)&fake, &m), FUNNELQ_INVALID);
    CHECK_ST(funnelq_close(&fake), FUNNELQ_INVALID);
    CHECK_ST(funnelq_sender_free((funnelq_sender *)&fake), FUNNELQ_INVALID);
    CHECK_ST(funnelq_receiver_free((funnelq_receiver *)&fake), FUNNELQ_INVALID);
    CHECK_ST(funnelq_close((char *)&fake + 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_channel_new(2, &tx, &rx), FUNNELQ_OK);
    CHECK_ST(funnelq_send((funnelq_sender *)rx, NULL, 0), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv((funnelq_receiver *)tx, &m), FUNNELQ_INVALID);
    CHECK_ST(funnelq_sender_free((funnelq_sender *)rx), FUNNELQ_INVALID);
    CHECK_ST(funnelq_receiver_free((funnelq_receiver *)tx), FUNNELQ_INVALID);

    /* null out-pointers and bad arguments on live handles: nothing happens */
    CHECK_ST(funnelq_send_copy(tx, "abc", 3), FUNNELQ_OK);
    CHECK_ST(funnelq_recv(rx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_try_recv(rx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_timeout(rx, NULL, 1), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_batch(rx, NULL, 2, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_batch(rx, batch, 2, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_recv_batch(rx, batch, 0, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_len(rx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_capacity(tx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_is_closed(tx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_sender_clone(tx, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy(tx, NULL, 5), FUNNELQ_INVALID); /* no silent truncation */
    CHECK_ST(funnelq_send_batch(tx, NULL, 2, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_batch(tx, batch, 1, NULL), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy_batch(tx, "a", NULL, 1, &n), FUNNELQ_INVALID);
    CHECK_ST(funnelq_send_copy_batch(tx, NULL, lens, 1, &n), FUNNELQ_INVALID);
    CHECK(len_of(tx) == 1); /* no half-enqueued message */
    CHECK_ST(funnelq_recv(rx, &m), FUNNELQ_OK);
    CHECK(m.len == 3 && memcmp(m.ptr, "abc", 3) == 0);
    funnelq_msg_free(&m);

    /* status strings */
    CHECK(strcmp(funnelq_status_str(FUNNELQ_OK), "ok") == 0);
    CHECK(strncmp(funnelq_status_str(FUNNELQ_FULL), "full", 4) == 0);
    CHECK(strncmp(funnelq_status_str(FUNNELQ_INVALID), "invalid", 7) == 0);
    CHECK(strcmp(funnelq_status_str(12345), "unknown status") == 0);
    CHECK(strcmp(funnelq_status_str(-1), "unknown status") == 0);
    CHECK(strlen(funnelq_version()) > 0);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

static void s18_batch(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    new_chan(3, &tx, &rx);
    funnelq_msg items[5];
    for (uintptr_t i = 0; i < 5; i++) items[i] = (funnelq_msg){as_ptr(100 + i), i, 0, NULL};
    size_t sent = 0, n = 0;
    CHECK_ST(funnelq_try_send_batch(tx, items, 5, &sent), FUNNELQ_OK);
    CHECK(sent == 3); /* the prefix that fits */
    CHECK_ST(funnelq_try_send_batch(tx, items + 3, 2, &sent), FUNNELQ_FULL);
    CHECK(sent == 0);
    CHECK_ST(funnelq_try_send_batch(tx, items, 0, &sent), FUNNELQ_OK);
    CHECK(sent == 0);
    funnelq_msg out[10];
    CHECK_ST(funnelq_recv_batch(rx, out, 10, &n), FUNNELQ_OK);
    CHECK(n == 3);
    for (size_t i = 0; i < n; i++) CHECK(out[i].ptr == as_ptr(100 + i) && out[i].len == i);
    /* max bounds the count */
    CHECK_ST(funnelq_send_batch(tx, items + 3, 2, &sent), FUNNELQ_OK);
    CHECK(sent == 2);
    CHECK_ST(funnelq_recv_batch(rx, out, 1, &n), FUNNELQ_OK);
    CHECK(n == 1 && out[0].ptr == as_ptr(103));
    CHECK_ST(funnelq_try_recv_batch(rx, out, 10, &n), FUNNELQ_OK);
    CHECK(n == 1 && out[0].ptr == as_ptr(104));
    /* copying batch: messages laid out back to back */
    const char *data = "aaabbc";
    size_t lens[3] = {3, 2, 1};
    CHECK_ST(funnelq_send_copy_batch(tx, data, lens, 3, &sent), FUNNELQ_OK);
    CHECK(sent == 3);
    CHECK_ST(funnelq_recv_batch_timeout(rx, out, 10, &n, 1000 * MS), FUNNELQ_OK);
    CHECK(n == 3);
    CHECK(out[0].len == 3 && memcmp(out[0].ptr, "aaa", 3) == 0 && out[0].flags == FUNNELQ_MSG_OWNED);
    CHECK(out[1].len == 2 && memcmp(out[1].ptr, "bb", 2) == 0);
    CHECK(out[2].len == 1 && memcmp(out[2].ptr, "c", 1) == 0);
    CHECK_ST(funnelq_msg_free_n(out, n), FUNNELQ_OK);
    /* a try copy batch that only partly fits frees the rest */
    size_t lens4[4] = {1, 1, 1, 1};
    CHECK_ST(funnelq_try_send_copy_batch(tx, "wxyz", lens4, 4, &sent), FUNNELQ_OK);
    CHECK(sent == 3);
    CHECK_ST(funnelq_close(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_recv_batch(rx, out, 10, &n), FUNNELQ_OK);
    CHECK(n == 3 && memcmp(out[2].ptr, "y", 1) == 0);
    CHECK_ST(funnelq_msg_free_n(out, n), FUNNELQ_OK);
    CHECK_ST(funnelq_recv_batch(rx, out, 10, &n), FUNNELQ_CLOSED);
    CHECK(n == 0);
    CHECK_ST(funnelq_sender_free(tx), FUNNELQ_OK);
    CHECK_ST(funnelq_receiver_free(rx), FUNNELQ_OK);
}

int main(void) {
    alarm(120); /* a hang is a failure */
    RUN(s01_capacity);
    RUN(zero_copy_and_copy_roundtrip);
    RUN(s05_close_drains);
    RUN(s06_close_rejects);
    RUN(s09_empty);
    RUN(s10_timeouts);
    RUN(s12_senders_gone);
    RUN(s13_receiver_gone);
    RUN(s14_bad_input);
    RUN(s18_batch);
    fprintf(stderr, "all channel tests passed\n");
    return 0;
}
