/* cfg_doc — the documentation of meltcon.ini, generated from the schema
 * table (cfg_schema.c) so that it cannot drift from the loader:
 *
 *   cfg_describe()  the key reference, `meltcon check-config --describe`
 *   cfg_man()       the manual page meltcon.ini(5) in roff with the man(7)
 *                   macros, `meltcon check-config --man`
 *
 * The page's prose (syntax, where the file is looked up, system and
 * private furnaces) is written here; every section and key, with its type,
 * range, default, unit and help, comes from the table.  Text from the table
 * goes through man_text(), which escapes what roff would take for requests
 * or escapes (a leading '.' or '\'', '\', '-').
 */
#include "cfg_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "version.h"

static const char *ktype_name(const struct cfg_key *k)
{
    static const char *const n[] = {
        [KT_INT] = "integer", [KT_DOUBLE] = "number", [KT_BOOL] = "yes/no",
        [KT_STRING] = "text",  [KT_NAME] = "name",     [KT_ENUM] = "choice",
        [KT_PHASES] = "phases", [KT_ADDR] = "address", [KT_PAIR] = "LO, HI",
    };
    return n[k->type];
}

void cfg_describe(void *stdio_file)
{
    FILE *f = stdio_file;
    fprintf(f, "meltcon.ini keys (required keys have no default)\n");
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        fprintf(f, "\n[%s%s]  %s\n", s->name, s->multi ? ".NAME" : "", s->help);
        for (const struct cfg_key *k = s->keys; k->key; k++) {
            char range[160] = "";
            if (k->type == KT_INT || k->type == KT_DOUBLE) {
                char lo[32], hi[32];
                cfg_fmt_num(lo, sizeof lo, k->min);
                cfg_fmt_num(hi, sizeof hi, k->max);
                snprintf(range, sizeof range, "%s..%s", lo, hi);
            } else if (k->type == KT_ENUM) {
                cfg_join_names(range, sizeof range, k->names);
            }
            fprintf(f, "  %-22s %-8s %-20s %-12s %-5s %s\n", k->key, ktype_name(k), range,
                    !k->def ? "(required)" : *k->def ? k->def : "-", k->unit, k->help);
        }
    }
}

/* ---- meltcon.ini(5) ------------------------------------------------------------------------ */

/* s as roff text on the current line: '\' and '-' escaped, and a
 * zero-width \& before a '.' or '\'' that would start the output line.
 * `cap`: start the sentence in upper case (the table's help is a phrase)
 * when its first word is a plain word, not a name such as plc_heartbeat,
 * a value list such as "hi, lo" or a label such as "system:". */
static void man_text(FILE *f, const char *s, bool line_start, bool cap)
{
    size_t w = strspn(s, "abcdefghijklmnopqrstuvwxyz");
    cap = cap && w > 0 && s[w] == ' ';
    for (const char *p = s; *p; p++) {
        if (line_start && (*p == '.' || *p == '\''))
            fputs("\\&", f);
        line_start = false;
        if (*p == '\\')
            fputs("\\e", f);
        else if (*p == '-')
            fputs("\\-", f);
        else if (p == s && cap)
            fputc(toupper((unsigned char)*p), f);
        else
            fputc(*p, f);
    }
}

