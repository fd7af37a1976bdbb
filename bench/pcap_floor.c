/* pcap_floor: the floor for reading a capture — a minimal libpcap loop that
 * only reads FILE with pcap_dispatch and counts packets (and captured bytes,
 * so the loop is not optimised away), through a 64 KiB stdio buffer as the
 * probe reads files (probe/capture.c), so it stays a floor.  Built by bench/probe-bench.sh:
 *   cc -O2 -o pcap_floor pcap_floor.c -lpcap
 * Prints "packets N caplen_bytes B" on stdout. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct counts {
    uint64_t packets, bytes;
};

static void
count(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct counts *c = (struct counts *)user;
    (void)data;
    c->packets++;
    c->bytes += h->caplen;
}

int
main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct counts c = {0, 0};
    pcap_t *p;
    int n;

    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE\n");
        return 2;
    }
    static char buf[64 << 10];
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) {
        perror(argv[1]);
        return 1;
    }
    setvbuf(fp, buf, _IOFBF, sizeof(buf));
    p = pcap_fopen_offline(fp, err);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s\n", err);
        return 1;
    }
    while ((n = pcap_dispatch(p, -1, count, (u_char *)&c)) > 0)
        ;
    if (n == PCAP_ERROR) {
        fprintf(stderr, "pcap_floor: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %llu caplen_bytes %llu\n",
           (unsigned long long)c.packets, (unsigned long long)c.bytes);
    return 0;
}
