/* Scenario: concurrency.  4 processes x 2 threads share one inherited
 * datagram socket for a while (argument: seconds, default 10).  Each thread
 * sets, replaces, deletes and reads keys in its own range of ports, keeping
 * its own book of what each key should hold.  At the end each thread checks
 * its keys through the internal query, and the parent checks that the number
 * of keys the server holds is exactly what the threads' books say. */
#include "ptn.h"

#define PROCS 4
#define THREADS 2
#define KEYS 400                 /* per thread: 8 x 400 = 3200 < 4096 */
#define BASE_PORT 20000
#define MAX_OPS 20000000         /* per thread, a bound besides the time */

/* ---- child ------------------------------------------------------------- */

struct book
{
    SOCKET s;
    int range;                   /* proc * THREADS + thread */
    ULONGLONG deadline;
    int present[KEYS];
    unsigned version[KEYS];
    long long ops, errors, bad_at_end, count;
    char first_error[200];
};

static void name_for(WCHAR *buf, int range, int k, unsigned version)
{
    swprintf(buf, 64, L"r%d/k%d/v%u", range, k, version);
}

static int proto_for(unsigned version) { return version % 3; }

static void note_error(struct book *b, const char *fmt, ...)
{
    va_list ap;
    if (b->errors++) return;
    va_start(ap, fmt);
    vsnprintf(b->first_error, sizeof(b->first_error), fmt, ap);
    va_end(ap);
}

static int matches(struct book *b, int k, const struct got *g)
{
    WCHAR want[64];
    if (!b->present[k]) return g->status == ST_NOT_FOUND;
    name_for(want, b->range, k, b->version[k]);
    return g->status == 0 && g->proto == proto_for(b->version[k]) && g->len == wcslen(want) * 2 &&
           !memcmp(g->name, want, g->len);
}

static DWORD WINAPI worker(void *arg)
{
    struct book *b = arg;
    unsigned x = 2654435761u * (unsigned)(b->range + 1);
    WCHAR name[64];
    int k, err;

    while (b->ops < MAX_OPS && GetTickCount64() < b->deadline)
    {
        SOCKADDR_IN key;
        unsigned op;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        k = (int)(x % KEYS);
        op = (x >> 16) % 10;
        key = v4((USHORT)(BASE_PORT + b->range * KEYS + k));
        b->ops++;
        if (op < 5)             /* set a new key, or replace */
        {
            unsigned v = b->version[k] + 1;
            name_for(name, b->range, k, v);
            if ((err = set_name(b->s, proto_for(v), &key, sizeof(key), name)))
                note_error(b, "set key %d: error %d", k, err);
            else { b->version[k] = v; b->present[k] = 1; }
        }
        else if (op < 8)        /* delete */
        {
            if ((err = del_name(b->s, &key, sizeof(key))))
                note_error(b, "delete key %d: error %d", k, err);
            else b->present[k] = 0;
        }
        else                    /* read back */
        {
            struct got g;
            get(b->s, &key, sizeof(key), &g);
            if (!matches(b, k, &g))
                note_error(b, "read key %d: status %#lx, %lu bytes, expected %s", k, (unsigned long)g.status,
                           (unsigned long)g.len, b->present[k] ? "a name" : "none");
        }
    }
    for (k = 0; k < KEYS; k++)
    {
        SOCKADDR_IN key = v4((USHORT)(BASE_PORT + b->range * KEYS + k));
        struct got g;
        get(b->s, &key, sizeof(key), &g);
        if (!matches(b, k, &g)) b->bad_at_end++;
        b->count += b->present[k];
    }
    return 0;
}

