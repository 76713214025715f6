/* Soak: faults and scale (issue 15).  A supervisor process and worker
 * processes share sockets -- TCP and UDP, IPv4 and IPv6, loopback only --
 * passed by inheritance, by DuplicateHandle into the worker and by
 * WSADuplicateSocket.  Each worker runs THREADS threads ("lanes") that, at
 * random, set, replace and delete peer target names (the fwpuclnt wrappers and
 * WSAIoctl, synchronous, overlapped with an event and with a completion
 * routine on WSA_FLAG_OVERLAPPED sockets), set and query security settings,
 * impersonate and revert, duplicate and close handles (DuplicateHandle,
 * WSADuplicateSocket), open, bind and close sockets of their own.  The
 * supervisor kills workers with TerminateProcess at random moments -- also
 * while their calls are in flight -- and starts new ones.
 *
 * The books.  Every lane owns its keys: on each shared UDP socket the ports
 * BASE_PORT + lane * KEYS .. + KEYS - 1 (IPv6: a port and scope 0 or 1); each
 * shared TCP socket's one name and each shared socket's security settings
 * belong to one lane (pool_desc.owner).  A lane keeps, in a file mapping the
 * supervisor reads after the worker died, what the server acknowledged for
 * each key (cur) and, during a call that changes it, the value in flight
 * (pend), written before the call and settled after it.  After a worker
 * died, the supervisor reads every key of its lanes through the internal
 * query (IOCTL_AFD_WINE_GET_PEER_TARGET_NAME) on its own handle: the server
 * must hold cur, or -- only for the call in flight -- pend; nothing else.
 * A new worker for the slot continues from the settled book.
 *
 * The run (argv[1] seconds, default 600, split into two storms):
 *   - the supervisor fills the fresh server with names until the 64 MiB bound
 *     refuses (SPEC rule 11), measuring the room left to the byte by growing
 *     two small entries, and closes them: the count and bytes that fit, which
 *     must be what the cost rule says (in a run shorter than 60 s the fresh
 *     server is not filled: the cost rule alone gives what must fit);
 *   - storm 1: SLOTS workers, killed and replaced at random; progress every
 *     10 s; at the end half are killed and half told to stop; every shared
 *     socket is checked against the books; every handle is closed; the
 *     wineserver's VmRSS is read; ONE process fills the 64 MiB again: the
 *     same count must fit as on the fresh server, as the cost rule says
 *     (an entry costs ENTRY bytes plus its name), i.e. the bound was given
 *     back entirely;
 *   - storm 2 the same; the server's VmRSS after it must be within
 *     MEM_SLACK of after storm 1 (not under valgrind).
 * The supervisor's own calls check the server is alive every 10 s.  It
 * prints counts and ends with 'N passed, N failed'.
 *
 * Run as "worker MAP SLOT GENERATION SUPERVISOR-PID" it is a worker.
 * Environment: PTN_SOAK_SEED (default: from the clock; printed),
 * PTN_VALGRIND (set by tools/wine's caller: waits are longer, VmRSS is not
 * measured). */
#include "../ptn.h"

#define SLOTS       4             /* worker processes alive at a time */
#define THREADS     3             /* lanes per worker */
#define LANES       (SLOTS * THREADS)
#define KEYS        24            /* keys a lane owns on each shared UDP socket */
#define MAX_POOL    40            /* shared sockets per storm */
#define OWN_MAX     3             /* sockets of its own a lane holds at once */
#define OWN_KEYS    32
#define BASE_PORT   30000
#define OWN_PORT    40000
#define ENTRY       64            /* what the server counts for an entry beyond its name (x86-64; SPEC rule 11) */
#define BOUND_BYTES (64u * 1024 * 1024)
#define MEM_SLACK   (4ll * 1024 * 1024)
#define KILL_MIN_MS 200
#define KILL_MAX_MS 1200
#define MSGS        4
#define MAGIC       0x50534f4b

#define V_PRESENT (1ull << 45)
#define V_PEND    (1ull << 62)
static inline ULONG64 val_make(unsigned proto, unsigned nchars, unsigned version)
{
    return V_PRESENT | (ULONG64)proto << 43 | (ULONG64)nchars << 32 | version;
}
#define VAL_PROTO(v)   ((unsigned)((v) >> 43) & 3)
#define VAL_CHARS(v)   ((unsigned)((v) >> 32) & 0x7ff)
#define VAL_VERSION(v) ((unsigned)(v))
#define BARRIER() MemoryBarrier()

enum pstate { P_FRESH, P_BOUND, P_LISTEN, P_CONNECTED, P_ACCEPTED };
static const char *state_names[] = { "fresh", "bound", "listening", "connected", "accepted" };

struct pool_desc
{
    int family, type, state, ovl;
    int owner;                    /* lane owning the TCP name and the settings */
};

enum kind { K_SET, K_REPLACE, K_DELETE, K_QUERY, K_SET_REFUSED, K_SEC_SET, K_SEC_REFUSED, K_SEC_QUERY,
            K_IMPERSONATE, K_REVERT, K_DUPHANDLE, K_WSADUP, K_OPEN, K_CLOSE, K_BIND, NKINDS };
static const char *kind_names[NKINDS] = { "set", "replace", "delete", "query", "set-refused(connected)",
    "security-set", "security-refused", "security-query", "impersonate", "revert", "DuplicateHandle",
    "WSADuplicateSocket", "open-socket", "close-socket", "bind" };
enum path { P_WRAP, P_IOCTL, P_WRAP_EVENT, P_IOCTL_EVENT, P_WRAP_ROUTINE, P_IOCTL_ROUTINE, NPATHS };
static const char *path_names[NPATHS] = { "fwpuclnt", "WSAIoctl", "fwpuclnt+event", "WSAIoctl+event",
    "fwpuclnt+routine", "WSAIoctl+routine" };
enum method { M_INHERIT, M_DUPHANDLE, M_WSADUP, NMETHODS };
static const char *method_names[NMETHODS] = { "inherited", "DuplicateHandle", "WSADuplicateSocket" };

/* A lane's book; written by the lane only, read by the supervisor. */
struct lane_book
{
    volatile LONG64 cur[MAX_POOL][KEYS];   /* acknowledged: 0 absent, else val_make() */
    volatile LONG64 pend[MAX_POOL][KEYS];  /* V_PEND | value of the call in flight, else 0 */
    volatile LONG64 sec_cur[MAX_POOL];     /* settings: 0 none applied, else protocol + 1 */
    volatile LONG64 sec_pend[MAX_POOL];
    volatile LONG version;                 /* last name version used */
    volatile LONG inflight;                /* kind + 1 of the call in flight, 0 between calls */
    volatile LONG64 ops[NKINDS], paths[NPATHS];
    volatile LONG64 own_names, own_opened, dups;
    volatile LONG unexpected, nmsgs;
    char msg[MSGS][256];
};

struct slot_info
{
    volatile LONG stop, generation, ready;
    volatile LONG64 started_at, ready_at; /* GetTickCount64() */
    volatile LONG64 handle[MAX_POOL];      /* the worker's handle, 0: from info[] */
    WSAPROTOCOL_INFOW info[MAX_POOL];
};

struct shared
{
    LONG magic, npool, storm, valgrind;
    struct pool_desc pool[MAX_POOL];
    struct slot_info slot[SLOTS];
    struct lane_book lane[LANES];
};

static struct shared *sh;

/* ---- common ------------------------------------------------------------ */

static unsigned mix(unsigned h)
{
    h ^= h >> 16; h *= 0x7feb352du; h ^= h >> 15; h *= 0x846ca68bu; h ^= h >> 16;
    return h;
}

static const WCHAR alphabet[] = L"abcdefghijklmnopqrstuvwxyz0123456789.-/_\x00e9\x00df\x0416\x4e2d\x03a9";

/* The name of value v for (lane, ident, key): supervisor and workers agree. */
static void make_name(WCHAR *buf, unsigned lane, unsigned ident, unsigned key, ULONG64 v)
{
    unsigned n = VAL_CHARS(v), i, seed = mix(lane * 0x9E3779B1u ^ mix(ident * 131 + key) ^ VAL_VERSION(v) * 0x85EBCA77u);
    for (i = 0; i < n; i++) buf[i] = alphabet[mix(seed + i) % (sizeof(alphabet) / sizeof(WCHAR) - 1)];
}

/* Key k at base port on a socket of family; garbage: bytes the key ignores
 * (sin_zero, sin6_flowinfo).  Returns the address length. */
static int make_key(int family, unsigned base, int k, SOCKADDR_STORAGE *ss, unsigned garbage)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET)
    {
        SOCKADDR_IN *a = (SOCKADDR_IN *)ss;
        *a = v4((USHORT)(base + k));
        if (garbage) memcpy(a->sin_zero, &garbage, sizeof(garbage));
        return sizeof(*a);
    }
    else
    {
        SOCKADDR_IN6 *a = (SOCKADDR_IN6 *)ss;
        *a = v6((USHORT)(base + (k & ~1)), k & 1);
        a->sin6_flowinfo = garbage;
        return sizeof(*a);
    }
}

static unsigned lane_base(int lane) { return BASE_PORT + lane * KEYS; }

/* Does g hold value v (name of (lane, ident, k)) for key (NULL: stream)?
 * On a mismatch, writes what differs to why. */
static int holds(const struct got *g, ULONG64 v, unsigned lane, unsigned ident, int k,
                 const SOCKADDR_STORAGE *key, char *why, int whylen)
{
    WCHAR want[MAX_CHARS + 1];
    unsigned n = VAL_CHARS(v);

    if (!(v & V_PRESENT))
    {
        if (g->status == ST_NOT_FOUND) return 1;
        snprintf(why, whylen, "expected no name, got status 0x%08lx (protocol %d, %lu bytes)",
                 (unsigned long)g->status, g->proto, (unsigned long)g->len);
        return 0;
    }
    if (g->status != ST_SUCCESS)
    {
        snprintf(why, whylen, "expected protocol %u, %u characters (version %u), got status 0x%08lx",
                 VAL_PROTO(v), n, VAL_VERSION(v), (unsigned long)g->status);
        return 0;
    }
    make_name(want, lane, ident, k, v);
    if (g->proto != (int)VAL_PROTO(v) || g->len != n * 2 || memcmp(g->name, want, n * 2))
    {
        snprintf(why, whylen, "expected protocol %u, %u characters (version %u), got protocol %d, %lu bytes%s",
                 VAL_PROTO(v), n, VAL_VERSION(v), g->proto, (unsigned long)g->len,
                 g->len == n * 2 ? " (other characters)" : "");
        return 0;
    }
    if (key && key->ss_family == AF_INET)
    {
        const SOCKADDR_IN *a = (const SOCKADDR_IN *)&g->addr, *b = (const SOCKADDR_IN *)key;
        if (a->sin_family != AF_INET || a->sin_port != b->sin_port || a->sin_addr.s_addr != b->sin_addr.s_addr)
        {
            snprintf(why, whylen, "the name is right, the returned key is not (family %u port %u)",
                     a->sin_family, ntohs(a->sin_port));
            return 0;
        }
    }
    else if (key)
    {
        const SOCKADDR_IN6 *a = (const SOCKADDR_IN6 *)&g->addr, *b = (const SOCKADDR_IN6 *)key;
        if (a->sin6_family != AF_INET6 || a->sin6_port != b->sin6_port || a->sin6_scope_id != b->sin6_scope_id ||
            memcmp(&a->sin6_addr, &b->sin6_addr, 16))
        {
            snprintf(why, whylen, "the name is right, the returned key is not (family %u port %u scope %lu)",
                     a->sin6_family, ntohs(a->sin6_port), (unsigned long)a->sin6_scope_id);
            return 0;
        }
    }
    else if (g->addr.ss_family != 0)
    {
        snprintf(why, whylen, "the name is right, but a stream socket's key has family %u", g->addr.ss_family);
        return 0;
    }
    return 1;
}

