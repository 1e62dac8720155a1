/* cfg — load and validate meltcon.ini against the schema (cfg_schema.c):
 * the public entry points (see cfg.h), where the file comes from and
 * whether it describes a system furnace.  The key reference and the man
 * page are cfg_doc.c.
 *
 * Two passes over one file.  A line scan (cfg_scan.c) records where every
 * section and key is, and each value as written, and catches what iniparser
 * forgives, hides or would misread (a value cut at ';' or '#').  iniparser
 * then parses the file into its dictionary, which must agree with the scan
 * value for value, and every section is checked key by key (cfg_values.c),
 * then across keys and sections (cfg_check.c).  The lookups by name are in
 * cfg_names.c.
 *
 * All errors are collected, not just the first, and the result is copied
 * out only when there are none: nothing starts on a bad file.
 *
 * The loader is the only reader of the file, and reads it once: iniparser
 * parses the same bytes from an anonymous memory file, and the SHA-256 of
 * those bytes (libnettle) goes into the struct as `sha256`, so the digest a
 * server tells its consoles is the digest of exactly what it controls with.
 */
#include "cfg_int.h"

#include <errno.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util.h"

static int ini_errback(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}

void cfg_defaults(struct cfg *c)
{
    struct cfg_errors errs = {0};
    struct cfg_ctx x = {.file = "(defaults)", .errs = &errs, .c = c};
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        if (s->multi)
            continue;
        for (const struct cfg_key *k = s->keys; k->key; k++)
            cfg_set_default(&x, s->name, k, (char *)c + s->off);
    }
}

/* The most sections and keys a loadable file can have: every section the
 * schema allows, each with every one of its keys. */
static int max_entries(void)
{
    int n = 0;
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        int keys = 0;
        while (s->keys[keys].key)
            keys++;
        n += (s->multi ? s->max_items : 1) * (1 + keys);
    }
    return n;
}

/* Errors in file order; those tied to no line last. */
static int by_line(const void *a, const void *b)
{
    int la = ((const struct cfg_error *)a)->line, lb = ((const struct cfg_error *)b)->line;
    if (la == 0)
        la = 1 << 30;
    if (lb == 0)
        lb = 1 << 30;
    return (la > lb) - (la < lb);
}

/* The SHA-256 of len bytes at text as lowercase hex. */
static void sha256_hex(const char *text, size_t len, char hex[CFG_SHA256_HEX])
{
    static const char digits[] = "0123456789abcdef";
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)text);
    sha256_digest(&ctx, sizeof d, d);
    _Static_assert(2 * SHA256_DIGEST_SIZE + 1 == CFG_SHA256_HEX, "hex digest size");
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * sizeof d] = 0;
}

/* Both passes over one file: `text` is its content (for the line scan),
 * `path` where iniparser reads the same bytes, `name` what messages call it,
 * `file` what goes into out->path and `real` its real path (symlinks
 * followed), which decides [server] mode = auto.  *out is written only when
 * no error was found. */
static int load(const char *name, const char *file, const char *real, const char *path,
                const char *text, size_t len, struct cfg *out, struct cfg_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    struct cfg_ctx x = {.file = name, .errs = errs};
    x.c = malloc(sizeof *x.c);
    if (!x.c) {
        cfg_err(&x, 0, NULL, NULL, NULL, "out of memory");
        return -1;
    }
    cfg_defaults(x.c);
    str_copy(x.c->path, sizeof x.c->path, file);
    sha256_hex(text, len, x.c->sha256);

    cfg_scan_text(&x, text, len);
    /* iniparser 4.1 stores and finds every entry by a linear search, so it
     * is quadratic in the size of the file: it is asked only about a file
     * the schema can hold (more entries than that cannot load anyway, and
     * the scan alone reports every mistake of such a file). */
    bool ask_ini = x.sc.syntax_errors == 0 && x.sc.nsecs + x.sc.nkeys <= max_entries();
    if (ask_ini) {
        iniparser_set_error_callback(ini_errback);
        x.d = iniparser_load(path);
        iniparser_set_error_callback(NULL);
        if (!x.d)
            cfg_err(&x, 0, NULL, NULL, NULL, "iniparser could not parse the file");
    }
    if (x.sc.syntax_errors == 0 && (x.d || !ask_ini)) {
        for (int i = 0; i < x.sc.nsecs; i++)
            cfg_load_section(&x, i);
        cfg_check_cross(&x);
        if (!ask_ini && errs->n == 0) /* cannot be: more entries means unknown or too many */
            cfg_err(&x, 0, NULL, NULL, NULL,
                    "%d sections and keys: more than any furnace file can hold (%d)",
                    x.sc.nsecs + x.sc.nkeys, max_entries());
    }
    if (x.d)
        iniparser_freedict(x.d);
    qsort(errs->e, (size_t)errs->n, sizeof errs->e[0], by_line);
    int rc = errs->n ? -1 : 0;
    x.c->server.system = cfg_mode_is_system(x.c->server.mode, real);
    if (rc == 0)
        memcpy(out, x.c, sizeof *out);
    cfg_scan_free(&x.sc);
    free(x.c);
    return rc;
}

