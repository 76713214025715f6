/* Scenario: one socket, several processes.  The parent makes a UDP and a TCP
 * socket and hands them to three children: C1 by inheritance, C2 (already
 * running) by DuplicateHandle, C3 by WSADuplicateSocket.  A name set in one
 * process is read, replaced and deleted in the others; names outlive the
 * process that set them while another handle is open (SPEC "What is stored").
 *
 * Children run this exe with "child ..." and obey one-line commands on stdin:
 *   H <udp> <tcp>            sockets by handle value (DuplicateHandle)
 *   W <hex udp> <hex tcp>    sockets from WSAPROTOCOL_INFOW (WSADuplicateSocket)
 *   S u|t <port> <proto> <name>   set (udp key 127.0.0.1:port)  -> "R <error>"
 *   G u|t <port>             internal query -> "N <proto> <name>" or "X <status>"
 *   D u|t <port>             delete -> "R <error>"
 *   Q                        exit */
#include "ptn.h"

/* ---- child ------------------------------------------------------------- */

static SOCKET c_udp = INVALID_SOCKET, c_tcp = INVALID_SOCKET;

static int read_line(HANDLE h, char *buf, int size)
{
    int n = 0;
    DWORD got;
    while (n < size - 1)
    {
        if (!ReadFile(h, buf + n, 1, &got, NULL) || !got) { buf[n] = 0; return n ? n : -1; }
        if (buf[n] == '\n') break;
        if (buf[n] != '\r') n++;
    }
    buf[n] = 0;
    return n;
}

static void write_line(HANDLE h, const char *s)
{
    DWORD done;
    WriteFile(h, s, (DWORD)strlen(s), &done, NULL);
    WriteFile(h, "\n", 1, &done, NULL);
}

static void unhex(const char *hex, void *out, int size)
{
    int i;
    for (i = 0; i < size && hex[2 * i] && hex[2 * i + 1]; i++)
    {
        char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };
        ((unsigned char *)out)[i] = (unsigned char)strtoul(b, NULL, 16);
    }
}

static int child(int argc, char **argv)
{
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE);
    char line[4096], reply[2048], which, name[1100];
    int i, port, proto;

    if (argc >= 5 && !strcmp(argv[2], "inherit"))
    {
        c_udp = (SOCKET)_strtoui64(argv[3], NULL, 0);
        c_tcp = (SOCKET)_strtoui64(argv[4], NULL, 0);
    }
    for (i = 0; i < 100 && read_line(in, line, sizeof(line)) >= 0; i++)
    {
        SOCKET s;
        SOCKADDR_IN key;
        WCHAR wname[1100];

        reply[0] = 0;
        if (line[0] == 'Q') { write_line(out, "R 0"); return 0; }
        if (line[0] == 'H')
        {
            unsigned long long u, t;
            sscanf(line + 2, "%llx %llx", &u, &t);
            c_udp = (SOCKET)u; c_tcp = (SOCKET)t;
            write_line(out, "R 0");
            continue;
        }
        if (line[0] == 'W')
        {
            WSAPROTOCOL_INFOW iu, it;
            char *sp = strchr(line + 2, ' ');
            unhex(line + 2, &iu, sizeof(iu));
            if (sp) unhex(sp + 1, &it, sizeof(it));
            c_udp = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &iu, 0, 0);
            c_tcp = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &it, 0, 0);
            sprintf(reply, "R %d", (c_udp == INVALID_SOCKET || c_tcp == INVALID_SOCKET) ? WSAGetLastError() : 0);
            write_line(out, reply);
            continue;
        }
        name[0] = 0; port = 0; proto = 0;
        sscanf(line + 2, "%c %d %d %1000s", &which, &port, &proto, name);
        s = which == 'u' ? c_udp : c_tcp;
        key = v4((USHORT)port);
        if (line[0] == 'S')
        {
            MultiByteToWideChar(CP_UTF8, 0, name, -1, wname, 1100);
            sprintf(reply, "R %d", set_name(s, proto, which == 'u' ? &key : NULL, sizeof(key), wname));
        }
        else if (line[0] == 'D')
            sprintf(reply, "R %d", del_name(s, &key, sizeof(key)));
        else if (line[0] == 'G')
        {
            struct got g;
            get(s, which == 'u' ? &key : NULL, which == 'u' ? sizeof(key) : 0, &g);
            if (g.status) sprintf(reply, "X %08lx", (unsigned long)g.status);
            else
            {
                char u8[2200] = "";
                WideCharToMultiByte(CP_UTF8, 0, g.name, (int)(g.len / 2), u8, sizeof(u8) - 1, NULL, NULL);
                sprintf(reply, "N %d %s", g.proto, u8);
            }
        }
        else strcpy(reply, "?");
        write_line(out, reply);
    }
    return 0;
}

