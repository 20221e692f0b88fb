/*
 * Memory and string routines for both runtimes (declared in include/string.h). Kept as plain byte
 * loops: guest programs are tiny, and simple loops are easy for a young CPU emulator to get right.
 * The Makefile builds with -fno-tree-loop-distribute-patterns so GCC does not turn these very loops
 * back into calls to memset/memcpy (which would recurse forever).
 */
#include <string.h>

void *memset(void *dst, int byte, size_t len) {
  unsigned char *d = dst;
  while (len--) *d++ = (unsigned char)byte;
  return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t len) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (len--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t len) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (len--) *d++ = *s++;
  } else {
    /* Overlap with the destination above the source: copy from the end backwards. */
    d += len;
    s += len;
    while (len--) *--d = *--s;
  }
  return dst;
}

int memcmp(const void *a, const void *b, size_t len) {
  const unsigned char *x = a;
  const unsigned char *y = b;
  for (; len; len--, x++, y++) {
    if (*x != *y) return *x - *y;
  }
  return 0;
}

size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}
