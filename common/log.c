#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *prog = "hostflow";
static int verbose;
static gboolean quiet;

static gboolean
count_verbose(const gchar *n, const gchar *v, gpointer d, GError **e)
{
    (void)n; (void)v; (void)d; (void)e;
    verbose++;
    return TRUE;
}

GOptionEntry hf_log_options[] = {
    {"verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)count_verbose,
     "Say more on standard error: -v debugging details, -vv more", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
     "Errors only on standard error", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
};

/* glib's own messages (g_warning...) at the same levels, in the same form */
static void
glib_handler(const gchar *domain, GLogLevelFlags flags, const gchar *msg, gpointer data)
{
    (void)domain; (void)data;
    int level = flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL) ? HF_LOG_ERROR
              : flags & G_LOG_LEVEL_WARNING ? HF_LOG_WARNING
              : flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO) ? HF_LOG_INFO
              : HF_LOG_DEBUG;
    hf_log(level, "%s", msg);
}

void
hf_log_init(const char *name)
{
    prog = name;
    g_log_set_default_handler(glib_handler, NULL);
}

int
hf_log_level(void)
{
    if (quiet)
        return HF_LOG_ERROR;
    return verbose ? HF_LOG_DEBUG : HF_LOG_INFO;
}

int
hf_log_verbosity(void)
{
    return quiet ? -2 : verbose - 1;
}

bool
hf_log_enabled(int level)
{
    return level <= hf_log_level();
}

void
hf_log(int level, const char *fmt, ...)
{
    va_list ap;

    if (!hf_log_enabled(level))
        return;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* one write per line: lines of several threads do not mix */
    fprintf(stderr, "%s: %s%s\n", prog, level == HF_LOG_WARNING ? "warning: " :
            level == HF_LOG_DEBUG ? "debug: " : "", text);
    g_free(text);
}
