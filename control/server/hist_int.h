/* hist_int — what the historian's files share (hist.c writes, hist_read.c
 * reads, hist_v1.c reads the old day files). */
#ifndef MELTCON_HIST_INT_H
#define MELTCON_HIST_INT_H

#include <sqlite3.h>
#include <stddef.h>

#include "hist.h"

/* Each sample of one old day file at path, in file order; fn returns
 * nonzero to stop.  Returns the samples passed, or -1 with errno. */
typedef int (*hist_v1_fn)(double t, const char *name, double v, enum tag_quality q, void *ctx);
long hist_v1_read(const char *path, hist_v1_fn fn, void *ctx);

/* Create the schema in db (or check the one there): 0, or -1 with a
 * sentence. */
int hist_schema(sqlite3 *db, char *err, size_t len);

/* Import the old day files of DIR/hist into db that the `imported` table
 * does not list yet.  *rows counts the samples; a sentence for the journal
 * goes to note ("" when nothing was imported).  Returns the files imported,
 * or -1 with a sentence in note. */
int hist_import_v1(sqlite3 *db, const char *dir, double now, unsigned long long *rows,
                   char *note, size_t len);

/* A read-only connection to DIR/historian.db (a WAL reader), or, when
 * there is none but old day files, an in-memory database they were
 * imported into.  NULL with errno (ENOENT: neither). */
sqlite3 *hist_db_read(const char *dir);

/* Before opening a database: SQLite's fchown made a no-op (hist.c says why). */
void hist_vfs_setup(void);

/* An errno for an SQLite result code. */
int hist_errno(int rc);

/* The database's path: DIR/historian.db. */
int hist_db_path(const char *dir, char *buf, size_t len);

#endif
