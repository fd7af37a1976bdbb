/* Check harness shared by the C unit tests (tests/test_*.c).
 *
 * CHECK(cond, fmt, ...) counts one check and prints one line for it:
 * "ok   line N: ..." or "FAIL line N: ...".  Passing checks are not printed
 * when check_failures_only is set (tests that run very many checks) or when
 * QUIET is set in the environment.  check_summary() prints the totals and
 * gives main's exit status: 0 only when every check passed. */
#ifndef HOSTFLOW_TESTS_CHECK_H
#define HOSTFLOW_TESTS_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static int checks, failures;
static bool check_failures_only;

#define CHECK(cond, ...) check_line((cond), __LINE__, __VA_ARGS__)

static void __attribute__((format(printf, 3, 4)))
check_line(bool ok, int line, const char *fmt, ...)
{
    static int quiet_env = -1;
    va_list ap;

    checks++;
    if (!ok)
        failures++;
    if (quiet_env < 0)
        quiet_env = getenv("QUIET") != NULL;
    if (ok && (check_failures_only || quiet_env))
        return;
    printf("%s line %d: ", ok ? "ok  " : "FAIL", line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);             /* before any fork, and in order with stderr */
}

/* Prints "N checks, M failed"; main's exit status. */
static int
check_summary(void)
{
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}

#endif
