/* Scenario: what the server stores is exact (SPEC "What is stored", "Name
 * length", "The Wine-internal query"): protocol, key (family, port, address,
 * IPv6 scope id; sin_zero and sin6_flowinfo ignored), the length in bytes
 * (characters * 2 for DEFAULT/IPSEC, bytes for IPSEC2) and the characters,
 * with no terminating NUL added. */
#include "ptn.h"

/* Queries key and checks everything the reply holds. */
static void check_entry(SOCKET s, const void *key, int keylen, int proto, const void *want_addr,
                        int want_addrlen, const WCHAR *name, ULONG nchars, const char *what)
{
    SOCKADDR_STORAGE exp;
    struct got g;
    char msg[256];

    memset(&exp, 0, sizeof(exp));
    if (want_addr) memcpy(&exp, want_addr, want_addrlen);
    get(s, key, keylen, &g);
    if (g.status)
    {
        report(0, "%s: expected a name, got status 0x%08lx", what, (unsigned long)g.status);
        return;
    }
    snprintf(msg, sizeof(msg), "%s: protocol", what);
    check_int(g.proto, proto, msg);
    snprintf(msg, sizeof(msg), "%s: PeerTargetNameStringLen (bytes)", what);
    check_int(g.len, nchars * 2, msg);
    snprintf(msg, sizeof(msg), "%s: characters exact", what);
    check_true(g.len == nchars * 2 && !memcmp(g.name, name, nchars * 2), msg);
    snprintf(msg, sizeof(msg), "%s: IoStatus.Information = HDR + bytes", what);
    check_int(g.info, HDR + nchars * 2, msg);
    if (memcmp(&g.addr, &exp, sizeof(exp)))
    {
        const unsigned char *a = (const unsigned char *)&g.addr;
        int i, first = -1;
        for (i = 0; i < (int)sizeof(exp); i++) if (a[i] != ((unsigned char *)&exp)[i]) { first = i; break; }
        report(0, "%s: PeerAddress: first difference at byte %d: expected 0x%02x, got 0x%02x", what, first,
               ((unsigned char *)&exp)[first], a[first]);
    }
    else report(1, "%s: PeerAddress %s", what, want_addr ? "is the key, rest zero" : "is all zeros");
}

