/*
 * clock: the one source of "now" for the service. Every timestamp on the wire, every stored
 * time and every timer uses clock_now_ms(). The clock can run accelerated for tests and demos:
 * with scale k, now = origin + k * (real now - origin). Configure it once at start-up, before
 * any thread reads it.
 */
#ifndef OTAD_STORE_CLOCK_H
#define OTAD_STORE_CLOCK_H

#include <stdint.h>

/** Set the scale (>= 1; 1 = real time) and the origin in ms since the epoch. */
void clock_configure(double scale, int64_t origin_ms);

/** The service's now, in ms since the epoch. */
int64_t clock_now_ms(void);

/** The real wall clock in ms since the epoch. */
int64_t clock_real_ms(void);

/** The current scale. */
double clock_scale(void);

/** The current origin (ms since the epoch). */
int64_t clock_origin_ms(void);

/** Real milliseconds that correspond to service_ms of service time (for timers). */
int64_t clock_real_interval_ms(int64_t service_ms);

#endif
