/* Scenario: the family rule on real AF_UNIX sockets (SPEC "Errors, in the
 * order they are checked": a socket whose family is not AF_INET/AF_INET6 ->
 * WSAEINVAL, for every function of the family).  Wine has AF_UNIX sockets
 * only with Wine Staging's ws2_32-af_unix (Wine 10.0 and upstream Wine answer
 * socket(AF_UNIX) with an error): there this program says 'skip:' once and
 * checks nothing.  Where they exist, it checks the rule on an unbound AF_UNIX
 * stream socket, a bound and listening one, both ends of a connection (the
 * family rule comes before "connected"), and an AF_UNIX datagram socket if
 * Wine makes one: every call through the fwpuclnt wrapper and through
 * WSAIoctl with the SIO code. */
#include "ptn.h"
#include <afunix.h>

#define ALLOW SOCKET_SETTINGS_ALLOW_INSECURE

static int sio(SOCKET s, DWORD code, void *in, DWORD inlen, void *out, DWORD outlen)
{
    DWORD bytes = 0;
    WSASetLastError(0xbeef);
    return WSAIoctl(s, code, in, inlen, out, outlen, &bytes, NULL, NULL) ? WSAGetLastError() : 0;
}
static int err(int ret) { return ret ? WSAGetLastError() : 0; }

/* Every function of the family on s, a socket of family AF_UNIX. */
static void check_family(SOCKET s, const char *kind)
{
    SOCKADDR_IN key = v4(5000);
    SOCKET_SECURITY_SETTINGS st = { SOCKET_SECURITY_PROTOCOL_DEFAULT, ALLOW };
    SOCKET_SECURITY_QUERY_TEMPLATE tmpl;
    SOCKET_SECURITY_QUERY_INFO info;
    ULONG infolen = sizeof(info);
    ULONG ptnlen;
    SOCKET_PEER_TARGET_NAME *ptn = make_ptn(PROTO_IPSEC, &key, sizeof(key), L"host/x", 6, &ptnlen);
    HANDLE tok = NULL;
    char what[160];
    int e;

    memset(&tmpl, 0, sizeof(tmpl));
#define CHECK(got, exp, fmt) do { snprintf(what, sizeof(what), fmt " (%s)", kind); check_int(got, exp, what); } while (0)
    CHECK(err(WSASetSocketPeerTargetName(s, ptn, ptnlen, NULL, NULL)), WSAEINVAL, "WSASetSocketPeerTargetName");
    CHECK(sio(s, SIO_SET_PEER_TARGET_NAME, ptn, ptnlen, NULL, 0), WSAEINVAL, "SIO_SET_PEER_TARGET_NAME");
    CHECK(err(WSASetSocketPeerTargetName(s, ptn, 0, NULL, NULL)), WSAEINVAL, "WSASetSocketPeerTargetName, length 0 (3 before 5)");
    CHECK(err(WSASetSocketPeerTargetName(s, NULL, 0, NULL, NULL)), WSAEFAULT, "WSASetSocketPeerTargetName, NULL name (2 before 3)");
    CHECK(err(WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&key, sizeof(key), NULL, NULL)), WSAEINVAL,
          "WSADeleteSocketPeerTargetName");
    CHECK(sio(s, SIO_DELETE_PEER_TARGET_NAME, &key, sizeof(key), NULL, 0), WSAEINVAL, "SIO_DELETE_PEER_TARGET_NAME");
    CHECK(err(WSADeleteSocketPeerTargetName(s, (struct sockaddr *)&key, 0, NULL, NULL)), WSAEINVAL,
          "WSADeleteSocketPeerTargetName, length 0 (3 before 4)");
    CHECK(err(WSASetSocketSecurity(s, &st, sizeof(st), NULL, NULL)), WSAEINVAL, "WSASetSocketSecurity(ALLOW_INSECURE)");
    CHECK(sio(s, SIO_SET_SECURITY, &st, sizeof(st), NULL, 0), WSAEINVAL, "SIO_SET_SECURITY(ALLOW_INSECURE)");
    CHECK(err(WSASetSocketSecurity(s, NULL, 0, NULL, NULL)), WSAEINVAL, "WSASetSocketSecurity, NULL settings (2 before 8)");
    CHECK(err(WSASetSocketSecurity(s, &st, 0, NULL, NULL)), WSAEINVAL, "WSASetSocketSecurity, length 0 (2 before 4)");
    CHECK(err(WSAQuerySocketSecurity(s, NULL, 0, &info, &infolen, NULL, NULL)), WSAEINVAL, "WSAQuerySocketSecurity");
    CHECK(sio(s, SIO_QUERY_SECURITY, NULL, 0, &info, sizeof(info)), WSAEINVAL, "SIO_QUERY_SECURITY");
    CHECK(err(WSAQuerySocketSecurity(s, &tmpl, 1, &info, &infolen, NULL, NULL)), WSAEINVAL,
          "WSAQuerySocketSecurity, short template (3 before 4)");
    /* impersonation answers WSAEOPNOTSUPP whatever the socket, and the
     * thread's token never changes */
    e = err(WSAImpersonateSocketPeer(s, NULL, 0));
    snprintf(what, sizeof(what), "WSAImpersonateSocketPeer fails with WSAEOPNOTSUPP, got %d (%s)", e, kind);
    check_true(e == WSAEOPNOTSUPP, what);
    snprintf(what, sizeof(what), "the thread has no token afterwards (%s)", kind);
    check_true(!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok) && GetLastError() == ERROR_NO_TOKEN, what);
    if (tok) CloseHandle(tok);
