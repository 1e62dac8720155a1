/* test_dayfile — calendar arithmetic and the daily-file listing shared by
 * the journal and the historian. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile.h"

static void test_dates_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *date;
        long day;
    } cases[] = {
        {"1970-01-01", 0},     {"1970-01-02", 1},     {"2000-02-29", 11016},
        {"2026-11-29", 20786}, {"2100-03-01", 47541}, {"2024-12-31", 20088},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[11];
        assert_int_equal(dayfile_parse_date(cases[i].date), cases[i].day);
        dayfile_date(cases[i].day, out);
        assert_string_equal(out, cases[i].date);
    }
    for (long d = 0; d < 200000; d += 37) {
        char out[11];
        dayfile_date(d, out);
        assert_int_equal(dayfile_parse_date(out), d);
    }
}

static void test_bad_dates(void **state)
{
    (void)state;
    static const char *const bad[] = {"2026-02-29", "2100-02-29", "2026-13-01", "2026-00-10",
                                      "2026-04-31", "2026-4-30x", "20x6-01-01", "1969-12-31",
                                      "2026/01/01", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dayfile_parse_date(bad[i]), -1);
}

static void test_day_of_time(void **state)
{
    (void)state;
    assert_int_equal(dayfile_day(0), 0);
    assert_int_equal(dayfile_day(86399.999), 0);
    assert_int_equal(dayfile_day(86400), 1);
    assert_int_equal(dayfile_day(-0.5), -1);
    assert_int_equal(dayfile_day(1795000000.0), 20775);
}

static void test_list_filters_and_sorts(void **state)
{
    (void)state;
    char dir[] = "/tmp/meltdayXXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *const names[] = {
        "journal-2026-11-29.log", "journal-2026-11-27.log", "journal-2026-11-28.log",
        "journal-2026-02-30.log", /* not a date */
        "journal-2026-11-26.dat", "hist-2026-11-25.log", "journal-2026-11-2.log",
        "journal-2026-11-24.log.tmp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
    }
    struct dayfile_list l;
    assert_int_equal(dayfile_list(dir, "journal", "log", &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.day[0], dayfile_parse_date("2026-11-27"));
    assert_int_equal(l.day[2], dayfile_parse_date("2026-11-29"));
    char path[256];
    dayfile_path(path, sizeof path, dir, "journal", l.day[1], "log");
    assert_non_null(strstr(path, "/journal-2026-11-28.log"));
    dayfile_list_free(&l);
    assert_null(l.day);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dayfile_list("/nonexistent/dir", "journal", "log", &l), -1);
}

static void test_write_all_or_say_why(void **state)
{
    (void)state;
    char path[] = "/tmp/meltdaywXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t done = 99;
    assert_int_equal(dayfile_write(fd, "0123456789", 10, &done), 0);
    assert_int_equal(done, 10);
    assert_int_equal(lseek(fd, 0, SEEK_END), 10);
    close(fd);
    unlink(path);
    fd = open("/dev/full", O_WRONLY);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(dayfile_write(fd, "abc", 3, &done), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(done, 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_round_trip),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_day_of_time),
        cmocka_unit_test(test_list_filters_and_sorts),
        cmocka_unit_test(test_write_all_or_say_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