static void test_v4(void)
{
    SOCKET s = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    SOCKADDR_IN k5000 = v4(5000), dirty = v4(5000), k5001 = v4(5001), any = v4(5000), port0 = v4(0), k;
    static const WCHAR odd[] = { 0x00e9, 0x4e2d, 0xd83d, 0xde00, 'x' };
    static const WCHAR withnul[] = { 'a', 0, 'b' };

    printf("-- IPv4 datagram socket: keys\n");
    memset(dirty.sin_zero, 0xab, sizeof(dirty.sin_zero));
    any.sin_addr.s_addr = 0;
    check_int(set_name(s, PROTO_IPSEC, &dirty, sizeof(dirty), L"v4/dirty"), 0, "set 127.0.0.1:5000 with garbage sin_zero");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC, &k5000, sizeof(k5000), L"v4/dirty", 8,
                "query 127.0.0.1:5000 with zero sin_zero");
    check_holds(s, &dirty, sizeof(dirty), PROTO_IPSEC, L"v4/dirty", "query 127.0.0.1:5000 with garbage sin_zero");
    check_int(set_name(s, PROTO_IPSEC, &k5001, sizeof(k5001), L"v4/clean"), 0, "set 127.0.0.1:5001 with zero sin_zero");
    k = k5001; memset(k.sin_zero, 0x5c, sizeof(k.sin_zero));
    check_holds(s, &k, sizeof(k), PROTO_IPSEC, L"v4/clean", "query 127.0.0.1:5001 with garbage sin_zero");
    k = v4(5002);
    check_absent(s, &k, sizeof(k), "other port 127.0.0.1:5002");
    check_absent(s, &any, sizeof(any), "other address 0.0.0.0:5000");
    check_int(set_name(s, PROTO_IPSEC, &any, sizeof(any), L"v4/any"), 0, "set 0.0.0.0:5000 (address zero, port not)");
    check_int(set_name(s, PROTO_IPSEC, &port0, sizeof(port0), L"v4/port0"), 0, "set 127.0.0.1:0 (port zero, address not)");
    check_entry(s, &any, sizeof(any), PROTO_IPSEC, &any, sizeof(any), L"v4/any", 6, "0.0.0.0:5000");
    check_entry(s, &port0, sizeof(port0), PROTO_IPSEC, &port0, sizeof(port0), L"v4/port0", 8, "127.0.0.1:0");
    check_holds(s, &k5000, sizeof(k5000), PROTO_IPSEC, L"v4/dirty", "127.0.0.1:5000 unchanged by the other keys");
    k = dirty; memset(k.sin_zero, 0x11, sizeof(k.sin_zero));
    check_int(del_name(s, &k, sizeof(k)), 0, "delete 127.0.0.1:5000 given other garbage sin_zero");
    check_absent(s, &k5000, sizeof(k5000), "127.0.0.1:5000 after delete");
    check_holds(s, &k5001, sizeof(k5001), PROTO_IPSEC, L"v4/clean", "127.0.0.1:5001 survives that delete");

    printf("-- IPv4 datagram socket: lengths and characters\n");
    check_int(set_name(s, PROTO_DEFAULT, &k5000, sizeof(k5000), L"hello"), 0, "DEFAULT, 5 characters");
    check_entry(s, &k5000, sizeof(k5000), PROTO_DEFAULT, &k5000, sizeof(k5000), L"hello", 5, "DEFAULT");
    check_int(set_name(s, PROTO_IPSEC, &k5000, sizeof(k5000), L"hello"), 0, "IPSEC, 5 characters");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC, &k5000, sizeof(k5000), L"hello", 5, "IPSEC");
    check_int(set_name(s, PROTO_IPSEC2, &k5000, sizeof(k5000), L"hello"), 0, "IPSEC2, 10 bytes");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC2, &k5000, sizeof(k5000), L"hello", 5, "IPSEC2");
    check_int(set_name_n(s, PROTO_IPSEC, &k5000, sizeof(k5000), odd, 5), 0, "non-ASCII name with a surrogate pair");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC, &k5000, sizeof(k5000), odd, 5, "non-ASCII name");
    check_int(set_name_n(s, PROTO_IPSEC2, &k5000, sizeof(k5000), withnul, 3), 0, "name with an embedded NUL");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC2, &k5000, sizeof(k5000), withnul, 3, "embedded NUL");
    check_int(set_name(s, PROTO_IPSEC, &k5000, sizeof(k5000), L"a-much-longer-name/for.replacing"), 0, "long IPSEC name");
    check_int(set_name(s, PROTO_IPSEC2, &k5000, sizeof(k5000), L"ab"), 0, "replace with short IPSEC2 name");
    check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC2, &k5000, sizeof(k5000), L"ab", 2, "after replacement");

    /* The name as given, nothing more: set from a buffer whose next
     * character is not NUL, and look at the byte after the reply. */
    {
        WCHAR buf[8] = { 'x', 'y', 'z', 'Q', 'Q', 'Q', 'Q', 0 };
        union { SOCKET_PEER_TARGET_NAME p; unsigned char b[HDR + 64]; } out;
        ULONG_PTR info;
        NTSTATUS st;

        check_int(set_name_n(s, PROTO_IPSEC, &k5000, sizeof(k5000), buf, 3), 0, "3 characters out of a longer buffer");
        check_entry(s, &k5000, sizeof(k5000), PROTO_IPSEC, &k5000, sizeof(k5000), buf, 3, "only the 3 characters");
        memset(&out, 0xcc, sizeof(out));
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), &out, sizeof(out), &info);
        check_status(st, ST_SUCCESS, "query into a larger buffer");
        check_true(out.b[HDR + 6] == 0xcc && out.b[HDR + 7] == 0xcc, "no terminating NUL written after the name");
        memset(&out, 0xcc, sizeof(out));
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), &out, HDR + 6, &info);
        check_status(st, ST_SUCCESS, "query into exactly HDR + 6 bytes");
        check_int(info, HDR + 6, "Information for the exact buffer");

        printf("-- query buffer sizes\n");
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), &out, HDR - 1, &info);
        check_status(st, ST_BUFFER_TOO_SMALL, "output of HDR - 1 bytes");
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), NULL, 0, &info);
        check_status(st, ST_BUFFER_TOO_SMALL, "no output buffer");
        memset(&out, 0xcc, sizeof(out));
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), &out, HDR, &info);
        check_status(st, ST_BUFFER_OVERFLOW, "output of HDR bytes (no room for the name)");
        check_true(out.p.SecurityProtocol == PROTO_IPSEC && out.p.PeerTargetNameStringLen == 6 &&
                   !memcmp(&out.p.PeerAddress, &k5000, sizeof(k5000)), "header filled in on overflow");
        check_true(info >= HDR && info <= HDR, "Information on overflow with HDR bytes is HDR");
        memset(&out, 0xcc, sizeof(out));
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, sizeof(k5000), &out, HDR + 5, &info);
        check_status(st, ST_BUFFER_OVERFLOW, "output one byte short of the name");
        check_true(out.p.SecurityProtocol == PROTO_IPSEC && out.p.PeerTargetNameStringLen == 6, "header filled in");
        check_true(info >= HDR && info <= HDR + 5, "Information within the buffer");
        check_true(out.b[HDR + 5] == 0xcc, "nothing written past the buffer");

        /* SPEC names no status for a bad key; for one of the wrong family the
         * server may answer STATUS_INVALID_ADDRESS (its status for that case) */
        printf("-- invalid keys for a datagram socket\n");
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, NULL, 0, &out, sizeof(out), &info);
        check_status(st, ST_INVALID_PARAMETER, "empty key");
        st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k5000, 8, &out, sizeof(out), &info);
        check_status(st, ST_INVALID_PARAMETER, "8-byte AF_INET key");
        {
            SOCKADDR_IN6 k6 = v6(5000, 0);
            st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k6, sizeof(k6), &out, sizeof(out), &info);
            check_status2(st, ST_INVALID_PARAMETER, ST_INVALID_ADDRESS, "AF_INET6 key on an AF_INET socket");
        }
    }
    closesocket(s);
}

