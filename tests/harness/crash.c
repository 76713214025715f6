/* Ends badly, as the argument says, so that the harness can check that
 * tools/wine returns promptly with a non-zero code and names the exception:
 *   null           reads from address 0 (EXCEPTION_ACCESS_VIOLATION)
 *   stub           calls kernel32.BaseDumpAppcompatCache, a stub in Wine
 *                  (EXCEPTION_WINE_STUB, 0x80000100: its low byte is 0)
 *   raise CODE     raises the exception CODE (hexadecimal)
 *   hang           sleeps forever (for the time limits) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main( int argc, char **argv )
{
    const char *what = argc > 1 ? argv[1] : "";

    printf( "crash: %s\n", what );
    fflush( stdout );
    if (!strcmp( what, "null" ))
    {
        volatile int *p = NULL;
        return *p;
    }
    if (!strcmp( what, "stub" ))
    {
        void (WINAPI *stub)(void) = (void *)GetProcAddress( GetModuleHandleA( "kernel32.dll" ),
                                                            "BaseDumpAppcompatCache" );
        if (!stub)
        {
            printf( "crash: kernel32.BaseDumpAppcompatCache is not exported\n" );
            return 2;
        }
        stub();
        return 0;
    }
    if (!strcmp( what, "raise" ) && argc > 2)
    {
        RaiseException( strtoul( argv[2], NULL, 16 ), EXCEPTION_NONCONTINUABLE, 0, NULL );
        return 0;
    }
    if (!strcmp( what, "hang" ))
    {
        Sleep( INFINITE );
        return 0;
    }
    printf( "usage: crash null|stub|raise CODE|hang\n" );
    return 2;
}
