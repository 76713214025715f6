/* Prints the WSAIoctl(SIO_SET_PEER_TARGET_NAME) result on a UDP socket:
 * "result 0" on the patched Wine, WSAEOPNOTSUPP (10045) on stock Wine. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <stdio.h>
#include <string.h>

#ifndef SIO_SET_PEER_TARGET_NAME
#define SIO_SET_PEER_TARGET_NAME _WSAIOW(IOC_VENDOR, 202)
#endif

int main( void )
{
    union { SOCKET_PEER_TARGET_NAME name; char buf[256]; } u;
    struct sockaddr_in *in = (struct sockaddr_in *)&u.name.PeerAddress;
    WSADATA data;
    DWORD size;
    SOCKET s;
    int ret;

    WSAStartup( MAKEWORD(2, 2), &data );
    s = socket( AF_INET, SOCK_DGRAM, 0 );
    memset( &u, 0, sizeof(u) );
    u.name.SecurityProtocol = SOCKET_SECURITY_PROTOCOL_IPSEC;
    in->sin_family = AF_INET;
    in->sin_port = htons( 5000 );
    in->sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    u.name.PeerTargetNameStringLen = 4;
    memcpy( u.name.AllStrings, L"host", 4 * sizeof(WCHAR) );
    ret = WSAIoctl( s, SIO_SET_PEER_TARGET_NAME, &u, 140 + 8, NULL, 0, &size, NULL, NULL );
    printf( "result %d\n", ret ? WSAGetLastError() : 0 );
    return 0;
}
