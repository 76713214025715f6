/* Scenario: limits (SPEC "Name length", error 7 and error 11).
 * - 4096 names per datagram socket: the 4097th new key fails with
 *   WSAENOBUFS; replacing an existing key still works when full;
 * - 1 to 1024 characters (IPSEC2: 2 to 2048 bytes, even);
 * - the server holds at most 64 MiB of names: 8 sockets of 4096 names of
 *   1024 characters fill it, the 9th socket's fill hits WSAENOBUFS; freed
 *   names give their room back, and after closing the sockets the server
 *   accepts names again and stays healthy. */
#include "ptn.h"

#define FILL_SOCKETS 9

static WCHAR big[MAX_CHARS + 2];

/* Sets names on keys 127.0.0.1:1.. until count or the first error; returns
 * how many were set, the first error in *err. */
static int fill(SOCKET s, int count, ULONG nchars, int *err)
{
    int i;
    *err = 0;
    for (i = 0; i < count; i++)
    {
        SOCKADDR_IN k = v4((USHORT)(1 + i));
        big[0] = (WCHAR)('A' + i % 26);
        if ((*err = set_name_n(s, PROTO_IPSEC, &k, sizeof(k), big, nchars))) break;
    }
    return i;
}

static void test_per_socket(void)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), s2 = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN k4097 = v4(MAX_NAMES + 1), k1 = v4(1), k6 = v4(6), any = v4(1);
    int n, err, i, bad = 0;
    DWORD bytes;

    printf("-- 4096 names per datagram socket\n");
    fill_name(big, 8, 0);
    n = fill(s, MAX_NAMES, 8, &err);
    check_int(n, MAX_NAMES, "names set on one UDP socket");
    check_int(set_name(s, PROTO_IPSEC, &k4097, sizeof(k4097), L"one/too/many"), WSAENOBUFS, "4097th new key");
    check_absent(s, &k4097, sizeof(k4097), "the refused key");
    any.sin_addr.s_addr = 0;
    check_int(set_name(s, PROTO_IPSEC, &any, sizeof(any), L"one/too/many"), WSAENOBUFS, "another new key (0.0.0.0:1)");
    {
        ULONG size;
        SOCKET_PEER_TARGET_NAME *p = make_ptn(PROTO_IPSEC, &k4097, sizeof(k4097), L"raw", 3, &size);
        int ret = WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, p, size, NULL, 0, &bytes, NULL, NULL);
        check_int(ret ? WSAGetLastError() : 0, WSAENOBUFS, "4097th new key through WSAIoctl(SIO_SET_PEER_TARGET_NAME)");
        free(p);
    }
    check_int(set_name(s, PROTO_IPSEC2, &k1, sizeof(k1), L"replaced/when/full"), 0, "replace an existing key when full");
    check_holds(s, &k1, sizeof(k1), PROTO_IPSEC2, L"replaced/when/full", "the replaced key");
    check_int(set_name(s2, PROTO_IPSEC, &k4097, sizeof(k4097), L"other/socket"), 0, "a new key on another socket");
    check_int(del_name(s, &k6, sizeof(k6)), 0, "delete one key of the full socket");
    check_int(set_name(s, PROTO_IPSEC, &k4097, sizeof(k4097), L"fits/again"), 0, "a new key after the delete");
    check_int(set_name(s, PROTO_IPSEC, &k6, sizeof(k6), L"full/again"), WSAENOBUFS, "and the next new key");
    for (i = 2; i <= MAX_NAMES; i++)
    {
        SOCKADDR_IN k = v4((USHORT)i);
        struct got g;
        get(s, &k, sizeof(k), &g);
        if (i == 6 ? g.status != ST_NOT_FOUND : (g.status || g.len != 16 || g.name[0] != 'A' + (i - 1) % 26)) bad++;
    }
    check_int(bad, 0, "keys of the full socket that do not hold what was set");

    printf("-- a stream socket holds one name: replacing it never runs out\n");
    for (i = 0; i < 2 * MAX_NAMES; i++)
        if ((err = set_name(t, PROTO_IPSEC, NULL, 0, i & 1 ? L"tcp/odd" : L"tcp/even"))) break;
    check_int(i, 2 * MAX_NAMES, "replacements on a TCP socket");
    check_holds(t, NULL, 0, PROTO_IPSEC, L"tcp/odd", "TCP socket after the replacements");
    closesocket(s); closesocket(s2); closesocket(t);
}

