/* Readiness and state for the service manager (systemd's sd_notify). */
#ifndef HF_NOTIFY_H
#define HF_NOTIFY_H

/* Each is a no-op when the collector is not run by systemd with
 * Type=notify (no NOTIFY_SOCKET) or was built without libsystemd. */
void hf_notify_ready(unsigned nsockets);   /* READY=1: every socket is bound */
void hf_notify_reloading(void);            /* RELOADING=1: SIGHUP re-read begins */
void hf_notify_reloaded(const char *status); /* READY=1 again, STATUS= */
void hf_notify_stopping(void);             /* STOPPING=1: SIGTERM/SIGINT */

#endif