/* Security settings the lanes and the supervisor use. */
enum sv { SV_ALLOW_DEFAULT, SV_ALLOW_IPSEC, SV_ALLOW_IPSEC2, SV_NULL, SV_NOFLAGS, SV_GUARANTEE, SV_GUAR_ALLOW,
          SV_SHORT, SV_BADPROTO, SV_BADFLAGS, SV_IPSEC_8, SV_IPSEC_83, SV_IPSEC_CREDS_LONG, NSV };

struct settings_buf { union { SOCKET_SECURITY_SETTINGS_IPSEC ipsec; char bytes[128]; } u; };

/* Fills buf for variant sv; returns the pointer to pass (NULL for SV_NULL),
 * its length in *len and the protocol stored on success in *proto. */
static void *make_settings(struct settings_buf *buf, int sv, ULONG *len, int *proto)
{
    SOCKET_SECURITY_SETTINGS_IPSEC *s = &buf->u.ipsec;
    memset(buf, 0, sizeof(*buf));
    *len = sizeof(SOCKET_SECURITY_SETTINGS);
    s->SecurityFlags = SOCKET_SETTINGS_ALLOW_INSECURE;
    switch (sv)
    {
    case SV_ALLOW_DEFAULT: s->SecurityProtocol = PROTO_DEFAULT; break;
    case SV_ALLOW_IPSEC:   s->SecurityProtocol = PROTO_IPSEC; *len = 84; break;
    case SV_ALLOW_IPSEC2:  s->SecurityProtocol = PROTO_IPSEC2; break;
    case SV_NULL:          *len = 0; *proto = 0; return NULL;
    case SV_NOFLAGS:       s->SecurityFlags = 0; break;
    case SV_GUARANTEE:     s->SecurityFlags = SOCKET_SETTINGS_GUARANTEE_ENCRYPTION; break;
    case SV_GUAR_ALLOW:    s->SecurityFlags |= SOCKET_SETTINGS_GUARANTEE_ENCRYPTION; s->SecurityProtocol = PROTO_IPSEC2; break;
    case SV_SHORT:         *len = 4; break;
    case SV_BADPROTO:      s->SecurityProtocol = SOCKET_SECURITY_PROTOCOL_INVALID; break;
    case SV_BADFLAGS:      s->SecurityFlags |= 0x100; break;
    case SV_IPSEC_8:       s->SecurityProtocol = PROTO_IPSEC; break;    /* as public programs apply it */
    case SV_IPSEC_83:      s->SecurityProtocol = PROTO_IPSEC; *len = 83; s->IpsecFlags = ~0u; break;  /* read as 8 bytes */
    case SV_IPSEC_CREDS_LONG:   /* strings of 2 + 2 + 3 bytes in 84 + 6: WSAEMSGSIZE */
        s->SecurityProtocol = PROTO_IPSEC; *len = 90;
        s->UserNameStringLen = 2; s->DomainNameStringLen = 2; s->PasswordStringLen = 3;
        break;
    }
    *proto = s->SecurityProtocol;
    return s;
}

/* SPEC's answer for settings sv on a socket (rules 3 to 9). */
static int settings_expect(int sv, int connected, int bound_or_applied)
{
    if (connected) return WSAEISCONN;
    switch (sv)
    {
    case SV_SHORT: case SV_IPSEC_CREDS_LONG: return WSAEMSGSIZE;
    case SV_BADPROTO: case SV_BADFLAGS: return WSAEINVAL;
    }
    if (bound_or_applied) return WSAEINVAL;
    switch (sv)
    {
    case SV_NULL: case SV_NOFLAGS: case SV_GUARANTEE: case SV_GUAR_ALLOW: return WSAEOPNOTSUPP;
    }
    return 0;
}

/* The protocol WSAQuerySocketSecurity reports, or -error. */
static int query_security(SOCKET s, int type, int family, int ioctl, char *why, int whylen)
{
    SOCKET_SECURITY_QUERY_TEMPLATE t;
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG len = sizeof(info);
    DWORD bytes = 0xdeadbeef;
    int ret, tl = 0;

    memset(&t, 0, sizeof(t));
    if (type == SOCK_DGRAM) { t.PeerAddress.ss_family = family; tl = sizeof(t); }
    memset(&info, 0xcc, sizeof(info));
    WSASetLastError(0xdead);
    if (ioctl)
        ret = WSAIoctl(s, SIO_QUERY_SECURITY, tl ? &t : NULL, tl, &info, sizeof(info), &bytes, NULL, NULL);
    else
        ret = WSAQuerySocketSecurity(s, tl ? &t : NULL, tl, &info, &len, NULL, NULL);
    if (ret) return -WSAGetLastError();
    if ((ioctl ? bytes : len) != sizeof(info) || info.Flags || info.PeerApplicationAccessTokenHandle ||
        info.PeerMachineAccessTokenHandle)
    {
        snprintf(why, whylen, "query answered %lu bytes, flags %#lx, tokens %#llx %#llx",
                 (unsigned long)(ioctl ? bytes : len), (unsigned long)info.Flags,
                 (unsigned long long)info.PeerApplicationAccessTokenHandle,
                 (unsigned long long)info.PeerMachineAccessTokenHandle);
        return -1;
    }
    return (int)info.SecurityProtocol;
}

static SOCKET new_socket(int family, int type, int ovl)
{
    return WSASocketW(family, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, NULL, 0,
                      (ovl ? WSA_FLAG_OVERLAPPED : 0) | WSA_FLAG_NO_HANDLE_INHERIT);
}

static int loopback(int family, USHORT port, SOCKADDR_STORAGE *ss)
{
    return make_key(family, port, 0, ss, 0);
}

/* ---- worker ------------------------------------------------------------ */

struct own
{
    SOCKET s;
    int family, type, ovl, bound, listed, applied;   /* applied: protocol + 1 */
    unsigned id;
    LONG64 cur[OWN_KEYS], pend[OWN_KEYS];
};

struct ctx
{
    int lane, slot;
    struct lane_book *b;
    volatile LONG *stop;
    unsigned long long rng;
    HANDLE event;
    struct apc_ov { WSAOVERLAPPED ov; struct ctx *c; } aov;
    volatile int apc_runs;
    DWORD apc_err, apc_bytes;
    struct own own[OWN_MAX];
    int nown;
    unsigned own_ids;
    int usable[MAX_POOL], nusable, owned[MAX_POOL], nowned, ntcp;
    union { SOCKET_PEER_TARGET_NAME p; char b[HDR + 2 * MAX_CHARS + 64]; } ptn;
};

/* What a call is made on. */
struct target
{
    SOCKET h;
    int family, type, ovl, connected, bound;
    int accepted;                 /* from accept: its SO_EXCLUSIVEADDRUSE is Wine's accept's, not SPEC's */
    int listed;                   /* made in this process (ws2_32's socket list knows it) */
    unsigned ident;               /* pool index, or 1000 + own id */
};

static SOCKET w_pool[MAX_POOL];
static int w_listed[MAX_POOL];

