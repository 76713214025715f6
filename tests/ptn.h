/* Shared helpers for our peer-target-name test programs in tests/.
 * Windows API only; built with mingw-w64's own headers and import libraries.
 * Written against shared/SPEC.md. */
#ifndef PTN_H
#define PTN_H

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>
#include <winternl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mingw-w64 does not define these (SPEC: _WSAIOW(IOC_VENDOR, 202/203)). */
#ifndef SIO_SET_PEER_TARGET_NAME
#define SIO_SET_PEER_TARGET_NAME    _WSAIOW(IOC_VENDOR, 202)
#endif
#ifndef SIO_DELETE_PEER_TARGET_NAME
#define SIO_DELETE_PEER_TARGET_NAME _WSAIOW(IOC_VENDOR, 203)
#endif

/* mingw-w64 declares WSASetSocketPeerTargetName but not this one;
 * both are exported by fwpuclnt.dll (libfwpuclnt.a). */
DECLSPEC_IMPORT int WSAAPI WSADeleteSocketPeerTargetName(SOCKET Socket,
        const struct sockaddr *PeerAddr, ULONG PeerAddrLen,
        LPWSAOVERLAPPED Overlapped, LPWSAOVERLAPPED_COMPLETION_ROUTINE CompletionRoutine);

/* mingw-w64's mstcpip.h may lack these */
#ifndef SIO_SET_SECURITY
#define SIO_SET_SECURITY   _WSAIOW(IOC_VENDOR, 200)
#endif
#ifndef SIO_QUERY_SECURITY
#define SIO_QUERY_SECURITY _WSAIORW(IOC_VENDOR, 201)
#endif

/* Wine-internal ioctls (include/wine/afd.h, WINE_AFD_IOC(305..309)); the
 * SET ioctls take Wine parameter structures (see the series), GET is the
 * project's test aid, the series' last patch. */
#define IOCTL_AFD_WINE_SET_PEER_TARGET_NAME    0x001204C4
#define IOCTL_AFD_WINE_DELETE_PEER_TARGET_NAME 0x001204C8
#define IOCTL_AFD_WINE_SET_SECURITY            0x001204CC
#define IOCTL_AFD_WINE_QUERY_SECURITY          0x001204D0
#define IOCTL_AFD_WINE_GET_PEER_TARGET_NAME    0x001204D4
/* Wine's own (WINE_AFD_IOC(297)), not the series': what getsockopt(SO_EXCLUSIVEADDRUSE)
 * asks the server, usable on handles ws2_32 of this process did not make */
#define IOCTL_AFD_WINE_GET_SO_EXCLUSIVEADDRUSE 0x001204A4

#define ST_SUCCESS           ((NTSTATUS)0x00000000)
#define ST_PENDING           ((NTSTATUS)0x00000103)
#define ST_BUFFER_OVERFLOW   ((NTSTATUS)0x80000005)
#define ST_INVALID_PARAMETER ((NTSTATUS)0xC000000D)
#define ST_BUFFER_TOO_SMALL  ((NTSTATUS)0xC0000023)
#define ST_INVALID_ADDRESS   ((NTSTATUS)0xC0000141)
#define ST_NOT_FOUND         ((NTSTATUS)0xC0000225)

/* SPEC layout: SecurityProtocol 0, PeerAddress 8, StringLen 136, AllStrings 140. */
#define HDR 140
#define MAX_CHARS 1024
#define MAX_NAMES 4096
_Static_assert(offsetof(SOCKET_PEER_TARGET_NAME, PeerAddress) == 8, "layout");
_Static_assert(offsetof(SOCKET_PEER_TARGET_NAME, PeerTargetNameStringLen) == 136, "layout");
_Static_assert(offsetof(SOCKET_PEER_TARGET_NAME, AllStrings) == HDR, "layout");

#define PROTO_DEFAULT SOCKET_SECURITY_PROTOCOL_DEFAULT
#define PROTO_IPSEC   SOCKET_SECURITY_PROTOCOL_IPSEC
#define PROTO_IPSEC2  SOCKET_SECURITY_PROTOCOL_IPSEC2

/* ---- results ---------------------------------------------------------- */

static int __attribute__((unused)) passed, failed;

