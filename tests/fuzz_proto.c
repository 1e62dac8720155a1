/* fuzz_proto — libFuzzer target for the client protocol decoder (`make
 * fuzz`): any packet a client or server may receive is parsed and, when it
 * parses, decoded as every message type; nothing may crash, leak or read
 * out of bounds, and a decoded snapshot stays within its arrays. */
#include <stdint.h>
#include <stdlib.h>

#include "snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct proto_msg m;
    static struct snap s;
    char why[200];
    if (proto_parse((const char *)data, size, &m, why, sizeof why) < 0)
        return 0;
    if (snap_decode(&m, &s) == 0) {
        if (s.ntags > CFG_MAX_TAGS || s.nloops > CFG_MAX_LOOPS || s.nalarms > CFG_MAX_ALARMS ||
            s.nperms > SNAP_MAX_PERMS)
            abort();
        for (int i = 0; i < s.nloops; i++) /* a hold's countdown, in range */
            if (!(s.loops[i].man_in_s >= 0 && s.loops[i].man_in_s <= SNAP_HOLD_MAX_S))
                abort();
    }
    struct snap_hello h;
    struct snap_req r;
    struct snap_reply y;
    (void)snap_hello_decode(&m, &h);
    (void)snap_req_decode(&m, &r);
    (void)snap_reply_decode(&m, &y);
    return 0;
}