/* The type and range of key k as a phrase: "integer from 1 to 65535". */
static void man_type(FILE *f, const struct cfg_key *k)
{
    char lo[32], hi[32], names[200];
    cfg_fmt_num(lo, sizeof lo, k->min);
    cfg_fmt_num(hi, sizeof hi, k->max);
    bool nolo = k->min <= -1e11, nohi = k->max >= 1e11;
    switch (k->type) {
    case KT_INT:
    case KT_DOUBLE:
        fputs(k->type == KT_INT ? "integer" : "number", f);
        if (!nolo) {
            fputs(" from ", f);
            man_text(f, lo, false, false);
        }
        if (!nohi) {
            fputs(nolo ? " up to " : " to ", f);
            man_text(f, hi, false, false);
        }
        break;
    case KT_BOOL:
        fputs("yes or no", f);
        break;
    case KT_STRING:
        fprintf(f, "text of at most %zu characters", k->size - 1);
        break;
    case KT_NAME:
        fputs("a name of lower-case letters, digits and _", f);
        break;
    case KT_ENUM:
        cfg_join_names(names, sizeof names, k->names);
        fputs("one of ", f);
        man_text(f, names, false, false);
        break;
    case KT_PHASES:
        cfg_join_names(names, sizeof names, cfg_phase_names);
        fputs("comma-separated melt phases from ", f);
        man_text(f, names, false, false);
        break;
    case KT_ADDR:
        fputs("TABLE:ADDRESS", f);
        break;
    case KT_PAIR:
        fputs("two numbers LO, HI with LO below HI", f);
        break;
    }
}

/* One key as a tagged paragraph: the key, then "type, unit; default" and
 * its help as a sentence. */
static void man_key(FILE *f, const struct cfg_key *k)
{
    fputs(".TP\n.B ", f);
    man_text(f, k->key, false, false);
    fputs("\n", f);
    man_type(f, k);
    if (*k->unit) {
        fputs(", in ", f);
        man_text(f, k->unit, false, false);
    }
    if (!k->def) {
        fputs("; required", f);
    } else if (*k->def) {
        fputs("; default ", f);
        man_text(f, k->def, false, false);
    } else {
        fputs("; optional, empty by default", f);
    }
    fputs(".\n", f);
    man_text(f, k->help, true, true);
    fputs(".\n", f);
}

