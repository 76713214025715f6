/* Scenario: limits (SPEC "Name length", error 7 and error 11).
 * - 4096 names per datagram socket: the 4097th new key fails with
 *   WSAENOBUFS; replacing an existing key still works when full;
 * - 1 to 1024 characters (IPSEC2: 2 to 2048 bytes, even);
 * - the server holds at most 64 MiB of names, counting what each entry
 *   costs (its structure plus the name's bytes): 1024-character names fill
 *   it before 32768 of them (the names' bytes alone would allow exactly
 *   32768) and after at least 64 MiB / (2048 + 128); then 1-character names
 *   take what is left.  A replacement that grows an entry is charged its
 *   growth: refused with WSAENOBUFS when it does not fit, changing nothing;
 *   a shrinking replacement always works and gives room back; after closing
 *   the sockets the server accepts names again and stays healthy. */
#include "ptn.h"

#define FILL_SOCKETS 12
#define SERVER_BYTES (64 * 1024 * 1024)

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

/* Fills sockets s[from..] with names of nchars characters until the server
 * refuses one; returns the number stored, the refusing error in *err. */
static int fill_server(SOCKET *s, int from, ULONG nchars, int *err)
{
    int i, total = 0;
    *err = 0;
    for (i = from; i < FILL_SOCKETS && !*err; i++)
    {
        s[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        total += fill(s[i], MAX_NAMES, nchars, err);
    }
    return total;
}

static void test_server_bound(void)
{
    SOCKET s[FILL_SOCKETS], t, u;
    SOCKADDR_IN k1 = v4(1), kx = v4(60000);
    int i, round, big_n, small_n, err;
    struct got g;
    DWORD t0;
    char what[160];

    for (round = 0; round < 2; round++)
    {
        for (i = 0; i < FILL_SOCKETS; i++) s[i] = INVALID_SOCKET;
        printf("-- 64 MiB of names per server (round %d)\n", round + 1);
        t0 = GetTickCount();
        /* one small entry to grow later, on a socket of its own */
        t = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        check_int(set_name(t, PROTO_IPSEC, &kx, sizeof(kx), L"x"), 0, "a 1-character name to grow later");

        fill_name(big, MAX_CHARS, 7);
        big_n = fill_server(s, 0, MAX_CHARS, &err);
        printf("filled %d names of %d characters in %lu ms\n", big_n, MAX_CHARS, GetTickCount() - t0);
        check_int(err, WSAENOBUFS, "filling with 1024-character names ends with WSAENOBUFS");
        snprintf(what, sizeof(what), "the bound counts each entry's structure: %d names of 2048 bytes < %d", big_n,
                 SERVER_BYTES / (2 * MAX_CHARS));
        check_true(big_n < SERVER_BYTES / (2 * MAX_CHARS), what);
        snprintf(what, sizeof(what), "at most 128 bytes counted beyond each name: %d names >= %d", big_n,
                 SERVER_BYTES / (2 * MAX_CHARS + 128) - 1);
        check_true(big_n >= SERVER_BYTES / (2 * MAX_CHARS + 128) - 1, what);

        /* what is left takes only small names; fill it with 1-character names */
        u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        small_n = fill(u, MAX_NAMES, 1, &err);
        printf("then %d names of 1 character\n", small_n);
        check_int(err, WSAENOBUFS, "then 1-character names fill what is left, ending with WSAENOBUFS");
        check_true(small_n < 64, "fewer than 64 of them fit (the room left was less than one 1024-character entry)");
        closesocket(u);
        u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        check_int(fill(u, MAX_NAMES, 1, &err), small_n, "closing a socket gives its room back: as many fit again");

        /* growing the small entry by 2046 bytes does not fit: refused, nothing changed */
        fill_name(big, MAX_CHARS, 9);
        check_int(set_name_n(t, PROTO_IPSEC2, &kx, sizeof(kx), big, MAX_CHARS), WSAENOBUFS,
                  "a replacement that grows an entry past the bound");
        get(t, &kx, sizeof(kx), &g);
        check_true(g.status == 0 && g.proto == PROTO_IPSEC && g.len == 2 && g.name[0] == 'x',
                   "the refused replacement changed nothing (protocol, name)");
        check_int(set_name(t, PROTO_IPSEC, &kx, sizeof(kx), L"y"), 0, "a replacement of the same size works when full");

        /* shrinking a 1024-character entry to 1 character gives 2046 bytes back */
        check_int(set_name(s[0], PROTO_IPSEC, &k1, sizeof(k1), L"z"), 0, "a shrinking replacement works when full");
        get(s[0], &k1, sizeof(k1), &g);
        check_true(g.status == 0 && g.len == 2 && g.name[0] == 'z', "and holds the short name");
        check_int(set_name_n(t, PROTO_IPSEC, &kx, sizeof(kx), big, MAX_CHARS), 0,
                  "then the small entry grows into the room given back");
        get(t, &kx, sizeof(kx), &g);
        check_true(g.status == 0 && g.len == 2 * MAX_CHARS && !memcmp(g.name, big, 2 * MAX_CHARS), "and holds the long name");
        check_int(set_name(s[1], PROTO_IPSEC, &k1, sizeof(k1), L"short"), 0,
                  "replacing another 1024-character name by a short one works");
        healthy("when full");

        for (i = 0; i < FILL_SOCKETS; i++) if (s[i] != INVALID_SOCKET) closesocket(s[i]);
        closesocket(t);
        closesocket(u);

        t = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        fill_name(big, MAX_CHARS, 7);
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
