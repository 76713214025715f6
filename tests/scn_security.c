/* Scenario: the rest of the secure-socket family (SPEC "The rest of the
 * family"): WSASetSocketSecurity / SIO_SET_SECURITY, WSAQuerySocketSecurity /
 * SIO_QUERY_SECURITY, WSAImpersonateSocketPeer, WSARevertImpersonation.
 * Every rule in its order (IPSEC below 84 bytes read as the 8-byte
 * structure, credential lengths in bytes; a success makes the socket
 * SO_EXCLUSIVEADDRUSE), the Wine choices (refusing what demands IPsec,
 * nothing reported as secured, impersonation always WSAEOPNOTSUPP, accepted
 * sockets start without settings), settings shared by processes
 * (inheritance and DuplicateHandle), the SDK client flow, a server that
 * applies IPSEC + ALLOW_INSECURE before it listens, overlapped use.
 * Run as "child MODE PID HANDLE" it is the other process. */
#include "ptn.h"
#include "token.h"

/* mingw-w64 lacks the IPSEC2 structures: the SDK layout (SPEC: 152 and 64 bytes) */
typedef struct
{
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    SOCKADDR_STORAGE PeerAddress;
    ULONG PeerTokenAccessMask;
    ULONG Flags;
    ULONG FieldMask;
} TEMPLATE_IPSEC2;
typedef struct
{
    SOCKET_SECURITY_PROTOCOL SecurityProtocol;
    ULONG Flags;
    UINT64 PeerApplicationAccessTokenHandle;
    UINT64 PeerMachineAccessTokenHandle;
    UINT64 MmSaId;
    UINT64 QmSaId;
    UINT32 NegotiationWinerr;
    GUID SaLookupContext;
} INFO_IPSEC2;
_Static_assert(sizeof(TEMPLATE_IPSEC2) == 152, "layout");
_Static_assert(sizeof(INFO_IPSEC2) == 64, "layout");
_Static_assert(sizeof(SOCKET_SECURITY_QUERY_TEMPLATE) == 144, "layout");
_Static_assert(sizeof(SOCKET_SECURITY_QUERY_INFO) == 24, "layout");
_Static_assert(offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings) == 84, "layout");

#define ALLOW   SOCKET_SETTINGS_ALLOW_INSECURE
#define GUARANT SOCKET_SETTINGS_GUARANTEE_ENCRYPTION
#define IPSEC_HDR 84

static union
{
    SOCKET_SECURITY_SETTINGS_IPSEC ipsec;
    char bytes[IPSEC_HDR + 256];
} settings_buf;

static SOCKET_SECURITY_SETTINGS *settings(ULONG proto, ULONG flags)
{
    memset(&settings_buf, 0, sizeof(settings_buf));
    settings_buf.ipsec.SecurityProtocol = proto;
    settings_buf.ipsec.SecurityFlags = flags;
    return (SOCKET_SECURITY_SETTINGS *)&settings_buf;
}

/* WSASetSocketSecurity and SIO_SET_SECURITY must agree; returns the error (0 on success). */
static int set_sec(SOCKET s, const void *st, ULONG len)
{
    DWORD bytes = 0xdeadbeef;
    int a, b;

    WSASetLastError(0xdead);
    a = WSASetSocketSecurity(s, st, len, NULL, NULL) ? WSAGetLastError() : 0;
    if (!a) return 0;  /* applied: the SIO code would now answer "already applied" */
    WSASetLastError(0xdead);
    b = WSAIoctl(s, SIO_SET_SECURITY, (void *)st, len, NULL, 0, &bytes, NULL, NULL) ? WSAGetLastError() : 0;
    if (a != b) report(0, "WSASetSocketSecurity answers %d, SIO_SET_SECURITY %d", a, b);
    return a;
}

/* The first of the two ways only, for a call that may succeed. */
static int set_sec_sio(SOCKET s, const void *st, ULONG len, DWORD *bytes)
{
    *bytes = 0xdeadbeef;
    return WSAIoctl(s, SIO_SET_SECURITY, (void *)st, len, NULL, 0, bytes, NULL, NULL) ? WSAGetLastError() : 0;
}

struct query
{
    int err;
    ULONG len;
    union { INFO_IPSEC2 i2; SOCKET_SECURITY_QUERY_INFO i; char b[128]; } info;
};

/* WSAQuerySocketSecurity, then SIO_QUERY_SECURITY with the same arguments; both must agree. */
static void query(SOCKET s, const void *tmpl, ULONG tmpllen, int with_info, ULONG infolen, struct query *q)
{
    struct query q2;
    DWORD bytes;

    memset(q, 0xcc, sizeof(*q));
    q->len = infolen;
    WSASetLastError(0xdead);
    q->err = WSAQuerySocketSecurity(s, tmpl, tmpllen, with_info ? &q->info.i : NULL, &q->len, NULL, NULL)
             ? WSAGetLastError() : 0;
    memset(&q2, 0xcc, sizeof(q2));
    bytes = infolen;   /* as the wrapper's infolen: both change only when the call sets them */
    WSASetLastError(0xdead);
    q2.err = WSAIoctl(s, SIO_QUERY_SECURITY, (void *)tmpl, tmpllen, with_info ? &q2.info : NULL, infolen, &bytes, NULL, NULL)
             ? WSAGetLastError() : 0;
    if (q2.err != q->err || ((q->err == 0 || q->err == WSAEFAULT || q->err == WSAEMSGSIZE) && bytes != q->len))
        report(0, "WSAQuerySocketSecurity (%d, %lu) and SIO_QUERY_SECURITY (%d, %lu) disagree",
               q->err, (unsigned long)q->len, q2.err, (unsigned long)bytes);
}

/* Applied protocol as the query sees it on a stream socket, or -error. */
static int applied(SOCKET s)
{
    struct query q;
    query(s, NULL, 0, 1, sizeof(SOCKET_SECURITY_QUERY_INFO), &q);
    return q.err ? -q.err : (int)q.info.i.SecurityProtocol;
}

static int no_thread_token(void)
{
    LUID id;
    return thread_token(&id) == 0;
}

static SOCKET tcp(void) { return socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); }
static SOCKET udp(void) { return socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP); }

static void tcp_pair(SOCKET *client, SOCKET *server)
{
    SOCKADDR_IN a;
    SOCKET l = tcp_listener(&a);
    *client = tcp();
    connect(*client, (struct sockaddr *)&a, sizeof(a));
    *server = accept(l, NULL, NULL);
    closesocket(l);
}

