/*
 * The lguest guest runtime's console: Linux's early console protocol (spec §9.6). Characters collect
 * in a 17-byte buffer; each time 16 are waiting, or on lg_flush(), the buffer is NUL-terminated and
 * its gpa passed to NOTIFY. The Launcher sees a NOTIFY value that is no device descriptor or vring
 * and writes the string there to stdout. No "\n" → "\r\n" translation happens here (Linux does that
 * in its hvc layer, above the early console), so the Launcher's stdout gets exactly the program's text.
 */
#include <format.h>

#include "lguest.h"

static char chunk[LGUEST_CONSOLE_CHUNK + 1];
static unsigned chunk_len;

void lg_flush(void) {
  if (chunk_len == 0) return;
  chunk[chunk_len] = '\0';
  hcall(LHCALL_NOTIFY, lg_gpa(chunk), 0, 0, 0);
  chunk_len = 0;
}

void lg_putc(char c) {
  /* A NUL would end the Launcher's string early and lose the rest of the chunk; drop it. */
  if (c == '\0') return;
  chunk[chunk_len++] = c;
  if (chunk_len == LGUEST_CONSOLE_CHUNK) lg_flush();
}

void lg_print(const char *s) {
  while (*s) lg_putc(*s++);
  lg_flush();
}

static void console_sink(void *ctx, char c) {
  (void)ctx;
  lg_putc(c);
}

int lg_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int count = vformat(console_sink, 0, fmt, ap);
  va_end(ap);
  lg_flush();
  return count;
}
