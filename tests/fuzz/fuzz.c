/* Fuzzer for peer target names and the rest of the secure-socket family,
 * written against shared/SPEC.md and the series' Wine-internal interface
 * (notes/iface.md).
 *
 * Feeds random and adversarial inputs to
 *  - WSASetSocketPeerTargetName / WSADeleteSocketPeerTargetName (fwpuclnt),
 *    WSAIoctl SIO_SET_PEER_TARGET_NAME / SIO_DELETE_PEER_TARGET_NAME, and the
 *    Wine-internal IOCTL_AFD_WINE_SET/DELETE_PEER_TARGET_NAME through
 *    NtDeviceIoControlFile: the set with the parameter structure ws2_32
 *    builds, and with structures it never builds (size field disagreeing
 *    with the request, from 0 to 2^32 - 1; name_len huge or at every bound;
 *    fewer or more name bytes than the fields call for; requests cut inside
 *    the structure; every protocol value);
 *  - WSASetSocketSecurity, WSAIoctl SIO_SET_SECURITY and the raw
 *    IOCTL_AFD_WINE_SET_SECURITY (every protocol and flag value; IPSEC in
 *    8..83 bytes, read as the 8-byte structure, with anything in the bytes
 *    beyond; IPsec credential lengths, in bytes, whose sums wrap 2^32 in 32
 *    bits, or make 84 + sum wrap, or land just under, at and over the
 *    length, up to sizes near 2^32 on the raw path; truncated settings;
 *    NULL settings; a defaults field neither 0 nor 1; requests cut short);
 *    after each, SO_EXCLUSIVEADDRUSE as getsockopt reads it (1 once
 *    settings were applied, else 0);
 *  - WSAQuerySocketSecurity, SIO_QUERY_SECURITY and the raw
 *    IOCTL_AFD_WINE_QUERY_SECURITY (templates of every length and protocol,
 *    of the wrong family, NULL; information buffers NULL, too small, exact,
 *    larger; a NULL infolen);
 *  - WSAImpersonateSocketPeer (any handle; addresses NULL, cut, of another
 *    family, on a no-access page) and WSARevertImpersonation, with and
 *    without the thread impersonating itself (ImpersonateSelf): always
 *    WSAEOPNOTSUPP, the thread's token never changes;
 * on TCP and UDP sockets over IPv4 and IPv6 (fresh, bound, listening,
 * connected, disconnected, accepted by accept and by AcceptEx, with and
 * without WSA_FLAG_OVERLAPPED, with settings applied before bind or not),
 * on sockets of other kinds (raw), and on handles that are not sockets
 * (closed handles, an event, a file, NULL, -1).  The SDK-path calls also run
 * with an OVERLAPPED and with a completion routine.  Datagram sockets are
 * filled to the 4096-name limit, and the server to its 64 MiB limit, where
 * growing replacements are tried.
 *
 * Every answer is checked against an oracle: a model of what the server
 * holds (every socket's keys, protocols and name lengths; the server-wide
 * total, each entry costing its structure plus its name; each socket's
 * applied security settings) and SPEC's rules in their order give the
 * expected result (the WSA error, or the NTSTATUS on the internal path).
 * Successes change the model.  After every refused set or delete (and one
 * success in four) the key is read back with the internal GET and compared
 * with the model byte for byte: a refused call changes nothing (SPEC rule
 * 11); every socket is read back in full every 50 000 inputs.  After a
 * refused set of security settings on a fresh socket, a valid set must still
 * work (nothing was applied); the query then reports its protocol.  Input
 * buffers end exactly at a no-access page, so a read past the declared
 * length faults; output buffers too.  A success completes through the
 * OVERLAPPED or the completion routine on every socket, made overlapped or
 * not (the series leaves that as Wine does for every socket ioctl); a
 * failure completes nothing.
 *
 * Environment: FUZZ_ITERATIONS (random inputs, default 200000; the limit
 * fills, the 64 MiB phase and the read-backs come on top, and are counted
 * apart), FUZZ_SEED (default: from the clock; printed), FUZZ_QUOTA (1/0: the
 * 64 MiB server-wide phase, about 33 000 inputs; default on when
 * FUZZ_ITERATIONS >= 100000), FUZZ_BASELINE=1: make the same sockets and
 * handles but never touch the secure-socket functions (runs on stock Wine:
 * the valgrind baseline of tests/run-fuzz).
 *
 * Last line: "fuzz: N inputs, C server crashes, U unexpected results (seed S)";
 * C counts failed liveness checks (a fresh socket, a name set and read back,
 * every 10 000 inputs and at the end).  A wineserver that crashes usually
 * takes this process along: tests/run-fuzz counts a missing summary as a crash.
 * Exit code 1 if C or U > 0, 2 if a SPEC rule or a kind of input was never
 * exercised (the generator would be broken: checks that never run cannot
 * fail). */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <winternl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "../token.h"

/* ---- constants (SPEC; mingw-w64 lacks these) ---------------------------- */

#define SIO_SET    0x980000CAu      /* _WSAIOW(IOC_VENDOR, 202) */
#define SIO_DELETE 0x980000CBu      /* _WSAIOW(IOC_VENDOR, 203) */
#define IOCTL_SET    0x001204C4u    /* IOCTL_AFD_WINE_SET_PEER_TARGET_NAME */
#define IOCTL_DELETE 0x001204C8u    /* IOCTL_AFD_WINE_DELETE_PEER_TARGET_NAME */
#define IOCTL_SET_SECURITY   0x001204CCu  /* IOCTL_AFD_WINE_SET_SECURITY */
#define IOCTL_QUERY_SECURITY 0x001204D0u  /* IOCTL_AFD_WINE_QUERY_SECURITY */
#define SIO_SET_SEC   0x980000C8u      /* _WSAIOW(IOC_VENDOR, 200) */
#define SIO_QUERY_SEC 0xD80000C9u      /* _WSAIORW(IOC_VENDOR, 201) */
#define IOCTL_GET    0x001204D4u    /* IOCTL_AFD_WINE_GET_PEER_TARGET_NAME (the series' test aid) */
#define PARAMS     40               /* sizeof(struct afd_set_peer_target_name_params) */
#define ENTRY      64               /* what the server counts for an entry beyond its name (x86-64) */
DECLSPEC_IMPORT int WSAAPI WSADeleteSocketPeerTargetName(SOCKET, const struct sockaddr *, ULONG,
        LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE);

#define HDR        140              /* offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) */
#define OFF_ADDR   8
#define OFF_STRLEN 136
#define MAX_CHARS  1024
#define MAX_NAMES  4096
#define MAX_BYTES  (64u * 1024 * 1024) /* entries' structures and names, all sockets */
#define MAX_LEN    70000            /* largest input the fuzzer sends */

#define S_SUCCESS              0x00000000u
#define S_PENDING              0x00000103u
#define S_BUFFER_OVERFLOW      0x80000005u
#define S_INVALID_HANDLE       0xC0000008u
#define S_INVALID_PARAMETER    0xC000000Du
#define S_BUFFER_TOO_SMALL     0xC0000023u
#define S_OBJECT_TYPE_MISMATCH 0xC0000024u
#define S_QUOTA_EXCEEDED       0xC0000044u
#define S_NOT_SUPPORTED        0xC00000BBu
#define S_NOT_IMPLEMENTED      0xC0000002u
#define S_INVALID_BUFFER_SIZE  0xC0000206u
#define S_NOT_FOUND            0xC0000225u
#define S_CONNECTION_ACTIVE    0xC000023Bu
#define S_INVALID_ADDRESS      0xC0000141u  /* the server's wrong family; ws2_32 makes it WSAEAFNOSUPPORT */

/* ---- random numbers (splitmix64) ---------------------------------------- */

static unsigned long long rng;