static void test_v6(void)
{
    SOCKET s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    SOCKADDR_IN6 s0 = v6(6000, 0), s1 = v6(6000, 1), s7 = v6(6000, 7), flow = v6(6001, 0), k6001 = v6(6001, 0);
    SOCKADDR_IN6 unspec = v6(6000, 0), mapped = v6(6000, 0), k;
    SOCKADDR_IN k4 = v4(6000);
    union { SOCKET_PEER_TARGET_NAME p; unsigned char b[HDR + 64]; } out;
    NTSTATUS st;

    printf("-- IPv6 datagram socket: keys\n");
    memset(&unspec.sin6_addr, 0, 16);
    memset(&mapped.sin6_addr, 0, 16);
    mapped.sin6_addr.s6_addr[10] = mapped.sin6_addr.s6_addr[11] = 0xff;
    mapped.sin6_addr.s6_addr[12] = 127; mapped.sin6_addr.s6_addr[15] = 1;
    check_int(set_name(s, PROTO_IPSEC, &s0, sizeof(s0), L"v6/scope0"), 0, "set [::1%0]:6000");
    check_int(set_name(s, PROTO_IPSEC, &s1, sizeof(s1), L"v6/scope1"), 0, "set [::1%1]:6000");
    check_entry(s, &s0, sizeof(s0), PROTO_IPSEC, &s0, sizeof(s0), L"v6/scope0", 9, "[::1%0]:6000");
    check_entry(s, &s1, sizeof(s1), PROTO_IPSEC, &s1, sizeof(s1), L"v6/scope1", 9, "[::1%1]:6000");
    check_absent(s, &s7, sizeof(s7), "[::1%7]:6000 (other scope id)");
    check_absent(s, &unspec, sizeof(unspec), "[::]:6000 (other address)");
    check_absent(s, &mapped, sizeof(mapped), "[::ffff:127.0.0.1]:6000 (other address)");
    check_int(set_name(s, PROTO_IPSEC2, &mapped, sizeof(mapped), L"v6/mapped"), 0, "set [::ffff:127.0.0.1]:6000");
    check_entry(s, &mapped, sizeof(mapped), PROTO_IPSEC2, &mapped, sizeof(mapped), L"v6/mapped", 9, "[::ffff:127.0.0.1]:6000");

    flow.sin6_flowinfo = 0x12345;
    check_int(set_name(s, PROTO_IPSEC, &flow, sizeof(flow), L"v6/flow"), 0, "set [::1]:6001 with flowinfo 0x12345");
    check_entry(s, &k6001, sizeof(k6001), PROTO_IPSEC, &k6001, sizeof(k6001), L"v6/flow", 7,
                "query [::1]:6001 with flowinfo 0 (reply flowinfo zeroed)");
    check_int(set_name(s, PROTO_DEFAULT, &k6001, sizeof(k6001), L"v6/noflow"), 0, "replace [::1]:6001 given flowinfo 0");
    k = k6001; k.sin6_flowinfo = 0xabcdef;
    check_holds(s, &k, sizeof(k), PROTO_DEFAULT, L"v6/noflow", "query [::1]:6001 with flowinfo 0xabcdef");
    check_int(del_name(s, &k, sizeof(k)), 0, "delete [::1]:6001 given flowinfo 0xabcdef");
    check_absent(s, &k6001, sizeof(k6001), "[::1]:6001 after delete");
    check_int(del_name(s, &s1, sizeof(s1)), 0, "delete [::1%1]:6000");
    check_absent(s, &s1, sizeof(s1), "[::1%1]:6000 after delete");
    check_holds(s, &s0, sizeof(s0), PROTO_IPSEC, L"v6/scope0", "[::1%0]:6000 survives");

    st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &k4, sizeof(k4), &out, sizeof(out), NULL);
    check_status2(st, ST_INVALID_PARAMETER, ST_INVALID_ADDRESS, "AF_INET key on an AF_INET6 socket");
    st = raw_ioctl((HANDLE)s, IOCTL_AFD_WINE_GET_PEER_TARGET_NAME, &s0, sizeof(s0) - 1, &out, sizeof(out), NULL);
    check_status(st, ST_INVALID_PARAMETER, "27-byte AF_INET6 key");
    closesocket(s);
}

