/*
 * The few C string and memory routines a guest program needs, shared by both runtimes (lguest guest
 * and bare-metal multiboot). Programs are freestanding, so nothing else from a C library exists;
 * the definitions are in lib/string.c. GCC may also emit calls to memset/memcpy/memmove/memcmp on
 * its own (struct copies, large initialisers), which is why these four must always be linked in.
 */
#ifndef GUESTS_STRING_H
#define GUESTS_STRING_H

#include <stddef.h>

void *memset(void *dst, int byte, size_t len);
void *memcpy(void *restrict dst, const void *restrict src, size_t len);
void *memmove(void *dst, const void *src, size_t len);
int memcmp(const void *a, const void *b, size_t len);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