static int child(SOCKET s, int proc, int seconds)
{
    static struct book books[THREADS];
    HANDLE th[THREADS];
    long long present = 0;
    int t;

    for (t = 0; t < THREADS; t++)
    {
        books[t].s = s;
        books[t].range = proc * THREADS + t;
        books[t].deadline = GetTickCount64() + seconds * 1000ULL;
        th[t] = CreateThread(NULL, 0, worker, &books[t], 0, NULL);
    }
    WaitForMultipleObjects(THREADS, th, TRUE, (seconds + 120) * 1000);
    for (t = 0; t < THREADS; t++)
    {
        struct book *b = &books[t];
        report(b->errors == 0, "process %d thread %d: %lld operations, %lld unexpected results%s%s", proc, t,
               b->ops, b->errors, b->errors ? "; first: " : "", b->first_error);
        report(b->bad_at_end == 0 && b->ops > 0, "process %d thread %d: all %d keys hold what its book says at the end "
               "(%lld differ, %lld present)", proc, t, KEYS, b->bad_at_end, b->count);
        present += b->count;
    }
    printf("child-result present=%lld passed=%d failed=%d\n", present, passed, failed);
    return failed ? 1 : 0;
}

/* ---- parent ------------------------------------------------------------ */

int main(int argc, char **argv)
{
    SOCKET s;
    HANDLE proc[PROCS], out[PROCS];
    WCHAR exe[MAX_PATH], cmd[MAX_PATH + 128];
    int i, seconds = 10, started = 0;
    long long reported = 0, held = 0;

    startup();
    if (argc == 5 && !strcmp(argv[1], "child"))
        return child((SOCKET)_strtoui64(argv[2], NULL, 0), atoi(argv[3]), atoi(argv[4]));
    if (argc > 1) seconds = atoi(argv[1]);
    if (seconds < 1 || seconds > 3600) seconds = 10;

    GetModuleFileNameW(NULL, exe, MAX_PATH);
    s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    printf("%d processes x %d threads on one inherited UDP socket for %d s\n", PROCS, THREADS, seconds);
    for (i = 0; i < PROCS; i++)
    {
        SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
        STARTUPINFOW si;
        PROCESS_INFORMATION pi;
        HANDLE r, w;

        CreatePipe(&r, &w, &sa, 0);
        SetHandleInformation(r, HANDLE_FLAG_INHERIT, 0);
        memset(&si, 0, sizeof(si));
        si.cb = sizeof(si);
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
        si.hStdOutput = si.hStdError = w;
        swprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" child %#llx %d %d", exe, (unsigned long long)s, i, seconds);
        proc[i] = NULL;
        out[i] = r;
        if (CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        {
            proc[i] = pi.hProcess;
            CloseHandle(pi.hThread);
            started++;
        }
        CloseHandle(w);
    }
    check_int(started, PROCS, "child processes started");

    for (i = 0; i < PROCS; i++)
    {
        char buf[4096], *line, *next;
        DWORD got, total = 0, code = 99, wait;
        long long present = -1;
        int p = 0, f = -1;

        if (!proc[i]) continue;
        /* the children write only at the end, a few lines: read to EOF */
        while (total < sizeof(buf) - 1 && ReadFile(out[i], buf + total, sizeof(buf) - 1 - total, &got, NULL) && got)
            total += got;
        buf[total] = 0;
        wait = WaitForSingleObject(proc[i], (seconds + 120) * 1000);
        GetExitCodeProcess(proc[i], &code);
        for (line = buf; line && *line; line = next)
        {
            if ((next = strchr(line, '\n'))) *next++ = 0;
            if (strchr(line, '\r')) *strchr(line, '\r') = 0;
            if (sscanf(line, "child-result present=%lld passed=%d failed=%d", &present, &p, &f) == 3) continue;
            printf("%s\n", line);
        }
        report(wait == WAIT_OBJECT_0 && code == 0 && f == 0, "process %d exited with code %lu and its summary (failed=%d)",
               i, code, f);
        if (f >= 0) { passed += p; failed += f; }   /* its own lines were printed above */
        if (present >= 0) reported += present;
        CloseHandle(proc[i]);
        CloseHandle(out[i]);
    }

    for (i = 0; i < PROCS * THREADS * KEYS; i++)
    {
        SOCKADDR_IN key = v4((USHORT)(BASE_PORT + i));
        struct got g;
        get(s, &key, sizeof(key), &g);
        if (g.status == 0) held++;
        else if (g.status != ST_NOT_FOUND) report(0, "key %d: unexpected status 0x%08lx", i, (unsigned long)g.status);
    }
    report(held == reported, "server holds %lld keys; the threads' books say %lld", held, reported);
    closesocket(s);
    WSACleanup();
    return summary();
}