static unsigned long long next64(void)
{
    unsigned long long z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static ULONG rnd(ULONG n) { return (ULONG)(next64() % n); }
static ULONG rnd32(void) { return (ULONG)next64(); }
#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

/* byte i of the name made from seed */
static BYTE name_byte(ULONG seed, ULONG i)
{
    ULONG h = seed ^ (i * 0x9E3779B1u);
    h ^= h >> 15; h *= 0x85EBCA77u; h ^= h >> 13;
    return (BYTE)h;
}

/* ---- the model: what the server should hold ----------------------------- */

struct key { USHORT family, port; ULONG scope; BYTE addr[16]; };   /* zeros for stream sockets */
struct entry { struct key key; int used; ULONG proto, bytes, seed; };
#define TAB 8192                    /* open addressing, at most 4096 used */
struct model { struct entry *tab; int count; };

static unsigned long long total_bytes;   /* what all sockets' entries cost the server: ENTRY + name bytes each */

static unsigned key_hash(const struct key *k)
{
    const BYTE *p = (const BYTE *)k;
    unsigned h = 2166136261u, i;
    for (i = 0; i < sizeof(*k); i++) h = (h ^ p[i]) * 16777619u;
    return h & (TAB - 1);
}

static struct entry *model_find(struct model *m, const struct key *k)
{
    unsigned i = key_hash(k);
    while (m->tab[i].used)
    {
        if (!memcmp(&m->tab[i].key, k, sizeof(*k))) return &m->tab[i];
        i = (i + 1) & (TAB - 1);
    }
    return NULL;
}

static struct entry *model_add(struct model *m, const struct key *k)
{
    unsigned i = key_hash(k);
    while (m->tab[i].used) i = (i + 1) & (TAB - 1);
    m->tab[i].used = 1;
    m->tab[i].key = *k;
    m->tab[i].bytes = 0;
    m->count++;
    return &m->tab[i];
}

static void model_remove(struct model *m, struct entry *e)
{
    unsigned i = e - m->tab, j = i, h;

    total_bytes -= ENTRY + e->bytes;
    m->count--;
    e->used = 0;
    for (;;)  /* backward shift: keep every later entry of the run findable */
    {
        j = (j + 1) & (TAB - 1);
        if (!m->tab[j].used) break;
        h = key_hash(&m->tab[j].key);
        if (i <= j ? (h <= i || h > j) : (h <= i && h > j))
        {
            m->tab[i] = m->tab[j];
            m->tab[j].used = 0;
            i = j;
        }
    }
}

static void model_clear(struct model *m)
{
    int i;
    if (!m->tab) m->tab = calloc(TAB, sizeof(*m->tab));
    if (!m->tab) { printf("out of memory\n"); exit(3); }
    for (i = 0; i < TAB; i++)
        if (m->tab[i].used) { total_bytes -= ENTRY + m->tab[i].bytes; m->tab[i].used = 0; }
    m->count = 0;
}

/* ---- targets: sockets and other handles ---------------------------------- */

enum what { T_SOCKET, T_EVENT, T_FILE, T_CLOSED, T_NULL, T_MINUS1 };

struct target
{
    const char *name;
    enum what what;
    int family, type, protocol;
    int overlapped;         /* created with WSA_FLAG_OVERLAPPED */
    int supported;          /* AF_INET/AF_INET6 and SOCK_STREAM/SOCK_DGRAM (SPEC set rule 3) */
    int connected;          /* SPEC set rule 4 */
    int bound;              /* bound or listening (security settings rule 7) */
    int sec;                /* the protocol of the applied security settings, -1: none */
    int accepted;           /* made by accept or AcceptEx: SO_EXCLUSIVEADDRUSE not modelled */
    int recyclable;         /* may be closed and made again during the run */
    int weight;
    SOCKET s;
    struct model m;
};

#define MAX_TARGETS 32
static struct target targets[MAX_TARGETS];
static int ntargets, total_weight;

static SOCKET new_socket(int family, int type, int protocol, int overlapped)
{
    return WSASocketW(family, type, protocol, NULL, 0, overlapped ? WSA_FLAG_OVERLAPPED : 0);
}

static int is_socket(const struct target *t) { return t->what == T_SOCKET; }

/* ---- counters and reporting ---------------------------------------------- */

static unsigned long long inputs, unexpected_count;
static unsigned long long random_inputs;  /* the generated inputs, without fills and model queries */
static unsigned long long event_completions, routine_completions;  /* successes seen through OVERLAPPED */
static int crashes, baseline;

/* outcome counts per (operation, SPEC rule): for coverage */
enum op { OP_SET, OP_DELETE, OP_GET, NOPS };
static const char *op_names[NOPS] = { "set", "delete", "get" };
enum path { P_WRAPPER, P_WSAIOCTL, P_NT, NPATHS };
static const char *path_names[NPATHS] = { "fwpuclnt wrapper", "WSAIoctl", "NtDeviceIoControlFile" };
#define NRULES 16
static unsigned long long coverage[NOPS][NRULES];

static const char *wsa_name(int err)
{
    switch (err)
    {
    case 0: return "success";
    case WSAEFAULT: return "WSAEFAULT";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAENOTSOCK: return "WSAENOTSOCK";
    case WSAEMSGSIZE: return "WSAEMSGSIZE";
    case WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
    case WSAENOBUFS: return "WSAENOBUFS";
    case WSAEISCONN: return "WSAEISCONN";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    default: return "?";
    }
}

static char input_desc[512];     /* the current input, for reports */

static void unexpected(const char *fmt, ...)
{
    va_list ap;
    if (++unexpected_count > 20) return;
    printf("unexpected #%llu (input %llu): %s: ", unexpected_count, inputs, input_desc);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* ---- input buffers: the data ends at a no-access page --------------------- */

#define REGION_PAGES 20             /* 81920 bytes >= MAX_LEN */
static BYTE *in_guard, *out_guard;  /* first byte of the no-access page */
static BYTE stage[MAX_LEN];         /* the input is built here, then placed */
static ULONG stage_seed;            /* a set's name bytes in stage are name_byte(stage_seed, i) */

static BYTE *make_region(void)
{
    SYSTEM_INFO si;
    DWORD old;
    BYTE *base;

    GetSystemInfo(&si);
    base = VirtualAlloc(NULL, (REGION_PAGES + 1) * si.dwPageSize, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    if (!base || !VirtualProtect(base + REGION_PAGES * si.dwPageSize, si.dwPageSize, PAGE_NOACCESS, &old))
    {
        printf("VirtualAlloc/VirtualProtect failed\n");
        exit(3);
    }
    return base + REGION_PAGES * si.dwPageSize;
}

static BYTE *place(ULONG len)
{
    memcpy(in_guard - len, stage, len);
    return in_guard - len;
}

/* ---- addresses ------------------------------------------------------------ */

static const USHORT ports[] = { 0, 0, 1, 7, 80, 443, 65535 };
static const BYTE v4s[][4] = { {0,0,0,0}, {127,0,0,1}, {127,0,0,2}, {255,255,255,255}, {10,0,0,1} };
static const BYTE v6s[][16] = {
    {0}, {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1}, {0,0,0,0,0,0,0,0,0,0,0xff,0xff,127,0,0,1},
    {0xfe,0x80,0,0,0,0,0,0,0,0,0,0,0,0,0,1}, {0x20,0x01,0x0d,0xb8,0,0,0,0,0,0,0,0,0,0,0,1} };
static const ULONG scopes[] = { 0, 0, 1, 2, 0xffffffff };

static void put16(BYTE *p, USHORT v) { memcpy(p, &v, 2); }
static void put32(BYTE *p, ULONG v) { memcpy(p, &v, 4); }
static USHORT get16(const BYTE *p) { USHORT v; memcpy(&v, p, 2); return v; }
static ULONG get32(const BYTE *p) { ULONG v; memcpy(&v, p, 4); return v; }

/* Writes a sockaddr of a random family into a (room >= 28 bytes), from a
 * small set of keys so that sets, deletes and queries meet.  sin_zero,
 * sin6_flowinfo and what follows are zeros or garbage (SPEC: ignored). */
static void gen_sockaddr(BYTE *a, ULONG room, int sock_family)
{
    int inet = sock_family == AF_INET || sock_family == AF_INET6;
    ULONG r = rnd(20), i;
    USHORT family;

    if (r < 14) family = inet ? sock_family : (rnd(2) ? AF_INET : AF_INET6);
    else if (r < 16) family = sock_family == AF_INET ? AF_INET6 : AF_INET;
    else if (r < 19) family = rnd(31);
    else family = rnd(2) ? 0xffff : rnd(65536);

    if (rnd(2)) memset(a, 0, room);
    else for (i = 0; i < room; i++) a[i] = (BYTE)next64();
    put16(a, family);
    put16(a + 2, htons(PICK(ports)));
    if (family == AF_INET6 || (family != AF_INET && rnd(2)))
    {
        if (rnd(2)) put32(a + 4, 0);                /* flowinfo, else garbage */
        memcpy(a + 8, PICK(v6s), 16);
        put32(a + 24, PICK(scopes));
    }
    else
    {
        memcpy(a + 4, PICK(v4s), 4);
        if (rnd(2)) memset(a + 8, 0, 8);            /* sin_zero, else garbage */
    }
}

/* the key a datagram socket stores for an AF_INET/AF_INET6 sockaddr (SPEC: family,
 * port and address, plus sin6_scope_id; sin_zero and flowinfo ignored) */
static void key_from(const BYTE *a, struct key *k)
{
    memset(k, 0, sizeof(*k));
    k->family = get16(a);
    k->port = get16(a + 2);
    if (k->family == AF_INET) memcpy(k->addr, a + 4, 4);
    else
    {
        memcpy(k->addr, a + 8, 16);
        k->scope = get32(a + 24);
    }
}

/* what GET returns in PeerAddress for a key */
static void sockaddr_from_key(const struct key *k, BYTE *a /* 128 bytes */)
{
    memset(a, 0, 128);
    if (!k->family) return;
    put16(a, k->family);
    put16(a + 2, k->port);
    if (k->family == AF_INET) memcpy(a + 4, k->addr, 4);
    else
    {
        memcpy(a + 8, k->addr, 16);
        put32(a + 24, k->scope);
    }
}

static void describe_addr(char *buf, size_t size, const BYTE *a, ULONG avail)
{
    USHORT family = avail >= 2 ? get16(a) : 0;
    if (avail < 2) snprintf(buf, size, "(no family)");
    else if (avail >= 28 && family == AF_INET6)
        snprintf(buf, size, "family %u port %u addr %02x%02x..%02x%02x scope %lu", family, ntohs(get16(a + 2)),
                 a[8], a[9], a[22], a[23], get32(a + 24));
    else if (avail >= 8)
        snprintf(buf, size, "family %u port %u addr %u.%u.%u.%u", family, ntohs(get16(a + 2)), a[4], a[5], a[6], a[7]);
    else snprintf(buf, size, "family %u (%lu bytes)", family, avail);
}

/* ---- overlapped and completion routines ---------------------------------- */

enum ovmode { OV_NONE, OV_EVENT, OV_ROUTINE };
static HANDLE ov_event;
static int apc_calls;
static DWORD apc_error, apc_bytes;

static void CALLBACK routine(DWORD error, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    apc_calls++;
    apc_error = error;
    apc_bytes = bytes;
}

static unsigned long long nonoverlapped_completions;  /* of those, on sockets made without WSA_FLAG_OVERLAPPED */

static void prepare_overlapped(WSAOVERLAPPED *ov)
{
    memset(ov, 0, sizeof(*ov));
    ov->Internal = 0xdead;
    ov->InternalHigh = 0xbeef;
    ov->hEvent = ov_event;
    ResetEvent(ov_event);
    apc_calls = 0;
}

/* After a call made with an OVERLAPPED (mode OV_EVENT) or a completion
 * routine (OV_ROUTINE): a success completes through it, with want_bytes
 * transferred, on every socket (as every socket ioctl in Wine: the series
 * does not make sockets without WSA_FLAG_OVERLAPPED ignore lpOverlapped; no
 * rule here says they do); a failure (err != 0) completes nothing (SPEC
 * "Overlapped use": "a call that fails validation returns its error
 * directly and completes nothing"). */
static void check_completion(const struct target *t, enum ovmode mode, int err, const WSAOVERLAPPED *ov,
                             ULONG_PTR want_bytes)
{
    int completes = !err && is_socket(t);

    if (mode == OV_EVENT)
    {
        int signalled = WaitForSingleObject(ov_event, 0) == WAIT_OBJECT_0;
        if (signalled != completes)
            unexpected("overlapped event %s, expected %s (result %d)", signalled ? "signalled" : "not signalled",
                       completes ? "signalled" : "not signalled", err);
        else if (completes)
        {
            event_completions++;
            if (!t->overlapped) nonoverlapped_completions++;
            if (ov->Internal != 0 || ov->InternalHigh != want_bytes)
                unexpected("overlapped Internal %#Ix InternalHigh %#Ix, expected 0 and %#Ix", ov->Internal,
                           ov->InternalHigh, want_bytes);
        }
    }
    else if (mode == OV_ROUTINE)
    {
        SleepEx(0, TRUE);
        if (apc_calls != completes)
            unexpected("completion routine ran %d times, expected %d (result %d)", apc_calls, completes, err);
        else if (completes)
        {
            routine_completions++;
            if (!t->overlapped) nonoverlapped_completions++;
            if (apc_error || apc_bytes != want_bytes)
                unexpected("completion routine got error %lu, %lu bytes; expected 0, %lu", apc_error, apc_bytes,
                           (ULONG)want_bytes);
        }
    }
}

/* Calls a wrapper or WSAIoctl, checks the result against expect and, for
 * the overlapped modes, the completion (check_completion).  SPEC
 * "Overlapped use", "The raw ioctls". */
static void call_wsa(struct target *t, enum op op, enum path path, enum ovmode mode,
                     const void *buf, ULONG len, int expect)
{
    static BYTE outbuf[64];
    WSAOVERLAPPED ov;
    DWORD bytes = 0xdeadbeef;
    void *out = NULL;
    ULONG outlen = 0;
    int ret, err;
    LPWSAOVERLAPPED pov = mode == OV_NONE ? NULL : &ov;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr = mode == OV_ROUTINE ? routine : NULL;

    prepare_overlapped(&ov);
    if (path == P_WSAIOCTL && !rnd(8)) { out = outbuf; outlen = rnd(sizeof(outbuf)); }  /* SPEC: output ignored */

    WSASetLastError(0xdead);
    if (path == P_WRAPPER)
        ret = op == OP_SET ? WSASetSocketPeerTargetName(t->s, buf, len, pov, cr)
                           : WSADeleteSocketPeerTargetName(t->s, buf, len, pov, cr);
    else
        ret = WSAIoctl(t->s, op == OP_SET ? SIO_SET : SIO_DELETE, (void *)buf, len, out, outlen, &bytes, pov, cr);
    err = ret ? WSAGetLastError() : 0;

    if (ret != 0 && ret != SOCKET_ERROR)
        unexpected("returned %d (neither 0 nor SOCKET_ERROR)", ret);
    else if (err != expect)
        unexpected("expected %d (%s), got %d (%s)", expect, wsa_name(expect), err, wsa_name(err));
    else if (!err && path == P_WSAIOCTL && mode == OV_NONE && bytes)
        unexpected("success but bytes returned %lu, expected 0", bytes);
    check_completion(t, mode, err, &ov, 0);
}

/* Internal path: the status the server should give for a WSA error. */
static int status_matches(const struct target *t, int expect, NTSTATUS got)
{
    ULONG g = (ULONG)got;
    switch (expect)
    {
    case 0: return g == S_SUCCESS;
    case WSAENOTSOCK: return t->what == T_EVENT ? g == S_OBJECT_TYPE_MISMATCH : g == S_INVALID_HANDLE;
    case WSAEOPNOTSUPP: return t->what == T_FILE ? g == S_NOT_SUPPORTED : g == S_NOT_IMPLEMENTED;
    case WSAEINVAL: return g == S_INVALID_PARAMETER;
    case WSAEISCONN: return g == S_CONNECTION_ACTIVE;
    case WSAEMSGSIZE: return g == S_INVALID_BUFFER_SIZE;
    case WSAEAFNOSUPPORT: return g == S_INVALID_ADDRESS;
    case WSAENOBUFS: return g == S_QUOTA_EXCEEDED;
    default: return 0;
    }
}

static NTSTATUS nt_ioctl(HANDLE h, ULONG code, const void *in, ULONG inlen, void *out, ULONG outlen, ULONG_PTR *info)
{
    IO_STATUS_BLOCK io;
    NTSTATUS st;

    io.Status = 0x1234;
    io.Information = 0xdeadbeef;
    st = NtDeviceIoControlFile(h, NULL, NULL, NULL, &io, code, (void *)in, inlen, out, outlen);
    if ((ULONG)st == S_PENDING)  /* SPEC: completes at once; wait a little anyway */
    {
        WaitForSingleObject(h, 5000);
        st = io.Status;
    }
    if (info) *info = io.Information;
    return st;
}

static void call_nt(struct target *t, ULONG code, const void *buf, ULONG len, int expect)
{
    NTSTATUS st = nt_ioctl((HANDLE)t->s, code, buf, len, NULL, 0, NULL);
    if (!status_matches(t, expect, st))
        unexpected("expected %d (%s) as a status, got 0x%08lx", expect, wsa_name(expect), (ULONG)st);
}

/* A file answers what Wine's other socket ioctls answer for it (STATUS_NOT_SUPPORTED). */
static int not_socket_error(const struct target *t)
{
    return t->what == T_FILE ? WSAEOPNOTSUPP : WSAENOTSOCK;
}

static BYTE raw[MAX_LEN];

/* The raw set ioctl takes the series' parameter structure, as ws2_32 builds
 * it from stage[0..len): the caller's size, protocol, length field and the
 * first 28 bytes of the address, then at most 2048 bytes of the name. */
static ULONG raw_set_params(ULONG len)
{
    ULONG name = len > HDR ? len - HDR : 0;
    if (name > 2 * MAX_CHARS) name = 2 * MAX_CHARS;
    memset(raw, 0, PARAMS);
    put32(raw, len);
    if (len >= HDR)
    {
        memcpy(raw + 4, stage, 4);
        memcpy(raw + 8, stage + OFF_STRLEN, 4);
        memcpy(raw + 12, stage + OFF_ADDR, 28);
        memcpy(raw + PARAMS, stage + HDR, name);
    }
    return PARAMS + name;
}

static void call_nt_set(struct target *t, ULONG len, int expect)
{
    ULONG rawlen = raw_set_params(len);
    BYTE *buf = place(rawlen);
    memcpy(buf, raw, rawlen);
    call_nt(t, IOCTL_SET, buf, rawlen, expect);
}

/* ---- reading back what the server holds ---------------------------------- */

static void run_get(struct target *t, int null_in, ULONG inlen, ULONG outlen);
static unsigned long long readbacks_refused, readbacks_done;

/* After a set or delete on a socket: reads back, with the internal GET, the
 * key the input named (a datagram socket's key from addr, when its family is
 * the socket's; a stream socket's one name) and checks it against the model
 * (run_get).  After every refused call: SPEC rule 11, "nothing is stored or
 * changed by a refused call" (nor by any other refusal); after one success
 * in four: what was stored (or deleted), byte for byte, at once. */
static void read_back_after(struct target *t, enum op op, int rule, const BYTE *addr)
{
    struct key key;

    if (baseline || !is_socket(t) || !t->supported) return;
    if (!rule && rnd(4)) return;
    if (t->type == SOCK_DGRAM)
    {
        if (!addr || get16(addr) != t->family) return;
        key_from(addr, &key);
        sockaddr_from_key(&key, stage);
        run_get(t, 0, t->family == AF_INET ? 16 : 28, HDR + 2 * MAX_CHARS);
    }
    else run_get(t, 1, 0, HDR + 2 * MAX_CHARS);
    readbacks_done++;
    if (rule) readbacks_refused++;
    (void)op;
}

/* ---- set ---------------------------------------------------------------- */

/* What a set carries, as the server sees it: the caller's length and, when
 * the length holds the header, the protocol, the length field and the start
 * of PeerAddress (at least 28 bytes).  SDK paths: read from stage. */
struct set_in { ULONG size, proto, field; const BYTE *addr; };

static struct set_in set_in_stage(ULONG len)
{
    struct set_in in;
    in.size = len;
    in.proto = get32(stage);
    in.field = get32(stage + OFF_STRLEN);
    in.addr = stage + OFF_ADDR;
    return in;
}

/* the name's size in bytes for a protocol and a length field, 0 when SPEC
 * rule 7 refuses it (empty, over 1024 characters, odd IPSEC2 byte count) */
static ULONG name_bytes(ULONG proto, ULONG field)
{
    if (proto == 2) return !field || field % 2 || field > 2 * MAX_CHARS ? 0 : field;
    return !field || field > MAX_CHARS ? 0 : 2 * field;
}

/* SPEC "Errors, in the order they are checked" for a set on target t;
 * *rule is the rule that decides (12: rule 11's server-wide byte bound).
 * On success (0), *key and *bytes say what is stored; *bytes is also set
 * when the set gets past rule 7. */
static int oracle_set_in(const struct target *t, int null_buf, const struct set_in *in, int *rule, struct key *key,
                         ULONG *bytes)
{
    static const BYTE zero[16];
    struct entry *e;

    *bytes = 0;
    /* SPEC: a NULL pointer may answer WSAEFAULT before the handle is looked at (no round trip) */
    *rule = 2; if (null_buf) return WSAEFAULT;
    *rule = 1; if (!is_socket(t)) return not_socket_error(t);
    *rule = 3; if (!t->supported) return WSAEINVAL;
    *rule = 4; if (t->connected) return WSAEISCONN;
    *rule = 5; if (in->size < HDR) return WSAEMSGSIZE;
    *rule = 6; if (in->proto >= 3) return WSAEINVAL;        /* not DEFAULT, IPSEC or IPSEC2 */
    *rule = 7; if (!(*bytes = name_bytes(in->proto, in->field))) return WSAEINVAL;
    *rule = 8; if (HDR + *bytes > in->size) return WSAEMSGSIZE;
    memset(key, 0, sizeof(*key));
    if (t->type == SOCK_DGRAM)
    {
        *rule = 9; if (get16(in->addr) != t->family) return WSAEAFNOSUPPORT;
        key_from(in->addr, key);
        *rule = 10; if (!key->port && !memcmp(key->addr, zero, 16)) return WSAEINVAL;
    }
    e = model_find((struct model *)&t->m, key);
    *rule = 11; if (!e && t->m.count >= MAX_NAMES) return WSAENOBUFS;
    /* the total counts each entry's cost (its structure and its name); a
     * replacement is charged its growth, and refused when that does not fit */
    {
        unsigned long long new_cost = ENTRY + *bytes, old_cost = e ? ENTRY + e->bytes : 0;
        *rule = 12; if (new_cost > old_cost && total_bytes + (new_cost - old_cost) > MAX_BYTES) return WSAENOBUFS;
    }
    *rule = 0;
    return 0;
}

static int oracle_set(const struct target *t, int null_buf, ULONG len, int *rule, struct key *key, ULONG *bytes)
{
    struct set_in in = set_in_stage(len);
    return oracle_set_in(t, null_buf, &in, rule, key, bytes);
}

/* a successful set of key: the model now holds it */
static void model_store(struct target *t, const struct key *key, ULONG proto, ULONG bytes, ULONG seed)
{
    struct entry *e = model_find(&t->m, key);
    if (!e) { e = model_add(&t->m, key); total_bytes += ENTRY; }
    total_bytes += bytes;
    total_bytes -= e->bytes;
    e->bytes = bytes;
    e->proto = proto;
    e->seed = seed;
}

static void describe_set(const struct target *t, enum path path, enum ovmode mode, int null_buf, ULONG len)
{
    char addr[160] = "";
    if (len >= HDR) describe_addr(addr, sizeof(addr), stage + OFF_ADDR, 128);
    snprintf(input_desc, sizeof(input_desc), "%s, set via %s%s, %s len %lu, protocol %ld, StringLen %lu, %s",
             t->name, path_names[path], mode == OV_EVENT ? " (overlapped)" : mode == OV_ROUTINE ? " (routine)" : "",
             null_buf ? "NULL name," : "", len, len >= 4 ? (long)get32(stage) : -1L,
             len >= HDR ? get32(stage + OFF_STRLEN) : 0, len >= HDR ? addr : "(header cut)");
}

/* Runs a set of stage[0..len) on t through path; checks; updates the model. */
static int run_set(struct target *t, enum path path, enum ovmode mode, int null_buf, ULONG len)
{
    struct key key;
    ULONG bytes = 0;
    int rule, expect;
    const BYTE *buf;

    if (path == P_NT && null_buf) { null_buf = 0; len = 0; }  /* no NULL check there: an empty input */
    expect = oracle_set(t, null_buf, len, &rule, &key, &bytes);
    coverage[OP_SET][rule]++;
    inputs++;
    buf = null_buf ? NULL : place(len);
    if (unexpected_count < 20) describe_set(t, path, mode, null_buf, len);
    if (path == P_NT) call_nt_set(t, len, expect);
    else call_wsa(t, OP_SET, path, mode, buf, len, expect);

    if (!expect) model_store(t, &key, get32(stage), bytes, stage_seed);
    read_back_after(t, OP_SET, rule, len >= HDR ? stage + OFF_ADDR : NULL);
    return expect;
}

/* Builds a set input in stage: header, then name bytes from stage_seed, then
 * garbage up to len; returns len. */
static ULONG build_set(ULONG proto, ULONG field, int sock_family, ULONG len)
{
    ULONG i;

    for (i = 0; i < HDR; i++) stage[i] = (BYTE)next64();
    put32(stage, proto);
    gen_sockaddr(stage + OFF_ADDR, 128, sock_family);
    put32(stage + OFF_STRLEN, field);
    stage_seed = rnd32();
    for (i = HDR; i < len; i++) stage[i] = name_byte(stage_seed, i - HDR);
    if (rnd(2))   /* bytes past the name: garbage (SPEC: len may exceed the name) */
    {
        ULONGLONG nbytes = proto == 2 ? field : 2ull * field;
        for (i = HDR + nbytes < len ? HDR + (ULONG)nbytes : len; i < len; i++) stage[i] = (BYTE)next64();
    }
    return len;
}

static ULONG pick_proto(void)
{
    static const ULONG odd[] = { 3, 4, 5, 0xffffffff, 0x7fffffff, 0x80000000, 0x100 };
    ULONG r = rnd(16);
    if (r < 4) return 0;
    if (r < 8) return 1;
    if (r < 12) return 2;
    return r < 15 ? PICK(odd) : rnd32();
}

static ULONG pick_strlen(ULONG proto)
{
    static const ULONG edges[] = { 0, 1, 2, 3, 1023, 1024, 1025, 2046, 2047, 2048, 2049, 2050, 4096 };
    static const ULONG huge[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x80000001, 0x7ffffffe, 0x10000 };
    ULONG r = rnd(10), chars;

    if (r < 6)
    {
        chars = 1 + (rnd(4) ? rnd(64) : rnd(MAX_CHARS));
        return proto == 2 ? 2 * chars : chars;
    }
    if (r < 8) return PICK(edges);
    if (r < 9) return rnd(2) ? PICK(huge) : 2 * rnd(MAX_CHARS + 1) + 1;
    return rnd32();
}

/* the declared length: mostly exact, else around every SPEC boundary */
static ULONG pick_set_len(ULONG proto, ULONG field)
{
    static const ULONG edges[] = { 0, 1, 2, 15, 16, 17, 27, 28, 29, 139, 140, 141, 142, 143, 144,
        HDR + 2 * MAX_CHARS - 1, HDR + 2 * MAX_CHARS, HDR + 2 * MAX_CHARS + 1, 4096, 65535, 65536, MAX_LEN };
    ULONGLONG exact = HDR + (proto == 2 ? (ULONGLONG)field : 2ull * field);
    ULONGLONG len;

    switch (rnd(10))
    {
    case 0: case 1: case 2: case 3: case 4: len = exact; break;
    case 5: len = exact - 1 - rnd(3); break;
    case 6: len = exact + 1 + rnd(8); break;
    case 7: case 8: return PICK(edges);
    default: return rnd(MAX_LEN + 1);
    }
    return len > MAX_LEN ? PICK(edges) : (ULONG)len;
}

static enum ovmode pick_mode(enum path path)
{
    ULONG r = rnd(10);
    if (path == P_NT || r < 8) return OV_NONE;
    return r == 8 ? OV_EVENT : OV_ROUTINE;
}

static void random_set(struct target *t)
{
    enum path path = rnd(NPATHS);
    ULONG proto = pick_proto(), field = pick_strlen(proto);
    ULONG len = build_set(proto, field, t->family, pick_set_len(proto, field));
    run_set(t, path, pick_mode(path), !rnd(40), len);
}

/* ---- the raw set, with parameter structures ws2_32 would never build ------ */

/* NTSTATUS the server gives for a WSA error on target t (internal path) */
static ULONG status_for(const struct target *t, int err)
{
    switch (err)
    {
    case 0: return S_SUCCESS;
    case WSAENOTSOCK: return t->what == T_EVENT ? S_OBJECT_TYPE_MISMATCH : S_INVALID_HANDLE;
    case WSAEOPNOTSUPP: return t->what == T_FILE ? S_NOT_SUPPORTED : S_NOT_IMPLEMENTED;
    case WSAEINVAL: return S_INVALID_PARAMETER;
    case WSAEISCONN: return S_CONNECTION_ACTIVE;
    case WSAEMSGSIZE: return S_INVALID_BUFFER_SIZE;
    case WSAEAFNOSUPPORT: return S_INVALID_ADDRESS;
    case WSAENOBUFS: return S_QUOTA_EXCEEDED;
    default: return 0xffffffff;
    }
}

static unsigned long long raw_outcomes[4];  /* raw sets: cut into the structure, name short, other refusals, stored */

/* IOCTL_AFD_WINE_SET_PEER_TARGET_NAME with a parameter structure whose
 * fields need not agree with each other or with the request (iface.md:
 * size, protocol, name_len, the first 28 bytes of PeerAddress, then the
 * name bytes): the size field anywhere from 0 to 2^32 - 1 (around HDR, the
 * name's end, 2048 name bytes, 2^31, 2^32), name_len huge or around every
 * bound, every protocol value, fewer or more name bytes than the fields
 * call for, requests cut inside the structure.  The server trusts none of
 * it: fewer than 40 bytes, or fewer name bytes than the name needs, is
 * STATUS_INVALID_PARAMETER; otherwise SPEC's rules in their order, with the
 * size field as the caller's length.  Where SPEC's rules 4..8 refuse the
 * set anyway and the name bytes are short too, either answer is right
 * (iface.md checks the request "then the SPEC rules"; the name's size is
 * known only after rule 7); past rule 8 a short name must be
 * STATUS_INVALID_PARAMETER.  Nothing refused may change what the server
 * holds: every answer is followed by reading the key back. */
static void random_raw_set(struct target *t)
{
    static const ULONG size_edges[] = { 0, 1, 39, 40, 139, 140, 141, 142, 143, 144, HDR + 2 * MAX_CHARS - 1,
        HDR + 2 * MAX_CHARS, HDR + 2 * MAX_CHARS + 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
        0xffffff74 /* 2^32 - HDR */, 0xffffff73, 0xffffff75 };
    static const ULONG n_edges[] = { 0, 1, 2, 3, 2046, 2047, 2048, 2049, 2050, 4096, 8192 };
    ULONG proto = pick_proto(), field = pick_strlen(proto), size, n, reqlen, i, acc[3], nacc = 0, got;
    ULONGLONG want_bytes = proto == 2 ? field : 2ull * field;   /* what the fields ask for */
    struct set_in in;
    struct key key;
    ULONG bytes;
    int rule, expect, cut = 0, short_name;
    BYTE *buf;

    switch (rnd(8))
    {
    case 0: case 1: case 2: size = HDR + want_bytes <= 0xffffffffull ? (ULONG)(HDR + want_bytes) : 0xffffffff; break;
    case 3: size = HDR + want_bytes - 1 - rnd(2) <= 0xffffffffull ? (ULONG)(HDR + want_bytes - 1 - rnd(2)) : rnd32(); break;
    case 4: size = (ULONG)(HDR + want_bytes + 1 + rnd(4)); break;   /* may wrap: any value is fair */
    case 5: case 6: size = PICK(size_edges); break;
    default: size = rnd32(); break;
    }
    switch (rnd(10))
    {
    case 0: case 1: case 2: case 3: n = want_bytes < 8192 ? (ULONG)want_bytes : 2 * MAX_CHARS; break;
    case 4: n = want_bytes && want_bytes <= 8192 ? (ULONG)want_bytes - 1 - rnd((ULONG)want_bytes < 3 ? (ULONG)want_bytes : 3) : rnd(64); break;
    case 5: n = want_bytes < 8192 ? (ULONG)want_bytes + 1 + rnd(64) : rnd(64); break;
    case 6: case 7: n = PICK(n_edges); break;
    default: n = rnd(4100); break;
    }
    if (PARAMS + n > MAX_LEN) n = MAX_LEN - PARAMS;

    memset(raw, 0, PARAMS);
    put32(raw, size);
    put32(raw + 4, proto);
    put32(raw + 8, field);
    gen_sockaddr(raw + 12, 28, t->family);
    if (t->type == SOCK_DGRAM && rnd(2))    /* mostly keys the other inputs meet */
    {
        put16(raw + 12, t->family);
        if (!get16(raw + 14) && rnd(2)) put16(raw + 14, htons(80));
    }
    stage_seed = rnd32();
    for (i = 0; i < n; i++) raw[PARAMS + i] = name_byte(stage_seed, i);
    reqlen = PARAMS + n;
    if (!rnd(12)) { reqlen = rnd(PARAMS); cut = 1; }

    in.size = size;
    in.proto = proto;
    in.field = field;
    in.addr = raw + 12;
    expect = oracle_set_in(t, 0, &in, &rule, &key, &bytes);
    short_name = proto < 3 && name_bytes(proto, field) && n < name_bytes(proto, field);
    if (!is_socket(t)) acc[nacc++] = status_for(t, expect);
    else if (cut) acc[nacc++] = S_INVALID_PARAMETER;
    else if (short_name && (rule == 0 || rule >= 9)) acc[nacc++] = S_INVALID_PARAMETER;
    else
    {
        acc[nacc++] = status_for(t, expect);
        if (short_name && rule >= 4) acc[nacc++] = S_INVALID_PARAMETER;
    }
    raw_outcomes[!is_socket(t) ? 2 : cut ? 0 : acc[0] == S_SUCCESS ? 3 : short_name && nacc == 1 && acc[0] == S_INVALID_PARAMETER ? 1 : 2]++;
    coverage[OP_SET][acc[0] == S_SUCCESS ? 0 : rule]++;
    inputs++;
    if (unexpected_count < 20)
    {
        char addr[160];
        describe_addr(addr, sizeof(addr), raw + 12, 28);
        snprintf(input_desc, sizeof(input_desc), "%s, raw set: request %lu bytes%s, size field %lu, protocol %lu, "
                 "name_len %lu, %lu name bytes, %s", t->name, reqlen, cut ? " (cut inside the structure)" : "",
                 size, proto, field, n, addr);
    }
    buf = in_guard - reqlen;
    memcpy(buf, raw, reqlen);
    got = (ULONG)nt_ioctl((HANDLE)t->s, IOCTL_SET, buf, reqlen, NULL, 0, NULL);
    for (i = 0; i < nacc; i++) if (got == acc[i]) break;
    if (i == nacc)
        unexpected("expected status 0x%08lx%s, got 0x%08lx", acc[0], nacc > 1 ? " (or STATUS_INVALID_PARAMETER)" : "", got);
    if (got == S_SUCCESS && acc[0] == S_SUCCESS) model_store(t, &key, proto, bytes, stage_seed);
    memcpy(stage + OFF_ADDR, raw + 12, 28);
    read_back_after(t, OP_SET, got == S_SUCCESS ? 0 : 1, stage + OFF_ADDR);
}

/* ---- delete ------------------------------------------------------------- */

/* SPEC WSADeleteSocketPeerTargetName rules, in order. */
static int oracle_delete(const struct target *t, int null_buf, ULONG len, int *rule, struct key *key)
{
    USHORT family = len >= 2 ? get16(stage) : 0;

    *rule = 2; if (null_buf) return WSAEFAULT;
    *rule = 1; if (!is_socket(t)) return not_socket_error(t);
    *rule = 3; if (!t->supported) return WSAEINVAL;
    *rule = 4;
    if (len < 2 || (family == AF_INET && len < 16) || (family == AF_INET6 && len < 28)) return WSAEMSGSIZE;
    *rule = 5;
    if (family != AF_INET && family != AF_INET6) return WSAEAFNOSUPPORT;
    if (t->type == SOCK_DGRAM && family != t->family) return WSAEAFNOSUPPORT;
    memset(key, 0, sizeof(*key));
    if (t->type == SOCK_DGRAM) key_from(stage, key);
    *rule = 0;
    return 0;
}

/* a sockaddr length: mostly the family's own size, else around the boundaries */
static ULONG pick_addr_len(void)
{
    static const ULONG edges[] = { 0, 1, 2, 3, 15, 16, 17, 27, 28, 29, 32, 128, 129, 140, 4096, MAX_LEN };
    USHORT family = get16(stage);
    ULONG r = rnd(10);

    if (r < 6) return family == AF_INET6 ? (rnd(4) ? 28 : 128) : family == AF_INET ? (rnd(4) ? 16 : 28) : 16;
    if (r < 9) return PICK(edges);
    return rnd(300);
}

/* garbage after the sockaddr, up to the declared length */
static void garbage_after_addr(ULONG len)
{
    ULONG i;
    for (i = 28; i < len; i++) stage[i] = (BYTE)next64();
}

static void random_delete(struct target *t)
{
    enum path path = rnd(NPATHS);
    enum ovmode mode = pick_mode(path);
    int null_buf = !rnd(40), rule, expect;
    struct key key;
    ULONG len;
    const BYTE *buf;
    struct entry *e;
    char addr[160];

    gen_sockaddr(stage, 28, t->family);
    len = pick_addr_len();
    garbage_after_addr(len);
    if (path == P_NT && null_buf) { null_buf = 0; len = 0; }
    expect = oracle_delete(t, null_buf, len, &rule, &key);
    coverage[OP_DELETE][rule]++;
    inputs++;
    buf = null_buf ? NULL : place(len);
    if (unexpected_count < 20)
    {
        describe_addr(addr, sizeof(addr), stage, len);
        snprintf(input_desc, sizeof(input_desc), "%s, delete via %s%s, %s len %lu, %s", t->name, path_names[path],
                 mode == OV_EVENT ? " (overlapped)" : mode == OV_ROUTINE ? " (routine)" : "",
                 null_buf ? "NULL addr," : "", len, addr);
    }
    if (path == P_NT) call_nt(t, IOCTL_DELETE, buf, len, expect);
    else call_wsa(t, OP_DELETE, path, mode, buf, len, expect);
    if (!expect && (e = model_find(&t->m, &key))) model_remove(&t->m, e);
    read_back_after(t, OP_DELETE, rule, stage);
}

/* ---- the internal query ------------------------------------------------- */

/* Checks a GET against the model.  SPEC gives no order for the query's
 * errors, so where two apply either is accepted. */
static void run_get(struct target *t, int null_in, ULONG inlen, ULONG outlen);

static void random_get(struct target *t)
{
    static const ULONG edges[] = { 0, 1, 2, 139, 140, 141, 143, 144, 4096, HDR + 2 * MAX_CHARS };
    ULONG inlen, r = rnd(8), need;
    struct entry *e = NULL;
    struct key key;

    gen_sockaddr(stage, 28, t->family);
    inlen = pick_addr_len();
    garbage_after_addr(inlen);
    /* the output length: around the header and the stored name's size */
    memset(&key, 0, sizeof(key));
    if (t->type == SOCK_DGRAM && inlen >= 28) key_from(stage, &key);
    if (is_socket(t) && t->supported) e = model_find(&t->m, &key);
    need = HDR + (e ? e->bytes : 2 * rnd(MAX_CHARS));
    run_get(t, !rnd(20), inlen,
            r < 3 ? need : r < 4 ? need - 1 - rnd(4) : r < 5 ? need + rnd(16) : r < 7 ? PICK(edges) : rnd(5000));
}

/* The internal query of the key in stage[0..inlen) (NULL if null_in), into
 * an output of outlen bytes ending at a no-access page; checked against the
 * model. */
static void run_get(struct target *t, int null_in, ULONG inlen, ULONG outlen)
{
    ULONG acc[4], nacc = 0, i, got_st, shown;
    struct entry *e = NULL;
    int key_ok = 1;
    struct key key;
    ULONG_PTR info;
    BYTE *out, addr[128];
    char desc[160];

    if (null_in) inlen = 0;
    if (outlen > MAX_LEN) outlen = MAX_LEN;
    memset(&key, 0, sizeof(key));
    if (is_socket(t) && t->supported && t->type == SOCK_DGRAM)
    {
        USHORT family = inlen >= 2 ? get16(stage) : 0;
        key_ok = inlen >= 2 && family == t->family && inlen >= (family == AF_INET ? 16u : 28u);
        if (key_ok) key_from(stage, &key);
    }
    if (is_socket(t) && t->supported && key_ok) e = model_find(&t->m, &key);

    if (!is_socket(t))
        acc[nacc++] = t->what == T_EVENT ? S_OBJECT_TYPE_MISMATCH : t->what == T_FILE ? S_NOT_SUPPORTED : S_INVALID_HANDLE;
    else if (!t->supported || !key_ok)
    {
        acc[nacc++] = S_INVALID_PARAMETER;
        acc[nacc++] = S_NOT_FOUND;
        if (outlen < HDR) acc[nacc++] = S_BUFFER_TOO_SMALL;
        /* a key of the wrong family: the server's status for that case */
        if (t->supported && inlen >= 2 && get16(stage) != t->family) acc[nacc++] = S_INVALID_ADDRESS;
    }
    else if (!e)
    {
        acc[nacc++] = S_NOT_FOUND;
        if (outlen < HDR) acc[nacc++] = S_BUFFER_TOO_SMALL;
    }
    else if (outlen < HDR) acc[nacc++] = S_BUFFER_TOO_SMALL;
    else if (outlen < HDR + e->bytes) acc[nacc++] = S_BUFFER_OVERFLOW;
    else acc[nacc++] = S_SUCCESS;
    /* coverage: 0 success, 1 not found, 2 too small, 3 overflow, 4 invalid key or socket, 5 not a socket */
    coverage[OP_GET][acc[0] == S_SUCCESS ? 0 : acc[0] == S_NOT_FOUND ? 1 : acc[0] == S_BUFFER_TOO_SMALL ? 2
                     : acc[0] == S_BUFFER_OVERFLOW ? 3 : acc[0] == S_INVALID_PARAMETER ? 4 : 5]++;
    inputs++;

    out = out_guard - outlen;
    memset(out, 0xcc, outlen);
    if (unexpected_count < 20)
    {
        describe_addr(desc, sizeof(desc), stage, inlen);
        snprintf(input_desc, sizeof(input_desc), "%s, internal get, %s key len %lu, %s, output %lu bytes%s",
                 t->name, null_in ? "NULL" : "", inlen, desc, outlen, e ? " (a name is stored)" : "");
    }
    got_st = (ULONG)nt_ioctl((HANDLE)t->s, IOCTL_GET, null_in ? NULL : place(inlen), inlen, out, outlen, &info);

    for (i = 0; i < nacc; i++) if (got_st == acc[i]) break;
    if (i == nacc)
    {
        unexpected("expected status 0x%08lx%s, got 0x%08lx", acc[0], nacc > 1 ? " (or another listed by SPEC)" : "", got_st);
        return;
    }
    if (got_st != S_SUCCESS && got_st != S_BUFFER_OVERFLOW) return;

    /* header: protocol, the key (zeros for stream sockets), length in bytes */
    sockaddr_from_key(&e->key, addr);
    if (get32(out) != e->proto || get32(out + OFF_STRLEN) != e->bytes || memcmp(out + OFF_ADDR, addr, 128))
    {
        unexpected("header: protocol %lu, StringLen %lu, address %s; expected protocol %lu, %lu bytes, the key",
                   get32(out), get32(out + OFF_STRLEN), memcmp(out + OFF_ADDR, addr, 128) ? "differs" : "matches",
                   e->proto, e->bytes);
        return;
    }
    shown = outlen - HDR < e->bytes ? outlen - HDR : e->bytes;
    for (i = 0; i < shown; i++)
        if (out[HDR + i] != name_byte(e->seed, i))
        {
            unexpected("name byte %lu is 0x%02x, expected 0x%02x", i, out[HDR + i], name_byte(e->seed, i));
            return;
        }
    if (got_st == S_SUCCESS && info != HDR + e->bytes)
        unexpected("Information %Iu, expected %lu", info, HDR + e->bytes);
}

/* Queries everything the model says a socket holds: each key of a datagram
 * socket, the one name (or none) of a stream socket. */
static void verify_all(void)
{
    struct target *t;
    int i;

    for (t = targets; t < targets + ntargets; t++)
    {
        if (!is_socket(t) || !t->supported) continue;
        if (t->type != SOCK_DGRAM)
        {
            run_get(t, 1, 0, HDR + 2 * MAX_CHARS);
            continue;
        }
        for (i = 0; i < TAB; i++)
        {
            if (!t->m.tab[i].used) continue;
            sockaddr_from_key(&t->m.tab[i].key, stage);
            run_get(t, 0, t->family == AF_INET ? 16 : 28, HDR + 2 * MAX_CHARS);
        }
    }
}

/* ---- the security family (SPEC "The rest of the family") ---------------- */

#define SEC_SETTINGS 8      /* sizeof(SOCKET_SECURITY_SETTINGS) */
#define SEC_IPSEC    84     /* offsetof(SOCKET_SECURITY_SETTINGS_IPSEC, AllStrings) */
#define TMPL         144    /* sizeof(SOCKET_SECURITY_QUERY_TEMPLATE) */
#define TMPL_IPSEC2  152
#define INFO         24     /* sizeof(SOCKET_SECURITY_QUERY_INFO) */
#define INFO_IPSEC2  64
#define SEC_PARAMS   32     /* sizeof(struct afd_set_security_params) */
#define QUERY_PARAMS 12     /* sizeof(struct afd_query_security_params) */

/* outcomes by the SPEC rule that decides: set 0 (success) and 1..8; query 0
 * and 1..7; impersonation, always WSAEOPNOTSUPP, by kind of arguments 1..8
 * (impersonate_kind) */
enum sec_op { SEC_SET, SEC_QUERY, SEC_IMP, NSECOPS };
static const char *sec_op_names[NSECOPS] = { "set security", "query security", "impersonate" };
static unsigned long long sec_outcomes[NSECOPS][10];
static unsigned long long query_order_efault;   /* non-socket and NULL infolen: WSAEFAULT (see run_query) */
static unsigned long long sec_raw_inputs, sec_probes, sec_readbacks, token_checks, reverts, reverts_impersonating;

/* what a set of security settings carries, as the server sees it */
struct sec_in { ULONG defaults, size, proto, flags, ipsec_flags, user, domain, password; };

/* the settings in stage[0..len) as a caller passes them (NULL: defaults) */
static struct sec_in sec_in_stage(int null_buf, ULONG len)
{
    struct sec_in in;
    memset(&in, 0, sizeof(in));
    in.defaults = null_buf;
    in.size = len;
    if (null_buf || len < SEC_SETTINGS) return in;
    in.proto = get32(stage);
    in.flags = get32(stage + 4);
    if (in.proto != 1 || len < SEC_IPSEC) return in;
    in.ipsec_flags = get32(stage + 8);
    in.user = get32(stage + 72);
    in.domain = get32(stage + 76);
    in.password = get32(stage + 80);
    return in;
}

/* SPEC WSASetSocketSecurity rules 1..9, in order */
static int oracle_set_security(const struct target *t, const struct sec_in *in, int *rule)
{
    *rule = 1; if (!is_socket(t)) return not_socket_error(t);
    *rule = 2; if (!t->supported) return WSAEINVAL;
    *rule = 3; if (t->connected) return WSAEISCONN;
    if (!in->defaults)
    {
        *rule = 4; if (in->size < SEC_SETTINGS) return WSAEMSGSIZE;
        *rule = 5; if (in->proto >= 3 || (in->flags & ~3u)) return WSAEINVAL;
        if (in->proto == 1 && in->size >= SEC_IPSEC)   /* below 84 bytes: the 8-byte structure */
        {
            /* 84 + user + domain + password bytes, in 64 bits: it cannot wrap */
            unsigned long long need = SEC_IPSEC + (unsigned long long)in->user + in->domain + in->password;
            *rule = 6;
            if (in->ipsec_flags & ~15u) return WSAEINVAL;
            if (need > in->size) return WSAEMSGSIZE;
        }
    }
    *rule = 7; if (t->bound || t->sec >= 0) return WSAEINVAL;
    *rule = 8; if (in->defaults || !(in->flags & 2) || (in->flags & 1)) return WSAEOPNOTSUPP;
    *rule = 0;
    return 0;
}

static ULONG pick_sec_proto(void)
{
    static const ULONG odd[] = { 3, 4, 0x7fffffff, 0x80000000, 0xffffffff, 5, 0x101 };
    ULONG r = rnd(10);
    return r < 3 ? 0 : r < 6 ? 1 : r < 8 ? 2 : r < 9 ? PICK(odd) : rnd32();
}

static ULONG pick_sec_flags(void)
{
    ULONG p = rnd(8);
    return p < 3 ? 2 : p < 4 ? 0 : p < 5 ? 1 : p < 6 ? 3 : p < 7 ? (2 | (1u << rnd(32))) : rnd32();
}

static ULONG pick_strings_len(void)
{
    static const ULONG huge[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x80000001, 0x40000000,
                                  0x3fffffff, 0x7fffffd6, 0x7fffffd5, 0x7fffffd7 };
    ULONG r = rnd(8);
    return r < 4 ? rnd(8) : r < 6 ? rnd(200) : PICK(huge);
}

/* splits total (at most 3 x (2^32 - 1)) into three string lengths, each < 2^32 */
static void split3(unsigned long long total, ULONG *a, ULONG *b, ULONG *c)
{
    const unsigned long long m = 0xffffffffull;
    unsigned long long x, y, lo;

    lo = total > 2 * m ? total - 2 * m : 0;         /* x in [lo, min(m, total)] */
    x = lo + next64() % ((total < m ? total : m) - lo + 1);
    lo = total - x > m ? total - x - m : 0;         /* y in [lo, min(m, total - x)] */
    y = lo + next64() % ((total - x < m ? total - x : m) - lo + 1);
    *a = (ULONG)x; *b = (ULONG)y; *c = (ULONG)(total - x - y);
}

/* the IPsec credential lengths (bytes): small, huge, summing to just under /
 * at / over what size holds (84 + sum = size, around it), with a 32-bit sum
 * that wraps to a small number, with 84 + sum = 2^32 + small, and with sums
 * past 2^33: computed in 32 bits, each of the last three would pass */
static void pick_strings(ULONG size, BYTE *u, BYTE *d, BYTE *p)
{
    ULONG a, b, c, k;
    switch (rnd(6))
    {
    case 0: case 1:
        a = pick_strings_len(); b = pick_strings_len(); c = pick_strings_len();
        break;
    case 2:     /* around the size */
    {
        long long total = size >= SEC_IPSEC ? (long long)(size - SEC_IPSEC) : 0;
        total += (long long)rnd(3) - 1;
        split3(total < 0 ? 0 : (unsigned long long)total, &a, &b, &c);
        break;
    }
    case 3:     /* a + b + c = 2^32 + small: a 32-bit sum wraps */
        k = rnd(8);
        b = rnd(8); c = rnd(8);
        a = (ULONG)(0x100000000ull + k - b - c);
        if (rnd(2)) { ULONG x = a; a = b; b = x; }
        break;
    case 4:     /* 84 + sum = 2^32 + small: wraps in 32 bits */
        split3(0x100000000ull - SEC_IPSEC + rnd(64), &a, &b, &c);
        break;
    default:    /* 84 + sum = 2^33 + small, or the largest sum */
        split3(rnd(2) ? 0x200000000ull - SEC_IPSEC + rnd(64) : 3 * 0xffffffffull - rnd(4), &a, &b, &c);
        break;
    }
    put32(u, a); put32(d, b); put32(p, c);
}

static const char *sec_way_names[4] = { "WSASetSocketSecurity", "WSAIoctl SIO_SET_SECURITY",
                                        "raw ioctl (as ws2_32 builds it)", "raw ioctl (fields as they come)" };

static void describe_sec(const struct target *t, int way, enum ovmode mode, const struct sec_in *in, ULONG reqlen)
{
    snprintf(input_desc, sizeof(input_desc), "%s, set security via %s%s, %sdefaults %lu, size %lu, protocol %#lx, "
             "flags %#lx, ipsec flags %#lx, strings %#lx+%#lx+%#lx (request %lu bytes)", t->name, sec_way_names[way],
             mode == OV_EVENT ? " (overlapped)" : mode == OV_ROUTINE ? " (routine)" : "",
             t->sec >= 0 ? "settings applied before, " : t->bound ? "bound, " : "", in->defaults, in->size, in->proto,
             in->flags, in->ipsec_flags, in->user, in->domain, in->password, reqlen);
}

static void sec_readback(struct target *t);
static void sec_probe(struct target *t);
static unsigned long long excl_checks;

/* SPEC set rule 9: applying settings makes the socket SO_EXCLUSIVEADDRUSE in
 * the same request; a socket without them is not (nothing here sets the
 * option otherwise).  Accepted sockets are left out: what they take from the
 * listener is Wine's accept, not SPEC. */
static void check_exclusive(const struct target *t)
{
    int v = 0x7f7f7f7f, len = sizeof(v), want = t->sec >= 0;

    if (baseline || !is_socket(t) || !t->supported || t->accepted) return;
    excl_checks++;
    if (getsockopt(t->s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&v, &len))
        unexpected("getsockopt(SO_EXCLUSIVEADDRUSE) failed: %d", WSAGetLastError());
    else if (v != want)
        unexpected("SO_EXCLUSIVEADDRUSE reads %d, expected %d (settings %s)", v, want, want ? "applied" : "not applied");
}

/* One set of security settings on t.  way 0: WSASetSocketSecurity, 1:
 * WSAIoctl, with the settings in stage[0..len) (NULL if null_buf), at the
 * no-access page; 2: the raw ioctl with the structure ws2_32 builds from
 * them; 3: the raw ioctl with the fields given in *raw_in (any values:
 * sizes up to 2^32 - 1, a defaults field that is neither 0 nor 1) and
 * reqlen bytes of request.  Checked against the SPEC rules; a success
 * applies the settings (the model's t->sec); a refusal changes nothing,
 * which sec_probe shows on a fresh socket (a valid set must still work).
 * Returns the expected error. */
static int run_set_security(struct target *t, int way, enum ovmode mode, int null_buf, ULONG len,
                            const struct sec_in *raw_in, ULONG reqlen)
{
    struct sec_in in = way == 3 ? *raw_in : sec_in_stage(null_buf, len);
    ULONG acc[2], nacc = 0, i;
    int rule, expect, err;

    if (way == 3 && in.defaults > 1)    /* no SPEC answer: as "defaults", or refused as malformed */
    {
        struct sec_in d = in;
        d.defaults = 1;
        expect = oracle_set_security(t, &d, &rule);
    }
    else expect = oracle_set_security(t, &in, &rule);
    sec_outcomes[SEC_SET][rule]++;
    inputs++;
    if (unexpected_count < 20) describe_sec(t, way, mode, &in, way >= 2 ? reqlen : len);

    if (way >= 2)
    {
        BYTE params[SEC_PARAMS + 16];
        ULONG got;

        sec_raw_inputs++;
        if (way == 2) reqlen = SEC_PARAMS;
        memset(params, 0, sizeof(params));
        put32(params, in.defaults);
        put32(params + 4, in.size);
        put32(params + 8, in.proto);
        put32(params + 12, in.flags);
        put32(params + 16, in.ipsec_flags);
        put32(params + 20, in.user);
        put32(params + 24, in.domain);
        put32(params + 28, in.password);
        for (i = SEC_PARAMS; i < sizeof(params); i++) params[i] = (BYTE)next64();
        if (!is_socket(t)) acc[nacc++] = status_for(t, expect);
        else if (reqlen < SEC_PARAMS) acc[nacc++] = S_INVALID_PARAMETER;
        else
        {
            acc[nacc++] = status_for(t, expect);
            if (reqlen > SEC_PARAMS || in.defaults > 1) acc[nacc++] = S_INVALID_PARAMETER;
        }
        memcpy(in_guard - reqlen, params, reqlen);
        got = (ULONG)nt_ioctl((HANDLE)t->s, IOCTL_SET_SECURITY, in_guard - reqlen, reqlen, NULL, 0, NULL);
        for (i = 0; i < nacc; i++) if (got == acc[i]) break;
        if (i == nacc)
            unexpected("expected status 0x%08lx%s, got 0x%08lx", acc[0], nacc > 1 ? " (or STATUS_INVALID_PARAMETER)" : "", got);
        err = got == S_SUCCESS ? 0 : -1;
        if (got == S_SUCCESS && !expect) t->sec = in.proto;
        if (reqlen < SEC_PARAMS) expect = WSAEINVAL;
    }
    else
    {
        WSAOVERLAPPED ov;
        DWORD bytes = 0xdeadbeef;
        BYTE *buf = null_buf ? NULL : place(len);
        int ret;

        prepare_overlapped(&ov);
        WSASetLastError(0xdead);
        if (way == 0)
            ret = WSASetSocketSecurity(t->s, (void *)buf, len, mode == OV_NONE ? NULL : &ov, mode == OV_ROUTINE ? routine : NULL);
        else
            ret = WSAIoctl(t->s, SIO_SET_SEC, buf, len, NULL, 0, &bytes, mode == OV_NONE ? NULL : &ov,
                           mode == OV_ROUTINE ? routine : NULL);
        err = ret ? WSAGetLastError() : 0;
        if (ret != 0 && ret != SOCKET_ERROR) unexpected("returned %d (neither 0 nor SOCKET_ERROR)", ret);
        else if (err != expect) unexpected("expected %d (%s), got %d (%s)", expect, wsa_name(expect), err, wsa_name(err));
        else if (!err && way == 1 && mode == OV_NONE && bytes) unexpected("success but %lu bytes returned", bytes);
        check_completion(t, mode, err, &ov, 0);
        if (!err && !expect) t->sec = in.proto;
    }
    if (baseline || !is_socket(t) || !t->supported) return expect;
    check_exclusive(t);
    if (!rnd(3)) sec_readback(t);
    if (expect && err && !t->connected && !t->bound && t->sec < 0 && t->recyclable && !rnd(3)) sec_probe(t);
    return expect;
}

static ULONG pick_sec_len(void)
{
    static const ULONG lens[] = { 0, 1, 4, 7, 8, 9, 12, 16, 40, 72, 76, 80, 82, 83, 84, 85, 86, 88, 100, 300 };
    return PICK(lens);
}

static void random_set_security(struct target *t)
{
    static const ULONG sizes[] = { 0, 7, 8, 83, 84, 85, 86, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe,
                                   0xffffffff, 0xffffffac /* 2^32 - 84 */, 0xffffffab, 0xffffffad };
    int way = rnd(4), null_buf = !rnd(12);
    enum ovmode mode = way < 2 ? pick_mode(P_WRAPPER) : OV_NONE;
    ULONG len, i;

    for (i = 0; i < 400; i++) stage[i] = (BYTE)next64();
    put32(stage, pick_sec_proto());
    put32(stage + 4, pick_sec_flags());
    put32(stage + 8, rnd(4) ? rnd(16) : rnd(2) ? 16 : rnd32());
    if (way < 3)
    {
        len = rnd(2) ? pick_sec_len() : 84 + rnd(317);
        pick_strings(len, stage + 72, stage + 76, stage + 80);
        if (rnd(3) == 0)    /* the exact length the strings need, or one byte around it */
        {
            unsigned long long need = SEC_IPSEC + (unsigned long long)get32(stage + 72) + get32(stage + 76) + get32(stage + 80);
            if (need <= 400) len = (ULONG)need + rnd(3) - 1;
        }
        if (len > 400) len = rnd(401);
        run_set_security(t, way, mode, null_buf, len, NULL, 0);
    }
    else
    {
        struct sec_in in;
        ULONG reqlen = rnd(10) ? SEC_PARAMS : rnd(4) ? rnd(SEC_PARAMS) : SEC_PARAMS + 1 + rnd(16);
        in.defaults = rnd(6) ? 0 : rnd(2) ? 1 : rnd(2) ? 0x80000000 : rnd32() | 2;
        in.size = rnd(2) ? PICK(sizes) : rnd(3) ? rnd(400) : rnd32();
        in.proto = get32(stage);
        in.flags = get32(stage + 4);
        in.ipsec_flags = get32(stage + 8);
        pick_strings(in.size, stage + 72, stage + 76, stage + 80);
        in.user = get32(stage + 72);
        in.domain = get32(stage + 76);
        in.password = get32(stage + 80);
        if (rnd(2)) { in.proto = 1; in.flags = rnd(3) ? 2 : in.flags; in.ipsec_flags &= rnd(2) ? 15 : ~0u; }
        run_set_security(t, 3, OV_NONE, 0, 0, &in, reqlen);
    }
}

/* valid settings that allow clear text (they are stored): protocol proto;
 * IPSEC in 8..83 bytes (the 8-byte structure) or with credentials that fit */
static int valid_security(struct target *t, ULONG proto)
{
    ULONG len, a, b, c;

    if (baseline) return -1;
    if (proto == 1) len = rnd(3) ? SEC_IPSEC + rnd(8) : SEC_SETTINGS + rnd(SEC_IPSEC - SEC_SETTINGS);
    else len = SEC_SETTINGS + rnd(2) * rnd(100);
    memset(stage, 0, 400);
    put32(stage, proto);
    put32(stage + 4, 2);   /* SOCKET_SETTINGS_ALLOW_INSECURE */
    if (proto == 1 && len >= SEC_IPSEC)
    {
        put32(stage + 8, rnd(16));
        split3(len - SEC_IPSEC - rnd(len - SEC_IPSEC + 1), &a, &b, &c);
        put32(stage + 72, a); put32(stage + 76, b); put32(stage + 80, c);
    }
    return run_set_security(t, rnd(3), OV_NONE, 0, len, NULL, 0);
}

/* After a refused set on a fresh socket: a valid set must still work (the
 * refusal applied nothing, SPEC rules 7 and 8) and the query then reports it. */
static void sec_probe(struct target *t)
{
    sec_probes++;
    valid_security(t, rnd(3));
    sec_readback(t);
}

/* ---- query ---- */

/* what a query carries, as the server sees it (a stream socket's missing
 * template: size 0) */
struct query_in { ULONG size, proto; USHORT family; };

/* SPEC WSAQuerySocketSecurity rules 1..8, in order; *need is the
 * information's size.  wrapper_null_len: the wrapper's infolen is NULL. */
static int oracle_query(const struct target *t, int wrapper_null_len, const struct query_in *in, int null_info,
                        ULONG infolen, int *rule, ULONG *need)
{
    int has = in->size != 0;

    *need = has && in->size >= TMPL && in->proto == 2 ? INFO_IPSEC2 : INFO;
    *rule = 1; if (!is_socket(t)) return not_socket_error(t);
    *rule = 2; if (wrapper_null_len) return WSAEFAULT;
    *rule = 3; if (!t->supported) return WSAEINVAL;
    *rule = 4; if ((has || t->type == SOCK_DGRAM) && (in->size < TMPL || (in->proto == 2 && in->size < TMPL_IPSEC2)))
        return WSAEMSGSIZE;
    *rule = 5; if (has && in->proto >= 3) return WSAEINVAL;
    *rule = 6; if (t->type == SOCK_DGRAM && in->family != t->family) return WSAEAFNOSUPPORT;
    *rule = 7; if (null_info || infolen < *need) return has ? WSAEMSGSIZE : WSAEFAULT;
    *rule = 0;
    return 0;
}

/* the information a successful query returns: SPEC rule 8 */
static void check_info(const struct target *t, const BYTE *out, ULONG need, ULONG room)
{
    ULONG i, want = t->sec < 0 ? 0 : (ULONG)t->sec;
    if (get32(out) != want) { unexpected("protocol %lu, expected %lu", get32(out), want); return; }
    for (i = 4; i < need; i++)
        if (out[i]) { unexpected("byte %lu of the information is %#x: not secured, no tokens, means zeros", i, out[i]); return; }
    for (i = need; i < room; i++)
        if (out[i] != 0xcc) { unexpected("byte %lu, past the %lu bytes of information, was written", i, need); return; }
}

static void describe_query(const struct target *t, const char *way, enum ovmode mode, int null_tmpl, ULONG tmpllen,
                           const struct query_in *in, int null_info, ULONG infolen, int null_len)
{
    snprintf(input_desc, sizeof(input_desc), "%s%s, query security via %s%s, template %s%lu bytes (protocol %#lx, "
             "family %u), info %s%lu bytes%s", t->name, t->sec >= 0 ? " (settings applied)" : "", way,
             mode == OV_EVENT ? " (overlapped)" : mode == OV_ROUTINE ? " (routine)" : "",
             null_tmpl ? "NULL, " : "", tmpllen, in->proto, in->family, null_info ? "NULL, " : "", infolen,
             null_len ? ", infolen NULL" : "");
}

/* A query through the wrapper (way 0) or WSAIoctl (1) of the template in
 * stage[0..tmpllen) (NULL if null_tmpl), at the no-access page; the
 * information into infolen bytes (NULL if null_info) that end at the
 * no-access page (tight) or are followed by room that must stay untouched. */
static void run_query(struct target *t, int way, enum ovmode mode, int null_tmpl, ULONG tmpllen, int null_info,
                      ULONG infolen, int null_len, int tight)
{
    struct query_in in;
    WSAOVERLAPPED ov;
    ULONG need, got_len = infolen, room = tight ? infolen : 128;
    int rule, expect, err, ret;
    BYTE *out = out_guard - room;
    DWORD bytes = infolen;

    in.size = null_tmpl ? 0 : tmpllen;
    in.proto = in.size >= TMPL ? get32(stage) : 0;
    in.family = in.size >= TMPL ? get16(stage + 8) : 0;
    expect = oracle_query(t, way == 0 && null_len, &in, null_info, infolen, &rule, &need);
    sec_outcomes[SEC_QUERY][rule]++;
    inputs++;
    if (unexpected_count < 20)
        describe_query(t, way ? "WSAIoctl SIO_QUERY_SECURITY" : "WSAQuerySocketSecurity", mode, null_tmpl, tmpllen,
                       &in, null_info, infolen, way == 0 && null_len);
    memset(out, 0xcc, room);
    prepare_overlapped(&ov);
    WSASetLastError(0xdead);
    if (way == 0)
        ret = WSAQuerySocketSecurity(t->s, null_tmpl ? NULL : (void *)place(tmpllen), tmpllen,
                                     null_info ? NULL : (void *)out, null_len ? NULL : &got_len,
                                     mode == OV_NONE ? NULL : &ov, mode == OV_ROUTINE ? routine : NULL);
    else
    {
        ret = WSAIoctl(t->s, SIO_QUERY_SEC, null_tmpl ? NULL : place(tmpllen), tmpllen, null_info ? NULL : out,
                       infolen, &bytes, mode == OV_NONE ? NULL : &ov, mode == OV_ROUTINE ? routine : NULL);
        got_len = bytes;
    }
    err = ret ? WSAGetLastError() : 0;
    if (ret != 0 && ret != SOCKET_ERROR) { unexpected("returned %d (neither 0 nor SOCKET_ERROR)", ret); return; }
    /* SPEC lists rule 1 (not a socket) before rule 2 (infolen NULL); the
     * wrapper checks the pointer first, without a round trip, as SPEC allows
     * for the target-name rules 1 and 2.  Accepted, counted, and written up
     * in /work/notes/spec-deviations.md (1) for the lead to settle. */
    if (rule == 1 && way == 0 && null_len && err == WSAEFAULT) { query_order_efault++; return; }
    if (err != expect) { unexpected("expected %d (%s), got %d (%s)", expect, wsa_name(expect), err, wsa_name(err)); return; }
    check_completion(t, mode, err, &ov, need);
    /* the size probe (rule 7) and a success say the size in infolen / lpcbBytesReturned */
    if ((rule == 7 || (rule == 0 && mode == OV_NONE)) && got_len != need)
    {
        unexpected("length %lu, expected %lu", got_len, need);
        return;
    }
    if (rule && !null_info)
        for (ULONG i = 0; i < room; i++)
            if (out[i] != 0xcc) { unexpected("a refused query wrote byte %lu of the information", i); return; }
    if (!rule) check_info(t, out, need, room);
}

/* The raw IOCTL_AFD_WINE_QUERY_SECURITY: the parameter structure (size,
 * protocol, family) with any values, requests cut short or longer, the
 * output anywhere from 0 to 128 bytes, ending at the no-access page.  Where
 * the fields disagree with what ws2_32 would send (a protocol or family
 * without a template) SPEC has no answer, and STATUS_INVALID_PARAMETER is
 * accepted too. */
static void random_raw_query(struct target *t)
{
    static const ULONG sizes[] = { 0, 0, 1, 143, 144, 145, 151, 152, 153, 0x7fffffff, 0xffffffff };
    static const ULONG outs[] = { 0, 1, 23, 24, 25, 63, 64, 65, 128 };
    BYTE params[QUERY_PARAMS + 8];
    struct query_in in;
    ULONG reqlen = rnd(10) ? QUERY_PARAMS : rnd(3) ? rnd(QUERY_PARAMS) : QUERY_PARAMS + 1 + rnd(8);
    ULONG outlen = rnd(4) ? PICK(outs) : rnd(129), need, acc[2], nacc = 0, got, i;
    ULONG_PTR info = 0;
    int rule, expect, consistent;
    BYTE *out = out_guard - outlen;

    in.size = rnd(2) ? PICK(sizes) : rnd(3) ? rnd(300) : rnd32();
    in.proto = in.size >= TMPL || rnd(4) == 0 ? pick_sec_proto() : 0;
    in.family = in.size >= TMPL || rnd(4) == 0 ? (rnd(3) ? t->family : rnd(2) ? (t->family == AF_INET ? AF_INET6 : AF_INET) : (USHORT)rnd32()) : 0;
    consistent = in.size >= TMPL || (!in.proto && !in.family);
    memset(params, 0, sizeof(params));
    put32(params, in.size);
    put32(params + 4, in.proto);
    put16(params + 8, in.family);
    if (!rnd(8)) put16(params + 10, (USHORT)rnd32());   /* padding: ignored */
    for (i = QUERY_PARAMS; i < sizeof(params); i++) params[i] = (BYTE)next64();

    expect = oracle_query(t, 0, &in, 0, outlen, &rule, &need);
    sec_outcomes[SEC_QUERY][rule]++;
    sec_raw_inputs++;
    inputs++;
    if (!is_socket(t)) acc[nacc++] = status_for(t, expect);
    else if (reqlen < QUERY_PARAMS) acc[nacc++] = S_INVALID_PARAMETER;
    else
    {
        /* the size probe: the server says the output is too small; ws2_32 picks
         * WSAEFAULT or WSAEMSGSIZE by whether a template was given */
        acc[nacc++] = rule == 7 ? S_BUFFER_TOO_SMALL : status_for(t, expect);
        if (!consistent || reqlen > QUERY_PARAMS) acc[nacc++] = S_INVALID_PARAMETER;
    }
    if (unexpected_count < 20)
        snprintf(input_desc, sizeof(input_desc), "%s%s, raw query security: request %lu bytes, size %lu, protocol %#lx, "
                 "family %u, output %lu bytes", t->name, t->sec >= 0 ? " (settings applied)" : "", reqlen, in.size,
                 in.proto, in.family, outlen);
    memset(out, 0xcc, outlen);
    memcpy(in_guard - reqlen, params, reqlen);
    got = (ULONG)nt_ioctl((HANDLE)t->s, IOCTL_QUERY_SECURITY, in_guard - reqlen, reqlen, outlen ? out : NULL, outlen, &info);
    for (i = 0; i < nacc; i++) if (got == acc[i]) break;
    if (i == nacc)
    {
        unexpected("expected status 0x%08lx%s, got 0x%08lx", acc[0], nacc > 1 ? " (or STATUS_INVALID_PARAMETER)" : "", got);
        return;
    }
    if (got != S_SUCCESS)
    {
        for (i = 0; i < outlen; i++)
            if (out[i] != 0xcc) { unexpected("status 0x%08lx, but output byte %lu was written", got, i); return; }
        return;
    }
    if (info != need) { unexpected("Information %Iu, expected %lu", info, need); return; }
    check_info(t, out, need, outlen);
}

static void random_query(struct target *t)
{
    static const ULONG tlens[] = { 0, 1, 8, 143, 144, 145, 151, 152, 153, 200 };
    static const ULONG ilens[] = { 0, 1, 23, 24, 25, 63, 64, 65, 128 };
    int way = rnd(5), null_tmpl, null_info = !rnd(6), null_len = !rnd(15);
    ULONG i;

    if (way >= 2) { random_raw_query(t); return; }
    for (i = 0; i < 200; i++) stage[i] = (BYTE)next64();
    put32(stage, pick_sec_proto());
    put16(stage + 8, rnd(4) ? t->family : rnd(3) ? (t->family == AF_INET ? AF_INET6 : AF_INET) : (USHORT)rnd32());
    null_tmpl = t->type == SOCK_STREAM ? rnd(2) : !rnd(6);
    run_query(t, way, pick_mode(P_WRAPPER), null_tmpl, PICK(tlens), null_info, PICK(ilens), null_len, rnd(2));
}

/* the settings the server holds, by a valid query (SPEC rule 8) */
static void sec_readback(struct target *t)
{
    int ipsec2 = !rnd(4);
    sec_readbacks++;
    memset(stage, 0, TMPL_IPSEC2);
    put32(stage, ipsec2 ? 2 : rnd(2));
    put16(stage + 8, t->family);
    run_query(t, rnd(2), OV_NONE, t->type == SOCK_STREAM && rnd(2), ipsec2 ? TMPL_IPSEC2 : TMPL, 0,
              ipsec2 ? INFO_IPSEC2 : INFO + rnd(2) * 40, 0, rnd(2));
}

/* ---- impersonation ---- */

/* the thread's token is what it was: SPEC "the thread's token never changes" */
static void check_token(int before, const LUID *id_before, const char *after)
{
    LUID id;
    int now = thread_token(&id);
    token_checks++;
    if (now != before || (now == 1 && memcmp(&id, id_before, sizeof(id))))
        unexpected("after %s the thread %s (before: %s)", after,
                   now == 1 ? (before == 1 ? "has another token" : "has a token") : now == 0 ? "has no token" : "token cannot be read",
                   before == 1 ? "impersonating itself" : before == 0 ? "no token" : "unknown");
}

/* SPEC: WSAImpersonateSocketPeer answers WSAEOPNOTSUPP whatever its
 * arguments.  The kinds of arguments are counted for coverage: 1 not a
 * socket, 2 another kind of socket, 3 NULL address, 4 address too short for
 * its family, 5 address of another family, 6 unconnected stream socket,
 * 7 anything else, 8 an address on a no-access page. */
static int impersonate_kind(const struct target *t, int null_addr, int unreadable, ULONG len)
{
    USHORT family = !null_addr && !unreadable && len >= 2 ? get16(stage) : 0;
    if (!is_socket(t)) return 1;
    if (!t->supported) return 2;
    if (unreadable) return 8;
    if (null_addr) return 3;
    if (len < 2 || (family == AF_INET && len < 16) || (family == AF_INET6 && len < 28)) return 4;
    if (family != t->family) return 5;
    if (t->type == SOCK_STREAM && !t->connected) return 6;
    return 7;
}

/* WSAImpersonateSocketPeer with every kind of handle and address (NULL,
 * cut, of another family, garbage; ending at the no-access page, or on it),
 * sometimes while the thread impersonates itself (ImpersonateSelf): always
 * WSAEOPNOTSUPP, the thread's token never changes.  Now and then
 * WSARevertImpersonation: 0, and an impersonation made by other means is
 * left alone. */
static void random_impersonate(struct target *t)
{
    static const ULONG lens[] = { 0, 1, 2, 3, 15, 16, 17, 27, 28, 29, 128, 300, 0xffffffff };
    int null_addr = !rnd(8), unreadable = !null_addr && !rnd(16), self = !rnd(6), kind, err, ret, before;
    ULONG len = rnd(4) ? PICK(lens) : rnd(300);
    const void *addr;
    LUID id;

    if (unreadable && !len) len = 16;
    gen_sockaddr(stage, 28, t->family);
    if (len <= MAX_LEN) garbage_after_addr(len);
    kind = impersonate_kind(t, null_addr, unreadable, len);
    sec_outcomes[SEC_IMP][kind]++;
    inputs++;
    if (unexpected_count < 20)
    {
        char desc[160];
        describe_addr(desc, sizeof(desc), stage, len > 28 ? 28 : len);
        snprintf(input_desc, sizeof(input_desc), "%s, WSAImpersonateSocketPeer, %s len %lu, %s%s", t->name,
                 null_addr ? "NULL address," : unreadable ? "address on a no-access page," : "", len,
                 null_addr || unreadable ? "" : desc, self ? " (thread impersonating itself)" : "");
    }
    /* place() copies len bytes: a longer length gets the 300 bytes before the guard page */
    addr = null_addr ? NULL : unreadable ? (const void *)in_guard : place(len <= 300 ? len : 300);
    if (self && !ImpersonateSelf(SecurityImpersonation)) { printf("ImpersonateSelf failed (%lu)\n", GetLastError()); self = 0; }
    before = thread_token(&id);
    WSASetLastError(0xdead);
    ret = WSAImpersonateSocketPeer(t->s, (const struct sockaddr *)addr, len);
    err = WSAGetLastError();
    if (ret != SOCKET_ERROR) unexpected("returned %d, expected SOCKET_ERROR with WSAEOPNOTSUPP", ret);
    else if (err != WSAEOPNOTSUPP) unexpected("expected %d (WSAEOPNOTSUPP), got %d (%s)", WSAEOPNOTSUPP, err, wsa_name(err));
    check_token(before, &id, "WSAImpersonateSocketPeer");
    if (!rnd(3))
    {
        reverts++;
        if (self) reverts_impersonating++;
        snprintf(input_desc, sizeof(input_desc), "WSARevertImpersonation%s", self ? " (thread impersonating itself)" : "");
        ret = WSARevertImpersonation();
        if (ret) unexpected("returned %d, expected 0", ret);
        check_token(before, &id, "WSARevertImpersonation");
    }
    if (self) RevertToSelf();
}

/* the security family's share of the random inputs */
static void random_security(struct target *t)
{
    ULONG r = rnd(10);
    if (r < 4) random_set_security(t);
    else if (r < 8) random_query(t);
    else random_impersonate(t);
}

/* ---- targets ------------------------------------------------------------- */

static struct target *add_target(const char *name, enum what what, int family, int type, int protocol,
                                 int overlapped, int weight)
{
    struct target *t = &targets[ntargets++];
    t->name = name;
    t->what = what;
    t->family = family;
    t->type = type;
    t->protocol = protocol;
    t->overlapped = overlapped;
    t->supported = (family == AF_INET || family == AF_INET6) && (type == SOCK_STREAM || type == SOCK_DGRAM);
    t->weight = weight;
    t->bound = 0;
    t->sec = -1;
    t->accepted = 0;
    model_clear(&t->m);
    if (what == T_SOCKET)
    {
        t->s = new_socket(family, type, protocol, overlapped);
        if (t->s == INVALID_SOCKET)
        {
            printf("note: no %s socket (error %d): not fuzzed\n", name, WSAGetLastError());
            ntargets--;
            return NULL;
        }
    }
    total_weight += weight;
    return t;
}

/* a valid set (random path), so that connected sockets hold a name too */
static void valid_set(struct target *t, ULONG proto, ULONG chars)
{
    ULONG field = proto == 2 ? 2 * chars : chars;
    if (baseline) return;
    build_set(proto, field, t->family, HDR + 2 * chars);
    if (t->type == SOCK_DGRAM)  /* a key the small random set also makes */
    {
        memset(stage + OFF_ADDR, 0, 128);
        put16(stage + OFF_ADDR, t->family);
        put16(stage + OFF_ADDR + 2, htons(80));
        if (t->family == AF_INET) memcpy(stage + OFF_ADDR + 4, v4s[1], 4);
        else memcpy(stage + OFF_ADDR + 8, v6s[1], 16);
    }
    run_set(t, rnd(NPATHS), OV_NONE, 0, HDR + 2 * chars);
}

static void loopback(int family, USHORT port, struct sockaddr_storage *a, int *len)
{
    memset(a, 0, sizeof(*a));
    if (family == AF_INET)
    {
        struct sockaddr_in *in = (struct sockaddr_in *)a;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*in);
    }
    else
    {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        in6->sin6_addr.s6_addr[15] = 1;
        *len = sizeof(*in6);
    }
}

/* An accept socket that held a name, after AcceptEx: SPEC "A socket returned
 * by accept/AcceptEx is a new object and starts with no names". */
static void add_acceptex(struct target *l, const struct sockaddr_storage *a, int len, const char *name)
{
    GUID guid = WSAID_ACCEPTEX;
    LPFN_ACCEPTEX acceptex = NULL;
    char buf[2 * (sizeof(struct sockaddr_in6) + 16)];
    struct target *t;
    OVERLAPPED ov;
    DWORD bytes;
    SOCKET c;

    if (WSAIoctl(l->s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid), &acceptex, sizeof(acceptex),
                 &bytes, NULL, NULL) || !acceptex) { printf("note: no AcceptEx\n"); return; }
    if (!(t = add_target(name, T_SOCKET, l->family, SOCK_STREAM, 0, 1, 2))) return;
    valid_set(t, 0, 6);
    valid_security(t, 1 + rnd(2));   /* applied before AcceptEx: the accepted socket starts without them */
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!acceptex(l->s, t->s, buf, 0, sizeof(struct sockaddr_in6) + 16, sizeof(struct sockaddr_in6) + 16, &bytes, &ov)
        && WSAGetLastError() != ERROR_IO_PENDING) { printf("note: AcceptEx failed (%d)\n", WSAGetLastError()); exit(3); }
    c = new_socket(l->family, SOCK_STREAM, 0, 1);          /* stays open, connected, to the end */
    if (connect(c, (const struct sockaddr *)a, len) || WaitForSingleObject(ov.hEvent, 5000))
        { printf("note: AcceptEx did not complete (%d)\n", WSAGetLastError()); exit(3); }
    setsockopt(t->s, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l->s, sizeof(l->s));
    CloseHandle(ov.hEvent);
    model_clear(&t->m);
    t->sec = -1;
    t->connected = 1;
    t->accepted = 1;
}

