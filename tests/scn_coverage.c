/* Scenario: what 'make coverage' found no other test reaching in the
 * server's checks (SPEC "Trust": the wineserver trusts nothing it receives).
 * - the impersonation ioctl (IOCTL_AFD_WINE_IMPERSONATE_PEER, the series'
 *   server check of WSAImpersonateSocketPeer) with an input shorter than its
 *   parameter structure: STATUS_INVALID_PARAMETER, read nothing.  fwpuclnt
 *   always sends the whole structure, so only a raw caller gets here.
 *   Where the series has no such ioctl (the code answers otherwise for a
 *   valid call), this is said and not checked. */
#include "ptn.h"

/* include/wine/afd.h: WINE_AFD_IOC(309), struct afd_impersonate_peer_params */
#define IOCTL_AFD_WINE_IMPERSONATE_PEER 0x001204D4
#define ST_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002)

struct impersonate_params
{
    int          addr_given;
    unsigned int addr_len;
    SOCKADDR_IN6 addr;
};
_Static_assert(sizeof(struct impersonate_params) == 36, "layout");

static void test_impersonate_short_input(void)
{
    struct impersonate_params p;
    SOCKADDR_IN a = v4(5000);
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    NTSTATUS st;
    ULONG n;

    printf("-- the impersonation ioctl, input shorter than its structure\n");
    memset(&p, 0, sizeof(p));
    p.addr_given = 1;
    p.addr_len = sizeof(a);
    memcpy(&p.addr, &a, sizeof(a));
    /* a valid call on a datagram socket: the impersonation's own answer */
    st = raw_ioctl((HANDLE)u, IOCTL_AFD_WINE_IMPERSONATE_PEER, &p, sizeof(p), NULL, 0, NULL);
    if (st != ST_NOT_IMPLEMENTED)
    {
        printf("(ioctl 0x%08x answers 0x%08lx to a valid impersonation: not this series' "
               "impersonation ioctl; not checked)\n", IOCTL_AFD_WINE_IMPERSONATE_PEER, (unsigned long)st);
        closesocket(u);
        return;
    }
    check_status(st, ST_NOT_IMPLEMENTED, "valid call on a UDP socket: nobody to impersonate");
    for (n = 0; n < sizeof(p); n += 4)
    {
        char what[96];
        snprintf(what, sizeof(what), "input of %lu of %u bytes", n, (unsigned)sizeof(p));
        check_status(raw_ioctl((HANDLE)u, IOCTL_AFD_WINE_IMPERSONATE_PEER, &p, n, NULL, 0, NULL),
                     ST_INVALID_PARAMETER, what);
    }
    check_status(raw_ioctl((HANDLE)u, IOCTL_AFD_WINE_IMPERSONATE_PEER, NULL, 0, NULL, 0, NULL),
                 ST_INVALID_PARAMETER, "no input at all");
    closesocket(u);
}

int main(void)
{
    startup();
    test_impersonate_short_input();
    WSACleanup();
    return summary();
}
