/*
 * The lguest guest runtime's struct lguest_data (spec §4): the block crt0 hands to the Host with
 * LGUEST_INIT. Its initial image is what the Host reads once at INIT, so it lives in .data with the
 * values a guest must supply: every async-ring status byte 0xFF ("empty", §3.3), syscall_vec 0x80
 * (anything else kills: "bad syscall vector"), and a kernel_address below the Switcher region.
 */
#include "lguest.h"

struct lguest_data lguest_data __attribute__((aligned(16))) = {
    /* Virtual interrupts off, and every line masked: a test program that wants interrupts installs
       its IDT entries first, then clears bits here and sets irq_enabled itself. */
    .irq_enabled = 0,
    .blocked_interrupts = 0xFFFFFFFFu,
    .hcall_status = {[0 ... LHCALL_RING_SIZE - 1] = LHCALL_STATUS_EMPTY},
    /* No iret window: the runtime has no interrupt return path that must not be interrupted. */
    .noirq_start = 0,
    .noirq_end = 0,
    /* Linux's PAGE_OFFSET. It only matters once a program builds page tables (it splits user from
       kernel mappings for FLUSH_TLB(0)); in linear mode nothing reads it, but INIT checks it. */
    .kernel_address = 0xC0000000u,
    .syscall_vec = 0x80,
};

/* Written by crt0 from esi before anything else, hence in .data rather than the .bss crt0 clears. */
uint32_t lg_boot_params __attribute__((section(".data"))) = 0;