static void test_length(void)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKADDR_IN k = v4(4000);
    SOCKET_PEER_TARGET_NAME *p;
    ULONG size;
    int ret;
    DWORD bytes;
    struct got g;

    printf("-- name length\n");
    fill_name(big, MAX_CHARS + 1, 3);
    check_int(set_name_n(s, PROTO_IPSEC, &k, sizeof(k), big, MAX_CHARS), 0, "IPSEC, 1024 characters");
    get(s, &k, sizeof(k), &g);
    check_true(g.status == 0 && g.len == 2 * MAX_CHARS && !memcmp(g.name, big, 2 * MAX_CHARS), "server holds all 2048 bytes");
    check_int(set_name_n(s, PROTO_IPSEC, &k, sizeof(k), big, MAX_CHARS + 1), WSAEINVAL, "IPSEC, 1025 characters");
    check_int(set_name_n(s, PROTO_DEFAULT, &k, sizeof(k), big, MAX_CHARS), 0, "DEFAULT, 1024 characters");
    check_int(set_name_n(s, PROTO_DEFAULT, &k, sizeof(k), big, MAX_CHARS + 1), WSAEINVAL, "DEFAULT, 1025 characters");
    check_int(set_name_n(s, PROTO_IPSEC2, &k, sizeof(k), big, MAX_CHARS), 0, "IPSEC2, 2048 bytes");
    check_int(set_name_n(s, PROTO_IPSEC2, &k, sizeof(k), big, MAX_CHARS + 1), WSAEINVAL, "IPSEC2, 2050 bytes");
    check_int(set_name_n(s, PROTO_IPSEC, &k, sizeof(k), big, 1), 0, "IPSEC, 1 character");
    check_int(set_name_n(s, PROTO_IPSEC2, &k, sizeof(k), big, 1), 0, "IPSEC2, 2 bytes");
    check_int(set_name_n(s, PROTO_IPSEC, &k, sizeof(k), big, 0), WSAEINVAL, "IPSEC, empty name");
    check_int(set_name_n(s, PROTO_DEFAULT, &k, sizeof(k), big, 0), WSAEINVAL, "DEFAULT, empty name");
    check_int(set_name_n(s, PROTO_IPSEC2, &k, sizeof(k), big, 0), WSAEINVAL, "IPSEC2, empty name");

    /* odd byte counts with IPSEC2, with room in the buffer for the next even size */
    p = make_ptn(PROTO_IPSEC2, &k, sizeof(k), big, 2, &size);
    p->PeerTargetNameStringLen = 3;
    ret = WSASetSocketPeerTargetName(s, p, size, NULL, NULL);
    check_int(ret ? WSAGetLastError() : 0, WSAEINVAL, "IPSEC2, 3 bytes");
    p->PeerTargetNameStringLen = 1;
    ret = WSASetSocketPeerTargetName(s, p, size, NULL, NULL);
    check_int(ret ? WSAGetLastError() : 0, WSAEINVAL, "IPSEC2, 1 byte");
    free(p);
    p = make_ptn(PROTO_IPSEC2, &k, sizeof(k), big, MAX_CHARS, &size);
    p->PeerTargetNameStringLen = 2 * MAX_CHARS - 1;
    ret = WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, p, size, NULL, 0, &bytes, NULL, NULL);
    check_int(ret ? WSAGetLastError() : 0, WSAEINVAL, "IPSEC2, 2047 bytes (WSAIoctl)");
    free(p);
    /* rule 7 comes before rule 8: too long is WSAEINVAL even in a short buffer */
    p = make_ptn(PROTO_IPSEC, &k, sizeof(k), big, 1, &size);
    p->PeerTargetNameStringLen = MAX_CHARS + 1;
    ret = WSASetSocketPeerTargetName(s, p, size, NULL, NULL);
    check_int(ret ? WSAGetLastError() : 0, WSAEINVAL, "1025 characters claimed, 1 given");
    p->PeerTargetNameStringLen = 2;
    ret = WSASetSocketPeerTargetName(s, p, size, NULL, NULL);
    check_int(ret ? WSAGetLastError() : 0, WSAEMSGSIZE, "2 characters claimed, 1 given");
    free(p);
    {
        WCHAR last[2] = { big[0], 0 };
        check_holds(s, &k, sizeof(k), PROTO_IPSEC2, last, "the last accepted name is still stored");
    }
    closesocket(s);
}

