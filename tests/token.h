/* The calling thread's token, for the checks that impersonation changes
 * nothing (SPEC: "the thread's token never changes").  Shared by
 * tests/scn_security.c and tests/fuzz/fuzz.c; Windows API only. */
#ifndef PTN_TOKEN_H
#define PTN_TOKEN_H
#include <windows.h>

/* 0: the thread has no token; 1: it has one, its TokenId in *id;
 * -1: cannot tell */
static inline int thread_token(LUID *id)
{
    TOKEN_STATISTICS st;
    HANDLE h;
    DWORD n;
    int ok;

    if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &h)) return GetLastError() == ERROR_NO_TOKEN ? 0 : -1;
    ok = GetTokenInformation(h, TokenStatistics, &st, sizeof(st), &n);
    CloseHandle(h);
    if (!ok) return -1;
    *id = st.TokenId;
    return 1;
}
#endif