static void test_stream(int family)
{
    SOCKET s = socket(family, SOCK_STREAM, IPPROTO_TCP);
    SOCKADDR_STORAGE junk;
    SOCKADDR_IN k4 = v4(80);
    const char *fam = family == AF_INET ? "IPv4" : "IPv6";
    char what[128];

    printf("-- %s stream socket: one name, PeerAddress ignored\n", fam);
    memset(&junk, 0x5a, sizeof(junk));
    junk.ss_family = 23;
    snprintf(what, sizeof(what), "%s stream: set with a garbage PeerAddress", fam);
    check_int(set_name(s, PROTO_IPSEC, &junk, sizeof(junk), L"tcp/one"), 0, what);
    snprintf(what, sizeof(what), "%s stream: query without a key", fam);
    check_entry(s, NULL, 0, PROTO_IPSEC, NULL, 0, L"tcp/one", 7, what);
    snprintf(what, sizeof(what), "%s stream: query with a key (ignored)", fam);
    check_entry(s, &k4, sizeof(k4), PROTO_IPSEC, NULL, 0, L"tcp/one", 7, what);
    snprintf(what, sizeof(what), "%s stream: set again with another PeerAddress", fam);
    check_int(set_name(s, PROTO_IPSEC2, &k4, sizeof(k4), L"tcp/two"), 0, what);
    snprintf(what, sizeof(what), "%s stream: replaced", fam);
    check_entry(s, NULL, 0, PROTO_IPSEC2, NULL, 0, L"tcp/two", 7, what);
    snprintf(what, sizeof(what), "%s stream: delete", fam);
    if (family == AF_INET) check_int(del_name(s, &k4, sizeof(k4)), 0, what);
    else { SOCKADDR_IN6 k6 = v6(443, 0); check_int(del_name(s, &k6, sizeof(k6)), 0, what); }
    snprintf(what, sizeof(what), "%s stream: after delete", fam);
    check_absent(s, NULL, 0, what);
    closesocket(s);
}

int main(void)
{
    startup();
    test_v4();
    test_v6();
    test_stream(AF_INET);
    test_stream(AF_INET6);
    WSACleanup();
    return summary();
}
