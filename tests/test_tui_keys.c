/* test_tui_keys — the key tables: every screen has a function key and a
 * letter, Esc then a digit is that F-key, no screen's own key is shadowed by
 * a global one, and the help screen has a sentence for every key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curses.h>
#include <string.h>

#include "keys.h"
#include "screens.h"

static void test_global_bindings(void **state)
{
    (void)state;
    const struct key_binding *b = keys_find(KEY_F(1));
    assert_non_null(b);
    assert_int_equal(b->act, KA_HELP);
    assert_ptr_equal(keys_find('?'), b);
    b = keys_find(KEY_F(10));
    assert_int_equal(b->act, KA_QUIT);
    assert_ptr_equal(keys_find('q'), b);
    assert_int_equal(keys_find(27)->act, KA_BACK);
    assert_int_equal(keys_find(KEY_F(5))->screen, SCR_ALARMS);
    assert_int_equal(keys_find('a')->screen, SCR_ALARMS);
    assert_null(keys_find('z'));
    /* M: the last message whole, from every screen (no command's hotkey) */
    assert_int_equal(keys_find('M')->act, KA_LASTMSG);
    assert_null(keys_find('m'));
    /* every screen but help is reachable by an F-key and a letter */
    for (int s = 0; s < SCR_COUNT; s++) {
        if (s == SCR_HELP)
            continue;
        int n, found = 0;
        const struct key_binding *t = keys_table(&n);
        for (int i = 0; i < n; i++)
            if (t[i].act == KA_SCREEN && t[i].screen == s) {
                found++;
                assert_true(t[i].key >= KEY_F(2) && t[i].key <= KEY_F(9));
                assert_true(t[i].alias >= 'a' && t[i].alias <= 'z');
                assert_true(t[i].label[0] != 0);
            }
        assert_int_equal(found, 1);
    }
}

static void test_no_duplicate_keys(void **state)
{
    (void)state;
    int n;
    const struct key_binding *t = keys_table(&n);
    for (int i = 0; i < n; i++) {
        assert_non_null(t[i].help);
        assert_true(strlen(t[i].help) > 10);
        for (int j = i + 1; j < n; j++) {
            assert_int_not_equal(t[i].key, t[j].key);
            if (t[i].alias)
                assert_int_not_equal(t[i].alias, t[j].alias);
        }
    }
}

static void test_esc_digit(void **state)
{
    (void)state;
    struct keys_state ks = {0};
    assert_int_equal(keys_translate(&ks, '5'), '5');
    assert_int_equal(keys_translate(&ks, 27), 27);
    assert_int_equal(keys_translate(&ks, '5'), KEY_F(5));
    assert_int_equal(keys_translate(&ks, '5'), '5'); /* only right after the Esc */
    assert_int_equal(keys_translate(&ks, 27), 27);
    assert_int_equal(keys_translate(&ks, '0'), KEY_F(10));
    assert_int_equal(keys_translate(&ks, 27), 27);
    assert_int_equal(keys_translate(&ks, 'x'), 'x');
    assert_int_equal(keys_translate(&ks, '3'), '3');
    assert_int_equal(keys_translate(&ks, 27), 27);
    assert_int_equal(keys_translate(&ks, 27), 27);
    assert_int_equal(keys_translate(&ks, '1'), KEY_F(1));
}

static void test_screens_table(void **state)
{
    (void)state;
    for (int s = 0; s < SCR_COUNT; s++) {
        const struct screen *sc = screen_get((enum screen_id)s);
        assert_non_null(sc->draw);
        assert_non_null(sc->key);
        assert_non_null(sc->title);
        assert_int_equal(screen_by_name(sc->name), s);
        /* a screen's own single-letter keys are never taken by a global binding */
        for (int k = 0; k < sc->nkeys; k++) {
            const char *key = sc->keys[k].key;
            assert_non_null(sc->keys[k].hint);
            assert_true(strlen(sc->keys[k].help) > 5);
            if (strlen(key) == 1)
                assert_null(keys_find((unsigned char)key[0]));
            if (strlen(key) > 2 && key[1] == ' ' && key[2] == '/')
                assert_null(keys_find((unsigned char)key[0]));
        }
    }
    assert_int_equal(screen_by_name("nothing"), -1);
    assert_ptr_equal(screen_get(SCR_COUNT), screen_get(SCR_OVERVIEW));
}

static void test_key_names(void **state)
{
    (void)state;
    char b[24];
    keys_name(KEY_F(7), b, sizeof b);
    assert_string_equal(b, "F7");
    keys_name('\n', b, sizeof b);
    assert_string_equal(b, "Enter");
    keys_name(12, b, sizeof b);
    assert_string_equal(b, "Ctrl-L");
    keys_name('x', b, sizeof b);
    assert_string_equal(b, "x");
    keys_name(KEY_UP, b, sizeof b);
    assert_string_equal(b, "Up");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_global_bindings), cmocka_unit_test(test_no_duplicate_keys),
        cmocka_unit_test(test_esc_digit),       cmocka_unit_test(test_screens_table),
        cmocka_unit_test(test_key_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
