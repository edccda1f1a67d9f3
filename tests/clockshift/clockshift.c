/*
 * clockshift: move this process tree's wall clock by CLOCKSHIFT_SECONDS (LD_PRELOAD).
 *
 * scripts/seven-days.sh runs the date-relative tests as if today were another day. Only the
 * wall clock moves (CLOCK_REALTIME and what derives from it: gettimeofday, time,
 * timespec_get); the monotonic clock stays real, so every timeout, sleep and timed wait
 * (Python's locks and events, libuv, Chromium) keeps its real length. libfaketime 0.9.10,
 * Debian's, cannot do this: it shifts CLOCK_MONOTONIC too, so a timed wait lasts days, and
 * with FAKETIME_DONT_FAKE_MONOTONIC its clock_nanosleep fails with EINVAL; it also cannot
 * start redis-server (recursive clock_gettime during jemalloc's start-up).
 *
 * The clock is read with the raw system call, never through dlsym or malloc, so it works
 * from the first instruction of any program (jemalloc's initialisation included).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long shift_seconds(void) {
  static long shift = -1;
  if (shift < 0) {
    const char *value = getenv("CLOCKSHIFT_SECONDS");
    shift = value ? atol(value) : 0;
  }
  return shift;
}

static int shifted(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
  long rc = syscall(SYS_clock_gettime, clock, ts);
  if (rc == 0 && shifted(clock)) ts->tv_sec += shift_seconds();
  return (int)rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
  struct timespec ts;
  (void)tz;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

time_t time(time_t *out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base) {
  return base == TIME_UTC && clock_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}