static inline void report(int good, const char *fmt, ...)
{
    va_list ap;
    fputs(good ? "ok: " : "FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    if (good) passed++; else failed++;
}

/* Quiet variant for checks run in bulk: counts every check, prints only
 * failures (at most 20 of them) so output stays readable. */
static int __attribute__((unused)) quiet_fail_lines;
static inline void report_quiet(int good, const char *fmt, ...)
{
    va_list ap;
    if (good) { passed++; return; }
    failed++;
    if (++quiet_fail_lines > 20) return;
    fputs("FAIL: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

#define check_int(got, exp, what) do { long long g_ = (got), e_ = (exp); \
    if (g_ == e_) report(1, "%s (%lld)", (what), g_); \
    else report(0, "%s: expected %lld, got %lld", (what), e_, g_); } while (0)
#define check_status(got, exp, what) do { unsigned long g_ = (unsigned long)(got), e_ = (unsigned long)(exp); \
    if (g_ == e_) report(1, "%s (0x%08lx)", (what), g_); \
    else report(0, "%s: expected status 0x%08lx, got 0x%08lx", (what), e_, g_); } while (0)
/* either of two statuses (where SPEC leaves the Wine-internal status open) */
#define check_status2(got, exp1, exp2, what) do { unsigned long g_ = (unsigned long)(got), \
    e1_ = (unsigned long)(exp1), e2_ = (unsigned long)(exp2); \
    if (g_ == e1_ || g_ == e2_) report(1, "%s (0x%08lx)", (what), g_); \
    else report(0, "%s: expected status 0x%08lx or 0x%08lx, got 0x%08lx", (what), e1_, e2_, g_); } while (0)
#define check_true(cond, what) report(!!(cond), "%s", (what))

static inline int summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

/* ---- addresses (loopback only) ---------------------------------------- */

static inline SOCKADDR_IN v4(USHORT port)
{
    SOCKADDR_IN a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static inline SOCKADDR_IN6 v6(USHORT port, ULONG scope)
{
    SOCKADDR_IN6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr.s6_addr[15] = 1; /* ::1 */
    a.sin6_scope_id = scope;
    return a;
}

/* ---- setting and deleting through the fwpuclnt wrappers --------------- */

/* Bytes the name occupies; PeerTargetNameStringLen counts characters for
 * DEFAULT/IPSEC and bytes for IPSEC2 (SPEC "Name length"). */
static inline ULONG len_field(int proto, ULONG nchars)
{
    return proto == PROTO_IPSEC2 ? nchars * 2 : nchars;
}

/* Builds a SOCKET_PEER_TARGET_NAME in a fresh buffer; returns its size in
 * *size.  addr may be NULL (zeros).  Caller frees. */
static inline SOCKET_PEER_TARGET_NAME *make_ptn(int proto, const void *addr, int addrlen,
                                         const WCHAR *name, ULONG nchars, ULONG *size)
{
    ULONG sz = HDR + nchars * 2;
    SOCKET_PEER_TARGET_NAME *p = calloc(1, sz + 8);
    if (!p) { printf("FAIL: out of memory\n"); exit(2); }
    p->SecurityProtocol = proto;
    if (addr) memcpy(&p->PeerAddress, addr, addrlen);
    p->PeerTargetNameStringLen = len_field(proto, nchars);
    memcpy((char *)p + HDR, name, nchars * 2);
    *size = sz;
    return p;
}

/* Returns 0 on success, else the WSAGetLastError() value. */
static inline int set_name_n(SOCKET s, int proto, const void *addr, int addrlen,
                      const WCHAR *name, ULONG nchars)
{
    ULONG size;
    SOCKET_PEER_TARGET_NAME *p = make_ptn(proto, addr, addrlen, name, nchars, &size);
    int ret, err;
    WSASetLastError(0xdead);
    ret = WSASetSocketPeerTargetName(s, p, size, NULL, NULL);
    err = WSAGetLastError();
    free(p);
    if (ret == 0) return 0;
    return ret == SOCKET_ERROR ? err : -2;
}

static inline int set_name(SOCKET s, int proto, const void *addr, int addrlen, const WCHAR *name)
{
    return set_name_n(s, proto, addr, addrlen, name, (ULONG)wcslen(name));
}

static inline int del_name(SOCKET s, const void *addr, int addrlen)
{
    int ret;
    WSASetLastError(0xdead);
    ret = WSADeleteSocketPeerTargetName(s, addr, addrlen, NULL, NULL);
    if (ret == 0) return 0;
    return ret == SOCKET_ERROR ? WSAGetLastError() : -2;
}

/* ---- the Wine-internal query ------------------------------------------ */

static inline NTSTATUS raw_ioctl(HANDLE h, ULONG code, const void *in, ULONG inlen,
                          void *out, ULONG outlen, ULONG_PTR *info)
{
    IO_STATUS_BLOCK io;
    NTSTATUS st;
    memset(&io, 0, sizeof(io));
    io.Information = 0xdeadbeef;
    st = NtDeviceIoControlFile(h, NULL, NULL, NULL, &io, code, (void *)in, inlen, out, outlen);
    if (st == ST_PENDING)
    {
        WaitForSingleObject(h, 5000);
        st = io.Status;
    }
    if (info) *info = io.Information;
    return st;
}

/* SO_EXCLUSIVEADDRUSE as getsockopt reads it: 0 or 1, or -(the WSA error) */
static inline int exclusive_sockopt(SOCKET s)
{
    int v = 0x7f7f7f7f, len = sizeof(v);
    if (getsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (char *)&v, &len)) return -WSAGetLastError();
    return len == sizeof(v) ? v : -2;
}