#undef CHECK
    free(ptn);
}

int main(void)
{
    char dir[MAX_PATH], path[MAX_PATH];
    SOCKADDR_UN addr;
    SOCKET s, l, c, a, d;
    u_long nb = 1;

    startup();
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s == INVALID_SOCKET)
    {
        printf("skip: no AF_UNIX sockets in this Wine (socket(AF_UNIX, SOCK_STREAM) fails with %d): "
               "the family rule is checked on raw sockets only (scn_errors, scn_security)\n", WSAGetLastError());
        return summary();
    }
    printf("-- an unbound AF_UNIX stream socket\n");
    check_family(s, "AF_UNIX stream, unbound");
    closesocket(s);

    GetTempPathA(sizeof(dir), dir);
    snprintf(path, sizeof(path), "%sptn-family-%lu.sock", dir, GetCurrentProcessId());
    DeleteFileA(path);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);

    l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) || listen(l, 1))
        printf("(binding an AF_UNIX socket to %s fails with %d: bound, listening and connected sockets not checked)\n",
               path, WSAGetLastError());
    else
    {
        printf("-- a bound, listening AF_UNIX stream socket (%s)\n", path);
        check_family(l, "AF_UNIX stream, listening");
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&addr, sizeof(addr)))
            printf("(connecting to the AF_UNIX listener fails with %d: connected sockets not checked)\n", WSAGetLastError());
        else
        {
            ioctlsocket(l, FIONBIO, &nb);
            a = accept(l, NULL, NULL);
            printf("-- both ends of an AF_UNIX connection (the family rule comes before \"connected\")\n");
            check_family(c, "AF_UNIX stream, connected");
            if (a != INVALID_SOCKET)
            {
                check_family(a, "AF_UNIX stream, accepted");
                closesocket(a);
            }
            else printf("(accept on the AF_UNIX listener fails with %d: not checked)\n", WSAGetLastError());
        }
        closesocket(c);
    }
    closesocket(l);
    DeleteFileA(path);

    d = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (d == INVALID_SOCKET)
        printf("(no AF_UNIX datagram socket: error %d; not checked)\n", WSAGetLastError());
    else
    {
        printf("-- an AF_UNIX datagram socket\n");
        check_family(d, "AF_UNIX datagram");
        closesocket(d);
    }
    return summary();
}