/* ---- child: the other process ------------------------------------------- */

static int child(int argc, char **argv)
{
    SOCKET s;
    const char *mode = argv[2];

    startup();
    if (!strcmp(mode, "inherit")) s = (SOCKET)_strtoui64(argv[4], NULL, 0);
    else
    {
        HANDLE parent = OpenProcess(PROCESS_DUP_HANDLE, FALSE, strtoul(argv[3], NULL, 0)), h = NULL;
        DuplicateHandle(parent, (HANDLE)(ULONG_PTR)_strtoui64(argv[4], NULL, 0), GetCurrentProcess(), &h, 0, FALSE,
                        DUPLICATE_SAME_ACCESS);
        CloseHandle(parent);
        s = (SOCKET)h;
    }
    if (!strcmp(argv[5], "sees-ipsec2"))
    {
        check_int(applied(s), PROTO_IPSEC2, "child: the query sees the protocol the parent applied");
        check_int(exclusive_server((HANDLE)s), 1, "child: the socket object is SO_EXCLUSIVEADDRUSE");
        check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL,
                  "child: applying settings again -> WSAEINVAL (once per socket, any process)");
    }
    else if (!strcmp(argv[5], "apply-ipsec"))
    {
        check_int(applied(s), PROTO_DEFAULT, "child: nothing applied yet");
        check_int(exclusive_server((HANDLE)s), 0, "child: the socket object is not SO_EXCLUSIVEADDRUSE yet");
        check_int(set_sec(s, settings(PROTO_IPSEC, ALLOW), IPSEC_HDR), 0, "child: applies IPSEC settings first");
        check_int(exclusive_server((HANDLE)s), 1, "child: now it is");
    }
    return summary();
}