static unsigned long long rnd64(struct ctx *c)
{
    unsigned long long z = (c->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned rnd(struct ctx *c, unsigned n) { return (unsigned)(rnd64(c) % n); }

static void unexpected(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    int n;
    c->b->unexpected++;
    if ((n = c->b->nmsgs) >= MSGS) return;
    n = snprintf(c->b->msg[n], sizeof(c->b->msg[0]), "slot %d generation %ld lane %d: ", c->slot,
                 sh->slot[c->slot].generation, c->lane);
    va_start(ap, fmt);
    vsnprintf(c->b->msg[c->b->nmsgs] + n, sizeof(c->b->msg[0]) - n, fmt, ap);
    va_end(ap);
    c->b->nmsgs++;
}

static void CALLBACK on_done(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
    struct apc_ov *a = CONTAINING_RECORD(ov, struct apc_ov, ov);
    a->c->apc_runs++;
    a->c->apc_err = err;
    a->c->apc_bytes = bytes;
}

enum { OP_SET, OP_DEL, OP_SEC };
static const char *op_names[] = { "set", "delete", "security set" };

/* Makes one call along path and checks its completion (SPEC "Overlapped use");
 * returns 0 or the WSA error. */
static int run_path(struct ctx *c, int path, int op, SOCKET h, void *in, DWORD inlen)
{
    static const DWORD codes[] = { SIO_SET_PEER_TARGET_NAME, SIO_DELETE_PEER_TARGET_NAME, SIO_SET_SECURITY };
    WSAOVERLAPPED *ov = NULL;
    LPWSAOVERLAPPED_COMPLETION_ROUTINE cr = NULL;
    DWORD bytes = 0xdeadbeef, w = 0;
    int ret, err, i;

    if (path >= P_WRAP_EVENT) { memset(&c->aov.ov, 0, sizeof(c->aov.ov)); ov = &c->aov.ov; }
    if (path == P_WRAP_EVENT || path == P_IOCTL_EVENT) { ResetEvent(c->event); ov->hEvent = c->event; }
    if (path >= P_WRAP_ROUTINE) { cr = on_done; c->apc_runs = 0; c->apc_err = c->apc_bytes = 0xdead; }
    WSASetLastError(0xdead);
    if (!(path & 1))
    {
        if (op == OP_SET) ret = WSASetSocketPeerTargetName(h, in, inlen, ov, cr);
        else if (op == OP_DEL) ret = WSADeleteSocketPeerTargetName(h, in, inlen, ov, cr);
        else ret = WSASetSocketSecurity(h, in, inlen, ov, cr);
    }
    else ret = WSAIoctl(h, codes[op], in, inlen, NULL, 0, &bytes, ov, cr);
    err = ret == 0 ? 0 : ret == SOCKET_ERROR ? WSAGetLastError() : -2;
    c->b->paths[path]++;

    if (path == P_IOCTL && !err && bytes != 0)
        unexpected(c, "%s through WSAIoctl: lpcbBytesReturned %lu, expected 0", op_names[op], (unsigned long)bytes);
    if (ov && !cr)
    {
        w = WaitForSingleObject(c->event, 0);
        if (!err && (w != WAIT_OBJECT_0 || ov->Internal != 0 || ov->InternalHigh != 0))
            unexpected(c, "%s (%s): event %s, Internal %#lx, InternalHigh %lu", op_names[op], path_names[path],
                       w == WAIT_OBJECT_0 ? "signalled" : "not signalled", (unsigned long)ov->Internal,
                       (unsigned long)ov->InternalHigh);
        if (err && w == WAIT_OBJECT_0)
            unexpected(c, "%s (%s) failed with %d and signalled the event", op_names[op], path_names[path], err);
    }
    if (cr)
    {
        for (i = 0; i < 20 && c->apc_runs < (err ? 0 : 1); i++) SleepEx(i ? 10 : 0, TRUE);
        SleepEx(0, TRUE);
        if (c->apc_runs != (err ? 0 : 1) || (!err && (c->apc_err != 0 || c->apc_bytes != 0)))
            unexpected(c, "%s (%s) returned %d: the completion routine ran %d times (error %lu, %lu bytes)",
                       op_names[op], path_names[path], err, c->apc_runs, (unsigned long)c->apc_err,
                       (unsigned long)c->apc_bytes);
    }
    return err;
}

static int pick_path(struct ctx *c, int ovl) { return ovl ? (int)rnd(c, NPATHS) : (int)rnd(c, 2); }

static unsigned pick_len(struct ctx *c)
{
    unsigned r = rnd(c, 64);
    if (r == 0) return MAX_CHARS;
    if (r < 5) return 41 + rnd(c, MAX_CHARS - 41);
    return 1 + rnd(c, 40);
}

/* A set, replace, delete or read of key k (stream: k 0) on t, with the book
 * (cur, pend) of (lane, t->ident, k). */
static void name_op(struct ctx *c, const struct target *t, volatile LONG64 *cur, volatile LONG64 *pend,
                    unsigned base, int k, int what /* -1: random; 0 set, 1 delete, 2 read */)
{
    SOCKADDR_STORAGE key, clean;
    int keylen = 0, cleanlen = 0, err, expect, path, dgram = t->type == SOCK_DGRAM;
    ULONG64 old = *cur, nv;
    unsigned r = rnd(c, 100);
    struct got g;
    char why[200];

    if (dgram) cleanlen = make_key(t->family, base, k, &clean, 0);
    if (what < 0) what = (old & V_PRESENT) ? (r < 45 ? 0 : r < 70 ? 1 : 2) : (r < 60 ? 0 : r < 75 ? 1 : 2);
    if (what == 0)
    {
        unsigned n = pick_len(c), proto = rnd(c, 3), v = (unsigned)++c->b->version;
        ULONG size = HDR + 2 * n;
        int kind = t->connected ? K_SET_REFUSED : (old & V_PRESENT) ? K_REPLACE : K_SET;

        nv = val_make(proto, n, v);
        memset(c->ptn.b, 0, HDR);
        c->ptn.p.SecurityProtocol = proto;
        if (dgram)
        {
            keylen = make_key(t->family, base, k, &key, rnd(c, 2) ? (unsigned)rnd64(c) | 1 : 0);
            memcpy(&c->ptn.p.PeerAddress, &key, keylen);
            if (rnd(c, 4) == 0) memset((char *)&c->ptn.p.PeerAddress + keylen, 0x5a, sizeof(SOCKADDR_STORAGE) - keylen);
        }
        else if (rnd(c, 2)) memset(&c->ptn.p.PeerAddress, 0xa5, sizeof(c->ptn.p.PeerAddress));  /* ignored */
        c->ptn.p.PeerTargetNameStringLen = len_field(proto, n);
        make_name((WCHAR *)(c->ptn.b + HDR), c->lane, t->ident, k, nv);
        if (rnd(c, 4) == 0) { ULONG extra = rnd(c, 32); memset(c->ptn.b + size, 0xcc, extra); size += extra; }
        expect = t->connected ? WSAEISCONN : 0;
        path = pick_path(c, t->ovl);
        c->b->inflight = kind + 1;
        if (!expect) { *pend = V_PEND | nv; BARRIER(); }
        err = run_path(c, path, OP_SET, t->h, &c->ptn.p, size);
        BARRIER();
        if (!err && !expect) *cur = nv;
        BARRIER();
        *pend = 0;
        c->b->inflight = 0;
        c->b->ops[kind]++;
        if (err != expect)
            unexpected(c, "set on %s socket %u key %d (%s, %u characters): error %d, expected %d",
                       dgram ? "UDP" : "TCP", t->ident, k, path_names[path], n, err, expect);
    }
    else if (what == 1)
    {
        SOCKADDR_STORAGE a;
        int alen;
        if (dgram) alen = make_key(t->family, base, k, &a, rnd(c, 2) ? (unsigned)rnd64(c) | 1 : 0);
        else alen = make_key(rnd(c, 2) ? AF_INET : AF_INET6, 1 + rnd(c, 60000), 0, &a, 0);   /* ignored */
        if (rnd(c, 4) == 0) alen = sizeof(SOCKADDR_STORAGE);
        path = pick_path(c, t->ovl);
        c->b->inflight = K_DELETE + 1;
        *pend = V_PEND;
        BARRIER();
        err = run_path(c, path, OP_DEL, t->h, &a, alen);
        BARRIER();
        if (!err) *cur = 0;
        BARRIER();
        *pend = 0;
        c->b->inflight = 0;
        c->b->ops[K_DELETE]++;
        if (err) unexpected(c, "delete on %s socket %u key %d (%s): error %d", dgram ? "UDP" : "TCP", t->ident, k,
                            path_names[path], err);
    }
    if (what == 2 || rnd(c, 4) == 0)
    {
        c->b->inflight = K_QUERY + 1;
        get(t->h, dgram ? &clean : NULL, cleanlen, &g);
        c->b->inflight = 0;
        c->b->ops[K_QUERY]++;
        if (!holds(&g, *cur, c->lane, t->ident, k, dgram ? &clean : NULL, why, sizeof(why)))
            unexpected(c, "read of %s socket %u key %d: %s", dgram ? "UDP" : "TCP", t->ident, k, why);
    }
}

static void sec_set_op(struct ctx *c, const struct target *t, volatile LONG64 *scur, volatile LONG64 *spend, int pool)
{
    struct settings_buf buf;
    ULONG len;
    int sv, proto, expect, err, path;
    void *p;
    ULONG64 nv;

    do sv = rnd(c, NSV); while (pool && sv == SV_ALLOW_DEFAULT);   /* DEFAULT: the query could not tell */
    p = make_settings(&buf, sv, &len, &proto);
    if (!p && rnd(c, 2)) len = 8;                /* NULL means the defaults whatever len is */
    expect = settings_expect(sv, t->connected, t->bound || *scur);
    nv = expect ? *scur : (ULONG64)proto + 1;
    path = pick_path(c, t->ovl);
    c->b->inflight = (expect ? K_SEC_REFUSED : K_SEC_SET) + 1;
    if (!expect) { *spend = V_PEND | nv; BARRIER(); }
    err = run_path(c, path, OP_SEC, t->h, p, len);
    BARRIER();
    if (!err && !expect) *scur = nv;
    BARRIER();
    *spend = 0;
    c->b->inflight = 0;
    c->b->ops[expect ? K_SEC_REFUSED : K_SEC_SET]++;
    if (err != expect)
        unexpected(c, "security settings %d on %s %s socket %u (%s, applied %d): error %d, expected %d", sv,
                   t->type == SOCK_DGRAM ? "UDP" : "TCP", t->connected ? "connected" : t->bound ? "bound" : "fresh",
                   t->ident, path_names[path], (int)*scur, err, expect);
    /* SPEC rule 9: applied settings made the socket SO_EXCLUSIVEADDRUSE; asked
     * of the server, since ws2_32 here may not know the handle */
    if (!t->accepted && (err = exclusive_server((HANDLE)t->h)) != (*scur != 0))
        unexpected(c, "socket %u: SO_EXCLUSIVEADDRUSE %d with settings %s", t->ident, err, *scur ? "applied" : "not applied");
}

static void sec_query_op(struct ctx *c, const struct target *t, LONG64 scur)
{
    char why[200] = "";
    int got, want = scur ? (int)scur - 1 : PROTO_DEFAULT;
    c->b->inflight = K_SEC_QUERY + 1;
    got = query_security(t->h, t->type, t->family, rnd(c, 2), why, sizeof(why));
    c->b->inflight = 0;
    c->b->ops[K_SEC_QUERY]++;
    if (got != want)
        unexpected(c, "security query on socket %u: %d, expected protocol %d %s", t->ident, got, want, why);
}

/* SPEC: WSAEOPNOTSUPP whatever the arguments; the thread's token never changes */
static void impersonate_op(struct ctx *c, const struct target *t)
{
    static const int lens[] = { 0, 1, 15, 16, 27, 28, 128 };
    SOCKADDR_STORAGE a;
    int alen, err;
    unsigned r = rnd(c, 8);
    HANDLE tok;

    alen = make_key(r & 1 ? AF_INET6 : AF_INET, OWN_PORT, rnd(c, 8), &a, 0);
    if (r & 2) alen = lens[rnd(c, sizeof(lens) / sizeof(lens[0]))];
    c->b->inflight = K_IMPERSONATE + 1;
    WSASetLastError(0xdead);
    err = WSAImpersonateSocketPeer(t->h, r & 4 ? NULL : (struct sockaddr *)&a, alen) ? WSAGetLastError() : 0;
    c->b->ops[K_IMPERSONATE]++;
    if (err != WSAEOPNOTSUPP)
        unexpected(c, "WSAImpersonateSocketPeer on %s socket %u (%s address, length %d): error %d, expected WSAEOPNOTSUPP",
                   t->type == SOCK_DGRAM ? "UDP" : "TCP", t->ident, r & 4 ? "NULL" : r & 1 ? "AF_INET6" : "AF_INET", alen, err);
    c->b->inflight = K_REVERT + 1;
    if ((err = WSARevertImpersonation())) unexpected(c, "WSARevertImpersonation returned %d", err);
    c->b->ops[K_REVERT]++;
    c->b->inflight = 0;
    if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok))
    {
        CloseHandle(tok);
        unexpected(c, "the thread has a token after WSAImpersonateSocketPeer and WSARevertImpersonation");
    }
}

