/* Scenario: the errors and their order (SPEC "Errors, in the order they are
 * checked", "The raw ioctls", "Overlapped use").  Every case goes through the
 * fwpuclnt wrapper and through WSAIoctl with the SIO code; both must give the
 * same answer.  Inputs that break two rules must give the earlier rule's error. */
#include "ptn.h"

/* ---- one call, two ways ------------------------------------------------ */

static void try_set(SOCKET s, const void *buf, ULONG len, int expect, const char *what)
{
    DWORD bytes = 0xdead;
    int ret, err;

    WSASetLastError(0xbeef);
    ret = WSASetSocketPeerTargetName(s, buf, len, NULL, NULL);
    err = ret ? WSAGetLastError() : 0;
    if (ret != 0 && ret != SOCKET_ERROR) err = -2;
    if (err == expect) report(1, "set: %s -> %d", what, err);
    else report(0, "set: %s: expected %d, got %d (return %d)", what, expect, err, ret);

    WSASetLastError(0xbeef);
    ret = WSAIoctl(s, SIO_SET_PEER_TARGET_NAME, (void *)buf, len, NULL, 0, &bytes, NULL, NULL);
    err = ret ? WSAGetLastError() : 0;
    if (ret != 0 && ret != SOCKET_ERROR) err = -2;
    if (err == expect && (err || bytes == 0)) report(1, "SIO_SET: %s -> %d", what, err);
    else report(0, "SIO_SET: %s: expected %d, got %d (return %d, bytes %lu)", what, expect, err, ret, bytes);
}

static void try_del(SOCKET s, const void *addr, ULONG len, int expect, const char *what)
{
    DWORD bytes = 0xdead;
    int ret, err;

    WSASetLastError(0xbeef);
    ret = WSADeleteSocketPeerTargetName(s, addr, len, NULL, NULL);
    err = ret ? WSAGetLastError() : 0;
    if (ret != 0 && ret != SOCKET_ERROR) err = -2;
    if (err == expect) report(1, "delete: %s -> %d", what, err);
    else report(0, "delete: %s: expected %d, got %d (return %d)", what, expect, err, ret);

    WSASetLastError(0xbeef);
    ret = WSAIoctl(s, SIO_DELETE_PEER_TARGET_NAME, (void *)addr, len, NULL, 0, &bytes, NULL, NULL);
    err = ret ? WSAGetLastError() : 0;
    if (ret != 0 && ret != SOCKET_ERROR) err = -2;
    if (err == expect && (err || bytes == 0)) report(1, "SIO_DELETE: %s -> %d", what, err);
    else report(0, "SIO_DELETE: %s: expected %d, got %d (return %d, bytes %lu)", what, expect, err, ret, bytes);
}

/* A SOCKET_PEER_TARGET_NAME with room for 2000 characters. */
static union { SOCKET_PEER_TARGET_NAME p; unsigned char b[HDR + 4096]; } ptn;

static void *make(int proto, const void *addr, int addrlen, ULONG lenfield)
{
    int i;
    memset(&ptn, 0, sizeof(ptn));
    ptn.p.SecurityProtocol = proto;
    if (addr) memcpy(&ptn.p.PeerAddress, addr, addrlen);
    ptn.p.PeerTargetNameStringLen = lenfield;
    for (i = 0; i < 2000; i++) ((WCHAR *)(ptn.b + HDR))[i] = (WCHAR)('a' + i % 26);
    return &ptn;
}

/* ---- sockets ------------------------------------------------------------ */

