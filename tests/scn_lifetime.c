/* Scenario: lifetime of names (SPEC "What is stored").
 * - a socket returned by accept/AcceptEx is a new object: it starts with no
 *   names, whatever the listener holds;
 * - names live while any handle to the socket is open, and closing the last
 *   handle frees them: a new socket never sees old names. */
#include "ptn.h"
#include <mswsock.h>

#define ROUNDS 50
#define KEYS 10

static SOCKET connected_client(const SOCKADDR_IN *addr)
{
    SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(c, (const struct sockaddr *)addr, sizeof(*addr)))
        printf("connect failed: %d\n", WSAGetLastError());
    return c;
}

static void test_accept(void)
{
    SOCKADDR_IN addr;
    SOCKET l = tcp_listener(&addr), c, a, c2, a2;

    printf("-- accept\n");
    check_int(set_name(l, PROTO_IPSEC, NULL, 0, L"listen/l"), 0, "set a name on the listening socket");
    c = connected_client(&addr);
    a = accept(l, NULL, NULL);
    check_true(a != INVALID_SOCKET, "accept returned a socket");
    check_absent(a, NULL, 0, "accepted socket");
    check_holds(l, NULL, 0, PROTO_IPSEC, L"listen/l", "listening socket after accept");
    check_int(set_name(a, PROTO_IPSEC, NULL, 0, L"x/accepted"), WSAEISCONN, "set on the accepted socket");
    check_int(set_name(c, PROTO_IPSEC, NULL, 0, L"x/client"), WSAEISCONN, "set on the connected client");
    check_absent(a, NULL, 0, "accepted socket after the refused set");
    check_absent(c, NULL, 0, "connected client after the refused set");
    check_int(del_name(a, &addr, sizeof(addr)), 0, "delete on the accepted (connected) socket");

    check_int(set_name(l, PROTO_IPSEC2, NULL, 0, L"listen/replaced"), 0, "replace the listener's name");
    c2 = connected_client(&addr);
    a2 = accept(l, NULL, NULL);
    check_absent(a2, NULL, 0, "second accepted socket");
    check_holds(l, NULL, 0, PROTO_IPSEC2, L"listen/replaced", "listening socket after the second accept");
    closesocket(a); closesocket(c); closesocket(a2); closesocket(c2); closesocket(l);
}

static void test_acceptex(int preset)
{
    GUID guid = WSAID_ACCEPTEX;
    LPFN_ACCEPTEX pAcceptEx = NULL;
    SOCKADDR_IN addr;
    SOCKET l = tcp_listener(&addr), as, c;
    OVERLAPPED ov;
    DWORD bytes = 0;
    char buf[2 * (sizeof(SOCKADDR_IN6) + 16)];
    BOOL ret;

    printf("-- AcceptEx%s\n", preset ? " (a name was set on the accept socket before AcceptEx)" : "");
    WSAIoctl(l, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof(guid), &pAcceptEx,
             sizeof(pAcceptEx), &bytes, NULL, NULL);
    check_true(pAcceptEx != NULL, "got AcceptEx");
    if (!pAcceptEx) return;
    check_int(set_name(l, PROTO_IPSEC, NULL, 0, L"listen/ex"), 0, "set a name on the listening socket");
    as = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (preset)
    {
        check_int(set_name(as, PROTO_IPSEC, NULL, 0, L"before/acceptex"), 0, "set a name on the unconnected accept socket");
        check_holds(as, NULL, 0, PROTO_IPSEC, L"before/acceptex", "accept socket before AcceptEx");
    }
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = pAcceptEx(l, as, buf, 0, sizeof(SOCKADDR_IN6) + 16, sizeof(SOCKADDR_IN6) + 16, &bytes, &ov);
    check_true(ret || WSAGetLastError() == ERROR_IO_PENDING, "AcceptEx started");
    c = connected_client(&addr);
    check_int(WaitForSingleObject(ov.hEvent, 5000), WAIT_OBJECT_0, "AcceptEx completed");
    setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l));
    /* SPEC: "A socket returned by accept/AcceptEx is a new object and starts with no names." */
    check_absent(as, NULL, 0, "socket returned by AcceptEx");
    check_holds(l, NULL, 0, PROTO_IPSEC, L"listen/ex", "listening socket after AcceptEx");
    check_int(set_name(as, PROTO_IPSEC, NULL, 0, L"x/acceptex"), WSAEISCONN, "set on the AcceptEx socket");
    CloseHandle(ov.hEvent);
    closesocket(as); closesocket(c); closesocket(l);
}

