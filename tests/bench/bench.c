/* Benchmark: time per call of setting and deleting peer target names,
 * against a null server ioctl (FIONBIO), at 1, 64 and 4096 names held by a
 * datagram socket, through the fwpuclnt wrappers, the raw WSAIoctl codes and
 * the Wine-internal ioctls (NtDeviceIoControlFile).  Written against
 * shared/SPEC.md ("Cost": one call is one server round trip; O(log n)).
 *
 * What "at level L" means.  A socket may hold at most 4096 names, so a new
 * key cannot be set while 4096 are already held.  Each level therefore uses
 * its own socket holding L-1 base names, plus one extra key X, and each
 * round of the loop makes, on each of these sockets:
 *   set X    (new key: the socket goes from L-1 to L names),
 *   set X    (replace: X is present, L names),
 *   delete X (L -> L-1),
 * so the count is at the level for every call, and each round starts and
 * ends in the same state.
 *
 * Every call is timed on its own (QueryPerformanceCounter read once between
 * two calls), the null ioctl included, and the timer's own cost, measured the
 * same way, is subtracted, so all rows are measured alike.  The calls of all
 * measurements are interleaved call by call: on this 2-core machine a round
 * trip to the wineserver takes either about 16 or about 28 us depending on
 * where the scheduler has put the two processes, and that changes over
 * seconds; measured one after the other, two rows could land in different
 * modes and their ratio would say nothing.
 *
 * The wrappers are measured at every level; the raw paths (WSAIoctl with the
 * SIO code, NtDeviceIoControlFile with the Wine ioctl) at 1 name only: what
 * a path adds to a call does not depend on what the server holds, and the
 * run stays short (16 calls per round).
 *
 * Each measurement is 20 000 calls, repeated PTN_BENCH_REPS (default 5, at
 * least 5) times after a warm-up of 2 000 rounds; the median of the
 * per-call means is reported.  About 35 s on this machine when idle.
 *
 * Output: a table, then exactly these lines (ratios of medians):
 *   set_vs_null=R      set of a new key, wrapper, level 1 / FIONBIO (WSAIoctl)
 *   delete_vs_null=R   delete, wrapper, level 1 / FIONBIO (WSAIoctl)
 *   set_4096_vs_1=R    set of a new key, wrapper, level 4096 / level 1
 *   delete_4096_vs_1=R delete, wrapper, level 4096 / level 1
 *   security_set_vs_null=R    WSASetSocketSecurity(DEFAULT, ALLOW_INSECURE) / FIONBIO
 *   security_query_vs_null=R  WSAQuerySocketSecurity(no template) / FIONBIO
 *
 * The security set.  Settings apply once per socket (SPEC rule 7), so each
 * timed set needs a socket that is fresh: unbound, never given settings.
 * What is timed is exactly the call an application makes (the SDK client:
 * socket, WSASetSocketSecurity, ...) and nothing else: the sockets are made
 * beforehand, POOL at a time, outside the timed intervals, and closed after
 * the batch, also untimed; each set is then timed on its own, between the
 * null ioctl and the query, call by call as everything here.  The set
 * succeeds (it is checked), so it runs every check of the server and stores
 * the settings: the real path.  Not used, and why:
 *  - "socket, set, close" minus "socket, close": socket creation and close
 *    are several round trips each, so the set would be a small difference
 *    of two large, noisy times;
 *  - a set refused as "already applied" on one socket, or refused because
 *    it demands IPsec (WSAEOPNOTSUPP): repeatable on one socket, but they
 *    stop before storing, and an application's set takes neither path.
 * The query is repeated on one stream socket (it changes nothing). 
 * Exit code: 0, or 1 if any call failed (then nothing was measured). */
#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>
#include <winternl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* not in mingw-w64's headers (SPEC: _WSAIOW(IOC_VENDOR, 202/203)) */
#define PTN_SIO_SET    0x980000CAu
#define PTN_SIO_DELETE 0x980000CBu
/* Wine-internal ioctls, include/wine/afd.h WINE_AFD_IOC(305, 306); FIONBIO is WINE_AFD_IOC(236) */
#define IOCTL_SET    0x001204C4u
#define IOCTL_DELETE 0x001204C8u
DECLSPEC_IMPORT int WSAAPI WSADeleteSocketPeerTargetName(SOCKET, const struct sockaddr *, ULONG,
        LPWSAOVERLAPPED, LPWSAOVERLAPPED_COMPLETION_ROUTINE);