static void test_not_socket(void)
{
    SOCKADDR_IN k = v4(1);
    HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL), rd, wr;
    HANDLE file = CreateFileA("Z:\\tmp\\ptn-not-a-socket", GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                              FILE_FLAG_DELETE_ON_CLOSE, NULL);
    SOCKET closed = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct { SOCKET s; const char *what; } h[6];
    int i;

    printf("-- 1. not a socket -> WSAENOTSOCK, or what Wine's other socket ioctls answer for a file;\n"
           "      a NULL pointer -> WSAEFAULT at once (SPEC: no round trip to tell them apart)\n");
    CreatePipe(&rd, &wr, NULL, 0);
    closesocket(closed);
    h[0].s = (SOCKET)ev; h[0].what = "an event handle";
    h[1].s = (SOCKET)file; h[1].what = "a file handle";
    h[2].s = (SOCKET)rd; h[2].what = "a pipe handle";
    h[3].s = closed; h[3].what = "a closed socket";
    h[4].s = INVALID_SOCKET; h[4].what = "INVALID_SOCKET";
    h[5].s = 0; h[5].what = "handle 0";
    for (i = 0; i < 6; i++)
    {
        ULONG nonblocking = 0;
        DWORD bytes;
        char what[160];
        int other;

        /* the answer of another socket ioctl that the server handles */
        other = WSAIoctl(h[i].s, FIONBIO, &nonblocking, sizeof(nonblocking), NULL, 0, &bytes, NULL, NULL) ? WSAGetLastError() : 0;
        snprintf(what, sizeof(what), "%s: FIONBIO answers %s", h[i].what, i < 1 || i > 2 ? "WSAENOTSOCK" : "WSAEOPNOTSUPP");
        check_int(other, i < 1 || i > 2 ? WSAENOTSOCK : WSAEOPNOTSUPP, what);
        make(PROTO_IPSEC, &k, sizeof(k), 3);
        snprintf(what, sizeof(what), "%s (as FIONBIO)", h[i].what);
        try_set(h[i].s, &ptn, HDR + 6, other, what);
        snprintf(what, sizeof(what), "%s, NULL name", h[i].what);
        try_set(h[i].s, NULL, HDR + 6, WSAEFAULT, what);
        snprintf(what, sizeof(what), "%s (as FIONBIO)", h[i].what);
        try_del(h[i].s, &k, sizeof(k), other, what);
        snprintf(what, sizeof(what), "%s, NULL address", h[i].what);
        try_del(h[i].s, NULL, sizeof(k), WSAEFAULT, what);
    }
    CloseHandle(ev); CloseHandle(file); CloseHandle(rd); CloseHandle(wr);
}

