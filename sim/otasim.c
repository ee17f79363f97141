/*
 * otasim: the rollout simulator and fleet load tester. This entry point prints usage until the
 * simulator lands (issue "otasim: rollout simulations in virtual time and live fleet load
 * tests").
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: otasim rollout --scenario FILE [--json] [--timeline CSV] [--svg FILE]\n"
          "       otasim load --endpoint URL --redis ADDR --scenario FILE [--devices N] [--json]\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
