/*
 * Console input through virtio (spec §9.5, §10.4, §14.4 step 20): the guest posts receive buffers on
 * the console's queue 0, the Host fills one per chunk of input and raises the queue's IRQ at once. The
 * program installs an interrupt gate for vector 0x20 + that IRQ (LOAD_IDT_ENTRY, §6.6), unblocks the
 * line in lguest_data.blocked_interrupts, and waits with HALT, interrupts off (§6.8), as Linux's idle
 * loop does. It echoes what is typed (so a raw terminal shows it), and after each complete line (ended
 * by "\n" or "\r") prints "echo: <line>". A line "quit" ends it, as does a receive buffer the Host
 * completes with no bytes (an EOF a Launcher could signal; @lguest/devices never does). Backspace
 * (0x7F or 0x08) removes the last character.
 *
 * Setup for virtio-echo.expected: `lguest 32 <image>` (console only), input "hello\nworld\nquit\n" in
 * any chunking. Expected death: CRASH: Power down.
 * qemu-test: skip (the test host has no lguest bus)
 */
#include <lguest.h>
#include <virtio.h>

const char lg_manual_init = 1;

#define RX_BUFFERS 16
#define RX_SIZE 256
static char rx_pool[RX_BUFFERS * RX_SIZE];
static char input[RX_SIZE];
static char text[128];

int main(void) {
  vio_lguest_init();
  if (vio_scan() < 0 || vio_console_open(rx_pool, RX_BUFFERS, RX_SIZE) != 0) {
    lg_print("virtio-echo: no virtio console\n");
    return 1;
  }
  struct vio_queue *rx = &vio_console->queues[VIO_CONSOLE_RX];
  vio_print("virtio-echo: type a line and it comes back; \"quit\" ends\n> ");
  unsigned len = 0, lines = 0;
  int after_cr = 0;
  for (;;) {
    /* No bound on the wait: a person may take their time. */
    if (!vio_wait_used(rx, 0xFFFFFFFFu)) continue;
    int n = vio_console_read(input, sizeof input);
    if (n < 0) continue;
    if (n == 0) {
      vio_print("\nvirtio-echo: end of input\n");
      break;
    }
    int quit = 0;
    for (int i = 0; i < n && !quit; i++) {
      char c = input[i];
      /* A "\r\n" pair is one line end, even when the two arrive in different buffers. */
      if (c == '\n' && after_cr) {
        after_cr = 0;
        continue;
      }
      after_cr = c == '\r';
      if (c == '\n' || c == '\r') {
        vio_print("\n");
        text[len] = '\0';
        if (len == 4 && text[0] == 'q' && text[1] == 'u' && text[2] == 'i' && text[3] == 't') {
          quit = 1;
        } else {
          vio_printf("echo: %s\n> ", text);
          lines++;
        }
        len = 0;
      } else if (c == 0x7F || c == 0x08) {
        if (len > 0) {
          len--;
          vio_print("\b \b");
        }
      } else if (len + 1 < sizeof text) {
        text[len++] = c;
        vio_write(&c, 1);
      }
    }
    if (quit) break;
  }
  vio_printf("virtio-echo: %u line(s) echoed\n", lines);
  return 0;
}