/* the same, asked of the server directly: also for a handle this process
 * inherited or copied, which ws2_32's getsockopt answers WSAENOTSOCK for;
 * -1 if the server refuses */
static inline int exclusive_server(HANDLE h)
{
    int v = 0x7f7f7f7f;
    ULONG_PTR info = 0;
    if (raw_ioctl(h, IOCTL_AFD_WINE_GET_SO_EXCLUSIVEADDRUSE, NULL, 0, &v, sizeof(v), &info) != ST_SUCCESS) return -1;
    return info == sizeof(v) ? v : -2;
}

struct got
{
    NTSTATUS status;
    ULONG_PTR info;
    int proto;
    SOCKADDR_STORAGE addr;
    ULONG len;               /* PeerTargetNameStringLen, in bytes */
    WCHAR name[MAX_CHARS + 2];
};

/* Queries what the server holds for key (NULL/0 for stream sockets).
 * Thread-safe (the buffer is on the stack). */
static inline void get(SOCKET s, const void *key, ULONG keylen, struct got *g)
{
    union { SOCKET_PEER_TARGET_NAME p; char b[HDR + 2 * MAX_CHARS + 64]; } buf;
    memset(&buf, 0xcc, sizeof(buf));
    memset(g, 0, sizeof(*g));
    g->status = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, key, keylen,
                          &buf, sizeof(buf), &g->info);
    if (g->status != ST_SUCCESS) return;
    g->proto = buf.p.SecurityProtocol;
    memcpy(&g->addr, &buf.p.PeerAddress, sizeof(g->addr));
    g->len = buf.p.PeerTargetNameStringLen;
    if (g->len <= 2 * MAX_CHARS) memcpy(g->name, buf.b + HDR, g->len);
}

/* Checks that the server holds exactly (proto, name) for key. */
static inline void check_holds(SOCKET s, const void *key, ULONG keylen, int proto,
                        const WCHAR *name, const char *what)
{
    struct got g;
    ULONG n = (ULONG)wcslen(name);
    get(s, key, keylen, &g);
    if (g.status != ST_SUCCESS)
        report(0, "%s: expected name \"%ls\", got status 0x%08lx", what, name, (unsigned long)g.status);
    else if (g.proto != proto || g.len != n * 2 || memcmp(g.name, name, n * 2))
        report(0, "%s: expected protocol %d, %lu bytes \"%ls\"; got protocol %d, %lu bytes \"%.*ls\"",
               what, proto, (unsigned long)(n * 2), name, g.proto, (unsigned long)g.len,
               (int)(g.len <= 2 * MAX_CHARS ? g.len / 2 : 0), g.name);
    else
        report(1, "%s: server holds protocol %d \"%ls\"", what, proto, name);
}

static inline void check_absent(SOCKET s, const void *key, ULONG keylen, const char *what)
{
    struct got g;
    get(s, key, keylen, &g);
    if (g.status == ST_NOT_FOUND) report(1, "%s: server holds no name", what);
    else report(0, "%s: expected STATUS_NOT_FOUND, got status 0x%08lx%s%.*ls%s", what,
                (unsigned long)g.status, g.status ? "" : " name \"",
                (int)(g.status == 0 && g.len <= 2 * MAX_CHARS ? g.len / 2 : 0), g.name,
                g.status ? "" : "\"");
}