static void test_last_handle(void)
{
    SOCKET u = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    HANDLE du, dt;
    WCHAR name[32];
    int i, r, bad;

    printf("-- names live while a handle is open\n");
    for (i = 0; i < KEYS; i++)
    {
        SOCKADDR_IN k = v4((USHORT)(9000 + i));
        swprintf(name, 32, L"keep/%d", i);
        if (set_name(u, PROTO_IPSEC, &k, sizeof(k), name)) break;
    }
    check_int(i, KEYS, "names set on a UDP socket");
    check_int(set_name(t, PROTO_IPSEC, NULL, 0, L"keep/tcp"), 0, "name set on a TCP socket");
    check_true(DuplicateHandle(GetCurrentProcess(), (HANDLE)u, GetCurrentProcess(), &du, 0, FALSE, DUPLICATE_SAME_ACCESS) &&
               DuplicateHandle(GetCurrentProcess(), (HANDLE)t, GetCurrentProcess(), &dt, 0, FALSE, DUPLICATE_SAME_ACCESS),
               "duplicated both handles");
    check_int(closesocket(u), 0, "closed the original UDP handle");
    check_int(closesocket(t), 0, "closed the original TCP handle");
    for (i = 0, bad = 0; i < KEYS; i++)
    {
        SOCKADDR_IN k = v4((USHORT)(9000 + i));
        struct got g;
        swprintf(name, 32, L"keep/%d", i);
        get((SOCKET)du, &k, sizeof(k), &g);
        if (g.status || g.len != wcslen(name) * 2 || memcmp(g.name, name, g.len)) bad++;
    }
    check_int(bad, 0, "UDP keys missing or wrong through the remaining handle");
    check_holds((SOCKET)dt, NULL, 0, PROTO_IPSEC, L"keep/tcp", "TCP name through the remaining handle");
    closesocket((SOCKET)du);
    closesocket((SOCKET)dt);

    printf("-- a new socket never sees old names (%d rounds of set, close, new socket)\n", ROUNDS);
    for (r = 0, bad = 0; r < ROUNDS; r++)
    {
        SOCKET nu = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), nt = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        struct got g;
        for (i = 0; i < KEYS; i++)
        {
            SOCKADDR_IN k = v4((USHORT)(9000 + i));
            get(nu, &k, sizeof(k), &g);
            if (g.status != ST_NOT_FOUND) { bad++; printf("round %d: new UDP socket: key %d: status %#lx\n", r, i, (unsigned long)g.status); }
            if (set_name(nu, PROTO_IPSEC, &k, sizeof(k), L"old/name")) bad++;
        }
        get(nt, NULL, 0, &g);
        if (g.status != ST_NOT_FOUND) { bad++; printf("round %d: new TCP socket: status %#lx\n", r, (unsigned long)g.status); }
        if (set_name(nt, PROTO_IPSEC, NULL, 0, L"old/name")) bad++;
        closesocket(nu);
        closesocket(nt);
    }
    check_int(bad, 0, "new sockets that saw old names (or could not set)");
}

int main(void)
{
    startup();
    test_accept();
    test_acceptex(0);
    test_acceptex(1);
    test_last_handle();
    WSACleanup();
    return summary();
}