void cfg_man(void *stdio_file)
{
    FILE *f = stdio_file;
    fputs(".\\\" meltcon.ini(5), generated by `meltcon check-config --man` from the schema\n"
          ".\\\" table config/cfg_schema.c: edit that table, not this page.\n",
          f);
    fprintf(f, ".TH MELTCON.INI 5 \"\" \"meltcon %s\" \"File Formats Manual\"\n", MELTCON_VERSION);
    fputs(".SH NAME\n"
          "meltcon.ini \\- the configuration of one meltcon furnace\n"
          ".SH SYNOPSIS\n"
          ".I " CFG_SYSTEM_DIR "INSTANCE.ini\n"
          ".SH DESCRIPTION\n"
          "One INI file describes a furnace: its identity, the link to its PLC, the\n"
          "control cycle, the server, the simulator, the permissive limits, the tag\n"
          "map, the control loops, the alarms and the melt programs.\n"
          "Both\n"
          ".BR meltcon (1)\n"
          "and\n"
          ".BR meltsim (1)\n"
          "read it.\n"
          ".PP\n"
          "Syntax: [section] headers and KEY = VALUE lines; comments start with\n"
          ".B ;\n"
          "or\n"
          ".BR # .\n"
          "Numbers are decimal (\"010\" is ten, \"12abc\" is an error).\n"
          "Yes/no keys take yes, no, true, false, on, off, 1 or 0.\n"
          "Section and key names are not case sensitive.\n"
          "A key or section that is not listed below is an error, as is a value\n"
          "of the wrong type or out of its range: every mistake is reported with\n"
          "the file, line, section, key, value and what was expected, and nothing\n"
          "starts on a file with a mistake.\n"
          "Check a file with \\fBmeltcon check\\-config\\fR \\fIFILE\\fR.\n"
          ".SS Quoting\n"
          "A\n"
          ".B ;\n"
          "or\n"
          ".B #\n"
          "starts a comment even in the middle of a value, so a value that holds\n"
          "one is written in double quotes, which are not part of the value\n"
          "(spaces inside them are kept):\n"
          ".PP\n"
          ".RS\n"
          ".EX\n"
          "action = \"Reduce firing; check the roof override\"\n"
          ".EE\n"
          ".RE\n"
          ".PP\n"
          "A value that also holds a double quote is written in single quotes\n"
          "(\\fBmessage = \\(aqPress \"stop\"; then wait\\(aq\\fR).\n"
          "There are no escapes.\n"
          "Comments stand on lines of their own; after a closing quote a comment\n"
          "may follow.\n"
          "An unquoted value holding\n"
          ".B ;\n"
          "or\n"
          ".BR # ,\n"
          "an opening quote without its closing quote, and text after a closing\n"
          "quote are errors: the message names the line and the fix, so no value\n"
          "is ever cut short without a word.\n"
          ".SS Where the file is\n"
          "The programs read the file given with\n"
          ".B \\-c\n"
          ".IR FILE ,\n"
          "else the file named by\n"
          ".BR MELTCON_CONFIG ,\n"
          "else\n"
          ".IR " CFG_SYSTEM_DIR "meltcon.ini ,\n"
          "else the only\n"
          ".I *.ini\n"
          "in\n"
          ".I " CFG_SYSTEM_DIR "\n"
          "when it holds just one;\n"
          "never a file in the current directory.\n"
          ".SS System and private furnaces\n"
          "A \\fIsystem\\fR furnace (\\fB[server] mode = system\\fR, or \\fBauto\\fR with\n"
          "the file's real path under \\fI" CFG_SYSTEM_DIR "\\fR) has one server for\n"
          "everyone, started by systemd only\n"
          "(\\fBsystemctl start meltcon@\\fIINSTANCE\\fR, where \\fIINSTANCE\\fR is the\n"
          "file's name without \\fI.ini\\fR), with its socket in \\fI/run/meltcon\\fR\n"
          "and its lock, journal and historian in \\fI/var/lib/meltcon/NAME\\fR.\n"
          "The console and the command line never start a server for it.\n"
          "A \\fIprivate\\fR furnace (training, a simulator on a laptop) keeps its\n"
          "socket and state in the user's runtime and state directories, and the\n"
          "console starts its server when none runs.\n"
          ".SH SECTIONS AND KEYS\n"
          "Each key is listed with its type, range, unit and default.\n"
          "A key without a default is required.\n",
          f);
    for (size_t i = 0; i < cfg_nsections; i++) {
        const struct cfg_section *s = &cfg_sections[i];
        fprintf(f, ".SS [%s%s]\n", s->name, s->multi ? ".NAME" : "");
        man_text(f, s->help, true, true);
        if (s->multi) {
            fputs(", one section each, e.g.\n.BR [", f);
            man_text(f, s->example, false, false);
            fprintf(f, "] ;\nat most %d.\n", s->max_items);
        } else {
            fputs(".\n", f);
        }
        for (const struct cfg_key *k = s->keys; k->key; k++)
            man_key(f, k);
    }
    fputs(".SH FILES\n"
          ".TP\n"
          ".I " CFG_SYSTEM_DIR "INSTANCE.ini\n"
          "a system furnace, run by the systemd unit meltcon@INSTANCE\n"
          ".TP\n"
          ".I " CFG_SYSTEM_DIR "meltcon.ini\n"
          "the file used when neither \\-c nor MELTCON_CONFIG names one (or the only\n"
          "furnace file in the folder, when there is no meltcon.ini)\n"
          ".TP\n"
          ".I /run/meltcon/NAME.sock\n"
          "the server socket of system furnace NAME ([furnace] name)\n"
          ".TP\n"
          ".I /var/lib/meltcon/NAME\n"
          "the lock, journal and historian of system furnace NAME\n"
          ".SH ENVIRONMENT\n"
          ".TP\n"
          ".B MELTCON_CONFIG\n"
          "the configuration file when no \\-c is given\n"
          ".SH SEE ALSO\n"
          ".BR meltcon (1),\n"
          ".BR meltsim (1),\n"
          ".BR systemctl (1)\n",
          f);
}