#define HDR    140
#define CALLS  20000
#define NLEVELS 3
static const int levels[NLEVELS] = { 1, 64, 4096 };

enum path { WRAPPER, WSAIOCTL, NTIOCTL, NPATHS };
static const char *path_names[NPATHS] = { "fwpuclnt wrapper", "WSAIoctl SIO code", "NtDeviceIoControlFile" };

static LARGE_INTEGER freq;
static int failures;

static union { SOCKET_PEER_TARGET_NAME p; char b[HDR + 64]; } name_buf;
static ULONG name_len;

static void fail(const char *what, int err)
{
    if (failures++ < 10) printf("FAIL: %s: error %d\n", what, err);
}

static SOCKADDR_IN key(int port)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((USHORT)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* The raw ioctl takes the series' parameter structure (include/wine/afd.h
 * struct afd_set_peer_target_name_params: size, protocol, length field, 28
 * bytes of address), then the name: what ws2_32 sends. */
static BYTE raw_buf[40 + 64];
static ULONG raw_len;

static void make_raw(void)
{
    ULONG v;
    memset(raw_buf, 0, sizeof(raw_buf));
    v = name_len; memcpy(raw_buf, &v, 4);
    v = name_buf.p.SecurityProtocol; memcpy(raw_buf + 4, &v, 4);
    v = name_buf.p.PeerTargetNameStringLen; memcpy(raw_buf + 8, &v, 4);
    memcpy(raw_buf + 12, &name_buf.p.PeerAddress, 28);
    memcpy(raw_buf + 40, name_buf.b + HDR, name_len - HDR);
    raw_len = 40 + name_len - HDR;
}

/* One set or delete of key port through the given path; returns 0 or an error. */
static int do_set(SOCKET s, enum path p, int port)
{
    SOCKADDR_IN a = key(port);
    IO_STATUS_BLOCK io;
    DWORD size;

    memcpy(&name_buf.p.PeerAddress, &a, sizeof(a));
    switch (p)
    {
    case WRAPPER:
        return WSASetSocketPeerTargetName(s, &name_buf.p, name_len, NULL, NULL) ? WSAGetLastError() : 0;
    case WSAIOCTL:
        return WSAIoctl(s, PTN_SIO_SET, &name_buf, name_len, NULL, 0, &size, NULL, NULL) ? WSAGetLastError() : 0;
    default:
        make_raw();
        return NtDeviceIoControlFile((HANDLE)s, NULL, NULL, NULL, &io, IOCTL_SET, raw_buf, raw_len, NULL, 0);
    }
}

static int do_delete(SOCKET s, enum path p, int port)
{
    SOCKADDR_IN a = key(port);
    IO_STATUS_BLOCK io;
    DWORD size;

    switch (p)
    {
    case WRAPPER:
        return WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&a, sizeof(a), NULL, NULL) ? WSAGetLastError() : 0;
    case WSAIOCTL:
        return WSAIoctl(s, PTN_SIO_DELETE, &a, sizeof(a), NULL, 0, &size, NULL, NULL) ? WSAGetLastError() : 0;
    default:
        return NtDeviceIoControlFile((HANDLE)s, NULL, NULL, NULL, &io, IOCTL_DELETE, &a, sizeof(a), NULL, 0);
    }
}

/* ---- measurements ---- */

#define EXTRA_PORT 60000   /* the extra key X; base names use ports 1 .. L-1 */

static LARGE_INTEGER t_prev;

/* time since the previous lap (the timer is read once between two calls) */
static double lap(void)
{
    LARGE_INTEGER t;
    double d;
    QueryPerformanceCounter(&t);
    d = (double)(t.QuadPart - t_prev.QuadPart) / freq.QuadPart;
    t_prev = t;
    return d;
}

/* sums, over one repetition, of the time of each kind of call */
struct sums
{
    double null;
    double set[NPATHS][NLEVELS], rep[NPATHS][NLEVELS], del[NPATHS][NLEVELS];
};