/* An unhandled exception (a crash, or a call to a function this Wine only
 * stubs) ends the process at once with exit code 3 and a line saying so,
 * instead of starting the debugger, which waits for ever without a terminal. */
/* The wineserver of this run and its memory, read from the host's /proc
 * through Z: (each run has a root of its own: the server whose /tmp holds
 * the file MARKER is ours).  *candidates (if not NULL) counts the
 * wineservers seen. */
static inline int ptn_read_file(const char *path, char *buf, int size)
{
    HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    DWORD got = 0, total = 0;
    if (h == INVALID_HANDLE_VALUE) return -1;
    while (total < (DWORD)size - 1 && ReadFile(h, buf + total, size - 1 - total, &got, NULL) && got) total += got;
    CloseHandle(h);
    buf[total] = 0;
    return (int)total;
}

static inline unsigned ptn_find_wineserver(const char *marker, int *candidates)
{
    WIN32_FIND_DATAA fd;
    HANDLE f = FindFirstFileA("Z:\\proc\\*", &fd);
    unsigned found = 0;
    int n = 0;

    if (candidates) *candidates = 0;
    if (f == INVALID_HANDLE_VALUE) return 0;
    do
    {
        char path[MAX_PATH], comm[64];
        unsigned pid;
        if (fd.cFileName[0] < '1' || fd.cFileName[0] > '9') continue;
        pid = strtoul(fd.cFileName, NULL, 10);
        snprintf(path, sizeof(path), "Z:\\proc\\%u\\comm", pid);
        if (ptn_read_file(path, comm, sizeof(comm)) <= 0 || strncmp(comm, "wineserver", 10)) continue;
        if (candidates) (*candidates)++;
        snprintf(path, sizeof(path), "Z:\\proc\\%u\\root\\tmp\\%s", pid, marker);
        if (GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES) found = pid;
    } while (FindNextFileA(f, &fd) && ++n < 1000000);
    FindClose(f);
    return found;
}

/* VmRSS of pid in bytes, or -1. */
static inline long long ptn_rss(unsigned pid)
{
    char path[MAX_PATH], buf[8192], *p;
    snprintf(path, sizeof(path), "Z:\\proc\\%u\\status", pid);
    if (ptn_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strstr(buf, "VmRSS:"))) return -1;
    return strtoll(p + 6, NULL, 10) * 1024;
}

static LONG WINAPI on_unhandled_exception(EXCEPTION_POINTERS *ep)
{
    const EXCEPTION_RECORD *rec = ep->ExceptionRecord;
    if (rec->ExceptionCode == 0x80000100 && rec->NumberParameters >= 2)   /* EXCEPTION_WINE_STUB */
        printf("FAIL: %s.%s is not implemented in this Wine (the call raised EXCEPTION_WINE_STUB); stopping\n",
               (const char *)rec->ExceptionInformation[0], (const char *)rec->ExceptionInformation[1]);
    else
        printf("FAIL: unhandled exception 0x%08lx at %p; stopping\n", (unsigned long)rec->ExceptionCode,
               rec->ExceptionAddress);
    fflush(stdout);
    ExitProcess(3);
    return EXCEPTION_EXECUTE_HANDLER;
}

static inline void startup(void)
{
    WSADATA wsa;
    setvbuf(stdout, NULL, _IONBF, 0);
    SetUnhandledExceptionFilter(on_unhandled_exception);
    if (WSAStartup(MAKEWORD(2, 2), &wsa))
    {
        printf("FAIL: WSAStartup\n0 passed, 1 failed\n");
        exit(1);
    }
}

/* Fills buf with n characters of a name derived from seed (printable). */
static inline void fill_name(WCHAR *buf, ULONG n, unsigned seed)
{
    ULONG i;
    for (i = 0; i < n; i++) buf[i] = (WCHAR)('a' + (seed + i * 7) % 26);
    buf[n] = 0;
}

/* A TCP socket listening on a free loopback port, returned in *addr. */
static inline SOCKET tcp_listener(SOCKADDR_IN *addr)
{
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    int len = sizeof(*addr);
    *addr = v4(0);
    bind(l, (struct sockaddr *)addr, sizeof(*addr));
    listen(l, 5);
    getsockname(l, (struct sockaddr *)addr, &len);
    return l;
}

#endif