/* a listening socket, a client that holds a name and connects to it, and
 * the accepted socket (SPEC rule 4: connected and accepted stream sockets) */
static void add_tcp_trio(int family, const char *lname, const char *cname, const char *aname)
{
    struct sockaddr_storage a;
    struct target *l, *c, *acc;
    int len;

    if (!(l = add_target(lname, T_SOCKET, family, SOCK_STREAM, 0, 1, 2))) return;
    valid_security(l, 1);  /* settings applied before bind stay through bind and listen (SPEC rule 7) */
    loopback(family, 0, &a, &len);
    if (bind(l->s, (struct sockaddr *)&a, len) || listen(l->s, 4) || getsockname(l->s, (struct sockaddr *)&a, &len))
    {
        printf("note: cannot listen on %s loopback (error %d)\n", family == AF_INET ? "IPv4" : "IPv6", WSAGetLastError());
        return;
    }
    l->bound = 1;
    valid_set(l, 1, 4);    /* the listener's name is not the accepted socket's */
    if (!(c = add_target(cname, T_SOCKET, family, SOCK_STREAM, 0, 1, 2))) return;
    valid_set(c, 1, 5);
    valid_security(c, 2);  /* the query reports them after connect too (SPEC query rule 8) */
    if (connect(c->s, (struct sockaddr *)&a, len)) { printf("note: connect failed (%d)\n", WSAGetLastError()); exit(3); }
    c->connected = 1;
    if (!(acc = add_target(aname, T_SOCKET, family, SOCK_STREAM, 0, 1, 2))) return;
    closesocket(acc->s);
    acc->s = accept(l->s, NULL, NULL);
    acc->connected = 1;
    acc->sec = -1;         /* a new object: no names, no settings (the listener has both) */
    acc->accepted = 1;
    if (acc->s == INVALID_SOCKET) { printf("note: accept failed (%d)\n", WSAGetLastError()); exit(3); }
    add_acceptex(l, &a, len, family == AF_INET ? "tcp4 from AcceptEx" : "tcp6 from AcceptEx");
}

