/* Proves that leak detection runs: this program leaks a funnelq copy and a
 * sender handle on purpose; ci/test-c.sh expects AddressSanitizer to fail it. */
#include "funnelq.h"

static void leak(void) {
    funnelq_sender *tx;
    funnelq_receiver *rx;
    funnelq_channel_new(2, &tx, &rx);
    funnelq_send_copy(tx, "leak", 4);
    funnelq_receiver_free(rx);
    tx = 0; /* the sender handle is lost */
}

int main(void) {
    volatile char scrub[4096];
    leak();
    for (int i = 0; i < 4096; i++) scrub[i] = 0; /* overwrite stale stack copies */
    (void)scrub;
    return 0;
}