static void test_set_order(void)
{
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), u6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), other;
    SOCKADDR_IN k = v4(1), zero = v4(0), k6as4;
    SOCKADDR_IN6 k6 = v6(1, 0), zero6 = v6(0, 5);
    SOCKADDR_STORAGE fam;
    static const ULONG bad_protos[] = { 3, 4, 0x7fffffff, 0x80000000, 0xffffffff };
    static const ULONG bad_lens[] = { 0, 1025, 0x7fffffff, 0x80000000, 0xffffffff };
    char what[128];
    int i;

    zero.sin_addr.s_addr = 0;
    memset(zero.sin_zero, 0x77, sizeof(zero.sin_zero));
    memset(&zero6.sin6_addr, 0, 16);

    printf("-- 2. NULL name -> WSAEFAULT\n");
    try_set(u, NULL, HDR + 6, WSAEFAULT, "UDP, NULL name");
    try_set(u, NULL, 0, WSAEFAULT, "UDP, NULL name, length 0");
    try_set(t, NULL, 0, WSAEFAULT, "TCP, NULL name, length 0");

    printf("-- 3. socket family or type -> WSAEINVAL\n");
    {
        static const struct { int family, type, proto; const char *what; } kinds[] =
        {
            { AF_INET, SOCK_RAW, IPPROTO_ICMP, "AF_INET raw (ICMP) socket" },
            { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "AF_INET6 raw (ICMPv6) socket" },
            { AF_UNIX, SOCK_STREAM, 0, "AF_UNIX stream socket" },
        };
        int j, tested = 0;
        for (j = 0; j < 3; j++)
        {
            other = socket(kinds[j].family, kinds[j].type, kinds[j].proto);
            if (other == INVALID_SOCKET)
            {
                printf("(no %s: error %d; not checked)\n", kinds[j].what, WSAGetLastError());
                continue;
            }
            tested++;
            snprintf(what, sizeof(what), "%s", kinds[j].what);
            try_set(other, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, WSAEINVAL, what);
            snprintf(what, sizeof(what), "%s, length 0 (3 before 5)", kinds[j].what);
            try_set(other, make(7, NULL, 0, 0), 0, WSAEINVAL, what);
            snprintf(what, sizeof(what), "%s, NULL name (2 before 3)", kinds[j].what);
            try_set(other, NULL, 0, WSAEFAULT, what);
            snprintf(what, sizeof(what), "%s", kinds[j].what);
            try_del(other, &k, sizeof(k), WSAEINVAL, what);
            snprintf(what, sizeof(what), "%s, length 0 (3 before 4)", kinds[j].what);
            try_del(other, &k, 0, WSAEINVAL, what);
            snprintf(what, sizeof(what), "%s, NULL address (2 before 3)", kinds[j].what);
            try_del(other, NULL, 0, WSAEFAULT, what);
            closesocket(other);
        }
        check_true(tested > 0, "rule 3 was checked on at least one kind of socket");
    }

    printf("-- 5. length below the header -> WSAEMSGSIZE\n");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), 0, WSAEMSGSIZE, "length 0");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR - 1, WSAEMSGSIZE, "length 139");
    try_set(u, make(7, &k, sizeof(k), 0), HDR - 1, WSAEMSGSIZE, "length 139, protocol 7, empty name (5 before 6)");
    try_set(t, make(7, NULL, 0, 0), 8, WSAEMSGSIZE, "TCP, length 8, protocol 7");

    printf("-- 6. protocol >= SOCKET_SECURITY_PROTOCOL_INVALID -> WSAEINVAL\n");
    for (i = 0; i < 5; i++)
    {
        snprintf(what, sizeof(what), "protocol %#lx", bad_protos[i]);
        try_set(u, make(bad_protos[i], &k, sizeof(k), 3), HDR + 6, WSAEINVAL, what);
        snprintf(what, sizeof(what), "protocol %#lx, 500 characters claimed in a header-only buffer (6 before 8)", bad_protos[i]);
        try_set(u, make(bad_protos[i], &k, sizeof(k), 500), HDR, WSAEINVAL, what);
    }

    printf("-- 7. empty, too long or odd name -> WSAEINVAL (before 8, 9, 10)\n");
    for (i = 0; i < 5; i++)
    {
        snprintf(what, sizeof(what), "IPSEC, length field %#lx, header-only buffer", bad_lens[i]);
        try_set(u, make(PROTO_IPSEC, &k, sizeof(k), bad_lens[i]), HDR, WSAEINVAL, what);
        snprintf(what, sizeof(what), "DEFAULT, length field %#lx, full buffer", bad_lens[i]);
        try_set(u, make(PROTO_DEFAULT, &k, sizeof(k), bad_lens[i]), sizeof(ptn), WSAEINVAL, what);
        snprintf(what, sizeof(what), "IPSEC2, length field %#lx", bad_lens[i] == 1025 ? 2050 : bad_lens[i]);
        try_set(u, make(PROTO_IPSEC2, &k, sizeof(k), bad_lens[i] == 1025 ? 2050 : bad_lens[i]), sizeof(ptn), WSAEINVAL, what);
    }
    try_set(u, make(PROTO_IPSEC2, &k, sizeof(k), 0xfffffffe), sizeof(ptn), WSAEINVAL, "IPSEC2, length field 0xfffffffe");
    try_set(u, make(PROTO_IPSEC2, &k, sizeof(k), 5), sizeof(ptn), WSAEINVAL, "IPSEC2, 5 bytes (odd)");
    try_set(u, make(PROTO_IPSEC2, &zero, sizeof(zero), 5), HDR, WSAEINVAL, "IPSEC2, 5 bytes, short buffer, zero key");
    memset(&fam, 0, sizeof(fam)); fam.ss_family = 99;
    try_set(u, make(PROTO_IPSEC, &fam, sizeof(fam), 0), sizeof(ptn), WSAEINVAL, "empty name, family 99 (7 before 9)");

    printf("-- 8. name larger than the buffer -> WSAEMSGSIZE\n");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 5, WSAEMSGSIZE, "3 characters in HDR + 5 bytes");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 4, WSAEMSGSIZE, "3 characters in HDR + 4 bytes");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 1), HDR, WSAEMSGSIZE, "1 character in HDR bytes");
    try_set(u, make(PROTO_IPSEC2, &k, sizeof(k), 6), HDR + 5, WSAEMSGSIZE, "IPSEC2 6 bytes in HDR + 5 bytes");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 1024), HDR + 2047, WSAEMSGSIZE, "1024 characters in HDR + 2047 bytes");
    try_set(u, make(PROTO_IPSEC, &k6, sizeof(k6), 3), HDR + 4, WSAEMSGSIZE, "wrong family, short buffer (8 before 9)");
    try_set(u, make(PROTO_IPSEC, &zero, sizeof(zero), 3), HDR + 4, WSAEMSGSIZE, "zero key, short buffer (8 before 10)");
    try_set(t, make(PROTO_IPSEC, NULL, 0, 3), HDR + 4, WSAEMSGSIZE, "TCP, 3 characters in HDR + 4 bytes");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, 0, "3 characters in HDR + 6 bytes");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), sizeof(ptn), 0, "3 characters in a larger buffer");

    printf("-- 9. datagram key family is not the socket's -> WSAEAFNOSUPPORT\n");
    try_set(u, make(PROTO_IPSEC, &k6, sizeof(k6), 3), HDR + 6, WSAEAFNOSUPPORT, "AF_INET6 key, AF_INET socket");
    k6as4 = k; k6as4.sin_family = AF_INET6;
    try_set(u, make(PROTO_IPSEC, &k6as4, sizeof(k6as4), 3), HDR + 6, WSAEAFNOSUPPORT, "AF_INET6 family with an IPv4 body");
    try_set(u6, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, WSAEAFNOSUPPORT, "AF_INET key, AF_INET6 socket");
    memset(&fam, 0, sizeof(fam));
    try_set(u, make(PROTO_IPSEC, &fam, sizeof(fam), 3), HDR + 6, WSAEAFNOSUPPORT, "all-zero key (family 0) (9 before 10)");
    fam.ss_family = 99;
    try_set(u, make(PROTO_IPSEC, &fam, sizeof(fam), 3), HDR + 6, WSAEAFNOSUPPORT, "family 99");
    fam.ss_family = AF_UNIX;
    try_set(u6, make(PROTO_IPSEC, &fam, sizeof(fam), 3), HDR + 6, WSAEAFNOSUPPORT, "AF_UNIX key, AF_INET6 socket");
    memset(&fam, 0x5a, sizeof(fam)); fam.ss_family = 99;
    try_set(t, make(PROTO_IPSEC, &fam, sizeof(fam), 3), HDR + 6, 0, "TCP ignores a family-99 PeerAddress");

    printf("-- 10. datagram key with address and port zero -> WSAEINVAL\n");
    try_set(u, make(PROTO_IPSEC, &zero, sizeof(zero), 3), HDR + 6, WSAEINVAL, "0.0.0.0:0 (sin_zero garbage)");
    try_set(u6, make(PROTO_IPSEC, &zero6, sizeof(zero6), 3), HDR + 6, WSAEINVAL, "[::%5]:0");
    try_set(t, make(PROTO_IPSEC, &zero, sizeof(zero), 3), HDR + 6, 0, "TCP ignores a zero PeerAddress");
    try_set(u6, make(PROTO_IPSEC, &k6, sizeof(k6), 3), HDR + 6, 0, "[::1]:1 on an AF_INET6 socket");

    printf("-- SIO codes: the output buffer is ignored\n");
    {
        unsigned char outbuf[64];
        DWORD bytes = 0xdead;
        int ret;
        memset(outbuf, 0xcc, sizeof(outbuf));
        ret = WSAIoctl(u, SIO_SET_PEER_TARGET_NAME, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, outbuf,
                       sizeof(outbuf), &bytes, NULL, NULL);
        check_true(ret == 0 && bytes == 0 && outbuf[0] == 0xcc && outbuf[63] == 0xcc,
                   "SIO_SET_PEER_TARGET_NAME with a 64-byte output buffer: 0, 0 bytes, buffer untouched");
        bytes = 0xdead;
        ret = WSAIoctl(u, SIO_DELETE_PEER_TARGET_NAME, &k, sizeof(k), outbuf, sizeof(outbuf), &bytes, NULL, NULL);
        check_true(ret == 0 && bytes == 0 && outbuf[0] == 0xcc && outbuf[63] == 0xcc,
                   "SIO_DELETE_PEER_TARGET_NAME with a 64-byte output buffer: 0, 0 bytes, buffer untouched");
    }
    closesocket(u); closesocket(u6); closesocket(t);
}