static void run_child(const char *mode, SOCKET s, const char *what)
{
    char exe[MAX_PATH], cmd[2 * MAX_PATH];
    STARTUPINFOA si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    DWORD code = 99;

    GetModuleFileNameA(NULL, exe, sizeof(exe));
    snprintf(cmd, sizeof(cmd), "\"%s\" child %s %lu 0x%llx %s", exe, !strcmp(mode, "inherit") ? "inherit" : "duplicate",
             GetCurrentProcessId(), (unsigned long long)s, what);
    if (!CreateProcessA(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
    {
        report(0, "start the child (%s): error %lu", mode, GetLastError());
        return;
    }
    if (WaitForSingleObject(pi.hProcess, 60000)) { TerminateProcess(pi.hProcess, 9); report(0, "child (%s) timed out", mode); }
    GetExitCodeProcess(pi.hProcess, &code);
    {
        char msg[128];
        snprintf(msg, sizeof(msg), "child (%s, %s) passed its checks (exit code)", mode, what);
        check_int(code, 0, msg);
    }
    CloseHandle(pi.hProcess); CloseHandle(pi.hThread);
}

/* ---- WSASetSocketSecurity -------------------------------------------------- */

static void test_set_order(void)
{
    static const ULONG bad_protos[] = { 3, 4, 0x7fffffff, 0x80000000, 0xffffffff };
    static const ULONG bad_flags[] = { 4, 8, 0x80000000, 0xffffffff };
    SOCKET closed = tcp(), s, c, a, raw;
    SOCKADDR_IN addr = v4(0);
    DWORD bytes;
    char what[160];
    int i;

    printf("-- set: 1. not a socket -> WSAENOTSOCK\n");
    closesocket(closed);
    check_int(set_sec(closed, settings(PROTO_DEFAULT, ALLOW), 8), WSAENOTSOCK, "closed socket");
    check_int(set_sec(INVALID_SOCKET, NULL, 0), WSAENOTSOCK, "INVALID_SOCKET, NULL settings");

    printf("-- set: 2. family or type -> WSAEINVAL\n");
    raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (raw != INVALID_SOCKET)
    {
        check_int(set_sec(raw, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL, "raw ICMP socket");
        check_int(set_sec(raw, settings(PROTO_DEFAULT, ALLOW), 0), WSAEINVAL, "raw ICMP socket, length 0 (2 before 4)");
        check_int(set_sec(raw, NULL, 0), WSAEINVAL, "raw ICMP socket, NULL settings (2 before 8)");
        closesocket(raw);
    }
    else printf("(no raw socket: error %d; not checked)\n", WSAGetLastError());

    printf("-- set: 3. connected -> WSAEISCONN (before 4..8)\n");
    tcp_pair(&c, &a);
    check_int(set_sec(c, settings(PROTO_DEFAULT, ALLOW), 8), WSAEISCONN, "connected TCP client");
    check_int(set_sec(a, settings(PROTO_DEFAULT, ALLOW), 8), WSAEISCONN, "accepted TCP socket");
    check_int(set_sec(c, settings(PROTO_DEFAULT, ALLOW), 0), WSAEISCONN, "connected, length 0 (3 before 4)");
    check_int(set_sec(c, settings(7, ALLOW), 8), WSAEISCONN, "connected, bad protocol (3 before 5)");
    check_int(set_sec(c, NULL, 0), WSAEISCONN, "connected, NULL settings (3 before 8)");
    closesocket(c); closesocket(a);
    s = udp();
    addr = v4(9);
    connect(s, (struct sockaddr *)&addr, sizeof(addr));
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEISCONN, "UDP socket with a default peer");
    closesocket(s);

    printf("-- set: 4. length below 8 -> WSAEMSGSIZE; NULL settings ignore the length\n");
    s = tcp();
    for (i = 0; i < 8; i++)
    {
        snprintf(what, sizeof(what), "length %d", i);
        check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), i), WSAEMSGSIZE, what);
    }
    check_int(set_sec(s, settings(9, 0x80), 7), WSAEMSGSIZE, "length 7 with a bad protocol (4 before 5)");
    check_int(set_sec(s, NULL, 3), WSAEOPNOTSUPP, "NULL settings, length 3: the default policy (refused, rule 8)");

    printf("-- set: 5. protocol or flags -> WSAEINVAL\n");
    for (i = 0; i < (int)(sizeof(bad_protos) / sizeof(bad_protos[0])); i++)
    {
        snprintf(what, sizeof(what), "protocol %#lx", (unsigned long)bad_protos[i]);
        check_int(set_sec(s, settings(bad_protos[i], ALLOW), 8), WSAEINVAL, what);
    }
    for (i = 0; i < (int)(sizeof(bad_flags) / sizeof(bad_flags[0])); i++)
    {
        snprintf(what, sizeof(what), "SecurityFlags %#lx", (unsigned long)(bad_flags[i] | ALLOW));
        check_int(set_sec(s, settings(PROTO_DEFAULT, bad_flags[i] | ALLOW), 8), WSAEINVAL, what);
    }
    check_int(set_sec(s, settings(PROTO_IPSEC, 0x10 | ALLOW), 8), WSAEINVAL, "IPSEC, bad flags, length 8 (5 before 6)");

    printf("-- set: 6. IPSEC in 8..83 bytes is the 8-byte structure; from 84: IpsecFlags, then credential bytes\n");
    for (i = 8; i < IPSEC_HDR; i += 25)
    {
        snprintf(what, sizeof(what), "IPSEC without ALLOW_INSECURE in %d bytes: read as 8, refused by rule 8", i);
        check_int(set_sec(s, settings(PROTO_IPSEC, 0), i), WSAEOPNOTSUPP, what);
    }
    settings(PROTO_IPSEC, 0);
    settings_buf.ipsec.IpsecFlags = 0xffffffff;
    settings_buf.ipsec.UserNameStringLen = settings_buf.ipsec.DomainNameStringLen = 0xffffffff;
    settings_buf.ipsec.PasswordStringLen = 0xffffffff;
    check_int(set_sec(s, &settings_buf, IPSEC_HDR - 1), WSAEOPNOTSUPP,
              "IPSEC in 83 bytes: IpsecFlags and string lengths ignored, refused by rule 8");
    check_int(set_sec(s, &settings_buf, IPSEC_HDR), WSAEINVAL, "the same in 84 bytes: IpsecFlags 0xffffffff -> WSAEINVAL");
    settings_buf.ipsec.IpsecFlags = 0x10;
    check_int(set_sec(s, &settings_buf, IPSEC_HDR), WSAEINVAL, "IpsecFlags 0x10 in 84 bytes -> WSAEINVAL (before the lengths)");
    settings_buf.ipsec.IpsecFlags = 0xf;   /* the four SOCKET_SETTINGS_IPSEC_* bits */
    check_int(set_sec(s, &settings_buf, IPSEC_HDR), WSAEMSGSIZE, "IpsecFlags 0xf, strings of 0xffffffff bytes -> WSAEMSGSIZE");
    {
        SOCKET f = tcp();
        settings(PROTO_IPSEC, ALLOW);
        settings_buf.ipsec.IpsecFlags = 0x10;
        settings_buf.ipsec.UserNameStringLen = 0xffffffff;
        check_int(set_sec_sio(f, &settings_buf, IPSEC_HDR - 1, &bytes), 0,
                  "fresh socket: IPSEC + ALLOW_INSECURE in 83 bytes, bad fields past 8 bytes ignored: applied");
        check_int(applied(f), PROTO_IPSEC, "the query reports IPSEC");
        closesocket(f);
        f = tcp();
        check_int(set_sec(f, settings(PROTO_IPSEC, ALLOW), 8), 0,
                  "fresh socket: IPSEC + ALLOW_INSECURE in the 8-byte SOCKET_SECURITY_SETTINGS: applied");
        check_int(applied(f), PROTO_IPSEC, "the query reports IPSEC");
        closesocket(f);
    }
    {
        /* {user, domain, password, length}, lengths in bytes: one byte short, or
         * sums that wrap in 32 bits (84 + sum computed in 32 bits would pass) */
        static const ULONG lens[][4] =
        {
            {1, 0, 0, IPSEC_HDR}, {0, 1, 0, IPSEC_HDR}, {0, 0, 1, IPSEC_HDR}, {40, 40, 49, IPSEC_HDR + 128},
            {8, 6, 12, IPSEC_HDR + 25},
            {0x7fffffff, 0, 0, IPSEC_HDR + 256}, {0x80000000, 0x80000000, 0, IPSEC_HDR + 256},
            {0xffffffff, 1, 0, IPSEC_HDR + 256}, {0x80000000, 0x7fffffff, 1, IPSEC_HDR + 256},
            {0xffffffff, 0xffffffff, 0xffffffff, IPSEC_HDR + 256}, {1, 0xffffffff, 1, IPSEC_HDR + 256},
            {0xffffffac, 0, 0, IPSEC_HDR + 256}, {0xffffff00, 0xac, 0x10, IPSEC_HDR + 256},
            {0, 0, 0xffffffff, IPSEC_HDR + 256},
        };
        for (i = 0; i < (int)(sizeof(lens) / sizeof(lens[0])); i++)
        {
            SOCKET f = tcp();
            settings(PROTO_IPSEC, ALLOW);
            settings_buf.ipsec.UserNameStringLen = lens[i][0];
            settings_buf.ipsec.DomainNameStringLen = lens[i][1];
            settings_buf.ipsec.PasswordStringLen = lens[i][2];
            snprintf(what, sizeof(what), "IPSEC, strings of %#lx+%#lx+%#lx bytes in %lu bytes -> WSAEMSGSIZE (no wrap-around)",
                     (unsigned long)lens[i][0], (unsigned long)lens[i][1], (unsigned long)lens[i][2], (unsigned long)lens[i][3]);
            check_int(set_sec(f, &settings_buf, lens[i][3]), WSAEMSGSIZE, what);
            check_int(applied(f), PROTO_DEFAULT, "and nothing was applied");
            closesocket(f);
        }
        settings(PROTO_IPSEC, 0);   /* valid lengths reach rule 8: refused, not applied */
        settings_buf.ipsec.UserNameStringLen = 80;
        settings_buf.ipsec.DomainNameStringLen = 80;
        settings_buf.ipsec.PasswordStringLen = 96;
        check_int(set_sec(s, &settings_buf, IPSEC_HDR + 256), WSAEOPNOTSUPP,
                  "IPSEC, 256 bytes of strings in 84 + 256, no ALLOW_INSECURE: WSAEOPNOTSUPP");
        settings_buf.ipsec.SecurityFlags = ALLOW;
        settings_buf.ipsec.PasswordStringLen = 94;
        check_int(set_sec_sio(s, &settings_buf, IPSEC_HDR + 254, &bytes), 0,
                  "IPSEC, 254 bytes of strings in 84 + 254 (2 x 254 would not fit), ALLOW_INSECURE: applied");
        check_int(applied(s), PROTO_IPSEC, "the query reports IPSEC");
    }
    closesocket(s);
    {
        /* SPEC counts bytes and refuses nothing else: an odd count is no error */
        SOCKET f = tcp();
        settings(PROTO_IPSEC, ALLOW);
        settings_buf.ipsec.UserNameStringLen = 3;
        settings_buf.ipsec.DomainNameStringLen = 0;
        settings_buf.ipsec.PasswordStringLen = 4;
        check_int(set_sec(f, &settings_buf, IPSEC_HDR + 7), 0, "IPSEC, strings of 3+0+4 bytes in 84 + 7: applied");
        closesocket(f);
    }

    printf("-- set: 7. bound, listening or already applied -> WSAEINVAL\n");
    s = tcp();
    addr = v4(0);
    bind(s, (struct sockaddr *)&addr, sizeof(addr));
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL, "bound TCP socket");
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 4), WSAEMSGSIZE, "bound, length 4 (4 before 7)");
    check_int(set_sec(s, NULL, 0), WSAEINVAL, "bound, NULL settings (7 before 8)");
    listen(s, 1);
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL, "listening TCP socket");
    check_int(exclusive_sockopt(s), 0, "refused: SO_EXCLUSIVEADDRUSE stays 0");
    closesocket(s);
    s = udp();
    addr = v4(0);
    bind(s, (struct sockaddr *)&addr, sizeof(addr));
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL, "bound UDP socket");
    closesocket(s);
    /* Wine choice: the settings take exclusive use of the port, which a socket set to
     * share it cannot give (setsockopt(SO_EXCLUSIVEADDRUSE) answers the same) */
    {
        BOOL on = TRUE, off = FALSE;
        int i;

        for (i = 0; i < 2; i++)
        {
            s = i ? udp() : tcp();
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof(on));
            check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL,
                      i ? "UDP socket with SO_REUSEADDR -> WSAEINVAL" : "TCP socket with SO_REUSEADDR -> WSAEINVAL");
            check_int(exclusive_sockopt(s), 0, "refused: SO_EXCLUSIVEADDRUSE stays 0");
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&off, sizeof(off));
            check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), 0, "SO_REUSEADDR cleared again: applied");
            check_int(exclusive_sockopt(s), 1, "and SO_EXCLUSIVEADDRUSE reads 1");
            closesocket(s);
        }
    }

    printf("-- set: 8. what demands protection -> WSAEOPNOTSUPP, nothing stored\n");
    s = tcp();
    check_int(exclusive_sockopt(s), 0, "a fresh socket: SO_EXCLUSIVEADDRUSE 0");
    check_int(set_sec(s, NULL, 0), WSAEOPNOTSUPP, "NULL settings (the default policy requires IPsec)");
    check_int(set_sec(s, settings(PROTO_DEFAULT, 0), 8), WSAEOPNOTSUPP, "no ALLOW_INSECURE");
    check_int(set_sec(s, settings(PROTO_IPSEC2, GUARANT), 8), WSAEOPNOTSUPP, "GUARANTEE_ENCRYPTION");
    check_int(set_sec(s, settings(PROTO_IPSEC, GUARANT | ALLOW), IPSEC_HDR), WSAEOPNOTSUPP, "GUARANTEE_ENCRYPTION | ALLOW_INSECURE");
    check_int(applied(s), PROTO_DEFAULT, "nothing was stored: the query reports DEFAULT");
    check_int(exclusive_sockopt(s), 0, "refused: SO_EXCLUSIVEADDRUSE stays 0");

    printf("-- set: 9. ALLOW_INSECURE is stored and makes the socket SO_EXCLUSIVEADDRUSE\n");
    check_int(set_sec_sio(s, settings(PROTO_IPSEC2, ALLOW), 8 + 100, &bytes), 0,
              "IPSEC2 with ALLOW_INSECURE, bytes beyond the 8-byte structure ignored");
    check_int(bytes, 0, "lpcbBytesReturned is 0");
    check_int(applied(s), PROTO_IPSEC2, "the query reports IPSEC2");
    check_int(exclusive_sockopt(s), 1, "getsockopt(SO_EXCLUSIVEADDRUSE) reads 1");
    {
        BOOL on = TRUE;
        check_int(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof(on)) ? WSAGetLastError() : 0, WSAEINVAL,
                  "so SO_REUSEADDR is refused on it (WSAEINVAL)");
    }
    check_int(set_sec(s, settings(PROTO_IPSEC2, ALLOW), 8), WSAEINVAL, "once per socket: again -> WSAEINVAL");
    check_int(set_sec(s, NULL, 0), WSAEINVAL, "once per socket: NULL settings -> WSAEINVAL (7 before 8)");
    addr = v4(0);
    bind(s, (struct sockaddr *)&addr, sizeof(addr));
    check_int(applied(s), PROTO_IPSEC2, "the settings stay through bind");
    listen(s, 1);
    check_int(applied(s), PROTO_IPSEC2, "and through listen");
    check_int(exclusive_sockopt(s), 1, "SO_EXCLUSIVEADDRUSE still 1 after bind and listen");
    closesocket(s);
    s = udp();
    settings(PROTO_IPSEC, ALLOW);
    settings_buf.ipsec.UserNameStringLen = 8;      /* bytes: L"user" */
    settings_buf.ipsec.DomainNameStringLen = 6;    /* L"dom" */
    settings_buf.ipsec.PasswordStringLen = 12;     /* L"secret" */
    memcpy(settings_buf.ipsec.AllStrings, L"userdomsecret", 26);
    check_int(set_sec(s, &settings_buf, IPSEC_HDR + 25), WSAEMSGSIZE, "UDP, credentials of 8+6+12 bytes in 84 + 25 -> WSAEMSGSIZE");
    check_int(exclusive_sockopt(s), 0, "refused: SO_EXCLUSIVEADDRUSE 0");
    check_int(set_sec(s, &settings_buf, IPSEC_HDR + 26), 0, "UDP, the same in 84 + 26 bytes: applied (lengths in bytes)");
    check_int(exclusive_sockopt(s), 1, "UDP socket: SO_EXCLUSIVEADDRUSE 1");
    {
        HANDLE d = NULL;
        DuplicateHandle(GetCurrentProcess(), (HANDLE)s, GetCurrentProcess(), &d, 0, FALSE, DUPLICATE_SAME_ACCESS);
        check_int(exclusive_server(d), 1, "the server object says so through a DuplicateHandle copy too");
        CloseHandle(d);
    }
    closesocket(s);
}