static void add_udp_connected(int family, const char *name)
{
    struct sockaddr_storage a;
    struct target *t;
    int len;

    if (!(t = add_target(name, T_SOCKET, family, SOCK_DGRAM, 0, 1, 2))) return;
    valid_set(t, 2, 7);
    loopback(family, 9, &a, &len);
    if (connect(t->s, (struct sockaddr *)&a, len)) { printf("note: UDP connect failed (%d)\n", WSAGetLastError()); exit(3); }
    t->connected = 1;
}

/* connected, then disconnected with an AF_UNSPEC connect: no default peer
 * any more (getpeername says so), so sets are allowed again (SPEC rule 4) */
static void add_udp_disconnected(int family, const char *name)
{
    struct sockaddr_storage a;
    struct target *t;
    int len;

    if (!(t = add_target(name, T_SOCKET, family, SOCK_DGRAM, 0, 1, 2))) return;
    loopback(family, 9, &a, &len);
    if (connect(t->s, (struct sockaddr *)&a, len)) { printf("note: UDP connect failed (%d)\n", WSAGetLastError()); exit(3); }
    memset(&a, 0, sizeof(a));
    a.ss_family = AF_UNSPEC;
    connect(t->s, (struct sockaddr *)&a, len);
    t->bound = 1;
    len = sizeof(a);
    if (!getpeername(t->s, (struct sockaddr *)&a, &len))
    {
        printf("note: an AF_UNSPEC connect does not disconnect a UDP socket here: %s not fuzzed\n", name);
        total_weight -= t->weight;
        closesocket(t->s);
        ntargets--;
    }
}