static struct target pool_target(int p, SOCKET h)
{
    struct target t;
    const struct pool_desc *d = &sh->pool[p];
    t.h = h;
    t.family = d->family;
    t.type = d->type;
    t.ovl = d->ovl;
    t.connected = d->state == P_CONNECTED || d->state == P_ACCEPTED;
    t.accepted = d->state == P_ACCEPTED;
    t.bound = d->state != P_FRESH;
    t.listed = w_listed[p];
    t.ident = p;
    return t;
}

static struct target own_target(struct own *o)
{
    struct target t;
    t.h = o->s;
    t.family = o->family;
    t.type = o->type;
    t.ovl = o->ovl;
    t.connected = 0;
    t.accepted = 0;
    t.bound = o->bound;
    t.listed = o->listed;
    t.ident = 1000 + o->id;
    return t;
}

/* a name operation on a shared socket, through a handle of its own sometimes */
static void pool_name_op(struct ctx *c, int dup)
{
    int p = c->nowned && rnd(c, 4) == 0 ? c->owned[rnd(c, c->nowned)] : c->usable[rnd(c, c->nusable)];
    int k = sh->pool[p].type == SOCK_DGRAM ? (int)rnd(c, KEYS) : 0;
    struct target t = pool_target(p, w_pool[p]);
    struct lane_book *b = c->b;

    if (sh->pool[p].type == SOCK_STREAM && sh->pool[p].owner != c->lane) return;
    if (!dup)
    {
        name_op(c, &t, &b->cur[p][k], &b->pend[p][k], lane_base(c->lane), k, -1);
        return;
    }
    if (rnd(c, 2))
    {
        HANDLE h;
        c->b->inflight = K_DUPHANDLE + 1;
        if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)w_pool[p], GetCurrentProcess(), &h, 0, FALSE,
                             DUPLICATE_SAME_ACCESS))
        {
            unexpected(c, "DuplicateHandle of shared socket %d: error %lu", p, GetLastError());
            c->b->inflight = 0;
            return;
        }
        c->b->ops[K_DUPHANDLE]++;
        c->b->dups++;
        t.h = (SOCKET)h;
        t.listed = 0;
        name_op(c, &t, &b->cur[p][k], &b->pend[p][k], lane_base(c->lane), k, -1);
        c->b->inflight = K_CLOSE + 1;
        if (!CloseHandle(h)) unexpected(c, "CloseHandle of a duplicate of shared socket %d: error %lu", p, GetLastError());
    }
    else
    {
        WSAPROTOCOL_INFOW info;
        SOCKET s;
        c->b->inflight = K_WSADUP + 1;
        if (WSADuplicateSocketW(w_pool[p], GetCurrentProcessId(), &info))
        {
            unexpected(c, "WSADuplicateSocketW of shared socket %d: error %d", p, WSAGetLastError());
            c->b->inflight = 0;
            return;
        }
        s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0);
        if (s == INVALID_SOCKET)
        {
            unexpected(c, "WSASocketW(FROM_PROTOCOL_INFO) of shared socket %d: error %d", p, WSAGetLastError());
            c->b->inflight = 0;
            return;
        }
        c->b->ops[K_WSADUP]++;
        c->b->dups++;
        t.h = s;
        t.listed = 1;
        name_op(c, &t, &b->cur[p][k], &b->pend[p][k], lane_base(c->lane), k, -1);
        c->b->inflight = K_CLOSE + 1;
        if (closesocket(s)) unexpected(c, "closesocket of a WSADuplicateSocket copy of shared socket %d: error %d", p,
                                       WSAGetLastError());
    }
    c->b->inflight = 0;
}

static int own_count(struct own *o)
{
    int k, n = 0;
    for (k = 0; k < OWN_KEYS; k++) n += (o->cur[k] & V_PRESENT) != 0;
    return n;
}

static void own_close(struct ctx *c, int i)
{
    struct own *o = &c->own[i];
    int n = own_count(o), ok;
    c->b->inflight = K_CLOSE + 1;
    ok = o->listed ? !closesocket(o->s) : CloseHandle((HANDLE)o->s);
    c->b->inflight = 0;
    if (!ok) unexpected(c, "closing its own socket: error %lu", GetLastError());
    c->b->ops[K_CLOSE]++;
    c->b->own_names -= n;
    c->own[i] = c->own[--c->nown];
}

static void own_open(struct ctx *c)
{
    static const int fams[] = { AF_INET, AF_INET6 };
    struct own *o = &c->own[c->nown];
    memset(o, 0, sizeof(*o));
    o->family = fams[rnd(c, 2)];
    o->type = rnd(c, 2) ? SOCK_DGRAM : SOCK_STREAM;
    o->ovl = rnd(c, 2);
    o->listed = 1;
    o->id = c->own_ids++;
    c->b->inflight = K_OPEN + 1;
    o->s = new_socket(o->family, o->type, o->ovl);
    c->b->inflight = 0;
    if (o->s == INVALID_SOCKET) { unexpected(c, "socket(): error %d", WSAGetLastError()); return; }
    c->b->ops[K_OPEN]++;
    c->b->own_opened++;
    c->nown++;
}

static void own_op(struct ctx *c, unsigned r)
{
    struct own *o;
    struct target t;
    int i, k;

    if (!c->nown || (r < 4 && c->nown < OWN_MAX)) { own_open(c); return; }
    i = rnd(c, c->nown);
    o = &c->own[i];
    t = own_target(o);
    if (r < 8) { own_close(c, i); return; }
    if (r < 60)
    {
        int before = (int)own_count(o);
        k = o->type == SOCK_DGRAM ? (int)rnd(c, OWN_KEYS) : 0;
        name_op(c, &t, &o->cur[k], &o->pend[k], OWN_PORT, k, -1);
        c->b->own_names += own_count(o) - before;
    }
    else if (r < 75)
    {
        LONG64 a = o->applied, pend;
        sec_set_op(c, &t, &a, &pend, 0);
        o->applied = (int)a;
    }
    else if (r < 82) sec_query_op(c, &t, o->applied);
    else if (r < 86) impersonate_op(c, &t);
    else if (r < 90 && !o->bound)
    {
        SOCKADDR_STORAGE a;
        int len = loopback(o->family, 0, &a), err;
        c->b->inflight = K_BIND + 1;
        err = bind(o->s, (struct sockaddr *)&a, len) ? WSAGetLastError() : 0;
        c->b->inflight = 0;
        c->b->ops[K_BIND]++;
        if (err) unexpected(c, "bind of its own socket: error %d", err);
        else o->bound = 1;
    }
    else if (r < 95)
    {
        /* a second handle; the first is closed: the object and its names stay */
        HANDLE h;
        struct got g;
        char why[200];
        int ok;
        c->b->inflight = K_DUPHANDLE + 1;
        if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)o->s, GetCurrentProcess(), &h, 0, FALSE, DUPLICATE_SAME_ACCESS))
        {
            unexpected(c, "DuplicateHandle of its own socket: error %lu", GetLastError());
            c->b->inflight = 0;
            return;
        }
        c->b->ops[K_DUPHANDLE]++;
        c->b->dups++;
        c->b->inflight = K_CLOSE + 1;
        ok = o->listed ? !closesocket(o->s) : CloseHandle((HANDLE)o->s);
        c->b->inflight = 0;
        if (!ok) unexpected(c, "closing the first handle of its own socket: error %lu", GetLastError());
        o->s = (SOCKET)h;
        o->listed = 0;
        t.h = o->s;
        t.listed = 0;
        for (k = 0; k < (o->type == SOCK_DGRAM ? OWN_KEYS : 1); k++)
        {
            SOCKADDR_STORAGE key;
            int dgram = o->type == SOCK_DGRAM;
            get(o->s, dgram ? &key : NULL, dgram ? (ULONG)make_key(o->family, OWN_PORT, k, &key, 0) : 0, &g);
            c->b->ops[K_QUERY]++;
            if (!holds(&g, o->cur[k], c->lane, t.ident, k, dgram ? &key : NULL, why, sizeof(why)))
                unexpected(c, "own socket %u key %d through a duplicate after closing the first handle: %s",
                           o->id, k, why);
        }
    }
    else
    {
        /* fill some keys at once */
        int before = (int)own_count(o);
        for (k = 0; k < (o->type == SOCK_DGRAM ? OWN_KEYS : 1); k++)
            if (!(o->cur[k] & V_PRESENT)) name_op(c, &t, &o->cur[k], &o->pend[k], OWN_PORT, k, 0);
        c->b->own_names += own_count(o) - before;
    }
}

static DWORD WINAPI lane_thread(void *arg)
{
    struct ctx *c = arg;

    while (!*c->stop)
    {
        unsigned r = rnd(c, 100);
        if (r < 42) pool_name_op(c, 0);
        else if (r < 50) pool_name_op(c, 1);
        else if (r < 56)
        {
            if (c->nowned)
            {
                int p = c->owned[rnd(c, c->nowned)];
                struct target t = pool_target(p, w_pool[p]);
                if (rnd(c, 2)) sec_set_op(c, &t, &c->b->sec_cur[p], &c->b->sec_pend[p], 1);
                else sec_query_op(c, &t, c->b->sec_cur[p]);
            }
        }
        else if (r < 60)
        {
            int p = rnd(c, sh->npool);
            struct target t = pool_target(p, w_pool[p]);
            impersonate_op(c, &t);
        }
        else own_op(c, rnd(c, 100));
    }
    while (c->nown) own_close(c, c->nown - 1);
    return 0;
}

