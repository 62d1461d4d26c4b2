/* The clocks the server reads, as plain numbers. */
#ifndef ATTACHE_CLOCK_H
#define ATTACHE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: deadlines, rates, how long. */
int64_t	clock_ms(void);
/* Microseconds of the same clock: waits shorter than a millisecond. */
int64_t	clock_us(void);

/* Nanoseconds of CLOCK_REALTIME_COARSE: compared with files' times. */
int64_t	clock_real_ns(void);

#endif
