/* Demonstration: a secure-socket client as the SDK sample writes it (set the
 * security, name the peer, connect, query) with settings that demand IPsec
 * and with settings that allow clear text; then peer target names on a TCP
 * and a UDP socket, read back from the wineserver with the Wine-internal
 * query, and a socket handed to a child process (inherited handle; the child
 * is this exe started with "child").  Under a Wine without the
 * implementation, the first call raises EXCEPTION_WINE_STUB ("unimplemented
 * function fwpuclnt.dll.WSASetSocketSecurity"); ptn.h's handler prints a
 * FAIL line naming it and the demo ends with exit code 3. */
#include "ptn.h"

static int problems;

static const char *proto_name(int p)
{
    return p == PROTO_DEFAULT ? "DEFAULT" : p == PROTO_IPSEC ? "IPSEC" : p == PROTO_IPSEC2 ? "IPSEC2" : "?";
}

static const char *err_name(int err)
{
    static char buf[32];
    switch (err)
    {
    case 0: return "OK";
    case WSAEINVAL: return "WSAEINVAL";
    case WSAEISCONN: return "WSAEISCONN";
    case WSAENOBUFS: return "WSAENOBUFS";
    case WSAEMSGSIZE: return "WSAEMSGSIZE";
    case WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
    case WSAENOTSOCK: return "WSAENOTSOCK";
    case WSAEFAULT: return "WSAEFAULT";
    case WSAEOPNOTSUPP: return "WSAEOPNOTSUPP";
    case WSAEWOULDBLOCK: return "WSAEWOULDBLOCK";
    }
    sprintf(buf, "error %d", err);
    return buf;
}

static void expect(int got, int want)
{
    if (got != want)
    {
        printf("   !! expected %s\n", err_name(want));
        problems++;
    }
}

/* Prints what the server holds; returns 1 if it holds want (NULL: nothing). */
static void show(const char *who, SOCKET s, const void *key, int keylen, const char *keytext,
                 const WCHAR *want)
{
    struct got g;
    get(s, key, keylen, &g);
    if (g.status == ST_SUCCESS)
        printf("%s: wineserver holds %s%s\"%.*ls\" (protocol %s, %lu bytes)\n", who,
               keytext, keytext[0] ? " -> " : "", (int)(g.len / 2), g.name,
               proto_name(g.proto), (unsigned long)g.len);
    else if (g.status == ST_NOT_FOUND)
        printf("%s: wineserver holds no name%s%s\n", who, keytext[0] ? " for " : "", keytext);
    else
        printf("%s: query failed with status 0x%08lx\n", who, (unsigned long)g.status);

    if (want ? g.status != ST_SUCCESS || g.len != wcslen(want) * 2 || memcmp(g.name, want, g.len)
             : g.status != ST_NOT_FOUND)
    {
        printf("   !! expected %s%ls%s\n", want ? "\"" : "no name", want ? want : L"", want ? "\"" : "");
        problems++;
    }
}

static int child(SOCKET tcp)
{
    int err;
    printf("child: got the TCP socket by inheritance (handle %#lx)\n", (unsigned long)(ULONG_PTR)tcp);
    show("child", tcp, NULL, 0, "", L"host/server.example");
    err = set_name(tcp, PROTO_IPSEC, NULL, 0, L"host/from-child.example");
    printf("child: TCP socket: set peer target name \"host/from-child.example\" -> %s\n", err_name(err));
    expect(err, 0);
    return problems;
}

/* 1 if the calling thread has no token of its own (it impersonates nobody) */
static int thread_has_no_token(void)
{
    HANDLE token;
    if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token))
    {
        CloseHandle(token);
        return 0;
    }
    return GetLastError() == ERROR_NO_TOKEN;
}

/* The SDK sample's client flow against a loopback listener; a departure from
 * the contract counts as a problem. */