static void test_connected(void)
{
    SOCKADDR_IN laddr, k = v4(1), unspec;
    SOCKET l = tcp_listener(&laddr), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), a, u, r;
    int ret;

    printf("-- 4. connected socket -> WSAEISCONN (before 5..11); delete allowed\n");
    connect(c, (struct sockaddr *)&laddr, sizeof(laddr));
    a = accept(l, NULL, NULL);
    try_set(c, make(PROTO_IPSEC, NULL, 0, 3), HDR + 6, WSAEISCONN, "connected TCP socket");
    try_set(a, make(PROTO_IPSEC, NULL, 0, 3), HDR + 6, WSAEISCONN, "accepted TCP socket");
    try_set(c, make(7, NULL, 0, 0), 0, WSAEISCONN, "connected TCP socket, length 0, protocol 7 (4 before 5)");
    try_set(c, NULL, 0, WSAEFAULT, "connected TCP socket, NULL name (2 before 4)");
    try_del(c, &k, sizeof(k), 0, "connected TCP socket");
    try_del(a, &k, sizeof(k), 0, "accepted TCP socket");
    try_set(l, make(PROTO_IPSEC, NULL, 0, 3), HDR + 6, 0, "listening TCP socket");

    u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, 0, "UDP socket before connect");
    ret = connect(u, (struct sockaddr *)&laddr, sizeof(laddr));
    check_int(ret, 0, "UDP connect() to a loopback address");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, WSAEISCONN, "UDP socket with a default peer");
    try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), 4, WSAEISCONN, "UDP socket with a default peer, length 4 (4 before 5)");
    try_del(u, &k, sizeof(k), 0, "UDP socket with a default peer");
    check_absent(u, &k, sizeof(k), "the key deleted on the connected UDP socket");
    memset(&unspec, 0, sizeof(unspec)); unspec.sin_family = AF_UNSPEC;
    ret = connect(u, (struct sockaddr *)&unspec, sizeof(unspec));
    printf("UDP connect(AF_UNSPEC) (dissolves the default peer): %d (error %d)\n", ret, ret ? WSAGetLastError() : 0);
    if (!ret) try_set(u, make(PROTO_IPSEC, &k, sizeof(k), 3), HDR + 6, 0, "UDP socket after connect(AF_UNSPEC) has no default peer");

    /* a TCP connect that is refused leaves the socket unconnected */
    r = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    closesocket(l);
    ret = connect(r, (struct sockaddr *)&laddr, sizeof(laddr));
    if (ret && WSAGetLastError() == WSAECONNREFUSED)
        try_set(r, make(PROTO_IPSEC, NULL, 0, 3), HDR + 6, 0, "TCP socket whose connect was refused");
    else printf("(connect to a closed port: %d, error %d; not checked)\n", ret, WSAGetLastError());
    closesocket(r); closesocket(u); closesocket(a); closesocket(c);
}