/* One repetition: CALLS rounds; each round makes one call of every kind,
 * so that whatever the machine does meanwhile (the scheduler moving the
 * client or the wineserver between CPUs changes a round trip by half here)
 * hits every measurement alike.  Per socket and path a round is:
 * set X (new: L-1 -> L names), set X again (replace, L), delete X (L -> L-1). */
/* the wrappers are measured at every level, the raw paths at 1 name: what
 * they add to a call does not depend on what the server holds */
static int measured(int p, int l) { return p == WRAPPER || l == 0; }

static void repetition(SOCKET *sock, struct sums *sum, int rounds)
{
    u_long arg = 0;
    DWORD size;
    int i, l, p, err;

    memset(sum, 0, sizeof(*sum));
    lap();
    for (i = 0; i < rounds; i++)
    {
        lap();
        if (WSAIoctl(sock[0], FIONBIO, &arg, sizeof(arg), NULL, 0, &size, NULL, NULL))
            fail("FIONBIO", WSAGetLastError());
        sum->null += lap();
        for (p = 0; p < NPATHS; p++)
            for (l = 0; l < NLEVELS; l++)
            {
                if (!measured(p, l)) continue;
                err = do_set(sock[l], p, EXTRA_PORT);
                sum->set[p][l] += lap();
                if (err) fail("set of a new key", err);
                err = do_set(sock[l], p, EXTRA_PORT);
                sum->rep[p][l] += lap();
                if (err) fail("set replacing a key", err);
                err = do_delete(sock[l], p, EXTRA_PORT);
                sum->del[p][l] += lap();
                if (err) fail("delete", err);
            }
    }
}

/* ---- the security family ---- */

struct sec_sums { double null, set, query; };

#define POOL 250   /* fresh sockets made at a time, untimed, for the timed sets */

/* rounds x (null ioctl, set on a fresh socket, query), each call timed on its own */
static void security_round(SOCKET q, struct sec_sums *sum, int rounds)
{
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, SOCKET_SETTINGS_ALLOW_INSECURE };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKET pool[POOL];
    u_long nonblocking = 0;
    DWORD size;
    ULONG len;
    int i, k, done;

    memset(sum, 0, sizeof(*sum));
    for (done = 0; done < rounds; done += k)
    {
        k = rounds - done < POOL ? rounds - done : POOL;
        for (i = 0; i < k; i++)
            if ((pool[i] = socket(AF_INET, SOCK_STREAM, 0)) == INVALID_SOCKET) fail("socket", WSAGetLastError());
        lap();
        for (i = 0; i < k; i++)
        {
            if (WSAIoctl(q, FIONBIO, &nonblocking, sizeof(nonblocking), NULL, 0, &size, NULL, NULL))
                fail("FIONBIO", WSAGetLastError());
            sum->null += lap();
            if (WSASetSocketSecurity(pool[i], &settings, sizeof(settings), NULL, NULL))
                fail("WSASetSocketSecurity on a fresh socket", WSAGetLastError());
            sum->set += lap();
            len = sizeof(info);
            if (WSAQuerySocketSecurity(q, NULL, 0, &info, &len, NULL, NULL) || len != sizeof(info) || info.Flags)
                fail("WSAQuerySocketSecurity (0 with 24 bytes, not secured)", WSAGetLastError());
            sum->query += lap();
        }
        for (i = 0; i < k; i++) closesocket(pool[i]);
    }
}