static int worker(int argc, char **argv)
{
    static struct ctx ctxs[THREADS];
    HANDLE map, sup, th[THREADS];
    struct slot_info *si;
    int slot, t, p, i, bad = 0;
    LONG gen;

    if (argc < 6) return 2;
    if (!(map = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, argv[2])) ||
        !(sh = MapViewOfFile(map, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(*sh))) || sh->magic != MAGIC)
    {
        printf("FAIL: soak worker: cannot map %s (error %lu)\n", argv[2], GetLastError());
        return 2;
    }
    slot = atoi(argv[3]);
    gen = atol(argv[4]);
    sup = OpenProcess(SYNCHRONIZE, FALSE, strtoul(argv[5], NULL, 10));
    si = &sh->slot[slot];

    for (p = 0; p < sh->npool; p++)
    {
        if (si->handle[p]) w_pool[p] = (SOCKET)si->handle[p];
        else
        {
            w_pool[p] = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &si->info[p], 0, 0);
            w_listed[p] = 1;
            if (w_pool[p] == INVALID_SOCKET) bad = p + 1;
        }
    }
    for (t = 0; t < THREADS; t++)
    {
        struct ctx *c = &ctxs[t];
        c->lane = slot * THREADS + t;
        c->slot = slot;
        c->b = &sh->lane[c->lane];
        c->stop = &si->stop;
        c->rng = mix(GetCurrentProcessId()) * 0x100000001ull ^ (unsigned long long)gen << 20 ^ c->lane ^ GetTickCount64() << 32;
        c->event = CreateEventW(NULL, TRUE, FALSE, NULL);
        c->aov.c = c;
        for (p = 0; p < sh->npool; p++)
        {
            if (sh->pool[p].type == SOCK_DGRAM) c->usable[c->nusable++] = p;
            if (sh->pool[p].owner == c->lane)
            {
                c->owned[c->nowned++] = p;
                if (sh->pool[p].type == SOCK_STREAM) c->usable[c->nusable++] = p;
            }
        }
    }
    if (bad)
    {
        struct ctx *c = &ctxs[0];
        unexpected(c, "WSASocketW(FROM_PROTOCOL_INFO) for shared socket %d failed: error %d", bad - 1, WSAGetLastError());
    }
    si->ready_at = GetTickCount64();
    si->ready = gen;
    for (t = 0; t < THREADS; t++) th[t] = CreateThread(NULL, 0, lane_thread, &ctxs[t], 0, NULL);
    for (;;)
    {
        DWORD w = WaitForMultipleObjects(THREADS, th, TRUE, 200);
        if (w < WAIT_OBJECT_0 + THREADS) break;
        if (sup && WaitForSingleObject(sup, 0) == WAIT_OBJECT_0) ExitProcess(4);   /* the supervisor is gone */
    }
    for (p = 0; p < sh->npool; p++)
    {
        int ok = w_listed[p] ? !closesocket(w_pool[p]) : CloseHandle((HANDLE)w_pool[p]);
        if (!ok) unexpected(&ctxs[0], "closing its handle of shared socket %d: error %lu", p, GetLastError());
    }
    for (i = 0; i < THREADS; i++) CloseHandle(th[i]);
    return 0;
}

/* ---- supervisor --------------------------------------------------------- */

static unsigned long long srng;
static unsigned srnd(unsigned n)
{
    unsigned long long z = (srng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (unsigned)((z ^ (z >> 31)) % n);
}

static int valgrind;
static DWORD vg_factor = 1;
static SOCKET pool_s[MAX_POOL];
static SOCKET hidden[64];
static int nhidden;
static HANDLE job;
static char map_name[64];
static WCHAR exe[MAX_PATH];
static ULONGLONG t_start, next_progress;
static int storm;

static struct worker_state
{
    HANDLE process;
    DWORD pid;
    LONG gen;
    int alive;
} wk[SLOTS];

static struct
{
    long long kills, kills_inflight, inflight_kind[NKINDS + 1], happened, not_happened, either;
    long long started, handed[NMETHODS], stopped, exits, pool_sockets, keys_checked;
    long long names_held[3], names_max;
    long long ready_n, ready_ms, ready_max_ms;
    long long ops_at_storm_end[3];
} st;

/* ---- wineserver memory (ptn.h) ---- */

static char marker[64];
static unsigned server_pid;

static long long server_rss(void)
{
    return server_pid ? ptn_rss(server_pid) : -1;
}

static double elapsed(void) { return (GetTickCount64() - t_start) / 1000.0; }
static void progress_grid(void)
{
    ULONGLONG now = GetTickCount64();
    while (next_progress <= now) next_progress += 10000;
}

/* ---- the supervisor's own calls ---- */

static int alive_check(const char *when)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKADDR_IN k = v4(1234);
    struct got g;
    int err = s == INVALID_SOCKET ? WSAGetLastError() : set_name(s, PROTO_IPSEC, &k, sizeof(k), L"soak/alive");
    int ok;
    if (!err) get(s, &k, sizeof(k), &g);
    ok = !err && g.status == 0 && g.len == 20 && !memcmp(g.name, L"soak/alive", 20);
    if (s != INVALID_SOCKET) closesocket(s);
    report_quiet(ok, "the supervisor's own calls work %s (the wineserver is alive): error %d", when, err);
    return ok;
}

/* ---- the 64 MiB refill ---- */

struct fill
{
    long long big, bytes;          /* 1024-character names stored; bytes counted by the cost rule */
    unsigned grow1, grow2;         /* the two small entries' final lengths, in characters */
    double seconds;
    int ok;
};

static int fill_set(SOCKET s, SOCKET_PEER_TARGET_NAME *p, USHORT port, ULONG nchars)
{
    SOCKADDR_IN k = v4(port);
    memcpy(&p->PeerAddress, &k, sizeof(k));
    p->PeerTargetNameStringLen = nchars;
    return WSASetSocketPeerTargetName(s, p, HDR + 2 * nchars, NULL, NULL) ? WSAGetLastError() : 0;
}

/* Grows key port on s, now chars long, as far as the room allows (each try
 * either fits or is refused with WSAENOBUFS, changing nothing). */
static unsigned grow(SOCKET s, SOCKET_PEER_TARGET_NAME *p, USHORT port, unsigned chars, int *bad)
{
    unsigned step;
    int err;
    for (step = 512; step; step /= 2)
    {
        if (chars + step > MAX_CHARS) continue;
        if (!(err = fill_set(s, p, port, chars + step))) chars += step;
        else if (err != WSAENOBUFS) (*bad)++;
    }
    return chars;
}

static void refill(const char *when, struct fill *f)
{
    static SOCKET s[16];
    SOCKET t;
    SOCKET_PEER_TARGET_NAME *p = calloc(1, HDR + 2 * MAX_CHARS + 16);
    WCHAR *name = (WCHAR *)((char *)p + HDR);
    int ns = 0, err = 0, bad = 0, i, wrong = 0;
    long long n = 0;
    ULONGLONG t0 = GetTickCount64();
    struct got g;

    memset(f, 0, sizeof(*f));
    p->SecurityProtocol = PROTO_IPSEC;
    fill_name(name, MAX_CHARS, 11);
    t = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    if (fill_set(t, p, 60001, 1) || fill_set(t, p, 60002, 1)) bad++;
    while (!err && ns < 16)
    {
        s[ns] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        for (i = 0; i < MAX_NAMES; i++)
        {
            name[0] = (WCHAR)('A' + (n % 26));
            if ((err = fill_set(s[ns], p, (USHORT)(1 + i), MAX_CHARS))) break;
            n++;
        }
        ns++;
        if (GetTickCount64() >= next_progress)
        {
            printf("soak: %3.0f s: %s: %lld names of 1024 characters stored so far\n", elapsed(), when, n);
            progress_grid();
        }
    }
    report(err == WSAENOBUFS, "%s: filling with 1024-character names ends with WSAENOBUFS (error %d after %lld names)",
           when, err, n);
    name[0] = 'g';
    f->grow1 = grow(t, p, 60001, 1, &bad);
    f->grow2 = grow(t, p, 60002, 1, &bad);
    check_int(bad, 0, "refill: calls that failed with another error than WSAENOBUFS");
    err = fill_set(t, p, 60003, 1);
    check_int(err, WSAENOBUFS, "refill: then a new 1-character name is refused");
    if (f->grow2 < MAX_CHARS)
        check_int(fill_set(t, p, 60002, f->grow2 + 1), WSAENOBUFS, "refill: and growing an entry by 2 bytes");
    f->big = n;
    f->bytes = n * (ENTRY + 2 * MAX_CHARS) + 2 * ENTRY + 2 * (f->grow1 + f->grow2);
    /* sampled names hold what was set */
    for (i = 0; i < n; i += 997)
    {
        SOCKADDR_IN k = v4((USHORT)(1 + i % MAX_NAMES));
        get(s[i / MAX_NAMES], &k, sizeof(k), &g);
        name[0] = (WCHAR)('A' + (i % 26));
        if (g.status || g.len != 2 * MAX_CHARS || memcmp(g.name, name, 2 * MAX_CHARS)) wrong++;
    }
    check_int(wrong, 0, "refill: sampled names that do not hold what was set");
    for (i = 0; i < ns; i++) closesocket(s[i]);
    closesocket(t);
    free(p);
    f->seconds = (GetTickCount64() - t0) / 1000.0;
    printf("soak: %s: %lld names of 1024 characters, then two entries grown to %u and %u characters: "
           "%lld bytes by the cost rule (%d + name bytes an entry), in %.1f s\n",
           when, f->big, f->grow1, f->grow2, f->bytes, ENTRY, f->seconds);
    f->ok = 1;
}

/* ---- the pool ---- */

static int add_pool(SOCKET s, int family, int type, int state, int ovl, int owner)
{
    int p = sh->npool++;
    struct pool_desc *d = &sh->pool[p];
    d->family = family; d->type = type; d->state = state; d->ovl = ovl; d->owner = owner;
    pool_s[p] = s;
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);   /* accept() makes inheritable handles */
    st.pool_sockets++;
    return p;
}

/* the supervisor sets a name for lane's key k of pool socket p, as a worker would */
static void preset(int lane, int p, int k)
{
    struct lane_book *b = &sh->lane[lane];
    ULONG64 v = val_make(srnd(3), 1 + srnd(60), (unsigned)++b->version);
    WCHAR name[MAX_CHARS + 1];
    SOCKADDR_STORAGE key;
    int len = 0, err;

    make_name(name, lane, p, k, v);
    if (sh->pool[p].type == SOCK_DGRAM) len = make_key(sh->pool[p].family, lane_base(lane), k, &key, 0);
    err = set_name_n(pool_s[p], VAL_PROTO(v), len ? &key : NULL, len, name, VAL_CHARS(v));
    report_quiet(!err, "preset name for lane %d on shared socket %d key %d: error %d", lane, p, k, err);
    if (!err) b->cur[p][k] = v;
}

static void preset_settings(int p, int proto)
{
    struct settings_buf buf;
    ULONG len;
    int pr, err;
    void *s = make_settings(&buf, proto == PROTO_IPSEC ? SV_ALLOW_IPSEC : SV_ALLOW_IPSEC2, &len, &pr);
    err = WSASetSocketSecurity(pool_s[p], s, len, NULL, NULL) ? WSAGetLastError() : 0;
    report_quiet(!err, "settings applied to shared socket %d before bind: error %d", p, err);
    if (!err) sh->lane[sh->pool[p].owner].sec_cur[p] = pr + 1;
}