static void test_delete_order(void)
{
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), u6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    SOCKET t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_IN k = v4(1), zero = v4(0);
    SOCKADDR_IN6 k6 = v6(1, 0);
    SOCKADDR_STORAGE fam;

    zero.sin_addr.s_addr = 0;
    printf("-- delete: 2. NULL address -> WSAEFAULT\n");
    try_del(u, NULL, sizeof(k), WSAEFAULT, "UDP, NULL address");
    try_del(t, NULL, 0, WSAEFAULT, "TCP, NULL address, length 0");
    printf("-- delete: 4. short address -> WSAEMSGSIZE\n");
    try_del(u, &k, 0, WSAEMSGSIZE, "length 0");
    try_del(u, &k, 1, WSAEMSGSIZE, "length 1");
    try_del(t, &k, 1, WSAEMSGSIZE, "TCP, length 1");
    try_del(u, &k, sizeof(k) - 1, WSAEMSGSIZE, "AF_INET, length 15");
    try_del(u6, &k6, sizeof(k6) - 1, WSAEMSGSIZE, "AF_INET6, length 27");
    try_del(u6, &k6, sizeof(k), WSAEMSGSIZE, "AF_INET6, length 16");
    try_del(u, &k6, 16, WSAEMSGSIZE, "AF_INET6 key of 16 bytes on an AF_INET socket (4 before 5)");
    try_del(t, &k, sizeof(k) - 1, WSAEMSGSIZE, "TCP, AF_INET, length 15");
    printf("-- delete: 5. address family -> WSAEAFNOSUPPORT\n");
    memset(&fam, 0, sizeof(fam)); fam.ss_family = 99;
    try_del(u, &fam, 2, WSAEAFNOSUPPORT, "family 99, length 2");
    try_del(t, &fam, sizeof(fam), WSAEAFNOSUPPORT, "TCP, family 99");
    fam.ss_family = AF_UNSPEC;
    try_del(u, &fam, sizeof(fam), WSAEAFNOSUPPORT, "family 0");
    try_del(u, &k6, sizeof(k6), WSAEAFNOSUPPORT, "AF_INET6 key on an AF_INET socket");
    try_del(u6, &k, sizeof(k), WSAEAFNOSUPPORT, "AF_INET key on an AF_INET6 socket");
    printf("-- delete: success\n");
    try_del(t, &k6, sizeof(k6), 0, "TCP (AF_INET) given an AF_INET6 address");
    try_del(u, &k, sizeof(k), 0, "a key that holds nothing");
    try_del(u, &zero, sizeof(zero), 0, "0.0.0.0:0");
    try_del(u, &k, sizeof(SOCKADDR_STORAGE), 0, "AF_INET key in a 128-byte buffer");
    closesocket(u); closesocket(u6); closesocket(t);
}

