/* Scenario: wineserver memory (SPEC "Cost": closing the last handle frees
 * everything the socket stored).  Reads the wineserver's VmRSS from
 * /proc/<pid>/status (Wine maps Z: to /) before and after storing 64 sockets
 * x 4096 names of 64 characters.  Growth must be at most the names' bytes
 * plus 96 bytes per name.  Then the sockets are closed and the same names
 * stored again: the memory freed by closing must be reused, so the second
 * round must leave VmRSS less than 2 MiB above the first round's.  (Whether
 * VmRSS falls after closing is the allocator's business, not asserted: the
 * server does not give memory back to the system by hand.)
 *
 * Our wineserver is found by scanning /proc/<pid>/comm for "wineserver" and
 * keeping the one whose root holds a marker file we create in our own /tmp
 * (each run has a private /tmp; other wineservers on the host do not see it). */
#include "ptn.h"

#define SOCKETS 64
#define CHARS 64
#define PER_NAME_OVERHEAD 96
#define REUSE_SLACK (2 * 1024 * 1024)

static char marker[64];

/* Stores SOCKETS x 4096 names of CHARS characters; returns the failures. */
static int store(SOCKET *s)
{
    WCHAR name[CHARS + 1];
    int i, k, errors = 0;
    for (i = 0; i < SOCKETS; i++)
    {
        s[i] = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        for (k = 0; k < MAX_NAMES; k++)
        {
            SOCKADDR_IN key = v4((USHORT)(1 + k));
            fill_name(name, CHARS, i * MAX_NAMES + k);
            if (set_name_n(s[i], PROTO_IPSEC, &key, sizeof(key), name, CHARS)) errors++;
        }
    }
    return errors;
}

int main(void)
{
    static SOCKET s[SOCKETS];
    WCHAR name[CHARS + 1];
    char mpath[MAX_PATH];
    HANDLE h;
    unsigned pid;
    int i, k, candidates, errors = 0, bad = 0;
    long long before, during, after, again, names = (long long)SOCKETS * MAX_NAMES, name_bytes = names * CHARS * 2;
    DWORD t0;

    startup();
    if (GetEnvironmentVariableA("PTN_VALGRIND", mpath, sizeof(mpath)))
    {
        /* tools/wine passes PTN_* through: the server runs under valgrind,
         * whose memory use says nothing about the wineserver's */
        printf("skipped: the wineserver runs under valgrind (PTN_VALGRIND)\n");
        return summary();
    }
    snprintf(marker, sizeof(marker), "ptn-memory-marker-%lu-%lu", GetCurrentProcessId(), GetTickCount());
    snprintf(mpath, sizeof(mpath), "Z:\\tmp\\%s", marker);
    h = CreateFileA(mpath, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    check_true(h != INVALID_HANDLE_VALUE, "created a marker file in our /tmp");

    /* warm up the code paths once, so the first measurement is fair */
    {
        SOCKET w = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
        SOCKADDR_IN k1 = v4(1);
        set_name(w, PROTO_IPSEC, &k1, sizeof(k1), L"warm/up");
        closesocket(w);
    }
    pid = ptn_find_wineserver(marker, &candidates);
    report(pid != 0, "found our wineserver among %d wineserver processes (pid %u)", candidates, pid);
    if (!pid) { CloseHandle(h); return summary(); }
    Sleep(200);
    before = ptn_rss(pid);
    check_true(before > 0, "read the wineserver's VmRSS");
    printf("VmRSS before: %lld KiB\n", before / 1024);

    t0 = GetTickCount();
    errors = store(s);
    printf("stored %lld names in %lu ms\n", names, GetTickCount() - t0);
    check_int(errors, 0, "sets that failed");
    Sleep(200);
    during = ptn_rss(pid);
    printf("VmRSS with the names: %lld KiB (growth %lld KiB; names hold %lld KiB; bound %lld KiB)\n",
           during / 1024, (during - before) / 1024, name_bytes / 1024,
           (name_bytes + names * PER_NAME_OVERHEAD) / 1024);
    report(during - before <= name_bytes + names * PER_NAME_OVERHEAD,
           "growth %lld bytes <= names' bytes + 96 per name = %lld", during - before,
           name_bytes + names * PER_NAME_OVERHEAD);

    /* the names are really there (every 61st one) */
    for (i = 0; i < SOCKETS; i++)
        for (k = i % 61; k < MAX_NAMES; k += 61)
        {
            SOCKADDR_IN key = v4((USHORT)(1 + k));
            struct got g;
            fill_name(name, CHARS, i * MAX_NAMES + k);
            get(s[i], &key, sizeof(key), &g);
            if (g.status || g.len != CHARS * 2 || memcmp(g.name, name, CHARS * 2)) bad++;
        }
    check_int(bad, 0, "sampled names not held as set");

    for (i = 0; i < SOCKETS; i++) closesocket(s[i]);
    Sleep(500);
    after = ptn_rss(pid);
    printf("VmRSS after closing: %lld KiB (%+lld KiB from the start; not asserted)\n", after / 1024, (after - before) / 1024);

    /* storing the same names again must reuse what closing freed */
    errors = store(s);
    check_int(errors, 0, "sets that failed, second time");
    Sleep(200);
    again = ptn_rss(pid);
    printf("VmRSS with the names again: %lld KiB (%+lld KiB from the first round)\n", again / 1024, (again - during) / 1024);
    report(again - during < REUSE_SLACK, "storing the same names after closing reuses the freed memory "
           "(%+lld bytes above the first round, less than 2 MiB)", again - during);
    for (i = 0; i < SOCKETS; i++) closesocket(s[i]);
    CloseHandle(h);
    WSACleanup();
    return summary();
}