/* ---- WSAQuerySocketSecurity ------------------------------------------------ */

static void test_query(void)
{
    static const GUID zero_guid;
    TEMPLATE_IPSEC2 t2;
    SOCKET_SECURITY_QUERY_TEMPLATE *t = (SOCKET_SECURITY_QUERY_TEMPLATE *)&t2;
    SOCKET closed = tcp(), s, u, u6, c, a, raw;
    struct query q;
    char what[128];
    int i;

    memset(&t2, 0, sizeof(t2));
    t2.PeerAddress.ss_family = AF_INET;

    printf("-- query: 1. not a socket; 2. infolen NULL; 3. family or type\n");
    closesocket(closed);
    query(closed, NULL, 0, 1, 24, &q);
    check_int(q.err, WSAENOTSOCK, "closed socket");
    s = tcp();
    WSASetLastError(0xdead);
    check_int(WSAQuerySocketSecurity(s, NULL, 0, &q.info.i, NULL, NULL, NULL) ? WSAGetLastError() : 0, WSAEFAULT,
              "infolen NULL -> WSAEFAULT");
    WSASetLastError(0xdead);
    check_int(WSAQuerySocketSecurity(closed, NULL, 0, NULL, NULL, NULL, NULL) ? WSAGetLastError() : 0, WSAEFAULT,
              "infolen NULL on a closed socket: WSAEFAULT (checked in the wrapper)");
    raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (raw != INVALID_SOCKET)
    {
        query(raw, t, sizeof(*t), 1, 24, &q);
        check_int(q.err, WSAEINVAL, "raw ICMP socket");
        query(raw, NULL, 0, 0, 0, &q);
        check_int(q.err, WSAEINVAL, "raw ICMP socket, no template, no info (3 before 4 and 7)");
        closesocket(raw);
    }

    printf("-- query: 4. template sizes\n");
    query(s, NULL, 0, 1, 24, &q);
    check_int(q.err, 0, "stream socket, NULL template");
    query(s, t, 0, 1, 24, &q);
    check_int(q.err, 0, "stream socket, template length 0");
    query(s, NULL, 50, 1, 24, &q);
    check_int(q.err, 0, "stream socket, NULL template with a length");
    for (i = 1; i < (int)sizeof(*t); i += 31)
    {
        snprintf(what, sizeof(what), "stream socket, template length %d", i);
        query(s, t, i, 1, 24, &q);
        check_int(q.err, WSAEMSGSIZE, what);
    }
    query(s, t, sizeof(*t) - 1, 0, 0, &q);
    check_int(q.err, WSAEMSGSIZE, "template length 143, no info (4 before 7)");
    t2.SecurityProtocol = PROTO_IPSEC2;
    query(s, t, sizeof(*t), 1, 64, &q);
    check_int(q.err, WSAEMSGSIZE, "IPSEC2 template of 144 bytes");
    query(s, t, sizeof(t2) - 1, 1, 64, &q);
    check_int(q.err, WSAEMSGSIZE, "IPSEC2 template of 151 bytes");
    t2.SecurityProtocol = PROTO_DEFAULT;
    u = udp();
    query(u, NULL, 0, 1, 24, &q);
    check_int(q.err, WSAEMSGSIZE, "datagram socket, no template");
    query(u, t, 0, 1, 24, &q);
    check_int(q.err, WSAEMSGSIZE, "datagram socket, template length 0");

    printf("-- query: 5. template protocol; 6. datagram family\n");
    t2.SecurityProtocol = 3;
    query(s, t, sizeof(*t), 1, 24, &q);
    check_int(q.err, WSAEINVAL, "template protocol 3");
    t2.SecurityProtocol = 0xffffffff;
    query(u, t, sizeof(*t), 0, 0, &q);
    check_int(q.err, WSAEINVAL, "template protocol 0xffffffff, no info (5 before 7)");
    t2.SecurityProtocol = PROTO_IPSEC;
    t2.PeerAddress.ss_family = AF_INET6;
    query(u, t, sizeof(*t), 1, 24, &q);
    check_int(q.err, WSAEAFNOSUPPORT, "datagram AF_INET socket, AF_INET6 template");
    query(s, t, sizeof(*t), 1, 24, &q);
    check_int(q.err, 0, "stream socket: the template's family does not matter");
    u6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    if (u6 != INVALID_SOCKET)
    {
        query(u6, t, sizeof(*t), 1, 24, &q);
        check_int(q.err, 0, "datagram AF_INET6 socket, AF_INET6 template");
        t2.PeerAddress.ss_family = AF_INET;
        query(u6, t, sizeof(*t), 1, 24, &q);
        check_int(q.err, WSAEAFNOSUPPORT, "datagram AF_INET6 socket, AF_INET template");
        closesocket(u6);
    }
    t2.PeerAddress.ss_family = AF_INET;

    printf("-- query: 7. the size probe\n");
    query(s, NULL, 0, 0, 0, &q);
    check_true(q.err == WSAEFAULT && q.len == 24, "stream, no template, no info: WSAEFAULT, infolen 24 (the SDK sample's probe)");
    query(s, NULL, 0, 1, 23, &q);
    check_true(q.err == WSAEFAULT && q.len == 24, "stream, no template, infolen 23: WSAEFAULT, infolen 24");
    t2.SecurityProtocol = PROTO_IPSEC;
    query(s, t, sizeof(*t), 0, 0, &q);
    check_true(q.err == WSAEMSGSIZE && q.len == 24, "stream, template, no info: WSAEMSGSIZE, infolen 24");
    query(u, t, sizeof(*t), 1, 10, &q);
    check_true(q.err == WSAEMSGSIZE && q.len == 24, "datagram, template, infolen 10: WSAEMSGSIZE, infolen 24");
    t2.SecurityProtocol = PROTO_IPSEC2;
    query(u, t, sizeof(t2), 1, 63, &q);
    check_true(q.err == WSAEMSGSIZE && q.len == 64, "datagram, IPSEC2 template, infolen 63: WSAEMSGSIZE, infolen 64");

    printf("-- query: 8. the information: never secured\n");
    query(u, t, sizeof(t2), 1, 100, &q);
    check_true(q.err == 0 && q.len == 64, "IPSEC2 template: 64 bytes written");
    check_true(q.info.i2.SecurityProtocol == PROTO_DEFAULT && q.info.i2.Flags == 0 &&
               !q.info.i2.PeerApplicationAccessTokenHandle && !q.info.i2.PeerMachineAccessTokenHandle &&
               !q.info.i2.MmSaId && !q.info.i2.QmSaId && !q.info.i2.NegotiationWinerr &&
               !memcmp(&q.info.i2.SaLookupContext, &zero_guid, sizeof(GUID)),
               "protocol DEFAULT (none applied), Flags 0, no tokens, every IPSEC2 field 0");
    check_true((unsigned char)q.info.b[64] == 0xcc, "nothing written past 64 bytes");
    t2.SecurityProtocol = PROTO_DEFAULT;
    query(u, t, sizeof(*t), 1, 100, &q);
    check_true(q.err == 0 && q.len == 24 && (unsigned char)q.info.b[24] == 0xcc, "DEFAULT template: 24 bytes written");
    closesocket(u);

    check_int(set_sec(s, settings(PROTO_IPSEC, ALLOW), IPSEC_HDR), 0, "apply IPSEC with ALLOW_INSECURE");
    {
        SOCKADDR_IN addr;
        SOCKET l = tcp_listener(&addr);
        check_int(connect(s, (struct sockaddr *)&addr, sizeof(addr)) ? WSAGetLastError() : 0, 0, "connect");
        a = accept(l, NULL, NULL);
        closesocket(l);
    }
    query(s, NULL, 0, 1, 24, &q);
    check_true(q.err == 0 && q.info.i.SecurityProtocol == PROTO_IPSEC && q.info.i.Flags == 0 &&
               !q.info.i.PeerApplicationAccessTokenHandle && !q.info.i.PeerMachineAccessTokenHandle,
               "connected: protocol IPSEC as applied, not secured, not encrypted, not impersonated, no tokens");
    check_int(applied(a), PROTO_DEFAULT, "the accepted socket starts without settings (DEFAULT)");
    check_int(set_sec(a, settings(PROTO_DEFAULT, ALLOW), 8), WSAEISCONN, "and being connected, takes none");
    closesocket(s); closesocket(a);
    tcp_pair(&c, &a);
    check_int(applied(c), PROTO_DEFAULT, "a connected socket without settings reports DEFAULT");
    closesocket(c); closesocket(a);
}

