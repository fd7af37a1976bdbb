/* Message sequence numbers: what they say was lost or reordered.  Each
 * version counts its own unit (IPFIX: data records, v9: packets, v5:
 * flows, sFlow: datagrams): the caller passes how far a message moves it. */
#include "decoder_int.h"

void
hf_sequence_check(struct hf_session *s, uint32_t seq, uint32_t advance)
{
    if (s->seq_valid && seq != s->seq_next) {
        uint32_t ahead = seq - s->seq_next;     /* modulo 2^32 */
        if (ahead < 0x80000000u)
            s->st.sequence_lost += ahead;
        else
            s->st.sequence_reorder++;
    }
    s->seq_next = seq + advance;
    s->seq_valid = true;
}
