/*
 * otad: the service's main(). (Being written: configuration, event loop, threads.)
 */
#include <stdio.h>

int main(void)
{
    fputs("otad: not built yet\n", stderr);
    return 1;
}