/* ---- impersonation ----------------------------------------------------------- */

/* WSAImpersonateSocketPeer: 0, the WSA error, or -2 for a return that is neither 0 nor SOCKET_ERROR */
static int imp(SOCKET s, const void *addr, ULONG len)
{
    int ret;
    WSASetLastError(0xdead);
    ret = WSAImpersonateSocketPeer(s, (const struct sockaddr *)addr, len);
    return ret == 0 ? 0 : ret == SOCKET_ERROR ? WSAGetLastError() : -2;
}

/* SPEC: WSAEOPNOTSUPP whatever the arguments; the thread's token never changes */
static void test_impersonate(void)
{
    SOCKET closed = tcp(), s, u, u6, a, l, raw;
    SOCKADDR_IN addr = v4(5000), fam99 = v4(5000);
    SOCKADDR_IN6 addr6 = v6(5000, 0);
    HANDLE ev;
    LUID before, after;

    printf("-- impersonate: WSAEOPNOTSUPP whatever the handle\n");
    closesocket(closed);
    check_int(imp(closed, &addr, sizeof(addr)), WSAEOPNOTSUPP, "closed socket");
    check_int(imp(INVALID_SOCKET, NULL, 0), WSAEOPNOTSUPP, "INVALID_SOCKET, NULL address");
    check_int(imp(0, &addr, sizeof(addr)), WSAEOPNOTSUPP, "handle 0");
    ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    check_int(imp((SOCKET)ev, &addr, sizeof(addr)), WSAEOPNOTSUPP, "an event handle");
    CloseHandle(ev);
    raw = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (raw != INVALID_SOCKET)
    {
        check_int(imp(raw, NULL, 0), WSAEOPNOTSUPP, "raw ICMP socket, NULL address");
        closesocket(raw);
    }
    check_true(no_thread_token(), "the thread has no token afterwards");

    printf("-- impersonate: WSAEOPNOTSUPP whatever the address\n");
    u = udp();
    fam99.sin_family = 99;
    check_int(imp(u, NULL, sizeof(addr)), WSAEOPNOTSUPP, "datagram, NULL address");
    check_int(imp(u, NULL, 0), WSAEOPNOTSUPP, "datagram, NULL address, length 0");
    check_int(imp(u, &addr, 0), WSAEOPNOTSUPP, "datagram, length 0");
    check_int(imp(u, &addr, 1), WSAEOPNOTSUPP, "datagram, length 1");
    check_int(imp(u, &addr, 15), WSAEOPNOTSUPP, "datagram, AF_INET in 15 bytes");
    check_int(imp(u, &addr6, 27), WSAEOPNOTSUPP, "datagram, AF_INET6 in 27 bytes");
    check_int(imp(u, &addr6, sizeof(addr6)), WSAEOPNOTSUPP, "datagram AF_INET socket, AF_INET6 address");
    check_int(imp(u, &fam99, sizeof(fam99)), WSAEOPNOTSUPP, "datagram, family 99");
    check_int(imp(u, &addr, 0xffffffff), WSAEOPNOTSUPP, "datagram, length 0xffffffff");
    check_int(imp(u, &addr, sizeof(addr)), WSAEOPNOTSUPP, "datagram, a valid peer address");
    check_true(no_thread_token(), "the thread has no token afterwards");
    closesocket(u);
    u6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    if (u6 != INVALID_SOCKET)
    {
        check_int(imp(u6, &addr, sizeof(addr)), WSAEOPNOTSUPP, "datagram AF_INET6 socket, AF_INET address");
        check_int(imp(u6, &addr6, sizeof(addr6)), WSAEOPNOTSUPP, "datagram AF_INET6 socket, a valid peer address");
        closesocket(u6);
    }

    printf("-- impersonate: WSAEOPNOTSUPP whatever the socket's state\n");
    s = tcp();
    check_int(imp(s, &addr, sizeof(addr)), WSAEOPNOTSUPP, "stream, not connected");
    check_int(imp(s, NULL, 0), WSAEOPNOTSUPP, "stream, not connected, NULL address");
    l = tcp_listener(&addr);
    check_int(imp(l, NULL, 0), WSAEOPNOTSUPP, "stream, listening");
    connect(s, (struct sockaddr *)&addr, sizeof(addr));
    a = accept(l, NULL, NULL);
    check_int(imp(a, NULL, 0), WSAEOPNOTSUPP, "accepted stream socket, no address");
    check_true(no_thread_token(), "the thread has no token afterwards");
    check_int(imp(s, &addr6, 3), WSAEOPNOTSUPP, "connected client, a 3-byte address");
    check_true(no_thread_token(), "still no token");
    check_int(WSARevertImpersonation(), 0, "WSARevertImpersonation returns 0");
    check_true(no_thread_token(), "and there is still no token");

    printf("-- revert leaves another impersonation alone\n");
    if (ImpersonateSelf(SecurityImpersonation))
    {
        check_int(thread_token(&before), 1, "ImpersonateSelf gave the thread a token");
        check_int(imp(a, NULL, 0), WSAEOPNOTSUPP, "impersonating the peer still fails");
        check_true(thread_token(&after) == 1 && !memcmp(&before, &after, sizeof(before)), "the thread's token is the same one");
        check_int(WSARevertImpersonation(), 0, "WSARevertImpersonation returns 0");
        check_true(thread_token(&after) == 1 && !memcmp(&before, &after, sizeof(before)), "the thread keeps its own impersonation token");
        RevertToSelf();
        check_true(no_thread_token(), "RevertToSelf ended it");
    }
    else report(0, "ImpersonateSelf failed: error %lu", GetLastError());

    printf("-- impersonate: socket handles copied with DuplicateHandle answer the same\n");
    {
        SOCKET fresh = tcp(), dgram = udp();
        HANDLE d1 = NULL, d2 = NULL, d3 = NULL;
        DuplicateHandle(GetCurrentProcess(), (HANDLE)fresh, GetCurrentProcess(), &d1, 0, FALSE, DUPLICATE_SAME_ACCESS);
        DuplicateHandle(GetCurrentProcess(), (HANDLE)a, GetCurrentProcess(), &d2, 0, FALSE, DUPLICATE_SAME_ACCESS);
        DuplicateHandle(GetCurrentProcess(), (HANDLE)dgram, GetCurrentProcess(), &d3, 0, FALSE, DUPLICATE_SAME_ACCESS);
        check_int(imp((SOCKET)d1, NULL, 0), WSAEOPNOTSUPP, "copy of an unconnected stream socket");
        check_int(imp((SOCKET)d2, NULL, 0), WSAEOPNOTSUPP, "copy of an accepted stream socket");
        check_int(imp((SOCKET)d3, NULL, sizeof(addr)), WSAEOPNOTSUPP, "copy of a datagram socket, NULL address");
        check_int(imp((SOCKET)d3, &addr, sizeof(addr)), WSAEOPNOTSUPP, "copy of a datagram socket, a peer");
        check_true(no_thread_token(), "the thread has no token afterwards");
        CloseHandle(d1); CloseHandle(d2); CloseHandle(d3);
        closesocket(fresh); closesocket(dgram);
    }
    closesocket(s); closesocket(a); closesocket(l);
}

