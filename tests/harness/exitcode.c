/* Exits with the number given as its argument, after echoing a line of stdin:
 * the harness checks that tools/wine passes both through. */
#include <stdio.h>
#include <stdlib.h>

int main( int argc, char **argv )
{
    char line[128];

    if (fgets( line, sizeof(line), stdin )) printf( "stdin: %s", line );
    return argc > 1 ? atoi( argv[1] ) : 0;
}