/* binds l to a free loopback port and makes it listen; the supervisor keeps it */
static void listening(SOCKET l, int family)
{
    SOCKADDR_STORAGE a;
    int len = loopback(family, 0, &a);
    bind(l, (struct sockaddr *)&a, len);
    listen(l, 4);
    hidden[nhidden++] = l;
}

static int connect_accept(SOCKET c, SOCKET l, SOCKET *acc)
{
    SOCKADDR_STORAGE a;
    int len = sizeof(a);
    getsockname(l, (struct sockaddr *)&a, &len);
    if (connect(c, (struct sockaddr *)&a, len)) return WSAGetLastError();
    *acc = accept(l, NULL, NULL);
    return *acc == INVALID_SOCKET ? WSAGetLastError() : 0;
}

static void make_pool(void)
{
    static const int fams[] = { AF_INET, AF_INET6 };
    int L, p, k, i;
    char why[200];

    sh->npool = 0;
    nhidden = 0;
    for (L = 0; L < LANES; L++)
    {
        /* new books for the new sockets; the counters go on */
        struct lane_book *b = &sh->lane[L];
        memset((void *)b->cur, 0, sizeof(b->cur));
        memset((void *)b->pend, 0, sizeof(b->pend));
        memset((void *)b->sec_cur, 0, sizeof(b->sec_cur));
        memset((void *)b->sec_pend, 0, sizeof(b->sec_pend));
        b->own_names = 0;
        b->inflight = 0;
        b->version = storm * 10000000;
        /* a fresh TCP socket */
        add_pool(new_socket(fams[L & 1], SOCK_STREAM, (L >> 1) & 1), fams[L & 1], SOCK_STREAM, P_FRESH, (L >> 1) & 1, L);
    }
    for (L = 0; L < LANES; L++)
    {
        int fam = fams[(L >> 1) & 1], ovl = (L / 3) & 1, kind = L % 3, err;
        SOCKET l, c, a = INVALID_SOCKET;
        (void)c;
        if (kind == 0)
        {
            /* listening; settings applied before bind stay through bind and listen */
            SOCKADDR_STORAGE addr;
            int len = loopback(fam, 0, &addr);
            p = add_pool(new_socket(fam, SOCK_STREAM, ovl), fam, SOCK_STREAM, P_LISTEN, ovl, L);
            if (!((L / 3) & 1)) preset_settings(p, PROTO_IPSEC2);
            preset(L, p, 0);
            err = bind(pool_s[p], (struct sockaddr *)&addr, len) || listen(pool_s[p], 2) ? WSAGetLastError() : 0;
            report_quiet(!err, "shared socket %d: bind and listen: error %d", p, err);
        }
        else if (kind == 1)
        {
            /* a connected client, given a name (and settings) before connect */
            l = new_socket(fam, SOCK_STREAM, 1);
            listening(l, fam);
            c = new_socket(fam, SOCK_STREAM, ovl);
            p = add_pool(c, fam, SOCK_STREAM, P_CONNECTED, ovl, L);
            if ((L / 3) & 1) preset_settings(p, PROTO_IPSEC);
            preset(L, p, 0);
            err = connect_accept(c, l, &a);
            report_quiet(!err, "shared socket %d: connect: error %d", p, err);
            if (!err) { hidden[nhidden++] = a; SetHandleInformation((HANDLE)a, HANDLE_FLAG_INHERIT, 0); }
        }
        else
        {
            /* an accepted socket of a listener holding a name and settings: it starts with neither */
            struct got g;
            l = new_socket(fam, SOCK_STREAM, 1);
            set_name(l, PROTO_IPSEC, NULL, 0, L"listener/name");
            {
                struct settings_buf buf; ULONG len; int pr;
                void *s = make_settings(&buf, SV_ALLOW_IPSEC2, &len, &pr);
                WSASetSocketSecurity(l, s, len, NULL, NULL);
            }
            listening(l, fam);
            c = new_socket(fam, SOCK_STREAM, 1);
            hidden[nhidden++] = c;
            err = connect_accept(c, l, &a);
            report_quiet(!err, "accepted shared socket: connect and accept: error %d", err);
            p = add_pool(a, fam, SOCK_STREAM, P_ACCEPTED, 1, L);
            get(a, NULL, 0, &g);
            report_quiet(g.status == ST_NOT_FOUND, "an accepted socket starts with no name (status 0x%08lx)",
                         (unsigned long)g.status);
            i = query_security(a, SOCK_STREAM, fam, 0, why, sizeof(why));
            report_quiet(i == PROTO_DEFAULT, "an accepted socket starts with no settings (query %d)", i);
        }
    }
    /* UDP: fresh, bound, connected (names preset before connect) */
    for (i = 0; i < 8; i++)
    {
        int fam = fams[i & 1], ovl = (i >> 1) & 1, state = i < 4 ? P_FRESH : i < 6 ? P_BOUND : P_CONNECTED;
        int owner = (i * 3 + 1) % LANES, err = 0;
        SOCKADDR_STORAGE a;
        int len = loopback(fam, 0, &a);
        p = add_pool(new_socket(fam, SOCK_DGRAM, ovl), fam, SOCK_DGRAM, state, ovl, owner);
        if (state == P_BOUND) err = bind(pool_s[p], (struct sockaddr *)&a, len) ? WSAGetLastError() : 0;
        if (state == P_CONNECTED)
        {
            SOCKET peer = new_socket(fam, SOCK_DGRAM, 0);
            if (i & 2) preset_settings(p, PROTO_IPSEC);
            for (L = 0; L < LANES; L++) for (k = 0; k < 4; k++) preset(L, p, k);
            bind(peer, (struct sockaddr *)&a, len);
            getsockname(peer, (struct sockaddr *)&a, &len);
            hidden[nhidden++] = peer;
            err = connect(pool_s[p], (struct sockaddr *)&a, len) ? WSAGetLastError() : 0;
        }
        report_quiet(!err, "shared UDP socket %d (%s): error %d", p, state_names[state], err);
    }
    for (p = 0; p < sh->npool; p++)
        report_quiet(pool_s[p] != INVALID_SOCKET, "shared socket %d made", p);
}

static void close_pool(void)
{
    int p, i, bad = 0;
    for (p = 0; p < sh->npool; p++) bad += closesocket(pool_s[p]) != 0;
    for (i = 0; i < nhidden; i++) bad += closesocket(hidden[i]) != 0;
    check_int(bad, 0, "handles of the supervisor that did not close");
}

/* ---- books against the server ---- */

/* Resolves and checks key k of lane on pool socket p: the server must hold
 * cur, or pend if a call was in flight; the book is settled to it. */
static void check_key(int lane, int p, int k, const char *when)
{
    struct lane_book *b = &sh->lane[lane];
    ULONG64 cur = b->cur[p][k], pend = b->pend[p][k];
    SOCKADDR_STORAGE key;
    int dgram = sh->pool[p].type == SOCK_DGRAM, len = 0, ok = 1;
    struct got g;
    char why[200], why2[200] = "";

    if (dgram) len = make_key(sh->pool[p].family, lane_base(lane), k, &key, 0);
    get(pool_s[p], len ? &key : NULL, len, &g);
    if (holds(&g, cur, lane, p, k, len ? &key : NULL, why, sizeof(why)))
    {
        if (pend & V_PEND) { if ((pend & ~V_PEND) == cur) st.either++; else st.not_happened++; }
    }
    else if ((pend & V_PEND) && holds(&g, pend & ~V_PEND, lane, p, k, len ? &key : NULL, why2, sizeof(why2)))
    {
        st.happened++;
        b->cur[p][k] = pend & ~V_PEND;
    }
    else
    {
        ok = 0;
        /* back to a known state: nothing at this key */
        if (!dgram) len = make_key(AF_INET, 1, 0, &key, 0);   /* any address for a stream socket */
        del_name(pool_s[p], &key, len);
        b->cur[p][k] = 0;
    }
    b->pend[p][k] = 0;
    st.keys_checked++;
    report_quiet(ok, "%s: lane %d, shared %s %s socket %d (%s), key %d: %s%s%s", when, lane,
                 sh->pool[p].family == AF_INET ? "IPv4" : "IPv6", dgram ? "UDP" : "TCP", p,
                 state_names[sh->pool[p].state], k, why, pend & V_PEND ? "; in flight: " : "", why2);
}

static void check_settings(int p, const char *when)
{
    struct lane_book *b = &sh->lane[sh->pool[p].owner];
    LONG64 cur = b->sec_cur[p], pend = b->sec_pend[p];
    char why[200] = "";
    int q = query_security(pool_s[p], sh->pool[p].type, sh->pool[p].family, 0, why, sizeof(why)), ok = 1;
    int want = cur ? (int)cur - 1 : PROTO_DEFAULT;

    if (q == want) { if (pend & V_PEND) st.not_happened++; }
    else if ((pend & V_PEND) && q == (int)(pend & ~V_PEND) - 1) { st.happened++; b->sec_cur[p] = pend & ~V_PEND; }
    else ok = 0;
    b->sec_pend[p] = 0;
    report_quiet(ok, "%s: shared socket %d: settings query %d, the book says protocol %d%s %s", when, p, q, want,
                 pend & V_PEND ? " (or the one in flight)" : "", why);
    /* SPEC rule 9: SO_EXCLUSIVEADDRUSE set in the same request as the settings
     * (an accepted socket's is Wine's accept's, not SPEC's) */
    if (sh->pool[p].state != P_ACCEPTED)
    {
        int x = exclusive_server((HANDLE)pool_s[p]), applied = b->sec_cur[p] != 0;
        report_quiet(x == applied, "%s: shared socket %d: SO_EXCLUSIVEADDRUSE %d, settings %s", when, p, x,
                     applied ? "applied" : "not applied");
    }
}

static void check_lane(int lane, const char *when)
{
    int p, k;
    for (p = 0; p < sh->npool; p++)
    {
        if (sh->pool[p].type == SOCK_DGRAM) for (k = 0; k < KEYS; k++) check_key(lane, p, k, when);
        else if (sh->pool[p].owner == lane) check_key(lane, p, 0, when);
        if (sh->pool[p].owner == lane) check_settings(p, when);
    }
}

static long long names_held(void)
{
    long long n = 0;
    int L, p, k;
    for (L = 0; L < LANES; L++)
    {
        n += sh->lane[L].own_names;
        for (p = 0; p < sh->npool; p++) for (k = 0; k < KEYS; k++) n += (sh->lane[L].cur[p][k] & V_PRESENT) != 0;
    }
    return n;
}