static void secure_client(ULONG flags, const char *flags_name)
{
    static const WCHAR target[] = L"host/server.example";
    union { SOCKET_PEER_TARGET_NAME p; char b[HDR + sizeof(target)]; } name;
    SOCKET_SECURITY_SETTINGS settings = { SOCKET_SECURITY_PROTOCOL_DEFAULT, flags };
    SOCKET_SECURITY_QUERY_INFO info;
    SOCKADDR_IN addr;
    SOCKET l = tcp_listener(&addr), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), a;
    ULONG len;
    char buf[16];
    int err;

    err = WSASetSocketSecurity(c, &settings, sizeof(settings), NULL, NULL) ? WSAGetLastError() : 0;
    printf("client: WSASetSocketSecurity(DEFAULT, %s) -> %s\n", flags_name, err_name(err));
    if (flags & SOCKET_SETTINGS_GUARANTEE_ENCRYPTION)
    {
        u_long nonblocking = 1;
        expect(err, WSAEOPNOTSUPP);
        /* the client stops here, as the SDK sample does when the call fails;
         * the listener shows that no connection was made */
        ioctlsocket(l, FIONBIO, &nonblocking);
        a = accept(l, NULL, NULL);
        err = a == INVALID_SOCKET ? WSAGetLastError() : 0;
        printf("client: IPsec is not available in Wine: refused before connecting%s\n",
               err == WSAEWOULDBLOCK ? " (the listener got no connection)" : "");
        if (err != WSAEWOULDBLOCK)
        {
            printf("   !! the listener got a connection (accept -> %s)\n", err_name(err));
            problems++;
            closesocket(a);
        }
        closesocket(c); closesocket(l);
        return;
    }
    expect(err, 0);
    memset(&name, 0, sizeof(name));
    name.p.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    name.p.PeerTargetNameStringLen = wcslen(target);
    memcpy(name.p.AllStrings, target, sizeof(target));
    err = WSASetSocketPeerTargetName(c, &name.p, sizeof(name), NULL, NULL) ? WSAGetLastError() : 0;
    printf("client: WSASetSocketPeerTargetName(\"host/server.example\") -> %s\n", err_name(err));
    expect(err, 0);
    err = connect(c, (struct sockaddr *)&addr, sizeof(addr)) ? WSAGetLastError() : 0;
    printf("client: connect to 127.0.0.1:%u -> %s\n", ntohs(addr.sin_port), err_name(err));
    expect(err, 0);
    a = accept(l, NULL, NULL);
    len = 0;
    err = WSAQuerySocketSecurity(c, NULL, 0, NULL, &len, NULL, NULL) ? WSAGetLastError() : 0;
    expect(err, WSAEFAULT);
    err = WSAQuerySocketSecurity(c, NULL, 0, &info, &len, NULL, NULL) ? WSAGetLastError() : 0;
    expect(err, 0);
    printf("client: WSAQuerySocketSecurity -> %s: %s\n", err_name(err),
           err ? "?" : info.Flags & SOCKET_INFO_CONNECTION_SECURED ? "secured" : "not secured (clear text, as allowed)");
    if (!err && info.Flags) problems++;
    send(c, "hello", 6, 0);
    err = recv(a, buf, sizeof(buf), 0);
    printf("server: received \"%s\"\n", err == 6 ? buf : "?");
    if (err != 6) problems++;
    send(a, "world", 6, 0);
    err = recv(c, buf, sizeof(buf), 0);
    printf("client: received \"%s\"\n", err == 6 ? buf : "?");
    if (err != 6) problems++;
    err = WSAImpersonateSocketPeer(a, NULL, 0) ? WSAGetLastError() : 0;
    printf("server: WSAImpersonateSocketPeer -> %s (no authenticated peer)%s\n", err_name(err),
           thread_has_no_token() ? "; the thread impersonates nobody" : "");
    expect(err, WSAEOPNOTSUPP);
    if (!thread_has_no_token())
    {
        printf("   !! the thread now has a token\n");
        problems++;
    }
    err = WSARevertImpersonation() ? WSAGetLastError() : 0;
    printf("server: WSARevertImpersonation -> %s (nothing to revert)\n", err_name(err));
    expect(err, 0);
    closesocket(c); closesocket(a); closesocket(l);
}

