/* sd_notify(3) for Type=notify: `systemctl start` returns once the
 * listeners are bound, `systemctl reload` once the sources are re-read.
 * Compiled only when meson finds libsystemd (HF_HAVE_SYSTEMD); otherwise
 * every call is a no-op and the collector runs under Type=simple. */
#include "notify.h"

#ifdef HF_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void
hf_notify_ready(unsigned nsockets)
{
    sd_notifyf(0, "READY=1\nSTATUS=listening on %u socket%s", nsockets,
               nsockets == 1 ? "" : "s");
}

void
hf_notify_reloading(void)
{
    sd_notify(0, "RELOADING=1");
}

void
hf_notify_reloaded(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
hf_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=completing the open slot files");
}

#else

void hf_notify_ready(unsigned nsockets) { (void)nsockets; }
void hf_notify_reloading(void) {}
void hf_notify_reloaded(const char *status) { (void)status; }
void hf_notify_stopping(void) {}

#endif
