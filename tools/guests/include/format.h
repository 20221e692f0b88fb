/*
 * A small printf-like formatter shared by both runtimes: the lguest console (lg_printf) and the
 * multiboot serial port (serial_printf) each give it a sink that takes one character at a time, and
 * snformat() formats into a buffer (used for SHUTDOWN reason texts). Defined in lib/format.c.
 *
 * Conversions: %c %s %d %i %u %x %X %p %%; flags '-' (left-justify) and '0' (zero-pad); a decimal
 * width; length 'l' (same as none: long is 32 bits here) and 'll' (64-bit). No floating point.
 */
#ifndef GUESTS_FORMAT_H
#define GUESTS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted output one character at a time; ctx is the caller's own state. */
typedef void format_sink(void *ctx, char c);

/* Formats into sink; returns how many characters were produced. */
int vformat(format_sink *sink, void *ctx, const char *fmt, va_list ap);

/* Formats into buf (always NUL-terminated when size > 0, truncating); returns the untruncated length. */
int snformat(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif
