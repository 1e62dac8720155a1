/* journal_hash — the hashes of the journal's chain, from nettle: SHA-256 for
 * the unkeyed lines of a journal from before the key (" h="), HMAC-SHA-256
 * with the furnace's key for every line since (" k="); the chain step over
 * (previous hash || line text); hashes as hex.  The chain itself is
 * described in journal_line.c.
 */
#include "journal_int.h"

#include <nettle/sha2.h>
#include <string.h>

/* The chain step: SHA-256(prev || text) without a key (mac NULL), else
 * HMAC-SHA-256(key, prev || text).  mac is keyed and left ready for the
 * next line (nettle's digest restarts it with the same key), so the copy
 * here keeps the caller's const. */
void journal_chain(const struct hmac_sha256_ctx *mac, const unsigned char prev[JOURNAL_HASH_LEN],
                   const char *text, size_t len, unsigned char out[JOURNAL_HASH_LEN])
{
    if (mac) {
        struct hmac_sha256_ctx m = *mac;
        hmac_sha256_update(&m, JOURNAL_HASH_LEN, prev);
        hmac_sha256_update(&m, len, (const uint8_t *)text);
        hmac_sha256_digest(&m, JOURNAL_HASH_LEN, out);
        return;
    }
    struct sha256_ctx s;
    sha256_init(&s);
    sha256_update(&s, JOURNAL_HASH_LEN, prev);
    sha256_update(&s, len, (const uint8_t *)text);
    sha256_digest(&s, JOURNAL_HASH_LEN, out);
}

void journal_mac_init(struct hmac_sha256_ctx *mac, const unsigned char key[JOURNAL_KEY_LEN])
{
    hmac_sha256_set_key(mac, JOURNAL_KEY_LEN, key);
}

void journal_to_hex(const unsigned char *h, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < JOURNAL_HASH_LEN; i++) {
        hex[2 * i] = digits[h[i] >> 4];
        hex[2 * i + 1] = digits[h[i] & 15];
    }
    hex[HEX_LEN] = '\0';
}

int journal_hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* 64 lowercase hex digits to 32 bytes; -1 if not exactly that. */
int journal_from_hex(const char *hex, unsigned char *h)
{
    for (int i = 0; i < JOURNAL_HASH_LEN; i++) {
        int hi = journal_hex_val(hex[2 * i]), lo = hi < 0 ? -1 : journal_hex_val(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        h[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

void journal_sha256(const void *data, size_t len, unsigned char out[JOURNAL_HASH_LEN])
{
    struct sha256_ctx s;
    sha256_init(&s);
    sha256_update(&s, len, data);
    sha256_digest(&s, JOURNAL_HASH_LEN, out);
}

void journal_hmac(const void *key, size_t keylen, const void *data, size_t len,
                  unsigned char out[JOURNAL_HASH_LEN])
{
    struct hmac_sha256_ctx m;
    hmac_sha256_set_key(&m, keylen, key);
    hmac_sha256_update(&m, len, data);
    hmac_sha256_digest(&m, JOURNAL_HASH_LEN, out);
}