/* cost of reading the timer, as lap() reads it between two calls */
static double measure_timer(void)
{
    double total = 0;
    int i;

    lap();
    for (i = 0; i < CALLS; i++)
    {
        lap();
        total += lap();
    }
    return total / CALLS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAXREPS 50
/* results [rep]: null; per path and level: set-new, replace, delete */
static double r_null[MAXREPS], r_timer[MAXREPS];
static double r_set[NPATHS][NLEVELS][MAXREPS], r_rep[NPATHS][NLEVELS][MAXREPS], r_del[NPATHS][NLEVELS][MAXREPS];

int main(void)
{
    static const WCHAR name[] = L"peer-target.bench.example.test"; /* 30 characters */
    SOCKET sock[NLEVELS];
    double m_null, m_set[NPATHS][NLEVELS], m_rep[NPATHS][NLEVELS], m_del[NPATHS][NLEVELS];
    const char *env = getenv("PTN_BENCH_REPS");
    int reps = env ? atoi(env) : 5;
    WSADATA wsa;
    int i, l, p, rep, err;
    DWORD t_start = GetTickCount();

    setvbuf(stdout, NULL, _IONBF, 0);
    if (reps < 5) reps = 5;
    if (reps > MAXREPS) reps = MAXREPS;
    WSAStartup(MAKEWORD(2, 2), &wsa);
    QueryPerformanceFrequency(&freq);

    name_buf.p.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    name_buf.p.PeerTargetNameStringLen = wcslen(name);  /* characters for IPSEC */
    memcpy(name_buf.b + HDR, name, wcslen(name) * sizeof(WCHAR));
    name_len = HDR + wcslen(name) * sizeof(WCHAR);

    /* one UDP socket per level, holding L-1 base names */
    for (l = 0; l < NLEVELS; l++)
    {
        sock[l] = socket(AF_INET, SOCK_DGRAM, 0);
        if (sock[l] == INVALID_SOCKET) { printf("FAIL: socket: %d\n", WSAGetLastError()); return 1; }
        for (i = 1; i < levels[l]; i++)
            if ((err = do_set(sock[l], WRAPPER, i))) fail("storing base names", err);
    }
    /* the 4096 level really is at the limit: with X present, another new key is refused */
    if ((err = do_set(sock[NLEVELS - 1], WRAPPER, EXTRA_PORT))) fail("set X at 4096", err);
    err = do_set(sock[NLEVELS - 1], WRAPPER, EXTRA_PORT + 1);
    if (err != WSAENOBUFS) fail("a new key beyond 4096 names (expected WSAENOBUFS 10055)", err);
    if ((err = do_delete(sock[NLEVELS - 1], WRAPPER, EXTRA_PORT))) fail("delete X at 4096", err);
    if (failures) { printf("setup failed: nothing measured\n"); return 1; }

    /* a short warm-up, which also tells how long the run will take */
    {
        struct sums sum;
        DWORD t = GetTickCount();
        repetition(sock, &sum, CALLS / 10);
        if (failures) { printf("calls failed: nothing measured\n"); return 1; }
        t = GetTickCount() - t;
        printf("bench: %d repetitions of %d calls per measurement (median of per-call means); "
               "about %lu s\n", reps, CALLS, (unsigned long)(t * 10 * reps / 1000));
        if (t * 10 * reps > 150000)
            printf("note: the machine is busy (a round trip takes %.0f us): this run is slow and noisy\n",
                   sum.null / (CALLS / 10) * 1e6);
    }
    for (rep = 0; rep < reps; rep++)
    {
        struct sums sum;
        double timer = measure_timer();

        repetition(sock, &sum, CALLS);
        if (failures) { printf("calls failed: nothing measured\n"); return 1; }
        r_timer[rep] = timer;
        r_null[rep] = sum.null / CALLS - timer;
        for (p = 0; p < NPATHS; p++)
            for (l = 0; l < NLEVELS; l++)
            {
                r_set[p][l][rep] = sum.set[p][l] / CALLS - timer;
                r_rep[p][l][rep] = sum.rep[p][l] / CALLS - timer;
                r_del[p][l][rep] = sum.del[p][l] / CALLS - timer;
            }
    }

    m_null = median(r_null, reps);
    for (p = 0; p < NPATHS; p++)
        for (l = 0; l < NLEVELS; l++)
        {
            m_set[p][l] = median(r_set[p][l], reps);
            m_rep[p][l] = median(r_rep[p][l], reps);
            m_del[p][l] = median(r_del[p][l], reps);
        }

    printf("\ntimer overhead subtracted: %.3f us per call\n", median(r_timer, reps) * 1e6);
    printf("null ioctl (WSAIoctl FIONBIO): %8.3f us per call\n\n", m_null * 1e6);
    printf("%-22s %-14s %10s %10s %10s   %s\n", "path", "operation", "1 name", "64 names", "4096 names",
           "(us per call; x null at 1)");
    for (p = 0; p < NPATHS; p++)
    {
        static const char *ops[3] = { "set (new key)", "set (replace)", "delete" };
        int o;
        for (o = 0; o < 3; o++)
        {
            double *m = o == 0 ? m_set[p] : o == 1 ? m_rep[p] : m_del[p];
            printf("%-22s %-14s", o ? "" : path_names[p], ops[o]);
            for (l = 0; l < NLEVELS; l++)
                if (measured(p, l)) printf(" %10.3f", m[l] * 1e6);
                else printf(" %10s", "-");
            printf("   x%.2f\n", m[0] / m_null);
        }
    }
    printf("\ngoals: set, delete <= 1.25 x null; at 4096 <= 1.15 x at 1 (wrapper rows)\n");
    printf("  set (new key) %.2f x null: %s\n", m_set[WRAPPER][0] / m_null,
           m_set[WRAPPER][0] / m_null <= 1.25 ? "met" : "MISSED");
    printf("  delete        %.2f x null: %s\n", m_del[WRAPPER][0] / m_null,
           m_del[WRAPPER][0] / m_null <= 1.25 ? "met" : "MISSED");
    printf("  set (replace) %.2f x null: %s\n", m_rep[WRAPPER][0] / m_null,
           m_rep[WRAPPER][0] / m_null <= 1.25 ? "met" : "MISSED");
    printf("  set at 4096   %.2f x at 1: %s\n", m_set[WRAPPER][2] / m_set[WRAPPER][0],
           m_set[WRAPPER][2] / m_set[WRAPPER][0] <= 1.15 ? "met" : "MISSED");
    printf("  delete at 4096 %.2f x at 1: %s\n", m_del[WRAPPER][2] / m_del[WRAPPER][0],
           m_del[WRAPPER][2] / m_del[WRAPPER][0] <= 1.15 ? "met" : "MISSED");
    printf("bench took %.1f s\n\n", (GetTickCount() - t_start) / 1000.0);

    printf("set_vs_null=%.2f\n", m_set[WRAPPER][0] / m_null);
    printf("delete_vs_null=%.2f\n", m_del[WRAPPER][0] / m_null);
    printf("set_4096_vs_1=%.2f\n", m_set[WRAPPER][2] / m_set[WRAPPER][0]);
    printf("delete_4096_vs_1=%.2f\n", m_del[WRAPPER][2] / m_del[WRAPPER][0]);
    for (l = 0; l < NLEVELS; l++) closesocket(sock[l]);

    /* the security family: null, socket+close, socket+set+close, query, call by call */
    {
        static double r_snull[MAXREPS], r_sset[MAXREPS], r_squery[MAXREPS];
        SOCKET q = socket(AF_INET, SOCK_STREAM, 0);
        struct sec_sums sum;
        double sn, ss, sq;

        security_round(q, &sum, CALLS / 10);    /* warm-up */
        for (rep = 0; rep < reps; rep++)
        {
            double timer = measure_timer();
            security_round(q, &sum, CALLS / 4);
            r_snull[rep] = sum.null / (CALLS / 4) - timer;
            r_sset[rep] = sum.set / (CALLS / 4) - timer;
            r_squery[rep] = sum.query / (CALLS / 4) - timer;
        }
        closesocket(q);
        if (failures) { printf("security calls failed: nothing measured\n"); return 1; }
        sn = median(r_snull, reps); ss = median(r_sset, reps); sq = median(r_squery, reps);
        printf("\nsecurity family (median of %d x %d calls each, interleaved):\n", reps, CALLS / 4);
        printf("  null ioctl (WSAIoctl FIONBIO)                          %8.3f us\n", sn * 1e6);
        printf("  WSASetSocketSecurity on a fresh socket (made untimed)  %8.3f us   x%.2f\n", ss * 1e6, ss / sn);
        printf("  WSAQuerySocketSecurity, no template, one socket        %8.3f us   x%.2f\n", sq * 1e6, sq / sn);
        printf("goals: <= 1.25 x null: set %s, query %s\n", ss / sn <= 1.25 ? "met" : "MISSED",
               sq / sn <= 1.25 ? "met" : "MISSED");
        printf("security_set_vs_null=%.2f\n", ss / sn);
        printf("security_query_vs_null=%.2f\n", sq / sn);
    }
    return 0;
}