/* settings (valid, ALLOW_INSECURE: stored) or none, then bind (and for
 * a stream socket perhaps listen): SPEC rule 7 refuses settings from then
 * on, applied ones stay; names may still be set (not connected) */
static void bind_target(struct target *t, int settings, int do_listen)
{
    struct sockaddr_storage a;
    int len;

    if (settings) valid_security(t, rnd(3));
    loopback(t->family, 0, &a, &len);
    if (bind(t->s, (struct sockaddr *)&a, len) || (do_listen && listen(t->s, 2)))
    {
        printf("note: cannot bind or listen %s (%d)\n", t->name, WSAGetLastError());
        exit(3);
    }
    t->bound = 1;
}

static void make_targets(void)
{
    WCHAR dir[MAX_PATH], path[MAX_PATH];
    struct target *t;

    add_target("udp4", T_SOCKET, AF_INET, SOCK_DGRAM, 0, 1, 8);
    add_target("udp6", T_SOCKET, AF_INET6, SOCK_DGRAM, 0, 1, 8);
    add_target("tcp4", T_SOCKET, AF_INET, SOCK_STREAM, 0, 1, 5);
    add_target("tcp6", T_SOCKET, AF_INET6, SOCK_STREAM, 0, 1, 5);
    add_target("udp4 non-overlapped", T_SOCKET, AF_INET, SOCK_DGRAM, 0, 0, 4);
    add_target("tcp6 non-overlapped", T_SOCKET, AF_INET6, SOCK_STREAM, 0, 0, 2);
    for (t = targets; t < targets + ntargets; t++) t->recyclable = 1;
    add_tcp_trio(AF_INET, "tcp4 listening", "tcp4 connected", "tcp4 accepted");
    add_tcp_trio(AF_INET6, "tcp6 listening", "tcp6 connected", "tcp6 accepted");
    if ((t = add_target("tcp4 bound", T_SOCKET, AF_INET, SOCK_STREAM, 0, 1, 2))) bind_target(t, 0, 0);
    if ((t = add_target("udp6 bound, settings before", T_SOCKET, AF_INET6, SOCK_DGRAM, 0, 1, 2))) bind_target(t, 1, 0);
    if ((t = add_target("tcp6 listening, settings before", T_SOCKET, AF_INET6, SOCK_STREAM, 0, 0, 1))) bind_target(t, 1, 1);
    add_udp_connected(AF_INET, "udp4 connected");
    add_udp_connected(AF_INET6, "udp6 connected");
    add_udp_disconnected(AF_INET, "udp4 disconnected");
    add_target("raw4 icmp", T_SOCKET, AF_INET, SOCK_RAW, IPPROTO_ICMP, 1, 2);
    add_target("raw6 icmpv6", T_SOCKET, AF_INET6, SOCK_RAW, 58, 1, 1);
    add_target("unix stream", T_SOCKET, AF_UNIX, SOCK_STREAM, 0, 1, 1);
    add_target("closed socket handle", T_CLOSED, 0, 0, 0, 0, 2);
    if ((t = add_target("event", T_EVENT, 0, 0, 0, 0, 1))) t->s = (SOCKET)CreateEventW(NULL, TRUE, FALSE, NULL);
    if ((t = add_target("file (overlapped)", T_FILE, 0, 0, 0, 1, 1)))
    {
        GetTempPathW(MAX_PATH, dir);
        GetTempFileNameW(dir, L"fz", 0, path);
        t->s = (SOCKET)CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                                   FILE_FLAG_DELETE_ON_CLOSE | FILE_FLAG_OVERLAPPED, NULL);
        if ((HANDLE)t->s == INVALID_HANDLE_VALUE) { printf("cannot create a file\n"); exit(3); }
    }
    if ((t = add_target("NULL handle", T_NULL, 0, 0, 0, 0, 1))) t->s = 0;
    if ((t = add_target("handle -1", T_MINUS1, 0, 0, 0, 0, 1))) t->s = (SOCKET)INVALID_HANDLE_VALUE;
}