static long long total_ops(void)
{
    long long n = 0;
    int L, i;
    for (L = 0; L < LANES; L++) for (i = 0; i < NKINDS; i++) n += sh->lane[L].ops[i];
    return n;
}

/* ---- workers ---- */

static void start_worker(int s)
{
    struct slot_info *si = &sh->slot[s];
    STARTUPINFOW sinfo;
    PROCESS_INFORMATION pi;
    WCHAR cmd[MAX_PATH + 200];
    int method[MAX_POOL], p, ok = 1;
    LONG gen = si->generation + 1;

    si->stop = 0;
    si->ready = 0;
    si->ready_at = 0;
    si->started_at = GetTickCount64();
    si->generation = gen;
    for (p = 0; p < sh->npool; p++)
    {
        method[p] = srnd(NMETHODS);
        si->handle[p] = 0;
        if (method[p] == M_INHERIT) SetHandleInformation((HANDLE)pool_s[p], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    }
    memset(&sinfo, 0, sizeof(sinfo));
    sinfo.cb = sizeof(sinfo);
    sinfo.dwFlags = STARTF_USESTDHANDLES;
    sinfo.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    sinfo.hStdOutput = sinfo.hStdError = GetStdHandle(STD_OUTPUT_HANDLE);
    swprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" worker %hs %d %ld %lu", exe, map_name, s, gen,
             GetCurrentProcessId());
    if (!CreateProcessW(exe, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &sinfo, &pi))
    {
        report(0, "CreateProcess of a worker: error %lu", GetLastError());
        ok = 0;
    }
    for (p = 0; p < sh->npool; p++)
        if (method[p] == M_INHERIT) SetHandleInformation((HANDLE)pool_s[p], HANDLE_FLAG_INHERIT, 0);
    if (!ok) return;
    if (job && !AssignProcessToJobObject(job, pi.hProcess))
    {
        static int once;
        if (!once++) printf("soak: note: AssignProcessToJobObject failed (error %lu): workers are ended by the supervisor\n",
                            GetLastError());
    }
    for (p = 0; p < sh->npool; p++)
    {
        HANDLE h = NULL;
        switch (method[p])
        {
        case M_INHERIT:
            si->handle[p] = (LONG64)pool_s[p];
            break;
        case M_DUPHANDLE:
            if (!DuplicateHandle(GetCurrentProcess(), (HANDLE)pool_s[p], pi.hProcess, &h, 0, FALSE, DUPLICATE_SAME_ACCESS))
                report(0, "DuplicateHandle of shared socket %d into a worker: error %lu", p, GetLastError());
            si->handle[p] = (LONG64)(ULONG_PTR)h;
            break;
        case M_WSADUP:
            if (WSADuplicateSocketW(pool_s[p], pi.dwProcessId, &si->info[p]))
                report(0, "WSADuplicateSocketW of shared socket %d for a worker: error %d", p, WSAGetLastError());
            break;
        }
        st.handed[method[p]]++;
    }
    wk[s].process = pi.hProcess;
    wk[s].pid = pi.dwProcessId;
    wk[s].gen = gen;
    wk[s].alive = 1;
    st.started++;
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
}

/* After the worker of slot s ended: checks and settles its lanes' books. */
static void worker_ended(int s, const char *how)
{
    char when[96];
    int t;
    snprintf(when, sizeof(when), "storm %d, after slot %d's worker (generation %ld) %s", storm, s, wk[s].gen, how);
    CloseHandle(wk[s].process);
    wk[s].alive = 0;
    if (sh->slot[s].ready == wk[s].gen)
    {
        long long ms = sh->slot[s].ready_at - sh->slot[s].started_at;
        st.ready_n++;
        st.ready_ms += ms;
        if (ms > st.ready_max_ms) st.ready_max_ms = ms;
    }
    for (t = 0; t < THREADS; t++)
    {
        struct lane_book *b = &sh->lane[s * THREADS + t];
        b->own_names = 0;         /* its own sockets went with it */
        b->inflight = 0;
        check_lane(s * THREADS + t, when);
    }
}

static void kill_worker(int s)
{
    DWORD w;
    int t, inflight = 0;

    TerminateProcess(wk[s].process, 9);
    w = WaitForSingleObject(wk[s].process, 10000 * vg_factor);
    if (w != WAIT_OBJECT_0)
    {
        report(0, "storm %d: slot %d's worker (pid %lu) did not end within %lu s of TerminateProcess: hung", storm, s,
               wk[s].pid, 10 * vg_factor);
        return;
    }
    st.kills++;
    for (t = 0; t < THREADS; t++)
    {
        LONG k = sh->lane[s * THREADS + t].inflight;
        if (k) { inflight = 1; st.inflight_kind[k]++; }
    }
    st.kills_inflight += inflight;
    worker_ended(s, "was killed");
}

/* a worker that ended without being asked: a crash */
static void worker_exited(int s)
{
    DWORD code = 0;
    GetExitCodeProcess(wk[s].process, &code);
    report(0, "storm %d: slot %d's worker (pid %lu) ended by itself with exit code %lu", storm, s, wk[s].pid, code);
    st.exits++;
    worker_ended(s, "ended by itself");
}

static void progress(void)
{
    long long rss = valgrind ? -1 : server_rss(), names = names_held();
    if (names > st.names_max) st.names_max = names;
    printf("soak: %3.0f s: storm %d, %lld operations, %lld kills (%lld with a call in flight), %lld workers started, "
           "%lld names held", elapsed(), storm, total_ops(), st.kills, st.kills_inflight, st.started, names);
    if (rss >= 0) printf(", server VmRSS %lld KiB", rss / 1024);
    printf("\n");
    alive_check("during the storm");
}

static void show_messages(void)
{
    int L, i;
    for (L = 0; L < LANES; L++)
    {
        struct lane_book *b = &sh->lane[L];
        for (i = 0; i < b->nmsgs; i++) report(0, "worker: %s", b->msg[i]);
        if (b->unexpected > b->nmsgs) report(0, "lane %d: %ld more unexpected results", L, b->unexpected - b->nmsgs);
        b->nmsgs = 0;
        b->unexpected = 0;
    }
}

static void run_storm(int seconds)
{
    HANDLE h[SLOTS];
    int idx[SLOTS], n, s, t, p, i;
    ULONGLONG end = GetTickCount64() + seconds * 1000ull, next_kill, now;
    long long ops0 = total_ops(), kills0 = st.kills;
    char when[64];

    printf("soak: storm %d: %d s, %d workers x %d threads, kills every %d..%d ms\n", storm, seconds, SLOTS, THREADS,
           KILL_MIN_MS, KILL_MAX_MS);
    make_pool();
    for (s = 0; s < SLOTS; s++) start_worker(s);
    now = GetTickCount64();
    next_kill = now + KILL_MIN_MS + srnd(KILL_MAX_MS - KILL_MIN_MS);
    progress_grid();
    while ((now = GetTickCount64()) < end)
    {
        ULONGLONG until = next_kill < next_progress ? next_kill : next_progress;
        DWORD w;
        if (until > end) until = end;
        for (n = 0, s = 0; s < SLOTS; s++) if (wk[s].alive) { h[n] = wk[s].process; idx[n++] = s; }
        w = n ? WaitForMultipleObjects(n, h, FALSE, until > now ? (DWORD)(until - now) : 0)
              : (Sleep(until > now ? (DWORD)(until - now) : 0), WAIT_TIMEOUT);
        if (w < WAIT_OBJECT_0 + (DWORD)n)
        {
            s = idx[w - WAIT_OBJECT_0];
            worker_exited(s);
            start_worker(s);
            continue;
        }
        now = GetTickCount64();
        if (now >= next_progress) { progress(); progress_grid(); }
        if (now >= next_kill)
        {
            s = srnd(SLOTS);
            if (wk[s].alive) kill_worker(s);
            if (!wk[s].alive) start_worker(s);
            next_kill = GetTickCount64() + KILL_MIN_MS + srnd(KILL_MAX_MS - KILL_MIN_MS);
        }
    }

    /* the end: half are killed, half told to stop */
    for (s = 0; s < SLOTS; s++)
    {
        if (!wk[s].alive) continue;
        if (srnd(2)) kill_worker(s);
        else sh->slot[s].stop = 1;
    }
    for (s = 0; s < SLOTS; s++)
    {
        DWORD w, code = 99;
        if (!wk[s].alive) continue;
        w = WaitForSingleObject(wk[s].process, 20000 * vg_factor);
        if (w != WAIT_OBJECT_0)
        {
            report(0, "storm %d: slot %d's worker (pid %lu) did not stop within %lu s of being asked: hung; killed",
                   storm, s, wk[s].pid, 20 * vg_factor);
            TerminateProcess(wk[s].process, 9);
            if (WaitForSingleObject(wk[s].process, 10000 * vg_factor) != WAIT_OBJECT_0)
            {
                report(0, "storm %d: slot %d's worker (pid %lu) does not end: its books cannot be checked", storm, s,
                       wk[s].pid);
                continue;
            }
        }
        GetExitCodeProcess(wk[s].process, &code);
        report_quiet(code == 0, "storm %d: slot %d's worker stopped when asked, exit code %lu", storm, s, code);
        st.stopped++;
        worker_ended(s, "stopped");
    }
    snprintf(when, sizeof(when), "end of storm %d", storm);
    /* every lane's keys (the dead workers' lanes were checked as they died: again, all of them) */
    for (t = 0; t < LANES; t++) check_lane(t, when);
    /* keys nobody owns hold nothing */
    for (p = 0; p < sh->npool; p++)
    {
        if (sh->pool[p].type != SOCK_DGRAM) continue;
        for (i = 0; i < 4; i++)
        {
            static const USHORT ports[] = { BASE_PORT - 1, BASE_PORT + LANES * KEYS, OWN_PORT, 1234 };
            SOCKADDR_STORAGE key;
            int len = make_key(sh->pool[p].family, ports[i], 0, &key, 0);
            struct got g;
            get(pool_s[p], &key, len, &g);
            report_quiet(g.status == ST_NOT_FOUND, "%s: shared socket %d holds nothing at port %u (status 0x%08lx)", when,
                         p, ports[i], (unsigned long)g.status);
        }
    }
    st.names_held[storm] = names_held();
    st.ops_at_storm_end[storm] = total_ops();
    show_messages();
    report(1, "storm %d: %lld operations, %lld kills, books checked against the server (%lld keys so far)", storm,
           total_ops() - ops0, st.kills - kills0, st.keys_checked);
    close_pool();
    alive_check("after the storm");
}

