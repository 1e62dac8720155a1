/* input — what a person types, read strictly: numbers and reasons.
 *
 * One reader for every number a person types (setpoints, outputs, tuning,
 * shelve minutes, charge mass, pump speed, numeric CLI arguments, the
 * console's dialogs) and one for every reason (free text for the journal).
 * The server's gate, the console's dialogs and the CLI all call these, so a
 * value is judged the same way wherever it was typed, and refused with the
 * same sentence.
 *
 * A number is decimal and nothing else:
 *
 *     [+|-] DIGITS [. [DIGITS]]   or   [+|-] . DIGITS
 *
 * at most INPUT_NUMBER_DIGITS significant digits.  No exponent: no plant
 * value a person types needs one (the widest, an integral time, is at most
 * 100000 s), and a typed "1e3" is more likely a slip than a thousand.  No
 * hex ("0x2E9" is not 745), no inf or nan, no spaces or other characters
 * before or after.  The conversion is done here, not by strtod: it does not
 * depend on the locale, and with at most 15 significant digits and at most
 * 19 decimals the mantissa and the power of ten are both exact doubles, so
 * the one division is correctly rounded: the number is the double nearest
 * the decimal text, as strtod in the C locale would give.
 *
 * A reason is printable UTF-8 text on one line: valid UTF-8 (no overlong
 * forms, no surrogates), no control characters (C0, DEL, C1; a line break
 * or a tab is one), not blank (spaces alone say nothing), and at most a
 * stated number of characters (code points).  Too long is refused with the
 * maximum and the length, never cut.
 *
 * Input echoed in a sentence goes through input_show(): at most
 * INPUT_SHOW_CHARS characters with "…" when shortened, anything unprintable
 * as '?', so a 400-character input or a stray control byte never floods or
 * garbles a reply.
 *
 * Pure: no I/O, no locale, no globals (the functional core calls it).
 */
#ifndef MELTCON_INPUT_H
#define MELTCON_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#define INPUT_NUMBER_DIGITS 15 /* significant digits: DBL_DIG, exact through a double */
#define INPUT_NUMBER_CHARS 20  /* longest number text (sign, 15 digits, point, zeros) */
#define INPUT_SHOW_CHARS 24    /* characters of an input quoted in a sentence */
#define INPUT_SHOW_SIZE (4 * INPUT_SHOW_CHARS + 4) /* bytes for input_show() */

/* The maximum of an operator's reason, in characters, and the bytes that
 * hold that many characters of UTF-8 (four at most each) and the '\0'. */
#define INPUT_REASON_CHARS 200
#define INPUT_REASON_SIZE (4 * INPUT_REASON_CHARS + 1)

/* s quoted for a sentence: at most INPUT_SHOW_CHARS characters of it, the
 * last of them "…" when s is longer; control characters and bytes that are
 * not valid UTF-8 shown as '?'.  dst has n bytes (INPUT_SHOW_SIZE holds any
 * result).  NULL shows as "". */
void input_show(char *dst, size_t n, const char *s);

/* Read s as a number typed by a person (the rule above).  Returns 0 with *v
 * set, or -1 with one sentence in why (the input quoted by input_show) and
 * *v untouched:
 *   ""                 no value given
 *   "0x2E9"            "0x2E9" is not a number: digits with an optional sign
 *                      and decimal point, e.g. 745 or -2.5
 *   "745,5"            "745,5": use a decimal point, e.g. 745.5
 *   " 745"             " 745": a number without spaces, e.g. 745
 *   16 digits          "1234567890123456" has more than 15 digits
 * -0 reads as 0. */
int input_number(const char *s, double *v, char *why, size_t n);

/* How many decimals the number text s has ("745.50" -> 2, "745" -> 0);
 * -1 when s is not a number for input_number(). */
int input_decimals(const char *s);

/* Check s as a reason: `required` says whether "" is refused (a reason that
 * was not given) or accepted (an optional one).  A given reason must be
 * printable UTF-8, not blank, at most max_chars characters and fit `size`
 * bytes with its '\0'.  Returns 0, or -1 with one sentence in why:
 *   a reason is required (it goes into the journal)
 *   the reason is blank: write why, not only spaces
 *   the reason is not valid UTF-8 text (byte 0xFF at character 3)
 *   the reason has a control character (a line break at character 5); write it on one line
 *   the reason is 201 characters long; the most is 200
 *   the reason takes 130 bytes of UTF-8; at most 95 fit (accented letters take two or more)
 */
int input_reason(const char *s, bool required, int max_chars, size_t size, char *why, size_t n);

/* Copy s into dst (n bytes) so that it is printable UTF-8: each byte that
 * is not part of a valid UTF-8 character, and each control character, as
 * \xNN.  What a refused reason is recorded as: nothing raw reaches the
 * journal.  Returns true if all of it fitted. */
bool input_escape(char *dst, size_t n, const char *s);

#endif