static struct target *pick_target(void)
{
    int r = rnd(total_weight), i;
    for (i = 0; i < ntargets; i++)
        if ((r -= targets[i].weight) < 0) break;
    if (targets[i].what == T_CLOSED)  /* a handle just closed: nothing can have reused it yet */
    {
        SOCKET s = new_socket(AF_INET, SOCK_DGRAM, 0, 1);
        closesocket(s);
        targets[i].s = s;
    }
    return &targets[i];
}

/* closing frees what the socket held (SPEC "Cost"); a new socket holds
 * nothing.  One in four comes back bound (settings applied before or not,
 * a stream socket perhaps listening); the others fresh. */
static void recycle(struct target *t)
{
    ULONG r = rnd(8);

    closesocket(t->s);
    model_clear(&t->m);
    t->sec = -1;
    if (!t->connected) t->bound = 0;
    t->s = new_socket(t->family, t->type, t->protocol, t->overlapped);
    if (t->s == INVALID_SOCKET) { printf("cannot make a %s socket again\n", t->name); exit(3); }
    if (r < 2 && !t->connected && !baseline) bind_target(t, r, t->type == SOCK_STREAM && rnd(2));
}

/* ---- limits --------------------------------------------------------------- */

/* a valid set of a new key number n (distinct from the random keys) */
static int set_numbered(struct target *t, ULONG n, ULONG proto, ULONG chars)
{
    ULONG field = proto == 2 ? 2 * chars : chars;
    BYTE *a = stage + OFF_ADDR;

    build_set(proto, field, t->family, HDR + 2 * chars);
    memset(a, 0, 128);
    put16(a, t->family);
    put16(a + 2, htons(5000));
    if (t->family == AF_INET) { a[4] = 127; a[5] = 1; a[6] = (BYTE)(n >> 8); a[7] = (BYTE)n; }
    else { a[8] = 0xfd; a[22] = (BYTE)(n >> 8); a[23] = (BYTE)n; }
    return run_set(t, rnd(NPATHS), OV_NONE, 0, HDR + 2 * chars);
}

