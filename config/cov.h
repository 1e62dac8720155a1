/* cov — coverage counts from processes that leave by _exit().
 *
 * gcov writes its counts from an atexit handler, which _exit() skips: a
 * detached server or a forked job child would otherwise be missing from
 * `make coverage`.  Call cov_flush() right before every _exit(); it is
 * nothing unless the build defines MELTCON_COVERAGE (make coverage does).
 */
#ifndef MELTCON_COV_H
#define MELTCON_COV_H

#ifdef MELTCON_COVERAGE
void __gcov_dump(void);
#define cov_flush() __gcov_dump()
#else
#define cov_flush() ((void)0)
#endif

#endif
