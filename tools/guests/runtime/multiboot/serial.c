/*
 * COM1 output for the multiboot runtime: an 8250/16550 UART at port 0x3F8, programmed for 115200
 * baud 8N1 by serial_init() (called by mb_start before main) and written by polling. Bit 5 of the
 * line status register (0x3FD) says the transmit holding register is empty. The wait is bounded: an
 * emulator whose UART never reports "empty" still gets every character, just without the handshake.
 */
#include <format.h>
#include <io.h>

#include "multiboot.h"

#define UART_DATA 0     /* transmit holding register (DLAB = 0) / divisor low byte (DLAB = 1) */
#define UART_IER 1      /* interrupt enable (DLAB = 0) / divisor high byte (DLAB = 1) */
#define UART_FCR 2      /* FIFO control */
#define UART_LCR 3      /* line control */
#define UART_MCR 4      /* modem control */
#define UART_LSR 5      /* line status */
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define POLL_LIMIT 100000

void serial_init(void) {
  outb(COM1_PORT + UART_IER, 0x00);     /* no UART interrupts: output is polled */
  outb(COM1_PORT + UART_LCR, LCR_DLAB); /* expose the divisor latch */
  outb(COM1_PORT + UART_DATA, 0x01);    /* divisor 1 = 115200 baud */
  outb(COM1_PORT + UART_IER, 0x00);
  outb(COM1_PORT + UART_LCR, LCR_8N1);  /* 8 data bits, no parity, 1 stop bit; divisor latch hidden */
  outb(COM1_PORT + UART_FCR, 0x07);     /* enable and clear both FIFOs */
  outb(COM1_PORT + UART_MCR, 0x03);     /* DTR and RTS */
}

void serial_putc(char c) {
  for (int i = 0; i < POLL_LIMIT && !(inb(COM1_PORT + UART_LSR) & LSR_THR_EMPTY); i++) continue;
  outb(COM1_PORT + UART_DATA, (uint8_t)c);
}

void serial_print(const char *s) {
  while (*s) serial_putc(*s++);
}

static void serial_sink(void *ctx, char c) {
  (void)ctx;
  serial_putc(c);
}

int serial_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int count = vformat(serial_sink, 0, fmt, ap);
  va_end(ap);
  return count;
}
