/* ie_lookup NAME...: each information element as hostflow's model
 * (hf_infomodel_new: libfixbuf's IANA elements plus hostflow-ie.xml) has
 * it, one line each: NAME PEN ID TYPE SEMANTICS, with libfixbuf's numbers
 * for type and semantics (RFC 7012's order); "NAME missing" if unknown.
 * For tests/ipfix_page.py, which checks hostflow-ipfix(7) against it. */
#include <stdio.h>
#include "infomodel.h"

int
main(int argc, char **argv)
{
    GError *err = NULL;
    fbInfoModel_t *model = hf_infomodel_new(&err);

    if (!model) {
        fprintf(stderr, "ie_lookup: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const fbInfoElement_t *ie = fbInfoModelGetElementByName(model, argv[i]);
        if (!ie)
            printf("%s missing\n", argv[i]);
        else
            printf("%s %u %u %u %u\n", argv[i], (unsigned)ie->ent, (unsigned)ie->num,
                   (unsigned)ie->type, (unsigned)((ie->flags >> 8) & 0xff));
    }
    hf_infomodel_free(model);
    return 0;
}
