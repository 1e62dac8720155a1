/* server — the meltcon server: the control cycle around the core, the PLC
 * link, the record, the client sessions and the server's own life.
 *
 * One process per furnace (a lock file), one thread.  It keeps controlling
 * the furnace whatever its consoles do: a terminal or an SSH link that goes
 * away changes nothing here (SIGHUP is ignored), a slow console is skipped
 * and a stuck one dropped, and nothing the clients send can make the cycle
 * wait.  See server.c for the cycle and its timing.
 *
 * A family of files: server.c (the cycle and serving between cycles),
 * server_clients.c (sessions and requests), server_record.c (the journal,
 * the loops' state, retention), server_jobs.c (file readers in child
 * processes) and server_life.c (start, detach, signals, stop); they share
 * server_int.h.  The pure arithmetic of the cycle's timing (lateness,
 * schedule, process time) is the core module cycle.c.
 */
#ifndef MELTCON_SERVER_H
#define MELTCON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

/* Run the server of furnace c.  foreground: run here until SIGTERM, SIGINT
 * or an engineer's `stop`, and return the exit status.  Otherwise start it
 * detached and return 0 once its socket answers, or 1; either way msg holds
 * the sentence to print ("server already running (pid N)", the started
 * server's pid and socket, or why it could not start).  c must outlive the
 * call.  A system furnace (c->server.system) is never started detached:
 * that is systemd's, which runs it in the foreground. */
int server_run(const struct cfg *c, bool foreground, char *msg, size_t msglen);

/* The export a client asked for, in a program of its own: the server's job
 * child runs `meltcon SERVER_EXPORT_JOB DIR FROM TO FLAGS TAGS` (SQLite must
 * not be used in a child forked from a process that has the database open),
 * which writes the rows and the job's status line to fd 3.  main() hands
 * such an argv here first; returns the exit status. */
#define SERVER_EXPORT_JOB "--server-export-job"
int server_export_job_main(int argc, char **argv);

#endif
