/* fuzz_config — libFuzzer target for the config loader (`make fuzz`).
 * Any input must either load or be refused with errors; never crash, leak
 * or read out of bounds; a refused input leaves the output untouched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cfg c, before;
    static struct cfg_errors e;
    memset(&c, 0xa5, sizeof c);
    memcpy(&before, &c, sizeof c);
    int rc = cfg_load_text("fuzz.ini", (const char *)data, size, &c, &e);
    if (rc < 0) {
        if (e.n == 0 || memcmp(&c, &before, sizeof c) != 0)
            abort();
        for (int i = 0; i < e.n; i++)
            if (strncmp(e.e[i].text, "fuzz.ini:", 9) != 0) /* every error names the file */
                abort();
    } else if (c.ntags < 0 || c.ntags > CFG_MAX_TAGS || e.n != 0) {
        abort();
    }
    return 0;
}
