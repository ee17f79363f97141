/*
 * clock: scaled wall-clock time. The configuration is written once before threads start and
 * only read afterwards.
 */
#include "store/clock.h"

#include <time.h>

static double scale = 1.0;
static int64_t origin;

void clock_configure(double s, int64_t origin_ms)
{
    scale = s < 1.0 ? 1.0 : s;
    origin = origin_ms;
}

int64_t clock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
    int64_t real = clock_real_ms();
    if (scale == 1.0)
        return real;
    return origin + (int64_t)((double)(real - origin) * scale);
}

double clock_scale(void)
{
    return scale;
}

int64_t clock_origin_ms(void)
{
    return origin;
}

int64_t clock_real_interval_ms(int64_t service_ms)
{
    int64_t r = (int64_t)((double)service_ms / scale);
    return r < 1 && service_ms > 0 ? 1 : r;
}