/* Run last: an implementation that read the address would crash here. */
static void test_impersonate_unread_address(void)
{
    SYSTEM_INFO si;
    SOCKET u = udp();
    BYTE *page;

    printf("-- impersonate: the address is not read\n");
    GetSystemInfo(&si);
    page = VirtualAlloc(NULL, si.dwPageSize, MEM_RESERVE | MEM_COMMIT, PAGE_NOACCESS);
    check_int(imp(u, page, sizeof(SOCKADDR_IN)), WSAEOPNOTSUPP, "datagram, address on a no-access page");
    check_int(imp(u, (void *)1, sizeof(SOCKADDR_IN6)), WSAEOPNOTSUPP, "datagram, address pointer 1");
    check_true(no_thread_token(), "the thread has no token afterwards");
    VirtualFree(page, 0, MEM_RELEASE);
    closesocket(u);
}

/* ---- processes, the SDK flow, overlapped --------------------------------- */

static void test_processes(void)
{
    SOCKET s;
    printf("-- settings are shared by processes\n");
    s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    check_int(set_sec(s, settings(PROTO_IPSEC2, ALLOW), 8), 0, "parent applies IPSEC2 with ALLOW_INSECURE");
    check_int(exclusive_sockopt(s), 1, "parent: SO_EXCLUSIVEADDRUSE 1");
    run_child("inherit", s, "sees-ipsec2");
    run_child("duplicate", s, "sees-ipsec2");
    closesocket(s);

    s = tcp();
    run_child("duplicate", s, "apply-ipsec");
    check_int(applied(s), PROTO_IPSEC, "parent sees what the child applied");
    check_int(exclusive_sockopt(s), 1, "and getsockopt(SO_EXCLUSIVEADDRUSE) reads 1 in the parent");
    check_int(set_sec(s, settings(PROTO_DEFAULT, ALLOW), 8), WSAEINVAL, "and cannot apply settings again");
    closesocket(s);
}