static int supervisor(int seconds)
{
    struct fill fresh, after[3];
    long long rss_fresh = -1, rss_closed[3] = { -1, -1, -1 }, rss_refilled[3] = { -1, -1, -1 };
    char buf[64], mpath[MAX_PATH];
    HANDLE map, mh = INVALID_HANDLE_VALUE;
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
    int i, k;
    unsigned long long seed;

    t_start = GetTickCount64();
    next_progress = t_start + 10000;
    valgrind = GetEnvironmentVariableA("PTN_VALGRIND", buf, sizeof(buf)) > 0;
    if (valgrind) vg_factor = 10;
    seed = GetEnvironmentVariableA("PTN_SOAK_SEED", buf, sizeof(buf)) ? _strtoui64(buf, NULL, 10)
                                                                       : GetTickCount64() * 2654435761ull ^ GetCurrentProcessId();
    srng = seed;
    printf("soak: %d s in 2 storms, %d worker processes x %d threads, seed %llu%s\n", seconds, SLOTS, THREADS, seed,
           valgrind ? " (wineserver under valgrind)" : "");

    GetModuleFileNameW(NULL, exe, MAX_PATH);
    snprintf(map_name, sizeof(map_name), "ptn-soak-%lu-%llu", GetCurrentProcessId(), seed);
    map = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, sizeof(*sh), map_name);
    sh = map ? MapViewOfFile(map, FILE_MAP_ALL_ACCESS, 0, 0, sizeof(*sh)) : NULL;
    if (!sh) { report(0, "the books' file mapping: error %lu", GetLastError()); return summary(); }
    memset(sh, 0, sizeof(*sh));
    sh->magic = MAGIC;
    sh->valgrind = valgrind;

    job = CreateJobObjectW(NULL, NULL);
    memset(&lim, 0, sizeof(lim));
    lim.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!job || !SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim, sizeof(lim)))
        printf("soak: note: no job object (error %lu): workers are ended by the supervisor\n", GetLastError());

    if (!valgrind)
    {
        snprintf(marker, sizeof(marker), "ptn-soak-marker-%lu-%llu", GetCurrentProcessId(), seed);
        snprintf(mpath, sizeof(mpath), "Z:\\tmp\\%s", marker);
        mh = CreateFileA(mpath, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
        server_pid = ptn_find_wineserver(marker, NULL);
        report(server_pid != 0, "found our wineserver (pid %u)", server_pid);
    }
    check_true(alive_check("at the start"), "the supervisor's own calls work at the start");

    /* what fits by the cost rule: 1024-character names, then the room left
     * taken by growing two 1-character entries (refill() does the same) */
    {
        long long room = BOUND_BYTES - 2 * (ENTRY + 2);
        struct fill rule;
        memset(&rule, 0, sizeof(rule));
        rule.big = room / (ENTRY + 2 * MAX_CHARS);
        room -= rule.big * (ENTRY + 2 * MAX_CHARS);
        rule.grow1 = 1 + (unsigned)(room / 2 < MAX_CHARS - 1 ? room / 2 : MAX_CHARS - 1);
        room -= 2 * (rule.grow1 - 1);
        rule.grow2 = 1 + (unsigned)(room / 2 < MAX_CHARS - 1 ? room / 2 : MAX_CHARS - 1);
        rule.bytes = BOUND_BYTES;
        rss_fresh = server_rss();
        if (seconds >= 60)
        {
            /* the fresh server: how much fits */
            refill("fresh server", &fresh);
            report(fresh.big == rule.big && fresh.grow1 == rule.grow1 && fresh.grow2 == rule.grow2,
                   "fresh server: what fits is 64 MiB exactly by the cost rule (%lld names + %u + %u characters, "
                   "%lld bytes; the rule: %lld + %u + %u)", fresh.big, fresh.grow1, fresh.grow2, fresh.bytes, rule.big,
                   rule.grow1, rule.grow2);
        }
        else
        {
            printf("soak: a short run: the refills are compared with what the cost rule says fits on a fresh server "
                   "(%lld names of 1024 characters + %u + %u characters), the fresh server is not filled\n", rule.big,
                   rule.grow1, rule.grow2);
            fresh = rule;
        }
    }
    Sleep(200);
    rss_closed[0] = server_rss();

    for (storm = 1; storm <= 2; storm++)
    {
        char what[64];
        run_storm(storm == 1 ? seconds / 2 : seconds - seconds / 2);
        Sleep(300);
        rss_closed[storm] = server_rss();
        snprintf(what, sizeof(what), "after storm %d, every handle closed", storm);
        refill(what, &after[storm]);
        report(after[storm].big == fresh.big && after[storm].grow1 == fresh.grow1 && after[storm].grow2 == fresh.grow2,
               "after storm %d: ONE process stores the whole 64 MiB again, as on the fresh server "
               "(%lld names + %u + %u characters; fresh: %lld + %u + %u)", storm, after[storm].big, after[storm].grow1,
               after[storm].grow2, fresh.big, fresh.grow1, fresh.grow2);
        report(after[storm].bytes == BOUND_BYTES, "after storm %d: the bound was given back entirely: the server "
               "counts %lld bytes besides the refill", storm, (long long)BOUND_BYTES - after[storm].bytes);
        Sleep(200);
        rss_refilled[storm] = server_rss();
    }
    storm = 3;
    check_true(alive_check("at the end"), "the supervisor's own calls work at the end: the wineserver never died");

    if (!valgrind)
    {
        printf("soak: server VmRSS: fresh %lld KiB, after the fresh fill (if any) %lld KiB; storm 1: %lld KiB closed, %lld KiB "
               "after the refill; storm 2: %lld KiB closed, %lld KiB after the refill\n", rss_fresh / 1024,
               rss_closed[0] / 1024, rss_closed[1] / 1024, rss_refilled[1] / 1024, rss_closed[2] / 1024,
               rss_refilled[2] / 1024);
        report(rss_closed[1] > 0 && rss_closed[2] > 0 && rss_closed[2] - rss_closed[1] < MEM_SLACK,
               "server memory after storm 2 is within 4 MiB of after storm 1 (%+lld KiB)",
               (rss_closed[2] - rss_closed[1]) / 1024);
        report(rss_refilled[1] > 0 && rss_refilled[2] > 0 && rss_refilled[2] - rss_refilled[1] < MEM_SLACK,
               "and after each storm's refill (%+lld KiB)", (rss_refilled[2] - rss_refilled[1]) / 1024);
        if (mh != INVALID_HANDLE_VALUE) CloseHandle(mh);
    }
    else printf("soak: server memory not measured (the wineserver runs under valgrind)\n");

    /* the figures */
    {
        long long ops[NKINDS] = { 0 }, paths[NPATHS] = { 0 }, opened = 0, dups = 0, total = 0;
        int L;
        for (L = 0; L < LANES; L++)
        {
            for (k = 0; k < NKINDS; k++) ops[k] += sh->lane[L].ops[k];
            for (k = 0; k < NPATHS; k++) paths[k] += sh->lane[L].paths[k];
            opened += sh->lane[L].own_opened;
            dups += sh->lane[L].dups;
        }
        for (k = 0; k < NKINDS; k++) total += ops[k];
        printf("soak: operations: %lld:", total);
        for (k = 0; k < NKINDS; k++) printf(" %s %lld%s", kind_names[k], ops[k], k < NKINDS - 1 ? "," : "\n");
        printf("soak: calls by path:");
        for (k = 0; k < NPATHS; k++) printf(" %s %lld%s", path_names[k], paths[k], k < NPATHS - 1 ? "," : "\n");
        printf("soak: workers: %lld started, %lld killed (%lld with a call in flight; the calls in flight:", st.started,
               st.kills, st.kills_inflight);
        for (k = 1; k <= NKINDS; k++) if (st.inflight_kind[k]) printf(" %s %lld", kind_names[k - 1], st.inflight_kind[k]);
        printf("), %lld stopped, %lld ended by themselves; start-up to ready %lld ms on average, %lld ms at most\n",
               st.stopped, st.exits, st.ready_n ? st.ready_ms / st.ready_n : 0, st.ready_max_ms);
        printf("soak: calls in flight at a kill, as the server holds them: %lld happened, %lld did not, %lld either "
               "(no change)\n", st.happened, st.not_happened, st.either);
        printf("soak: sockets: %lld shared (handed over: %lld %s, %lld %s, %lld %s), %lld opened by workers, "
               "%lld handles duplicated by workers\n", st.pool_sockets, st.handed[0], method_names[0], st.handed[1],
               method_names[1], st.handed[2], method_names[2], opened, dups);
        printf("soak: names: %lld set or replaced; held on shared sockets at the end of storm 1: %lld, storm 2: %lld; "
               "most held at a progress line: %lld; %lld keys checked against the books\n",
               ops[K_SET] + ops[K_REPLACE], st.names_held[1], st.names_held[2], st.names_max, st.keys_checked);
        printf("soak: 64 MiB refill: fresh server%s %lld+%u+%u, after storm 1 %lld+%u+%u, after storm 2 %lld+%u+%u "
               "(names of 1024 characters + two grown entries, in characters)\n", seconds >= 60 ? "" : " (the cost rule)", fresh.big, fresh.grow1, fresh.grow2,
               after[1].big, after[1].grow1, after[1].grow2, after[2].big, after[2].grow1, after[2].grow2);
        check_true(st.kills > 0 && st.kills_inflight > 0, "workers were killed, some with a call in flight");
        check_true(ops[K_SET] && ops[K_REPLACE] && ops[K_DELETE] && ops[K_SEC_SET] && ops[K_SEC_REFUSED] &&
                   ops[K_IMPERSONATE] && ops[K_DUPHANDLE] && ops[K_WSADUP] && ops[K_OPEN] && ops[K_CLOSE],
                   "every kind of operation ran");
        for (i = 0, k = 0; k < NPATHS; k++) i += paths[k] > 0;
        check_int(i, NPATHS, "paths used (fwpuclnt, WSAIoctl; synchronous, event, completion routine)");
    }
    printf("soak: summary: %.0f s, %lld operations, %lld kills, %lld workers, the wineserver alive throughout\n",
           elapsed(), total_ops(), st.kills, st.started);
    if (job) CloseHandle(job);
    UnmapViewOfFile(sh);
    CloseHandle(map);
    WSACleanup();
    return summary();
}

int main(int argc, char **argv)
{
    int seconds = 600;
    startup();
    if (argc > 1 && !strcmp(argv[1], "worker")) return worker(argc, argv);
    if (argc > 1) seconds = atoi(argv[1]);
    if (seconds < 2 || seconds > 86400) seconds = 600;
    return supervisor(seconds);
}