/* ---- overlapped use ----------------------------------------------------- */

static int apc_calls;
static DWORD apc_error, apc_bytes;
static WSAOVERLAPPED *apc_ov;

static void CALLBACK completion(DWORD error, DWORD bytes, WSAOVERLAPPED *ov, DWORD flags)
{
    apc_calls++;
    apc_error = error;
    apc_bytes = bytes;
    apc_ov = ov;
}

/* Sets (what == 0) or deletes (what == 1) through the wrapper (way 0) or WSAIoctl (way 1). */
static int call(int what, int way, SOCKET s, const void *buf, ULONG len, WSAOVERLAPPED *ov,
                LPWSAOVERLAPPED_COMPLETION_ROUTINE cr)
{
    DWORD bytes = 0xdead;
    int ret;
    if (way == 0)
        ret = what == 0 ? WSASetSocketPeerTargetName(s, buf, len, ov, cr)
                        : WSADeleteSocketPeerTargetName(s, buf, len, ov, cr);
    else
        ret = WSAIoctl(s, what == 0 ? SIO_SET_PEER_TARGET_NAME : SIO_DELETE_PEER_TARGET_NAME, (void *)buf, len,
                       NULL, 0, &bytes, ov, cr);
    return ret == 0 ? 0 : ret == SOCKET_ERROR ? WSAGetLastError() : -2;
}

