/* One logging scheme for every program: messages on stderr (the journal
 * under systemd) at four levels; --quiet keeps errors only, each
 * --verbose shows one level more (info is the default). */
#ifndef HOSTFLOW_LOG_H
#define HOSTFLOW_LOG_H

#include <stdbool.h>
#include <glib.h>

enum hf_log_level {
    HF_LOG_ERROR,
    HF_LOG_WARNING,
    HF_LOG_INFO,        /* the default: start-up, reloads, summaries */
    HF_LOG_DEBUG,       /* -v: counters in detail */
};

/* The program's name, the prefix of every line. */
void hf_log_init(const char *prog);
/* -v/--verbose (repeatable) and -q/--quiet, for g_option_context_add_main_entries */
extern GOptionEntry hf_log_options[];
/* The level --verbose/--quiet chose: ERROR, or INFO plus one per -v. */
int hf_log_level(void);
/* How many -v beyond debug (-vv: 1): the finest details. */
int hf_log_verbosity(void);
bool hf_log_enabled(int level);
/* "PROG: warning: text" (errors and info without a level word). */
void hf_log(int level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