/* ---- parent ------------------------------------------------------------ */

struct kid
{
    const char *label;
    HANDLE process, to, from;
    DWORD pid;
};

static WCHAR exe[MAX_PATH];

static BOOL start(struct kid *k, const char *label, const WCHAR *args)
{
    SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
    HANDLE in_r, in_w, out_r, out_w;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    WCHAR cmd[MAX_PATH + 128];
    BOOL ok;

    k->label = label;
    CreatePipe(&in_r, &in_w, &sa, 0);
    CreatePipe(&out_r, &out_w, &sa, 0);
    SetHandleInformation(in_w, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation(out_r, HANDLE_FLAG_INHERIT, 0);
    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in_r;
    si.hStdOutput = out_w;
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    swprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" child %ls", exe, args);
    ok = CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
    CloseHandle(in_r);
    CloseHandle(out_w);
    k->to = in_w;
    k->from = out_r;
    report(ok, "started %s (pid %lu)", label, ok ? pi.dwProcessId : 0);
    if (!ok) return FALSE;
    k->process = pi.hProcess;
    k->pid = pi.dwProcessId;
    CloseHandle(pi.hThread);
    return TRUE;
}

/* Sends a command to a child and returns its reply line ("EOF" if it died). */
static const char *ask(struct kid *k, const char *fmt, ...)
{
    static char reply[2048];
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    write_line(k->to, cmd);
    if (read_line(k->from, reply, sizeof(reply)) < 0) strcpy(reply, "EOF");
    return reply;
}

