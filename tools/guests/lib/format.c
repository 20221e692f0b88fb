/*
 * The printf-like formatter behind lg_printf (lguest console), serial_printf (multiboot COM1) and
 * snformat (SHUTDOWN reason texts); see include/format.h for the accepted conversions. It never
 * calls libgcc: 64-bit decimal output divides with two 32-bit `divl`s instead of __udivdi3, so the
 * images link with -nostdlib alone.
 */
#include <format.h>
#include <stdint.h>

struct spec {
  int left;  /* '-': pad on the right */
  int zero;  /* '0': pad with zeros */
  int width; /* minimum field width */
};

struct out {
  format_sink *sink;
  void *ctx;
  int count;
};

static void put(struct out *o, char c) {
  o->sink(o->ctx, c);
  o->count++;
}

/* Divides *n by 10 in place and returns the remainder. The high word is divided first; its remainder
   (< 10) becomes the high half of the second dividend, so the second divl cannot overflow. */
static unsigned div10(uint64_t *n) {
  uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n, qhi = hi / 10, rem = hi % 10, qlo;
  __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "0"(lo), "1"(rem), "rm"(10u));
  *n = ((uint64_t)qhi << 32) | qlo;
  return rem;
}

/* Emits digits (most significant first, already in text order) with sign and padding per spec. */
static void emit(struct out *o, const struct spec *s, const char *sign, const char *digits, int ndigits) {
  int nsign = sign[0] != 0;
  int pad = s->width - ndigits - nsign;
  if (!s->left && !s->zero) {
    for (; pad > 0; pad--) put(o, ' ');
  }
  if (nsign) put(o, sign[0]);
  if (!s->left && s->zero) {
    for (; pad > 0; pad--) put(o, '0');
  }
  for (int i = 0; i < ndigits; i++) put(o, digits[i]);
  for (; pad > 0; pad--) put(o, ' ');
}

static void number(struct out *o, const struct spec *s, uint64_t n, unsigned base, int upper,
                   const char *sign) {
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char rev[20], digits[20];
  int len = 0;
  do {
    if (base == 10) {
      rev[len++] = set[div10(&n)];
    } else {
      rev[len++] = set[n & 15];
      n >>= 4;
    }
  } while (n != 0);
  for (int i = 0; i < len; i++) digits[i] = rev[len - 1 - i];
  emit(o, s, sign, digits, len);
}

int vformat(format_sink *sink, void *ctx, const char *fmt, va_list ap) {
  struct out o = {sink, ctx, 0};
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    struct spec s = {0, 0, 0};
    for (p++;; p++) {
      if (*p == '-') {
        s.left = 1;
      } else if (*p == '0') {
        s.zero = 1;
      } else {
        break;
      }
    }
    while (*p >= '0' && *p <= '9') s.width = s.width * 10 + (*p++ - '0');
    int longs = 0;
    while (*p == 'l') longs++, p++;
    switch (*p) {
      case 'c': {
        char c = (char)va_arg(ap, int);
        emit(&o, &s, "", &c, 1);
        break;
      }
      case 's': {
        const char *str = va_arg(ap, const char *);
        if (!str) str = "(null)";
        int len = 0;
        while (str[len]) len++;
        s.zero = 0;
        emit(&o, &s, "", str, len);
        break;
      }
      case 'd':
      case 'i': {
        int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
        /* Negate as unsigned so INT64_MIN does not overflow. */
        uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        number(&o, &s, mag, 10, 0, v < 0 ? "-" : "");
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
        number(&o, &s, v, *p == 'u' ? 10 : 16, *p == 'X', "");
        break;
      }
      case 'p': {
        s.zero = 1;
        s.width = 8;
        put(&o, '0');
        put(&o, 'x');
        number(&o, &s, (uintptr_t)va_arg(ap, void *), 16, 0, "");
        break;
      }
      case '%':
        put(&o, '%');
        break;
      case '\0':
        /* A lone '%' at the end: stop rather than read past the terminator. */
        return o.count;
      default:
        /* Unknown conversion: show it as written, so a mistake is visible in the output. */
        put(&o, '%');
        put(&o, *p);
        break;
    }
  }
  return o.count;
}

struct buffer {
  char *buf;
  size_t size;
  size_t len;
};

static void buffer_sink(void *ctx, char c) {
  struct buffer *b = ctx;
  if (b->len + 1 < b->size) b->buf[b->len] = c;
  b->len++;
}

int vsnformat(char *buf, size_t size, const char *fmt, va_list ap) {
  struct buffer b = {buf, size, 0};
  int count = vformat(buffer_sink, &b, fmt, ap);
  if (size > 0) buf[b.len < size ? b.len : size - 1] = '\0';
  return count;
}

int snformat(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int count = vsnformat(buf, size, fmt, ap);
  va_end(ap);
  return count;
}