static int listener_has_connection(SOCKET l)
{
    fd_set fds;
    struct timeval tv = { 0, 300000 };
    FD_ZERO(&fds);
    FD_SET(l, &fds);
    return select(0, &fds, NULL, NULL, &tv) == 1;
}

static void test_sdk_flow(void)
{
    static const WCHAR target[] = L"host/server.example";
    union { SOCKET_PEER_TARGET_NAME p; char b[HDR + sizeof(target)]; } name;
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKADDR_IN addr;
    SOCKET l, c, a;
    ULONG len;
    char buf[16];
    int r;

    memset(&name, 0, sizeof(name));
    name.p.SecurityProtocol = PROTO_IPSEC;
    name.p.PeerTargetNameStringLen = wcslen(target);
    memcpy(name.p.AllStrings, target, sizeof(target));

    printf("-- the SDK client flow with ALLOW_INSECURE: works, unprotected, and says so\n");
    l = tcp_listener(&addr);
    c = tcp();
    check_int(WSASetSocketSecurity(c, settings(PROTO_IPSEC, ALLOW), IPSEC_HDR, NULL, NULL) ? WSAGetLastError() : 0, 0,
              "WSASetSocketSecurity(ALLOW_INSECURE)");
    check_int(WSASetSocketPeerTargetName(c, &name.p, sizeof(name), NULL, NULL) ? WSAGetLastError() : 0, 0,
              "WSASetSocketPeerTargetName");
    check_int(connect(c, (struct sockaddr *)&addr, sizeof(addr)) ? WSAGetLastError() : 0, 0, "connect");
    a = accept(l, NULL, NULL);
    len = 0;
    check_int(WSAQuerySocketSecurity(c, NULL, 0, NULL, &len, NULL, NULL) ? WSAGetLastError() : 0, WSAEFAULT, "the size probe");
    check_int(WSAQuerySocketSecurity(c, NULL, 0, &info, &len, NULL, NULL) ? WSAGetLastError() : 0, 0, "WSAQuerySocketSecurity");
    check_true(!(info.Flags & SOCKET_INFO_CONNECTION_SECURED) && !(info.Flags & SOCKET_INFO_CONNECTION_ENCRYPTED),
               "the query says: not secured, not encrypted");
    check_int(send(c, "hello", 6, 0), 6, "client sends");
    r = recv(a, buf, sizeof(buf), 0);
    check_true(r == 6 && !strcmp(buf, "hello"), "server receives it");
    check_int(send(a, "world", 6, 0), 6, "server answers");
    r = recv(c, buf, sizeof(buf), 0);
    check_true(r == 6 && !strcmp(buf, "world"), "client receives it");
    closesocket(c); closesocket(a);

    printf("-- the SDK client flow with GUARANTEE_ENCRYPTION: stops before connecting\n");
    c = tcp();
    check_int(WSASetSocketSecurity(c, settings(PROTO_IPSEC, GUARANT | ALLOW), IPSEC_HDR, NULL, NULL) ? WSAGetLastError() : 0,
              WSAEOPNOTSUPP, "WSASetSocketSecurity(GUARANTEE_ENCRYPTION) -> WSAEOPNOTSUPP");
    /* the SDK client stops at the first error: nothing reached the listener */
    check_true(!listener_has_connection(l), "the listener saw no connection attempt");
    closesocket(c); closesocket(l);
}