static void healthy(const char *when)
{
    SOCKET a = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), b = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKADDR_IN addr = v4(0);
    int len = sizeof(addr), r;
    char buf[16] = "";
    DWORD timeout = 5000;

    bind(b, (struct sockaddr *)&addr, sizeof(addr));
    getsockname(b, (struct sockaddr *)&addr, &len);
    setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, (char *)&timeout, sizeof(timeout));
    sendto(a, "ping", 5, 0, (struct sockaddr *)&addr, sizeof(addr));
    r = recv(b, buf, sizeof(buf), 0);
    report(r == 5 && !strcmp(buf, "ping"), "server healthy %s: a UDP datagram over loopback arrives (recv %d)", when, r);
    closesocket(a); closesocket(b);
}

static void test_server_bound(void)
{
    SOCKET s[FILL_SOCKETS], t;
    int i, n[FILL_SOCKETS], err[FILL_SOCKETS], round;
    SOCKADDR_IN k1 = v4(1);
    DWORD t0;
    char what[128];

    fill_name(big, MAX_CHARS, 7);
    for (round = 0; round < 2; round++)
    {
        printf("-- 64 MiB of names per server (round %d): %d sockets x %d names x %d characters\n",
               round + 1, FILL_SOCKETS, MAX_NAMES, MAX_CHARS);
        t0 = GetTickCount();
        for (i = 0; i < FILL_SOCKETS; i++)
        {
            s[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
            n[i] = fill(s[i], MAX_NAMES, MAX_CHARS, &err[i]);
        }
        printf("filled in %lu ms\n", GetTickCount() - t0);
        for (i = 0; i < FILL_SOCKETS - 1; i++)
        {
            snprintf(what, sizeof(what), "socket %d holds all its names (first error %d)", i + 1, err[i]);
            check_int(n[i], MAX_NAMES, what);
        }
        snprintf(what, sizeof(what), "socket %d: its fill stops with WSAENOBUFS (after %d names)",
                 FILL_SOCKETS, n[FILL_SOCKETS - 1]);
        check_int(err[FILL_SOCKETS - 1], WSAENOBUFS, what);
        check_true(n[FILL_SOCKETS - 1] < MAX_NAMES, "the 9th socket could not store all its names");
        {
            struct got g;
            get(s[0], &k1, sizeof(k1), &g);
            check_true(g.status == 0 && g.len == 2 * MAX_CHARS && g.name[0] == 'A' && !memcmp(g.name + 1, big + 1, 2 * MAX_CHARS - 2),
                       "the first socket's first name is intact");
        }
        healthy("when full");

        /* a deleted name gives its bytes back */
        check_int(del_name(s[0], &k1, sizeof(k1)), 0, "delete one 1024-character name");
        {
            SOCKADDR_IN k = v4((USHORT)(1 + n[FILL_SOCKETS - 1]));
            check_int(set_name_n(s[FILL_SOCKETS - 1], PROTO_IPSEC, &k, sizeof(k), big, MAX_CHARS), 0,
                      "the 9th socket stores one more name");
            k = v4((USHORT)(2 + n[FILL_SOCKETS - 1]));
            check_int(set_name_n(s[FILL_SOCKETS - 1], PROTO_IPSEC, &k, sizeof(k), big, MAX_CHARS), WSAENOBUFS,
                      "and then no more");
        }
        for (i = 0; i < FILL_SOCKETS; i++) closesocket(s[i]);

        t = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        check_int(set_name_n(t, PROTO_IPSEC, &k1, sizeof(k1), big, MAX_CHARS), 0, "after closing them: a new socket stores a name");
        closesocket(t);
        healthy("after closing");
    }
}

int main(void)
{
    startup();
    test_per_socket();
    test_length();
    test_server_bound();
    WSACleanup();
    return summary();
}
