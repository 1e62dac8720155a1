/* nss_slow — an account database that takes its time, for t_record.sh and
 * bench_writer.sh: LD_PRELOADed into the server, it delays getpwuid_r and
 * getgrouplist by $NSS_SLOW_MS (default 2000) before asking the real ones.
 * A fake only because a real slow LDAP or sssd cannot be produced here: the
 * point is what the server does while a lookup hangs.  Built by the scripts
 * that use it: cc -shared -fPIC -o nss_slow.so tests/nss_slow.c -ldl
 */
#include <dlfcn.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

static void nap(void)
{
    const char *e = getenv("NSS_SLOW_MS");
    long ms = e ? atol(e) : 2000;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res);
int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
    int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **) =
        (int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **))dlsym(RTLD_NEXT,
                                                                                 "getpwuid_r");
    nap();
    return real(uid, pw, buf, len, res);
}

int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups);
int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    int (*real)(const char *, gid_t, gid_t *, int *) =
        (int (*)(const char *, gid_t, gid_t *, int *))dlsym(RTLD_NEXT, "getgrouplist");
    nap();
    return real(user, group, groups, ngroups);
}