static void delete_numbered(struct target *t, ULONG n)
{
    struct key key;
    struct entry *e;
    int rule, expect;
    BYTE *a = stage;

    memset(a, 0, 28);
    put16(a, t->family);
    put16(a + 2, htons(5000));
    if (t->family == AF_INET) { a[4] = 127; a[5] = 1; a[6] = (BYTE)(n >> 8); a[7] = (BYTE)n; }
    else { a[8] = 0xfd; a[22] = (BYTE)(n >> 8); a[23] = (BYTE)n; }
    expect = oracle_delete(t, 0, t->family == AF_INET ? 16 : 28, &rule, &key);
    coverage[OP_DELETE][rule]++;
    inputs++;
    snprintf(input_desc, sizeof(input_desc), "%s, delete of numbered key %lu", t->name, n);
    call_nt(t, IOCTL_DELETE, place(t->family == AF_INET ? 16 : 28), t->family == AF_INET ? 16 : 28, expect);
    if (!expect && (e = model_find(&t->m, &key))) model_remove(&t->m, e);
    read_back_after(t, OP_DELETE, rule, stage);
}

/* Fills a datagram socket to 4096 names and past it (SPEC rule 11): new keys
 * are refused, replacing is not, a delete makes room for one. */
static void fill(struct target *t)
{
    ULONG n = 0;

    while (t->m.count < MAX_NAMES && n < 2 * MAX_NAMES) set_numbered(t, n++, rnd(3), 1 + rnd(8));
    set_numbered(t, n++, rnd(3), 3);          /* refused */
    set_numbered(t, n++, rnd(3), 3);          /* refused */
    set_numbered(t, 0, rnd(3), 4);            /* replaces */
    delete_numbered(t, 1);
    set_numbered(t, n++, rnd(3), 3);          /* fits again */
    set_numbered(t, n++, rnd(3), 3);          /* refused */
    if (rnd(2)) recycle(t);                   /* close a socket holding 4096 names */
}

