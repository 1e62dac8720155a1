/* ini_value — the value of a KEY = VALUE line, read exactly as written.
 *
 * iniparser 4.1 (the reader of meltcon.ini and of meltsim's scenarios) reads
 * the text after the first '=' like this:
 *   - in double quotes: the text up to the next double quote, spaces kept;
 *     whatever follows that quote is dropped;
 *   - else in single quotes: the same with single quotes;
 *   - else: the text up to the first ';' or '#', anywhere in it, without
 *     the white space around it ("" and '' are the empty value).
 * So an unquoted `action = Reduce firing; check the roof` is silently read
 * as "Reduce firing".  The rule meltcon documents (config/README.md,
 * 'Values, quotes and comments') keeps every value as written: a value
 * holding ';' or '#' is quoted, and ini_value() refuses every line that
 * iniparser would read otherwise than written.  Pure: no I/O.
 */
#ifndef MELTCON_INI_VALUE_H
#define MELTCON_INI_VALUE_H

#include <stddef.h>

enum ini_value_fault {
    INI_VALUE_OK,
    INI_VALUE_COMMENT,     /* unquoted and holds ';' or '#': iniparser cuts it there */
    INI_VALUE_UNCLOSED,    /* an opening quote without its closing quote */
    INI_VALUE_AFTER_QUOTE, /* text after the closing quote that is not a comment */
};

/* Read `raw`, the text after the first '=' of a line (continuation lines
 * joined).  `written` gets the value as written: unquoted text without the
 * white space around it, or the text between the quotes.  `read` gets what
 * iniparser 4.1 stores for the line; the two differ only when the result is
 * not INI_VALUE_OK.  Both buffers need strlen(raw) + 1 bytes; a shorter
 * one is cut (never overrun). */
enum ini_value_fault ini_value(const char *raw, char *written, size_t nw, char *read, size_t nr);

/* The sentence for a fault of key `key`: what iniparser would read and the
 * fix, e.g. `iniparser would read only "Reduce firing": ';' and '#' start a
 * comment, even inside a value; if they belong to the value, quote it:
 * action = "Reduce firing; check the roof"`.  "" for INI_VALUE_OK. */
void ini_value_why(char *buf, size_t n, enum ini_value_fault f, const char *key,
                   const char *written, const char *read);

/* Check every KEY = VALUE line of text[0..len-1] with ini_value(), lines
 * and continuations taken as iniparser takes them.  0 when all are read as
 * written, else -1 and the first fault in err as "NAME:LINE: [SECTION] KEY
 * = "VALUE": " and the sentence of ini_value_why(). */
int ini_value_check_text(const char *name, const char *text, size_t len, char *err,
                         size_t errlen);

#endif