static void expect(struct kid *k, const char *want, const char *what, const char *fmt, ...)
{
    char cmd[4096], got[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    strcpy(got, ask(k, "%s", cmd));
    if (strlen(cmd) > 40) strcpy(cmd + 37, "...");
    if (!strcmp(got, want)) report(1, "%s: %s: \"%s\" -> \"%s\"", k->label, what, cmd, got);
    else report(0, "%s: %s: \"%s\": expected \"%s\", got \"%s\"", k->label, what, cmd, want, got);
}

static void finish(struct kid *k)
{
    DWORD code = 99, w;
    ask(k, "Q");
    w = WaitForSingleObject(k->process, 10000);
    GetExitCodeProcess(k->process, &code);
    report(w == WAIT_OBJECT_0 && code == 0, "%s exited (wait %lu, exit code %lu)", k->label, w, code);
    CloseHandle(k->process);
    CloseHandle(k->to);
    CloseHandle(k->from);
}

static void hex(char *out, const void *data, int size)
{
    int i;
    for (i = 0; i < size; i++) sprintf(out + 2 * i, "%02x", ((const unsigned char *)data)[i]);
}

int main(int argc, char **argv)
{
    struct kid c1, c2, c3;
    SOCKET udp, tcp;
    SOCKADDR_IN k7002 = v4(7002);
    HANDLE ru, rt;
    WSAPROTOCOL_INFOW iu, it;
    char line[4096], hu[2 * sizeof(iu) + 1], ht[2 * sizeof(it) + 1];
    WCHAR args[128];
    const char *nf = "X c0000225";   /* STATUS_NOT_FOUND */

    startup();
    if (argc > 1 && !strcmp(argv[1], "child")) return child(argc, argv);
    GetModuleFileNameW(NULL, exe, MAX_PATH);

    udp = WSASocketW(AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    tcp = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    check_true(udp != INVALID_SOCKET && tcp != INVALID_SOCKET, "parent made a UDP and a TCP socket");

    /* C2 and C3 start before the sockets are inheritable. */
    if (!start(&c2, "C2 (DuplicateHandle)", L"wait") || !start(&c3, "C3 (WSADuplicateSocket)", L"wait"))
        return summary();
    SetHandleInformation((HANDLE)udp, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    SetHandleInformation((HANDLE)tcp, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    swprintf(args, 128, L"inherit %#llx %#llx", (unsigned long long)udp, (unsigned long long)tcp);
    if (!start(&c1, "C1 (inherited)", args)) return summary();
    SetHandleInformation((HANDLE)udp, HANDLE_FLAG_INHERIT, 0);
    SetHandleInformation((HANDLE)tcp, HANDLE_FLAG_INHERIT, 0);

    check_true(DuplicateHandle(GetCurrentProcess(), (HANDLE)udp, c2.process, &ru, 0, FALSE, DUPLICATE_SAME_ACCESS) &&
               DuplicateHandle(GetCurrentProcess(), (HANDLE)tcp, c2.process, &rt, 0, FALSE, DUPLICATE_SAME_ACCESS),
               "DuplicateHandle into the running C2");
    sprintf(line, "H %llx %llx", (unsigned long long)(ULONG_PTR)ru, (unsigned long long)(ULONG_PTR)rt);
    expect(&c2, "R 0", "receives the handles", "%s", line);

    check_int(WSADuplicateSocketW(udp, c3.pid, &iu), 0, "WSADuplicateSocketW(udp) for C3");
    check_int(WSADuplicateSocketW(tcp, c3.pid, &it), 0, "WSADuplicateSocketW(tcp) for C3");
    hex(hu, &iu, sizeof(iu));
    hex(ht, &it, sizeof(it));
    expect(&c3, "R 0", "makes sockets from WSAPROTOCOL_INFOW", "W %s %s", hu, ht);

    printf("-- UDP: set in C1, read everywhere\n");
    expect(&c1, "R 0", "set", "S u 7001 1 one/c1");
    { SOCKADDR_IN k = v4(7001); check_holds(udp, &k, sizeof(k), PROTO_IPSEC, L"one/c1", "parent: udp 127.0.0.1:7001"); }
    expect(&c2, "N 1 one/c1", "reads C1's name", "G u 7001");
    expect(&c3, "N 1 one/c1", "reads C1's name", "G u 7001");
    expect(&c1, nf, "other key is empty", "G u 7002");

    printf("-- UDP: replaced in C2\n");
    expect(&c2, "R 0", "replace", "S u 7001 2 two/c2");
    { SOCKADDR_IN k = v4(7001); check_holds(udp, &k, sizeof(k), PROTO_IPSEC2, L"two/c2", "parent: udp 127.0.0.1:7001"); }
    expect(&c1, "N 2 two/c2", "reads C2's name", "G u 7001");
    expect(&c3, "N 2 two/c2", "reads C2's name", "G u 7001");

    printf("-- UDP: deleted in C3\n");
    expect(&c3, "R 0", "delete", "D u 7001");
    { SOCKADDR_IN k = v4(7001); check_absent(udp, &k, sizeof(k), "parent: udp 127.0.0.1:7001 after C3's delete"); }
    expect(&c1, nf, "sees the delete", "G u 7001");
    expect(&c2, nf, "sees the delete", "G u 7001");

    printf("-- TCP: set in C3, replaced in C1, deleted in C2\n");
    expect(&c3, "R 0", "set", "S t 0 1 tcp/c3");
    expect(&c1, "N 1 tcp/c3", "reads C3's name", "G t 0");
    expect(&c2, "N 1 tcp/c3", "reads C3's name", "G t 0");
    check_holds(tcp, NULL, 0, PROTO_IPSEC, L"tcp/c3", "parent: tcp");
    expect(&c1, "R 0", "replace", "S t 0 0 tcp/c1");
    check_holds(tcp, NULL, 0, PROTO_DEFAULT, L"tcp/c1", "parent: tcp");
    expect(&c3, "N 0 tcp/c1", "reads C1's name", "G t 0");
    expect(&c2, "R 0", "delete", "D t 0");
    check_absent(tcp, NULL, 0, "parent: tcp after C2's delete");
    expect(&c1, nf, "sees the delete", "G t 0");
    expect(&c3, nf, "sees the delete", "G t 0");

    printf("-- names outlive the process that set them\n");
    expect(&c1, "R 0", "set", "S u 7002 1 left/by-c1");
    expect(&c1, "R 0", "set", "S t 0 1 left/by-c1");
    finish(&c1);
    check_holds(udp, &k7002, sizeof(k7002), PROTO_IPSEC, L"left/by-c1", "parent: udp 127.0.0.1:7002 after C1 exited");
    check_holds(tcp, NULL, 0, PROTO_IPSEC, L"left/by-c1", "parent: tcp after C1 exited");
    expect(&c3, "R 0", "set", "S u 7003 2 left/by-c3");
    finish(&c3);
    check_int(closesocket(udp), 0, "parent closes its UDP handle");
    check_int(closesocket(tcp), 0, "parent closes its TCP handle");
    printf("-- only C2 holds the sockets now\n");
    expect(&c2, "N 1 left/by-c1", "reads the name of exited C1", "G u 7002");
    expect(&c2, "N 2 left/by-c3", "reads the name of exited C3", "G u 7003");
    expect(&c2, "N 1 left/by-c1", "reads the name of exited C1", "G t 0");
    expect(&c2, "R 0", "replace", "S u 7002 0 final/c2");
    expect(&c2, "N 0 final/c2", "reads its own name", "G u 7002");
    expect(&c2, "R 0", "delete", "D u 7003");
    expect(&c2, nf, "sees its delete", "G u 7003");
    finish(&c2);

    WSACleanup();
    return summary();
}