/* load() over bytes in memory: iniparser 4.1 reads only from a path, so it
 * gets an anonymous memory file holding exactly these bytes. */
static int load_bytes(const char *name, const char *file, const char *real, const char *text,
                      size_t len, struct cfg *out, struct cfg_errors *errs)
{
    int fd = memfd_create("meltcon-cfg", MFD_CLOEXEC);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        memset(errs, 0, sizeof *errs);
        struct cfg_ctx x = {.file = name, .errs = errs};
        cfg_err(&x, 0, NULL, NULL, NULL, "cannot buffer the text: %s", strerror(errno));
        return -1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rc = load(name, file, real, path, text, len, out, errs);
    close(fd);
    return rc;
}

int cfg_load(const char *file, struct cfg *out, struct cfg_errors *errs)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        memset(errs, 0, sizeof *errs);
        struct cfg_ctx x = {.file = file, .errs = errs};
        int e = errno;
        bool dflt = !strcmp(file, CFG_SYSTEM_DIR "meltcon.ini");
        cfg_err(&x, 0, NULL, NULL, NULL, "cannot open: %s%s", strerror(e),
                dflt && e == ENOENT
                    ? "; name the furnace's file with -c FILE (e.g. -c " CFG_SYSTEM_DIR
                      "tcf1.ini) or MELTCON_CONFIG"
                    : "");
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        memset(errs, 0, sizeof *errs);
        struct cfg_ctx x = {.file = file, .errs = errs};
        cfg_err(&x, 0, NULL, NULL, NULL, "too large or out of memory");
        return -1;
    }
    /* The absolute path names the file to a console in another directory
     * (a detached server's working directory is "/"); it is the path as
     * given, links kept, so messages name what the user typed. */
    char abs[CFG_PATH_MAX], cwd[PATH_MAX], real[PATH_MAX];
    bool fits = file[0] == '/' ? str_copy(abs, sizeof abs, file)
                               : getcwd(cwd, sizeof cwd) &&
                                     snprintf(abs, sizeof abs, "%s/%s", cwd, file) < (int)sizeof abs;
    bool has_real = realpath(file, real) != NULL;
    int rc = load_bytes(file, fits ? abs : file, has_real ? real : file, buf, len, out, errs);
    free(buf);
    return rc;
}

int cfg_load_text(const char *name, const char *text, size_t len, struct cfg *out,
                  struct cfg_errors *errs)
{
    return load_bytes(name, name, name, text, len, out, errs);
}

const char *cfg_default_path_in(const char *opt, const char *dir)
{
    static char pick[CFG_PATH_MAX];
    if (opt && *opt)
        return opt;
    const char *env = getenv("MELTCON_CONFIG");
    if (env && *env)
        return env;
    int n = snprintf(pick, sizeof pick, "%smeltcon.ini", dir);
    if (n < 0 || (size_t)n >= sizeof pick || access(pick, F_OK) == 0)
        return pick;
    /* no meltcon.ini: the one furnace file the folder holds, if it is one */
    DIR *d = opendir(dir);
    char only[CFG_PATH_MAX] = "";
    int count = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 5 || strcmp(e->d_name + l - 4, ".ini"))
            continue;
        if (++count == 1 && snprintf(only, sizeof only, "%s%s", dir, e->d_name) >= (int)sizeof only)
            only[0] = 0;
    }
    if (d)
        closedir(d);
    if (count == 1 && only[0])
        (void)str_copy(pick, sizeof pick, only);
    return pick;
}

const char *cfg_default_path(const char *opt)
{
    return cfg_default_path_in(opt, CFG_SYSTEM_DIR);
}

bool cfg_mode_is_system(enum cfg_mode mode, const char *real)
{
    if (mode != MODE_AUTO)
        return mode == MODE_SYSTEM;
    size_t n = strlen(CFG_SYSTEM_DIR);
    return real && !strncmp(real, CFG_SYSTEM_DIR, n) && real[n];
}

void cfg_instance(const struct cfg *c, char *buf, size_t len)
{
    char *real = realpath(c->path, NULL); /* a link's target names the unit */
    const char *path = real ? real : c->path;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".ini"))
        n -= 4;
    snprintf(buf, len, "%.*s", (int)n, base);
    free(real);
}