int main(int argc, char **argv)
{
    SOCKET tcp, udp;
    SOCKADDR_IN a5000 = v4(5000), a5001 = v4(5001);
    WCHAR longname[MAX_CHARS + 2], cmd[MAX_PATH + 64], exe[MAX_PATH];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD code = 99;
    int err;

    startup();
    if (argc == 3 && !strcmp(argv[1], "child"))
        return child((SOCKET)_strtoui64(argv[2], NULL, 0));

    printf("== secure socket client (the SDK sample's flow), settings that demand protection\n");
    secure_client(SOCKET_SETTINGS_GUARANTEE_ENCRYPTION, "GUARANTEE_ENCRYPTION");
    printf("== secure socket client, settings that allow clear text\n");
    secure_client(SOCKET_SETTINGS_ALLOW_INSECURE, "ALLOW_INSECURE");

    printf("== TCP socket (one name per socket)\n");
    tcp = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    err = set_name(tcp, PROTO_IPSEC, NULL, 0, L"host/server.example");
    printf("TCP socket: set peer target name \"host/server.example\" -> %s\n", err_name(err));
    expect(err, 0);
    show("parent", tcp, NULL, 0, "", L"host/server.example");

    printf("== handing the TCP socket to a child process (inherited handle)\n");
    SetHandleInformation((HANDLE)tcp, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    GetModuleFileNameW(NULL, exe, MAX_PATH);
    swprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" child %#lx", exe, (unsigned long)(ULONG_PTR)tcp);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    if (!CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
    {
        printf("CreateProcess failed: %lu\n", GetLastError());
        problems++;
    }
    else
    {
        WaitForSingleObject(pi.hProcess, 30000);
        GetExitCodeProcess(pi.hProcess, &code);
        printf("parent: child exited with code %lu\n", code);
        if (code) problems++;
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }
    show("parent", tcp, NULL, 0, "", L"host/from-child.example");
    err = WSADeleteSocketPeerTargetName(tcp, (struct sockaddr *)&a5000, sizeof(a5000), NULL, NULL) ? WSAGetLastError() : 0;
    printf("TCP socket: delete peer target name -> %s\n", err_name(err));
    expect(err, 0);
    show("parent", tcp, NULL, 0, "", NULL);

    printf("== UDP socket (one name per peer address)\n");
    udp = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    err = set_name(udp, PROTO_IPSEC, &a5000, sizeof(a5000), L"host/a.example");
    printf("UDP socket: set peer target name \"host/a.example\" for 127.0.0.1:5000 -> %s\n", err_name(err));
    expect(err, 0);
    err = set_name(udp, PROTO_IPSEC2, &a5001, sizeof(a5001), L"host/b.example");
    printf("UDP socket: set peer target name \"host/b.example\" for 127.0.0.1:5001 (IPSEC2, length in bytes) -> %s\n", err_name(err));
    expect(err, 0);
    show("parent", udp, &a5000, sizeof(a5000), "127.0.0.1:5000", L"host/a.example");
    show("parent", udp, &a5001, sizeof(a5001), "127.0.0.1:5001", L"host/b.example");
    err = del_name(udp, &a5000, sizeof(a5000));
    printf("UDP socket: delete peer target name for 127.0.0.1:5000 -> %s\n", err_name(err));
    expect(err, 0);
    show("parent", udp, &a5000, sizeof(a5000), "127.0.0.1:5000", NULL);
    show("parent", udp, &a5001, sizeof(a5001), "127.0.0.1:5001", L"host/b.example");

    printf("== limits\n");
    fill_name(longname, MAX_CHARS + 1, 0);
    err = set_name(udp, PROTO_IPSEC, &a5000, sizeof(a5000), longname);
    printf("UDP socket: set a 1025-character name -> %s\n", err_name(err));
    expect(err, WSAEINVAL);
    longname[MAX_CHARS] = 0;
    err = set_name(udp, PROTO_IPSEC, &a5000, sizeof(a5000), longname);
    printf("UDP socket: set a 1024-character name -> %s\n", err_name(err));
    expect(err, 0);

    closesocket(tcp);
    closesocket(udp);
    printf("demo: %s\n", problems ? "something did not behave as expected (see !! lines)" : "everything behaved as expected");
    WSACleanup();
    return problems ? 1 : 0;
}