/* SPEC rule 11, server-wide: 64 MiB for all entries, each costing its
 * structure (ENTRY) plus its name.  Fills extra sockets until one 2-byte
 * entry is left to fit; it fits (64 MiB exactly), the next new key is
 * refused, on any socket; a shrinking replacement works and its room takes
 * a growing one; a delete makes room; closing the sockets gives the room
 * back (the final liveness check sets a name again).  The oracle decides
 * every answer. */
static struct target quota_sockets[24];
static int nquota;

static struct target *quota_socket(void)
{
    struct target *t = &quota_sockets[nquota - 1];

    if (nquota && t->m.count < MAX_NAMES) return t;
    if (nquota == 24) { printf("quota phase: out of sockets\n"); exit(3); }
    t = &quota_sockets[nquota++];
    t->name = "udp4 (quota phase)";
    t->what = T_SOCKET;
    t->family = AF_INET;
    t->type = SOCK_DGRAM;
    t->overlapped = 1;
    t->supported = 1;
    model_clear(&t->m);
    t->s = new_socket(AF_INET, SOCK_DGRAM, 0, 1);
    return t;
}

/* the number of a random entry of quota socket q that is small (at most 16
 * bytes: every 64th of the fill) or big (2048 bytes), ~0u if none; its key
 * in numbered_key */
static struct key numbered_key;

static ULONG quota_entry(struct target *q, int small)
{
    ULONG i, start = rnd(TAB);
    for (i = 0; i < TAB; i++)
    {
        struct entry *e = &q->m.tab[(start + i) & (TAB - 1)];
        if (!e->used || (small ? e->bytes > 16 : e->bytes != 2 * MAX_CHARS)) continue;
        numbered_key = e->key;
        return (ULONG)e->key.addr[2] << 8 | e->key.addr[3];
    }
    return ~0u;
}

static void quota_phase(void)
{
    struct target *last;
    ULONG n = 0, last_n;
    int i;

    printf("quota phase: filling the server to %u bytes of names\n", MAX_BYTES);
    while (total_bytes + 2 * (ENTRY + 2 * MAX_CHARS) <= MAX_BYTES)
        set_numbered(quota_socket(), n, rnd(3), n % 64 ? MAX_CHARS : 1 + rnd(8)), n++;
    while (total_bytes + 2 * ENTRY + 2 + 2 <= MAX_BYTES)   /* leave room for one entry of one character */
    {
        ULONG room = (ULONG)(MAX_BYTES - total_bytes - 2 * ENTRY - 2) / 2;
        set_numbered(quota_socket(), n++, 0, room < MAX_CHARS ? room : MAX_CHARS);
    }
    set_numbered(quota_socket(), n++, 2, 1);       /* the last entry that fits: 64 MiB exactly */
    last = &quota_sockets[nquota - 1];
    last_n = n - 1;
    set_numbered(quota_socket(), n++, 1, 1);       /* refused */
    set_numbered(&targets[0], 9999, 1, 1);         /* refused on another socket too (unless the key exists) */
    set_numbered(last, last_n, 1, 2);              /* a growing replacement that does not fit: refused */
    /* growing replacements at the bound (rule 11: a replacement is charged
     * its growth): a small entry grown by 2 .. 2046 bytes is refused; after a
     * big one shrinks, a growth by exactly the room there is fits, by 2
     * bytes more is refused.  The oracle decides each; each is read back. */
    for (i = 0; i < 64; i++)
    {
        struct target *q = &quota_sockets[rnd(nquota)];
        ULONG small = quota_entry(q, 1), big, b, room;

        if (small == ~0u) continue;
        b = model_find(&q->m, &numbered_key)->bytes;
        if (i % 4 != 3 || (big = quota_entry(q, 0)) == ~0u)
        {
            set_numbered(q, small, rnd(3), b / 2 + 1 + rnd(MAX_CHARS - b / 2));
            continue;
        }
        room = (ULONG)(MAX_BYTES - total_bytes);
        if (b + room + 2 > 2 * MAX_CHARS) continue;
        set_numbered(q, big, rnd(3), MAX_CHARS - (1 + rnd((2 * MAX_CHARS - b - room) / 2)));  /* shrinks */
        room = (ULONG)(MAX_BYTES - total_bytes);
        set_numbered(q, small, rnd(3), (b + room) / 2 + 1);   /* 2 bytes more than the room: refused */
        set_numbered(q, small, rnd(3), (b + room) / 2);       /* exactly the room: fits */
    }
    set_numbered(&quota_sockets[0], 0, 2, 1);      /* a shrinking replacement works ... */
    set_numbered(&quota_sockets[0], 1, 0, MAX_CHARS); /* one of the same size too */
    set_numbered(last, last_n, 1, MAX_CHARS);      /* ... and a growth by what it gave back fits exactly */
    delete_numbered(&quota_sockets[0], 1);         /* a delete makes room */
    set_numbered(quota_socket(), n++, 1, 2);
    for (i = 0; i < nquota; i++)
    {
        closesocket(quota_sockets[i].s);
        model_clear(&quota_sockets[i].m);
    }
    printf("quota phase: done, %d sockets\n", nquota);
    nquota = 0;
}

/* ---- liveness ------------------------------------------------------------ */

/* A fresh socket, a name set and read back: the wineserver still works. */
static int alive(void)
{
    static const WCHAR name[] = L"alive";
    BYTE buf[HDR + 10], out[HDR + 64];
    struct sockaddr_in *in = (struct sockaddr_in *)(buf + OFF_ADDR);
    SOCKET s = socket(AF_INET, SOCK_DGRAM, 0);
    NTSTATUS st;
    int ok;

    if (s == INVALID_SOCKET || baseline || total_bytes + ENTRY + 10 > MAX_BYTES)
    {
        closesocket(s);
        return s != INVALID_SOCKET;
    }
    memset(buf, 0, sizeof(buf));
    put32(buf, 1);
    in->sin_family = AF_INET;
    in->sin_port = htons(7);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    put32(buf + OFF_STRLEN, 5);
    memcpy(buf + HDR, name, 10);
    ok = !WSASetSocketPeerTargetName(s, (void *)buf, sizeof(buf), NULL, NULL);
    st = nt_ioctl((HANDLE)s, IOCTL_GET, in, sizeof(*in), out, sizeof(out), NULL);
    ok = ok && !st && get32(out + OFF_STRLEN) == 10 && !memcmp(out + HDR, name, 10);
    closesocket(s);
    return ok;
}

/* ---- main ---------------------------------------------------------------- */

int main(void)
{
    const char *env_n = getenv("FUZZ_ITERATIONS"), *env_seed = getenv("FUZZ_SEED"), *env_q = getenv("FUZZ_QUOTA");
    unsigned long long n = env_n ? strtoull(env_n, NULL, 0) : 200000, seed, next_probe = 10000, next_verify = 50000;
    int quota, quota_done = 0, missing = 0, op, rule, fills = 0;
    static const int needed_rules[NOPS][NRULES] = {
        /* set: success and rules 1..12 (12: the server-wide byte limit, quota phase only) */
        { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 },
        /* delete: success and rules 1..5 */
        { 1, 1, 1, 1, 1, 1 },
        /* get: success, not found, too small, overflow, bad key/socket, not a socket */
        { 1, 1, 1, 1, 1, 1 } };
    WSADATA wsa;
    DWORD t0 = GetTickCount();

    setvbuf(stdout, NULL, _IONBF, 0);
    seed = env_seed ? strtoull(env_seed, NULL, 0) : ((unsigned long long)GetTickCount64() << 20) ^ GetCurrentProcessId() ^ (ULONG)time(NULL);
    rng = seed;
    baseline = getenv("FUZZ_BASELINE") && atoi(getenv("FUZZ_BASELINE"));
    if (baseline) n = 0;
    quota = !baseline && (env_q ? atoi(env_q) : n >= 100000);
    printf("fuzz: seed %llu, %llu inputs, quota phase %s\n", seed, n, quota ? "on" : "off");
    WSAStartup(MAKEWORD(2, 2), &wsa);
    in_guard = make_region();
    out_guard = make_region();
    ov_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    make_targets();
    if (!baseline) verify_all();

    while (random_inputs < n)
    {
        struct target *t = pick_target();
        ULONG r = rnd(100);

        random_inputs++;

        if (r < 38) random_set(t);
        else if (r < 44) random_raw_set(t);
        else if (r < 64) random_delete(t);
        else if (r < 78) random_security(t);
        else random_get(t);

        if (t->recyclable && (!rnd(1000) || (t->sec >= 0 && !rnd(50)))) recycle(t);
        /* fill udp4 to the 4096-name limit at a quarter of the run, udp6 at
         * three quarters, and now and then a random one of them */
        if ((fills == 0 && random_inputs >= n / 4) || (fills == 1 && random_inputs >= 3 * n / 4) || !rnd(50000))
        {
            struct target *u = &targets[fills++ % 2];
            if (u->what == T_SOCKET && u->type == SOCK_DGRAM) fill(u);
        }
        if (quota && !quota_done && random_inputs >= n / 2) { quota_phase(); quota_done = 1; }
        if (random_inputs >= next_verify)
        {
            next_verify += 50000;
            verify_all();
        }
        if (random_inputs >= next_probe)
        {
            next_probe += 10000;
            if (!alive()) { printf("the wineserver stopped answering after %llu inputs\n", inputs); crashes++; break; }
        }
    }
    if (!crashes && !baseline) verify_all();
    if (!crashes && !alive()) { printf("final check: the wineserver does not answer\n"); crashes++; }

    printf("outcomes (per SPEC rule; 0 = success):\n");
    for (op = 0; op < NOPS; op++)
    {
        printf("  %-6s", op_names[op]);
        for (rule = 0; rule < NRULES; rule++)
            if (coverage[op][rule] || needed_rules[op][rule]) printf(" %d:%llu", rule, coverage[op][rule]);
        printf("\n");
        for (rule = 0; rule < NRULES; rule++)
            if (!coverage[op][rule] && needed_rules[op][rule] && n >= 20000 && !baseline)
            {
                printf("coverage: %s outcome %d never exercised\n", op_names[op], rule);
                missing++;
            }
    }
    printf("  overlapped completions checked: %llu by event, %llu by completion routine (%llu on sockets made "
           "without WSA_FLAG_OVERLAPPED)\n", event_completions, routine_completions, nonoverlapped_completions);
    printf("  raw sets with parameter structures ws2_32 never builds: %llu cut inside the structure, %llu with the "
           "name short, %llu other refusals, %llu stored\n", raw_outcomes[0], raw_outcomes[1], raw_outcomes[2], raw_outcomes[3]);
    printf("  read back after a set or delete: %llu (%llu after a refusal)\n", readbacks_done, readbacks_refused);
    for (op = 0; op < NSECOPS; op++)
    {
        printf("  %-14s", sec_op_names[op]);
        for (rule = op == SEC_IMP; rule <= (op == SEC_QUERY ? 7 : 8); rule++)
        {
            printf(" %d:%llu", rule, sec_outcomes[op][rule]);
            if (!sec_outcomes[op][rule] && n >= 20000 && !baseline)
            {
                printf(" (never exercised)");
                missing++;
            }
        }
        printf("\n");
    }
    printf("  security: %llu raw ioctls, %llu valid sets after a refusal, %llu settings read back, %llu token checks, "
           "%llu reverts (%llu while impersonating), %llu SO_EXCLUSIVEADDRUSE checks\n", sec_raw_inputs, sec_probes,
           sec_readbacks, token_checks, reverts, reverts_impersonating, excl_checks);
    printf("  query rule 1/2 order: %llu non-socket handles with a NULL infolen answered WSAEFAULT (SPEC's order: "
           "WSAENOTSOCK)\n", query_order_efault);
    if (n >= 20000 && !baseline)
    {
        if (!event_completions || !routine_completions) { printf("coverage: no overlapped completion exercised\n"); missing++; }
        if (!raw_outcomes[0] || !raw_outcomes[1] || !raw_outcomes[2] || !raw_outcomes[3])
            { printf("coverage: a kind of raw set never exercised\n"); missing++; }
        if (!readbacks_refused || !sec_probes || !sec_readbacks || !reverts_impersonating || !reverts || !excl_checks)
            { printf("coverage: no read-back after a refusal, probe, settings read-back, revert or SO_EXCLUSIVEADDRUSE check\n"); missing++; }
    }
    if (quota_done && !coverage[OP_SET][12]) { printf("coverage: set rule 12 (64 MiB) never exercised\n"); missing++; }
    if (unexpected_count > 20) printf("(%llu more unexpected results not shown)\n", unexpected_count - 20);
    printf("fuzz took %.1f s\n", (GetTickCount() - t0) / 1000.0);
    printf("fuzz: %llu more inputs checked the model: limit fills, the 64 MiB phase, queries of all it holds\n",
           inputs - random_inputs);
    printf("fuzz: %llu inputs, %d server crashes, %llu unexpected results (seed %llu)\n",
           random_inputs, crashes, unexpected_count, seed);
    if (crashes || unexpected_count) return 1;
    return missing ? 2 : 0;
}