static void test_overlapped(void)
{
    SOCKET ov_sock = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SOCKET plain = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, 0);
    SOCKADDR_IN k = v4(1);
    static const char *what_names[] = { "set", "delete" }, *way_names[] = { "wrapper", "WSAIoctl" };
    WSAOVERLAPPED ov;
    int what, way, err;
    char msg[160];

    for (what = 0; what < 2; what++)
        for (way = 0; way < 2; way++)
        {
            const void *buf = what == 0 ? make(PROTO_IPSEC, &k, sizeof(k), 3) : (void *)&k;
            ULONG len = what == 0 ? HDR + 6 : sizeof(k);
            const char *w = what_names[what], *y = way_names[way];

            printf("-- overlapped %s (%s)\n", w, y);
            memset(&ov, 0, sizeof(ov));
            ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
            ov.Internal = 0xdead; ov.InternalHigh = 0xdead;
            err = call(what, way, ov_sock, buf, len, &ov, NULL);
            snprintf(msg, sizeof(msg), "%s (%s), overlapped socket, event: returns 0", w, y); check_int(err, 0, msg);
            snprintf(msg, sizeof(msg), "%s (%s): Internal", w, y); check_status(ov.Internal, 0, msg);
            snprintf(msg, sizeof(msg), "%s (%s): InternalHigh", w, y); check_int(ov.InternalHigh, 0, msg);
            snprintf(msg, sizeof(msg), "%s (%s): event signalled", w, y);
            check_int(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0, msg);

            ResetEvent(ov.hEvent);
            apc_calls = 0; apc_error = apc_bytes = 0xdead; apc_ov = NULL;
            err = call(what, way, ov_sock, buf, len, &ov, completion);
            snprintf(msg, sizeof(msg), "%s (%s), completion routine: returns 0", w, y); check_int(err, 0, msg);
            snprintf(msg, sizeof(msg), "%s (%s): routine not run before an alertable wait", w, y); check_int(apc_calls, 0, msg);
            SleepEx(0, TRUE);
            snprintf(msg, sizeof(msg), "%s (%s): routine ran once at the alertable wait", w, y); check_int(apc_calls, 1, msg);
            snprintf(msg, sizeof(msg), "%s (%s): routine error 0, 0 bytes, our overlapped", w, y);
            check_true(apc_error == 0 && apc_bytes == 0 && apc_ov == &ov, msg);

            ResetEvent(ov.hEvent);
            ov.Internal = 0xdead; ov.InternalHigh = 0xdead;
            apc_calls = 0;
            err = call(what, way, plain, buf, len, &ov, completion);
            /* Not asserted: whether a non-overlapped socket ignores the
             * parameters.  The series handles them as every other socket
             * ioctl in Wine does (a separate change would fix all of them). */
            snprintf(msg, sizeof(msg), "%s (%s), non-overlapped socket: returns 0", w, y); check_int(err, 0, msg);
            SleepEx(0, TRUE);

            ResetEvent(ov.hEvent);
            apc_calls = 0;
            err = call(what, way, ov_sock, buf, 1, &ov, completion);
            snprintf(msg, sizeof(msg), "%s (%s), overlapped, invalid length: WSAEMSGSIZE directly", w, y);
            check_int(err, WSAEMSGSIZE, msg);
            SleepEx(0, TRUE);
            snprintf(msg, sizeof(msg), "%s (%s), failed call completes nothing (no event, no routine)", w, y);
            check_true(WaitForSingleObject(ov.hEvent, 0) == WAIT_TIMEOUT && apc_calls == 0, msg);
            CloseHandle(ov.hEvent);
        }
    closesocket(ov_sock); closesocket(plain);
}

int main(void)
{
    startup();
    test_not_socket();
    test_set_order();
    test_connected();
    test_delete_order();
    test_overlapped();
    WSACleanup();
    return summary();
}