/* SPEC rule 6: public programs apply IPSEC + ALLOW_INSECURE in the 8-byte
 * SOCKET_SECURITY_SETTINGS to the socket they will listen on, and stop if
 * that fails; then bind, listen and serve clients that know nothing of it. */
static void test_listening_server(int family)
{
    SOCKET_SECURITY_SETTINGS st = { SOCKET_SECURITY_PROTOCOL_IPSEC, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKADDR_STORAGE addr;
    SOCKET l = socket(family, SOCK_STREAM, IPPROTO_TCP), c, a;
    int len, r;
    char buf[16];
    const char *fam = family == AF_INET ? "IPv4" : "IPv6";
    char what[160];

    printf("-- an %s server applies IPSEC + ALLOW_INSECURE (8 bytes) before bind and listen\n", fam);
    if (l == INVALID_SOCKET) { printf("(no %s TCP socket: error %d; not checked)\n", fam, WSAGetLastError()); return; }
    memset(&addr, 0, sizeof(addr));
    if (family == AF_INET) { *(SOCKADDR_IN *)&addr = v4(0); len = sizeof(SOCKADDR_IN); }
    else { *(SOCKADDR_IN6 *)&addr = v6(0, 0); len = sizeof(SOCKADDR_IN6); }
    WSASetLastError(0xdead);
    snprintf(what, sizeof(what), "%s: WSASetSocketSecurity(IPSEC, ALLOW_INSECURE, 8 bytes) on the socket to listen on", fam);
    check_int(WSASetSocketSecurity(l, &st, sizeof(st), NULL, NULL) ? WSAGetLastError() : 0, 0, what);
    check_int(bind(l, (struct sockaddr *)&addr, len) ? WSAGetLastError() : 0, 0, "bind to loopback, port 0");
    check_int(listen(l, 5) ? WSAGetLastError() : 0, 0, "listen");
    check_int(exclusive_sockopt(l), 1, "the listening socket is SO_EXCLUSIVEADDRUSE");
    getsockname(l, (struct sockaddr *)&addr, &len);
    c = socket(family, SOCK_STREAM, IPPROTO_TCP);
    check_int(connect(c, (struct sockaddr *)&addr, len) ? WSAGetLastError() : 0, 0, "a plain client (no settings) connects");
    a = accept(l, NULL, NULL);
    check_int(a == INVALID_SOCKET ? WSAGetLastError() : 0, 0, "accept returns the connection");
    check_int(send(c, "ping", 5, 0), 5, "client sends");
    memset(buf, 0, sizeof(buf));
    r = recv(a, buf, sizeof(buf), 0);
    check_true(r == 5 && !strcmp(buf, "ping"), "server receives it");
    check_int(send(a, "pong", 5, 0), 5, "server answers");
    memset(buf, 0, sizeof(buf));
    r = recv(c, buf, sizeof(buf), 0);
    check_true(r == 5 && !strcmp(buf, "pong"), "client receives it");
    check_int(applied(l), PROTO_IPSEC, "the listener's query reports IPSEC, as applied");
    check_int(applied(a), PROTO_DEFAULT, "the accepted socket starts without settings");
    closesocket(a); closesocket(c); closesocket(l);
}

static unsigned apc_calls;
static DWORD apc_err, apc_bytes;
static void WINAPI routine(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    apc_calls++; apc_err = err; apc_bytes = bytes;
}

static void test_overlapped(void)
{
    SOCKET_SECURITY_QUERY_INFO info;
    WSAOVERLAPPED ov;
    SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
    ULONG len;

    printf("-- overlapped use completes at once\n");
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ov.Internal = ov.InternalHigh = 0xdead;
    check_int(WSASetSocketSecurity(s, settings(PROTO_DEFAULT, ALLOW), 8, &ov, NULL) ? WSAGetLastError() : 0, 0, "set, event: returns 0");
    check_true(ov.Internal == 0 && ov.InternalHigh == 0 && !WaitForSingleObject(ov.hEvent, 0),
               "set: Internal 0, InternalHigh 0, event signalled");
    ResetEvent(ov.hEvent);
    ov.Internal = 0xdead;
    check_int(WSASetSocketSecurity(s, settings(PROTO_DEFAULT, ALLOW), 8, &ov, NULL) ? WSAGetLastError() : 0, WSAEINVAL,
              "a failing set returns its error directly");
    check_true(WaitForSingleObject(ov.hEvent, 0) == WAIT_TIMEOUT, "and completes nothing");

    apc_calls = 0;
    len = sizeof(info);
    check_int(WSAQuerySocketSecurity(s, NULL, 0, &info, &len, &ov, routine) ? WSAGetLastError() : 0, 0,
              "query, completion routine: returns 0");
    check_int(apc_calls, 0, "routine not run before an alertable wait");
    SleepEx(0, TRUE);
    check_true(apc_calls == 1 && apc_err == 0 && apc_bytes == 24, "routine ran once: error 0, 24 bytes");
    CloseHandle(ov.hEvent);
    closesocket(s);
}

int main(int argc, char **argv)
{
    if (argc > 5 && !strcmp(argv[1], "child")) return child(argc, argv);
    startup();
    test_set_order();
    test_query();
    test_impersonate();
    test_processes();
    test_sdk_flow();
    test_listening_server(AF_INET);
    test_listening_server(AF_INET6);
    test_overlapped();
    test_impersonate_unread_address();
    WSACleanup();
    return summary();
}
