/* Proves that leak detection runs: this program leaks a received copy (its
 * funnelq_msg is never released with funnelq_msg_free) on purpose;
 * ci/test-c.sh expects AddressSanitizer to fail it. (A forgotten handle is
 * not a leak LeakSanitizer can see: handles live in funnelq's handle table,
 * which stays reachable for the life of the process.) */
#include "funnelq.h"

static void leak(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_msg m;
    funnelq_channel_new(2, &tx, &rx);
    funnelq_send_copy(tx, "leak", 4);
    funnelq_recv(rx, &m); /* m.ptr is funnelq's copy, now the caller's to release */
    funnelq_sender_free(tx);
    funnelq_receiver_free(rx);
    m.ptr = 0; /* the copy is lost */
}

int main(void) {
    volatile char scrub[4096];
    leak();
    for (int i = 0; i < 4096; i++) scrub[i] = 0; /* overwrite stale stack copies */
    (void)scrub;
    return 0;
}
