/*
 * The linux-walk kernel stage: after head.S's startup_32 and lguest_entry, this walks the Host and the
 * Launcher through the rest of a Linux 3.18 boot in the order of spec §14 with the 3.18 differences
 * of §14.8: lguest_init, the native CR4 read, setup_arch, trap_init/cpu_init, the write-protect test,
 * init_IRQ, interrupts on, the console replay, the clock, delay calibration, check_bugs (code
 * patching, the FDIV test and lazy-FPU #NM), two kernel contexts switched through the async ring and
 * the idle loop, the lguest bus scan, the virtio console and block drivers, and user space (the
 * program at the end of head.S) until its power-off system call. Every step prints a line through a
 * printk-like log: buffered until the console replay (as Linux's log is), then written through the
 * early console (§9.6), and through the virtio console once it binds. The Launcher's e2e test
 * (packages/launcher/test/linux-walk.test.ts) boots the bzImage and compares the console text with
 * linux-walk.expected.
 *
 * Timestamps: "[    0.000000] " until the clock runs, then jiffies (HZ 100) as seconds.microseconds —
 * they depend on host speed, so the test checks them only as non-decreasing, tick-sized values.
 * Not modelled: the net driver, initramfs, fork/exec beyond one process, and anything a real kernel
 * does that the Host cannot see (memory management, scheduling policy).
 */
#include <format.h>
#include <lguest.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "layout.h"

#define PA(p) ((uint32_t)(uintptr_t)(p) - PAGE_OFFSET)
#define PDE_FLAGS 0x063u
#define PAGE_KERNEL 0x163u    /* P|RW|A|D|G */
#define PAGE_KERNEL_RO 0x161u /* P|A|D|G */
#define GATE_INTERRUPT 0xEu
#define GATE_TRAP 0xFu
#define GATE_TASK 0x5u
#define KERNEL_CS 0x60u
#define KERNEL_DS 0x68u
#define HZ 100u
#define TICK_NS (1000000000u / HZ)
#define MAX_DIRECT_MAP_TABLES 64u

/* Filled by head.S. */
uint8_t boot_params[4096] __attribute__((aligned(4096), section(".bss.page")));
char boot_command_line[2048];
uint32_t initial_page_table[1024] __attribute__((aligned(4096), section(".bss.page")));
uint32_t fixmap_boot_table[1024] __attribute__((aligned(4096), section(".bss.page")));
uint32_t boot_page_tables[8][1024] __attribute__((aligned(4096), section(".bss.page")));
uint32_t boot_mapped_end;

static uint32_t swapper_pg_dir[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t fixmap_pt[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t direct_map_tables[MAX_DIRECT_MAP_TABLES][1024]
    __attribute__((aligned(4096), section(".bss.page")));
static uint32_t idt_table[256][2] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t wp_test_page[4096] __attribute__((aligned(4096), section(".bss.page")));

extern char _end[], init_stack_top[], irq_stubs[], lguest_noirq_start[], lguest_noirq_end[];
extern const uint32_t __start_ex_table[], __stop_ex_table[];
extern char trap_0[], trap_1[], trap_2[], trap_3[], trap_4[], trap_5[], trap_6[], trap_7[], trap_8[],
    trap_9[], trap_10[], trap_11[], trap_12[], trap_13[], trap_14[], trap_15[], trap_16[], trap_17[],
    trap_19[], trap_0x80[];

/* The 3.18 image of lguest_data (§4): interrupts off, the timer line blocked, the ring empty, the iret
   window, PAGE_OFFSET and the system-call vector. */
struct lguest_data lguest_data = {
    .irq_enabled = 0,
    .blocked_interrupts = 1,
    .hcall_status = {[0 ... LHCALL_RING_SIZE - 1] = LHCALL_STATUS_EMPTY},
    .noirq_start = (uint32_t)(uintptr_t)lguest_noirq_start,
    .noirq_end = (uint32_t)(uintptr_t)lguest_noirq_end,
    .kernel_address = PAGE_OFFSET,
    .syscall_vec = 0x80,
};

/* The 32-entry GDT image of 3.18 (§5.3, §14.8 item 3): kernel code/data 12/13 (DPL 0), user code/data
   14/15 (DPL 3), BIOS-call segments 18-25, ESPFIX 26, per-CPU 27, the rest zero. */
static const uint64_t gdt_image[32] = {
    [12] = 0x00cf9a000000ffffull, [13] = 0x00cf92000000ffffull, [14] = 0x00cffa000000ffffull,
    [15] = 0x00cff2000000ffffull, [18] = 0x00409a000000ffffull, [19] = 0x00009a000000ffffull,
    [20] = 0x000092000000ffffull, [21] = 0x0000920000000000ull, [22] = 0x0000920000000000ull,
    [23] = 0x00409a000000ffffull, [24] = 0x00009a000000ffffull, [25] = 0x004092000000ffffull,
    [26] = 0x00c0920000000000ull, [27] = 0x00cf92000000ffffull,
};

static uint32_t *current_pgdir = initial_page_table;
static uint32_t fixaddr_top;
static volatile uint32_t jiffies;
static int clock_running;
static volatile uint32_t last_pf_error, last_pf_cr2, nm_count, gp_fixups;
static uint32_t ram_size;  /* the direct-mapped low memory */
static uint32_t ram_bytes; /* e820 RAM: the device page sits right above it (§9.1) */

/* ---- hypercalls and panic ---- */

static void hc(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3) {
  hcall(call, a1, a2, a3, 0);
}

static const char power_down[LGUEST_SHUTDOWN_TEXT] = "Power down";

__attribute__((noreturn)) static void poweroff(void) {
  hc(LHCALL_SHUTDOWN, PA(power_down), LGUEST_SHUTDOWN_POWEROFF, 0);
  for (;;) __asm__ volatile("ud2");
}

static void console_flush_log(void);
static int console_live;
static int virtio_console_ready;

__attribute__((noreturn, format(printf, 1, 2))) static void panic(const char *fmt, ...) {
  static char text[LGUEST_SHUTDOWN_TEXT];
  va_list ap;
  va_start(ap, fmt);
  vsnformat(text, sizeof text, fmt, ap);
  va_end(ap);
  console_live = 1; /* a panic shows the whole log, as Linux's panic flushes it to every console */
  virtio_console_ready = 0; /* through the early console: the virtio one may be what failed */
  console_flush_log();
  hc(LHCALL_SHUTDOWN, PA(text), LGUEST_SHUTDOWN_POWEROFF, 0);
  for (;;) __asm__ volatile("ud2");
}

/* ---- printk: a log buffer replayed when the console comes up ---- */

static char log_buf[16384];
static uint32_t log_len, log_replayed;

/* The hvc early console: ≤16 bytes per NOTIFY from a 17-byte NUL-terminated copy on the kernel
   stack, every '\n' sent as "\r\n". */
static void early_write(const char *s, uint32_t len) {
  char buf[17];
  uint32_t i = 0;
  while (i < len) {
    uint32_t n = 0;
    while (i < len && n < 16) {
      if (s[i] == '\n') {
        if (n > 14) break;
        buf[n++] = '\r';
      }
      buf[n++] = s[i++];
    }
    buf[n] = 0;
    hc(LHCALL_NOTIFY, PA(buf), 0, 0);
  }
}

static int virtio_console_write(const char *s, uint32_t len);

static void console_flush_log(void) {
  if (!console_live) return;
  if (!virtio_console_write(log_buf + log_replayed, log_len - log_replayed))
    early_write(log_buf + log_replayed, log_len - log_replayed);
  log_replayed = log_len;
}

static void log_sink(void *ctx, char c) {
  (void)ctx;
  if (log_len < sizeof log_buf) log_buf[log_len++] = c;
}

static void log_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(log_sink, 0, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 1, 2))) static void printk(const char *fmt, ...) {
  uint32_t j = clock_running ? jiffies : 0;
  log_printf("[%5u.%06u] ", j / HZ, (j % HZ) * (1000000u / HZ));
  va_list ap;
  va_start(ap, fmt);
  vformat(log_sink, 0, fmt, ap);
  va_end(ap);
  console_flush_log();
}

/* ---- descriptor tables ---- */

static void set_gate(uint32_t v, const void *handler, uint32_t type, uint32_t dpl) {
  uint32_t h = (uint32_t)(uintptr_t)handler;
  idt_table[v][0] = (KERNEL_CS << 16) | (h & 0xFFFF);
  idt_table[v][1] = (h & 0xFFFF0000) | 0x8000 | (dpl << 13) | (type << 8);
  hc(LHCALL_LOAD_IDT_ENTRY, v, idt_table[v][0], idt_table[v][1]);
}

static void load_idt(const uint32_t (*table)[2]) {
  for (uint32_t v = 0; v < 256; v++) hc(LHCALL_LOAD_IDT_ENTRY, v, table[v][0], table[v][1]);
}

static void load_gdt(void) {
  for (uint32_t i = 0; i < 32; i++)
    hc(LHCALL_LOAD_GDT_ENTRY, i, (uint32_t)gdt_image[i], (uint32_t)(gdt_image[i] >> 32));
  __asm__ volatile("movl %0, %%fs" : : "r"(0) : "memory");
}

/* ---- traps and interrupts ---- */

struct frame {
  uint32_t edi, esi, ebp, ebx, edx, ecx, eax, vector, error, eip, cs, eflags, esp, ss;
};

static int fixup(struct frame *f) {
  for (const uint32_t *e = __start_ex_table; e < __stop_ex_table; e += 2) {
    if (e[0] == f->eip) {
      f->eip = e[1];
      return 1;
    }
  }
  return 0;
}

static void timer_interrupt(void) {
  jiffies = jiffies + 1;
  hc(LHCALL_SET_CLOCKEVENT, TICK_NS, 0, 0);
}

static int device_interrupt(uint32_t irq);
static int user_trap(struct frame *f);
void trap_dispatch(struct frame *f);
void trap_dispatch(struct frame *f) {
  if ((f->cs & 3) == 3 && user_trap(f)) return;
  switch (f->vector) {
    case 0x20:
      timer_interrupt();
      return;
    case 0x21 ... 0x3F:
      if (device_interrupt(f->vector - 0x20)) return;
      break;
    case 7:
      nm_count = nm_count + 1;
      hc(LHCALL_TS, 0, 0, 0);
      return;
    case 13:
      if (fixup(f)) {
        gp_fixups = gp_fixups + 1;
        return;
      }
      break;
    case 14:
      if (fixup(f)) {
        last_pf_error = f->error;
        last_pf_cr2 = lguest_data.cr2;
        return;
      }
      break;
    default:
      break;
  }
  panic("unexpected trap %u (error 0x%x) at 0x%x, cr2 0x%x", f->vector, f->error, f->eip, lguest_data.cr2);
}

/* ---- the steps ---- */

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "0"(leaf), "2"(0));
}

/* The guest's CPUID filter (§8.4), leaves 0 and 1. */
static void lguest_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
  cpuid(leaf, a, b, c, d);
  if (leaf == 0) {
    if (*a > 5) *a = 5;
  } else if (leaf == 1) {
    *c &= 0x00002201;
    *d = (*d & 0x07808151) | 0x2000;
    *a = (*a & ~0xF00u) | 0x500;
  }
}

void lguest_init(void) __attribute__((noreturn));
static void start_kernel(void) __attribute__((noreturn));

void lguest_init(void) {
  load_gdt();
  uint32_t reserve = lguest_data.reserve_mem;
  fixaddr_top = ((0u - reserve) & ~0x3FFFFFu) - 4096;
  log_printf("[    0.000000] Linux version 3.18-walk (lguest.ts project guest)\n");
  printk("lguest: LGUEST_INIT at 0x%x, NEW_PGTABLE(initial_page_table 0x%x), boot map to 0x%x\n",
         PA(&lguest_data), PA(initial_page_table), boot_mapped_end & ~0xFFFu);
  printk("lguest: GDT loaded (32 entries), noirq window 0x%x-0x%x\n", lguest_data.noirq_start,
         lguest_data.noirq_end);
  boot_command_line[sizeof boot_command_line - 1] = 0;
  printk("Kernel command line: %s\n", boot_command_line);
  printk("Reserving virtual address space above 0x%x (fixmap top 0x%x)\n", 0u - reserve, fixaddr_top);
  uint32_t a, b, c, d;
  lguest_cpuid(0, &a, &b, &c, &d);
  uint32_t max_leaf = a;
  lguest_cpuid(1, &a, &b, &c, &d);
  printk("lguest: CPUID max leaf %u, family %u, FPU %s, PGE %s\n", max_leaf,
         (a >> 8) & 0xF, d & 1 ? "yes" : "no", d & 0x2000 ? "yes" : "no");
  /* i386_start_kernel: the native CR4 read at CPL 1 with no IDT yet (§6.9, §14.8 item 4). */
  uint32_t cr4 = 0xDEADBEEF;
  __asm__ volatile("xorl %0, %0\n\tmovl %%cr4, %0" : "=a"(cr4));
  printk("i386_start_kernel: CR4 read natively before any IDT entry: 0x%x\n", cr4);
  start_kernel();
}

static void set_fixmap_pte(uint32_t slot, uint32_t pte, int tell) {
  uint32_t vaddr = fixaddr_top - slot * 4096;
  fixmap_pt[(vaddr >> 12) & 0x3FF] = pte;
  if (tell) hc(LHCALL_SET_PTE, PA(swapper_pg_dir), vaddr, pte);
  hc(LHCALL_SET_PTE, PA(current_pgdir), vaddr, 0); /* flush_tlb_single */
}

static void setup_arch(void) {
  memcpy(&swapper_pg_dir[768], &initial_page_table[768], 256 * 4);
  current_pgdir = swapper_pg_dir;
  hc(LHCALL_NEW_PGTABLE, PA(swapper_pg_dir), 0, 0);
  hc(LHCALL_FLUSH_TLB, 1, 0, 0);
  printk("setup_arch: swapper_pg_dir at 0x%x loaded\n", PA(swapper_pg_dir));

  set_gate(1, trap_1, GATE_INTERRUPT, 0);
  set_gate(3, trap_3, GATE_INTERRUPT, 3);
  set_gate(14, trap_14, GATE_INTERRUPT, 0);
  load_idt(idt_table);
  printk("setup_arch: early IDT (1, 3, 14) loaded\n");

  uint16_t sw = 0xFFFF, cw = 0;
  hc(LHCALL_TS, 0, 0, 0);
  __asm__ volatile("fninit\n\tfnstsw %0\n\tfnstcw %1" : "=a"(sw), "=m"(cw));
  printk("x86: FPU probe: status 0x%x, control 0x%x: %s\n", sw, cw,
         sw == 0 && (cw & 0x103f) == 0x3f ? "FPU present" : "no FPU");

  /* The fixmap page table, hooked in with SET_PGD; an early_ioremap slot read of the boot page. */
  uint32_t fix_pde = fixaddr_top >> 22;
  swapper_pg_dir[fix_pde] = PA(fixmap_pt) | PDE_FLAGS;
  hc(LHCALL_SET_PGD, PA(swapper_pg_dir), fix_pde, 0);
  set_fixmap_pte(16, 0 | 0x003, 0);
  volatile uint8_t *bp = (volatile uint8_t *)(uintptr_t)(fixaddr_top - 16 * 4096);
  uint32_t entries = bp[0x1E8];
  uint32_t ram = bp[0x2D0 + 8] | (uint32_t)bp[0x2D9] << 8 | (uint32_t)bp[0x2DA] << 16 |
                 (uint32_t)bp[0x2DB] << 24;
  fixmap_pt[((fixaddr_top - 16 * 4096) >> 12) & 0x3FF] = 0;
  hc(LHCALL_SET_PTE, PA(swapper_pg_dir), fixaddr_top - 16 * 4096, 0);
  printk("e820: %u entry read through early_ioremap at 0x%x\n", entries, fixaddr_top - 16 * 4096);
  if (entries < 1 || ram < 0x2000000) panic("e820: need at least 32 MiB of RAM, have 0x%x", ram);
  printk("LGUEST: [mem 0x00000000-0x%08x] usable\n", ram - 1);

  /* The direct map of all RAM (low memory only) with one SET_PGD per new page table. */
  uint32_t lowmem = ram;
  if (lowmem > MAX_DIRECT_MAP_TABLES << 22) lowmem = MAX_DIRECT_MAP_TABLES << 22;
  ram_size = lowmem;
  ram_bytes = ram;
  uint32_t new_tables = 0;
  for (uint32_t phys = 0; phys < lowmem; phys += 4096) {
    uint32_t pde = (PAGE_OFFSET + phys) >> 22;
    if (!(swapper_pg_dir[pde] & 1)) {
      uint32_t *pt = direct_map_tables[new_tables++];
      swapper_pg_dir[pde] = PA(pt) | PDE_FLAGS;
      hc(LHCALL_SET_PGD, PA(swapper_pg_dir), pde, 0);
    }
    uint32_t *pt = (uint32_t *)(uintptr_t)(PAGE_OFFSET + (swapper_pg_dir[pde] & ~0xFFFu));
    pt[(phys >> 12) & 0x3FF] = phys | PAGE_KERNEL;
  }
  hc(LHCALL_NEW_PGTABLE, PA(swapper_pg_dir), 0, 0);
  hc(LHCALL_FLUSH_TLB, 1, 0, 0);
  hc(LHCALL_FLUSH_TLB, 1, 0, 0);
  printk("init_memory_mapping: [mem 0x00000000-0x%08x], %u new page tables\n", lowmem - 1, new_tables);
  /* Read the last page of RAM through the new direct map: it must work at once (silent PTEs). */
  volatile uint32_t *top = (volatile uint32_t *)(uintptr_t)(PAGE_OFFSET + lowmem - 4);
  *top = 0x5A5AA5A5;
  printk("setup_arch: direct map checked at 0x%x: %s\n", PAGE_OFFSET + lowmem - 4,
         *top == 0x5A5AA5A5 ? "ok" : "FAILED");
}

static void trap_init(void) {
  set_gate(0, trap_0, GATE_INTERRUPT, 0);
  set_gate(2, trap_2, GATE_INTERRUPT, 0);
  set_gate(4, trap_4, GATE_INTERRUPT, 3);
  set_gate(5, trap_5, GATE_INTERRUPT, 0);
  set_gate(6, trap_6, GATE_INTERRUPT, 0);
  set_gate(7, trap_7, GATE_INTERRUPT, 0);
  idt_table[8][0] = (31u * 8) << 16; /* the double-fault task gate: ignored by the Host */
  idt_table[8][1] = 0x8000 | (GATE_TASK << 8);
  hc(LHCALL_LOAD_IDT_ENTRY, 8, idt_table[8][0], idt_table[8][1]);
  set_gate(9, trap_9, GATE_INTERRUPT, 0);
  set_gate(10, trap_10, GATE_INTERRUPT, 0);
  set_gate(11, trap_11, GATE_INTERRUPT, 0);
  set_gate(12, trap_12, GATE_INTERRUPT, 0);
  set_gate(13, trap_13, GATE_INTERRUPT, 0);
  set_gate(15, trap_15, GATE_INTERRUPT, 0);
  set_gate(16, trap_16, GATE_INTERRUPT, 0);
  set_gate(17, trap_17, GATE_INTERRUPT, 0);
  set_gate(19, trap_19, GATE_INTERRUPT, 0);
  set_gate(0x80, trap_0x80, GATE_TRAP, 3);
  /* A read-only alias of the IDT at a regular fixmap address (SET_PTE, then the flush). */
  set_fixmap_pte(1, PA(idt_table) | PAGE_KERNEL_RO, 1);
  const uint32_t(*alias)[2] = (const uint32_t(*)[2])(uintptr_t)(fixaddr_top - 4096);
  printk("trap_init: exception gates and the 0x80 trap gate (DPL 3); IDT alias at 0x%x\n",
         fixaddr_top - 4096);

  /* cpu_init: a second native CR4 read, now under an exception fixup (§14.8 item 6). */
  uint32_t cr4 = 0xDEADBEEF;
  __asm__ volatile(
      "xorl %0, %0\n1:\tmovl %%cr4, %0\n2:\n"
      "\t.pushsection __ex_table, \"a\"\n\t.long 1b, 2b\n\t.popsection"
      : "=a"(cr4));
  load_idt(alias);
  load_gdt();
  hc(LHCALL_SET_STACK, KERNEL_DS | 1, (uint32_t)(uintptr_t)init_stack_top, 2);
  static uint8_t tss[0x68];
  uint32_t base = (uint32_t)(uintptr_t)tss;
  hc(LHCALL_LOAD_GDT_ENTRY, 16, (base << 16) | 0x67,
     (base & 0xFF000000) | 0x8900 | ((base >> 16) & 0xFF));
  hc(LHCALL_TS, 0, 0, 0);
  hc(LHCALL_TS, 8, 0, 0);
  printk("cpu_init: CR4 0x%x (%s), IDT reloaded from the alias, GDT reloaded, kernel stack 0x%x, lazy FPU\n",
         cr4, gp_fixups ? "reflected and fixed up" : "emulated", (uint32_t)(uintptr_t)init_stack_top);
}

static void mem_init(void) {
  uint32_t vaddr = fixaddr_top;
  set_fixmap_pte(0, PA(wp_test_page) | PAGE_KERNEL_RO, 1);
  volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)vaddr;
  uint32_t seen = *p, faulted = 1;
  __asm__ volatile(
      "1:\tmovl %1, (%2)\n\tmovl $0, %0\n2:\n"
      "\t.pushsection __ex_table, \"a\"\n\t.long 1b, 2b\n\t.popsection"
      : "+r"(faulted)
      : "r"(seen + 1), "r"(vaddr)
      : "memory");
  fixmap_pt[(vaddr >> 12) & 0x3FF] = 0;
  hc(LHCALL_SET_PTE, PA(swapper_pg_dir), vaddr, 0);
  hc(LHCALL_SET_PTE, PA(swapper_pg_dir), vaddr, 0);
  if (!faulted || wp_test_page[0] != 0) panic("WP test: the write to a read-only page succeeded");
  printk("Checking if this processor honours the WP bit even in supervisor mode...%s\n",
         last_pf_error == 3 && last_pf_cr2 == vaddr ? "Ok." : "No.");
  if (last_pf_error != 3 || last_pf_cr2 != vaddr)
    printk("WP test: #PF error 0x%x cr2 0x%x, want 3 and 0x%x\n", last_pf_error, last_pf_cr2, vaddr);
  printk("Memory: %uK available\n", ram_size >> 10);
}

static void init_irq(void) {
  uint32_t n = 0;
  for (uint32_t v = 0x20; v < 0x100; v++) {
    if (v == 0x80) continue;
    set_gate(v, irq_stubs + 16 * (v - 0x20), GATE_INTERRUPT, 0);
    n++;
  }
  printk("init_IRQ: %u interrupt gates\n", n);
  *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  printk("local_irq_enable: irq_enabled = 0x200\n");
}

static void console_init(void) {
  printk("console [hvc0] enabled (early console replays the log)\n");
  console_live = 1;
  console_flush_log();
}

static void time_init(void) {
  hc(LHCALL_SET_CLOCKEVENT, TICK_NS, 0, 0);
  *(volatile uint32_t *)&lguest_data.blocked_interrupts &= ~1u;
  clock_running = 1;
  printk("lguest: clockevent armed (%u ns), IRQ 0 unblocked\n", TICK_NS);
  if (lguest_data.tsc_khz == 0) printk("Marking TSC unstable due to could not calculate TSC khz\n");
}

static void calibrate_delay(void) {
  /* Spin with interrupts enabled, no hypercalls and no halts: the Host must inject IRQ 0. */
  const uint32_t ticks = 20;
  uint32_t start = jiffies, loops = 0;
  while (jiffies == start && loops < 0x40000000u) loops++;
  if (jiffies == start) panic("calibrate_delay: no timer tick while spinning");
  start = jiffies;
  uint32_t spins = 0;
  while (jiffies - start < ticks && spins < 0xF0000000u) spins++;
  if (jiffies - start < ticks) panic("calibrate_delay: only %u ticks", jiffies - start);
  printk("Calibrating delay loop... %u ticks counted with interrupts on\n", ticks);
}

/* Paravirt patching: two call sites become the 10-byte store and the 5-byte load (§14.3 step 17). */
static volatile uint32_t pv_op_calls;
void pv_irq_disable(void);
uint32_t pv_save_fl(void);
void pv_irq_disable(void) {
  pv_op_calls = pv_op_calls + 1;
  *(volatile uint32_t *)&lguest_data.irq_enabled = 0;
}
uint32_t pv_save_fl(void) {
  pv_op_calls = pv_op_calls + 1;
  return *(volatile uint32_t *)&lguest_data.irq_enabled;
}
extern uint8_t pv_site_disable[], pv_site_save[];
uint32_t pv_sites(void);
__asm__(
    "\t.text\n\t.globl pv_sites\npv_sites:\n"
    "\t.globl pv_site_disable\npv_site_disable:\n\tcall pv_irq_disable\n\t.byte 0x90,0x90,0x90,0x90,0x90\n"
    "\t.globl pv_site_save\npv_site_save:\n\tcall pv_save_fl\n"
    "\tret\n");

static void check_bugs(void) {
  *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  uint32_t before = pv_sites();
  uint32_t calls_before = pv_op_calls;
  *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  uint32_t addr = (uint32_t)(uintptr_t)&lguest_data.irq_enabled;
  uint8_t store[10] = {0xC7, 0x05, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                       (uint8_t)(addr >> 24), 0, 0, 0, 0};
  uint8_t load[5] = {0xA1, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                     (uint8_t)(addr >> 24)};
  memcpy(pv_site_disable, store, sizeof store);
  memcpy(pv_site_save, load, sizeof load);
  __asm__ volatile("" ::: "memory");
  uint32_t after = pv_sites();
  uint32_t enabled_after = lguest_data.irq_enabled;
  *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  printk("paravirt: before patching %u calls (save_fl 0x%x); patched 2 sites (10 + 5 bytes): %u calls, save_fl 0x%x, irq_enabled 0x%x\n",
         calls_before, before, pv_op_calls - calls_before, after, enabled_after);

  /* The FDIV test under TS(0)/TS(8), then an FPU instruction with TS set: #NM, answered by TS(0). */
  static const double x = 4195835.0, y = 3145727.0;
  int32_t fdiv_bug = -1;
  hc(LHCALL_TS, 0, 0, 0);
  __asm__ volatile(
      "fninit\n\tfldl %1\n\tfdivl %2\n\tfmull %2\n\tfldl %1\n\tfsubp %%st, %%st(1)\n\tfistpl %0\n\tfwait\n\tfninit"
      : "=m"(fdiv_bug)
      : "m"(x), "m"(y)
      : "memory");
  hc(LHCALL_TS, 8, 0, 0);
  uint32_t nm_before = nm_count;
  __asm__ volatile("fninit" ::: "memory");
  printk("check_bugs: FDIV %s; FPU use with TS set took %u #NM\n", fdiv_bug == 0 ? "ok" : "BUG",
         nm_count - nm_before);
}

/* ---- the async ring (§3.3) and kernel threads (§14.4 step 18) ---- */

static uint32_t ring_next;
static int user_dir_loaded;

/* Queues a call in the ring with virtual interrupts off; a full slot means a synchronous call. */
static void async_hcall(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3) {
  volatile uint32_t *ie = &lguest_data.irq_enabled;
  uint32_t flags = *ie;
  *ie = 0;
  volatile uint8_t *status = &lguest_data.hcall_status[ring_next];
  if (*status != LHCALL_STATUS_EMPTY) {
    hc(call, a1, a2, a3);
  } else {
    struct hcall_args *h = &lguest_data.hcalls[ring_next];
    h->arg0 = call;
    h->arg1 = a1;
    h->arg2 = a2;
    h->arg3 = a3;
    h->arg4 = 0;
    __asm__ volatile("lock; addl $0, (%%esp)" ::: "memory");
    *status = 0;
    ring_next = (ring_next + 1) % LHCALL_RING_SIZE;
  }
  *ie = flags;
}

/* A plain set_pte: a memory write, followed by FLUSH_TLB(1) once a non-boot directory has been loaded
   (§7.5). */
static void set_pte_plain(uint32_t *ptep, uint32_t pte) {
  *ptep = pte;
  if (user_dir_loaded) hc(LHCALL_FLUSH_TLB, 1, 0, 0);
}

struct task {
  uint32_t esp;
  uint32_t *pgdir;
  uint32_t stack_top;
  uint32_t gs;
  uint32_t tls[6];
  int fpu_owner;
  const char *name;
};

static struct task init_task = {.pgdir = swapper_pg_dir, .name = "swapper"};
static struct task kthread_task = {.name = "kthreadd"};
static struct task *current_task = &init_task;
static uint8_t kthread_stack[8192] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t kthread_pgdir[1024] __attribute__((aligned(4096), section(".bss.page")));
static volatile uint32_t kthread_tls_word = 0x7115C0DE;
static volatile uint32_t switches;

void switch_stacks(uint32_t *prev_esp, uint32_t next_esp);
__asm__(
    "\t.text\n\t.globl switch_stacks\nswitch_stacks:\n"
    "\tmovl 4(%esp), %eax\n\tmovl 8(%esp), %edx\n"
    "\tpushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n"
    "\tmovl %esp, (%eax)\n\tmovl %edx, %esp\n"
    "\tpopl %edi\n\tpopl %esi\n\tpopl %ebx\n\tpopl %ebp\n\tret\n");

/* The context switch in lazy-CPU mode: the directory if it changes, the kernel stack, %gs := 0 and the
   TLS entries, TS(8) when the FPU owner leaves — all in the ring — then one synchronous FLUSH_ASYNC. */
static void switch_to(struct task *next) {
  struct task *prev = current_task;
  if (next->pgdir != prev->pgdir) {
    async_hcall(LHCALL_NEW_PGTABLE, PA(next->pgdir), 0, 0);
    current_pgdir = next->pgdir;
    if (next->pgdir != swapper_pg_dir && next->pgdir != initial_page_table) user_dir_loaded = 1;
  }
  async_hcall(LHCALL_SET_STACK, KERNEL_DS | 1, next->stack_top, 2);
  __asm__ volatile("movl %%gs, %0" : "=r"(prev->gs));
  __asm__ volatile("movl %0, %%gs" : : "r"(0) : "memory");
  async_hcall(LHCALL_LOAD_TLS, PA(next->tls), 0, 0);
  if (prev->fpu_owner) {
    prev->fpu_owner = 0;
    async_hcall(LHCALL_TS, 8, 0, 0);
  }
  hc(LHCALL_FLUSH_ASYNC, 0, 0, 0);
  switches = switches + 1;
  current_task = next;
  __asm__ volatile("movl %0, %%gs" : : "r"(next->gs) : "memory");
  switch_stacks(&prev->esp, next->esp);
}

static void kthread_main(void) {
  uint32_t tls_value = 0;
  __asm__ volatile("movl %1, %%gs\n\tmovl %%gs:0, %0" : "=r"(tls_value) : "r"(0x33u));
  kthread_task.gs = 0x33;
  uint32_t nm_before = nm_count;
  __asm__ volatile("fninit" ::: "memory");
  kthread_task.fpu_owner = 1;
  printk("kthreadd: running in its own address space, %%gs:0 = 0x%x, first FPU use took %u #NM\n",
         tls_value, nm_count - nm_before);
  switch_to(&init_task);
  panic("kthreadd: switched back to after it was done");
}

static void threads_and_idle(void) {
  /* kthreadd: its own directory (the kernel half of swapper_pg_dir), stack and TLS entry 6. */
  memcpy(&kthread_pgdir[768], &swapper_pg_dir[768], 256 * 4);
  kthread_task.pgdir = kthread_pgdir;
  kthread_task.stack_top = (uint32_t)(uintptr_t)(kthread_stack + sizeof kthread_stack);
  uint32_t base = (uint32_t)(uintptr_t)&kthread_tls_word;
  kthread_task.tls[0] = (base << 16) | 0xFFFF;
  kthread_task.tls[1] = (base & 0xFF000000) | 0x00CFF200 | ((base >> 16) & 0xFF);
  uint32_t *sp = (uint32_t *)(uintptr_t)kthread_task.stack_top;
  *--sp = 0;                                        /* kthread_main's return address: never used */
  *--sp = (uint32_t)(uintptr_t)kthread_main;        /* switch_stacks returns here */
  for (int i = 0; i < 4; i++) *--sp = 0;            /* edi, esi, ebx, ebp */
  kthread_task.esp = (uint32_t)(uintptr_t)sp;
  init_task.stack_top = (uint32_t)(uintptr_t)init_stack_top;

  hc(LHCALL_TS, 0, 0, 0);
  __asm__ volatile("fninit" ::: "memory");
  init_task.fpu_owner = 1;
  switch_to(&kthread_task);
  printk("sched: %u context switches through the async ring (ring at slot %u)\n", switches, ring_next);

  /* The idle loop: HALT with interrupts off, woken by the timer with irq_enabled set to 0x200. */
  uint32_t woken = 0;
  for (int i = 0; i < 3; i++) {
    uint32_t before = jiffies;
    *(volatile uint32_t *)&lguest_data.irq_enabled = 0;
    hc(LHCALL_HALT, 0, 0, 0);
    if (jiffies != before && (lguest_data.irq_enabled & LGUEST_IRQ_ENABLED)) woken++;
    *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  }
  printk("idle: %u of 3 HALTs woken by the timer with interrupts back on\n", woken);
}

/* ---- the lguest bus and virtio drivers (§9, §14.4 steps 19-21, §14.8 items 9-11) ---- */

#define VMALLOC_TABLES 2u
#define VRING_ALIGN 4096u
#define STATUS_ACK 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define VRING_DESC_NEXT 1u
#define VRING_DESC_WRITE 2u
#define VIRTIO_BLK_F_SEG_MAX 2u
#define VIRTIO_BLK_F_FLUSH 9u
#define RX_BUFFERS 4u

static uint32_t vmalloc_tables[VMALLOC_TABLES][1024] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t vmalloc_next, vmalloc_start;

/* ioremap: map [gpa, gpa + len) into the vmalloc area, one SET_PTE per page (set_pte_at), and a
   SET_PGD for each new page table. */
static volatile uint8_t *ioremap(uint32_t gpa, uint32_t len) {
  uint32_t first = gpa & ~0xFFFu, pages = (gpa + len - first + 4095) / 4096;
  uint32_t vaddr = vmalloc_start + vmalloc_next;
  for (uint32_t i = 0; i < pages; i++) {
    uint32_t va = vaddr + i * 4096, pde = va >> 22;
    if (!(swapper_pg_dir[pde] & 1)) {
      uint32_t t = (va - vmalloc_start) >> 22;
      if (t >= VMALLOC_TABLES) panic("ioremap: vmalloc area full");
      swapper_pg_dir[pde] = PA(vmalloc_tables[t]) | PDE_FLAGS;
      hc(LHCALL_SET_PGD, PA(swapper_pg_dir), pde, 0);
    }
    uint32_t *pt = (uint32_t *)(uintptr_t)(PAGE_OFFSET + (swapper_pg_dir[pde] & ~0xFFFu));
    uint32_t pte = (first + i * 4096) | PAGE_KERNEL;
    pt[(va >> 12) & 0x3FF] = pte;
    hc(LHCALL_SET_PTE, PA(swapper_pg_dir), va, pte);
  }
  vmalloc_next += (pages + 1) * 4096; /* a guard page between mappings, as vmalloc leaves */
  return (volatile uint8_t *)(uintptr_t)(vaddr + (gpa - first));
}

struct vq {
  uint32_t num, irq, gpa;
  volatile uint8_t *base;
  volatile uint16_t *avail_flags, *avail_idx, *avail_ring, *used_flags, *used_idx;
  volatile uint32_t *used_ring; /* id, len pairs */
  uint16_t next_avail, last_used, free_head;
};

struct lguest_device {
  uint32_t type, num_vq, feature_len, config_len, gpa;
  volatile uint8_t *desc;
};

static volatile uint8_t *device_page;
static struct lguest_device devices[8];
static uint32_t ndevices;
static struct vq con_rx, con_tx, blk_q;
static volatile uint32_t blk_irqs, con_rx_irqs, con_rx_bytes;
static uint8_t con_rx_buffers[RX_BUFFERS][4096] __attribute__((aligned(4096), section(".bss.page")));
static char con_tx_buffer[4096] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t blk_data[4096] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t blk_header[16];
static volatile uint8_t blk_status;

static void set_status(struct lguest_device *d, uint32_t status, int notify) {
  d->desc[4] = (uint8_t)status;
  if (notify) hc(LHCALL_NOTIFY, d->gpa, 0, 0);
}

static volatile uint8_t *dev_vqconfig(struct lguest_device *d, uint32_t i) {
  return d->desc + 5 + 8 * i;
}

static volatile uint8_t *dev_features(struct lguest_device *d, int accepted) {
  return d->desc + 5 + 8 * d->num_vq + (accepted ? d->feature_len : 0);
}

static volatile uint8_t *dev_config(struct lguest_device *d) {
  return d->desc + 5 + 8 * d->num_vq + 2 * d->feature_len;
}

static int offered(struct lguest_device *d, uint32_t bit) {
  return bit / 8 < d->feature_len && (dev_features(d, 0)[bit / 8] >> (bit % 8)) & 1;
}

/* Status 3 with the accepted bits written, then NOTIFY: the device starts here (§9.2). */
static uint32_t finalize(struct lguest_device *d, const uint32_t *wanted, uint32_t nwanted) {
  volatile uint8_t *acc = dev_features(d, 1);
  uint32_t accepted = 0;
  for (uint32_t i = 0; i < d->feature_len; i++) acc[i] = 0;
  for (uint32_t i = 0; i < nwanted; i++) {
    if (offered(d, wanted[i])) {
      acc[wanted[i] / 8] |= (uint8_t)(1u << (wanted[i] % 8));
      accepted |= 1u << wanted[i];
    }
  }
  set_status(d, STATUS_ACK | STATUS_DRIVER, 1);
  return accepted;
}

static void vq_setup(struct vq *q, struct lguest_device *d, uint32_t i) {
  volatile uint8_t *c = dev_vqconfig(d, i);
  q->num = c[0] | (uint32_t)c[1] << 8;
  q->irq = c[2] | (uint32_t)c[3] << 8;
  q->gpa = (c[4] | (uint32_t)c[5] << 8 | (uint32_t)c[6] << 16 | (uint32_t)c[7] << 24) << 12;
  if (q->num == 0 || q->num > 1024 || (q->num & (q->num - 1)) || q->irq >= 32)
    panic("virtio: queue %u of device type %u is unusable (num %u, irq %u)", i, d->type, q->num, q->irq);
  uint32_t avail = 16 * q->num, used = (avail + 2 * (3 + q->num) + VRING_ALIGN - 1) & ~(VRING_ALIGN - 1);
  q->base = ioremap(q->gpa, used + 6 + 8 * q->num);
  q->avail_flags = (volatile uint16_t *)(q->base + avail);
  q->avail_idx = q->avail_flags + 1;
  q->avail_ring = q->avail_flags + 2;
  q->used_flags = (volatile uint16_t *)(q->base + used);
  q->used_idx = q->used_flags + 1;
  q->used_ring = (volatile uint32_t *)(q->base + used + 4);
  q->next_avail = q->last_used = q->free_head = 0;
}

static void vq_desc(struct vq *q, uint32_t i, uint32_t gpa, uint32_t len, uint32_t flags, uint32_t next) {
  volatile uint32_t *dsc = (volatile uint32_t *)(q->base + 16 * i);
  dsc[0] = gpa;
  dsc[1] = 0;
  dsc[2] = len;
  dsc[3] = flags | next << 16;
}

/* Makes descriptor `head` available and kicks (NOTIFY of the vring's gpa) unless NO_NOTIFY is set. */
static void vq_post(struct vq *q, uint32_t head) {
  q->avail_ring[q->next_avail % q->num] = (uint16_t)head;
  __asm__ volatile("lock; addl $0, (%%esp)" ::: "memory");
  q->next_avail++;
  *q->avail_idx = q->next_avail;
  __asm__ volatile("lock; addl $0, (%%esp)" ::: "memory");
  if (!(*q->used_flags & 1)) hc(LHCALL_NOTIFY, q->gpa, 0, 0);
}

/* One transmit buffer per write, then a spin with interrupts off until the Host has used it. */
static int virtio_console_write(const char *s, uint32_t len) {
  if (!virtio_console_ready) return 0;
  while (len > 0) {
    uint32_t n = 0;
    while (len > 0 && n < sizeof con_tx_buffer - 1) {
      if (*s == '\n') con_tx_buffer[n++] = '\r';
      con_tx_buffer[n++] = *s++;
      len--;
    }
    volatile uint32_t *ie = &lguest_data.irq_enabled;
    uint32_t flags = *ie;
    *ie = 0;
    vq_desc(&con_tx, 0, PA(con_tx_buffer), n, 0, 0);
    vq_post(&con_tx, 0);
    uint32_t spins = 0;
    while (*con_tx.used_idx == con_tx.last_used && ++spins < 0x10000000u) __asm__ volatile("pause");
    if (*con_tx.used_idx == con_tx.last_used) panic("virtio console: transmit buffer never used");
    con_tx.last_used++;
    *ie = flags;
  }
  return 1;
}

static int device_interrupt(uint32_t irq) {
  if (virtio_console_ready && irq == con_rx.irq) {
    con_rx_irqs = con_rx_irqs + 1;
    while (*con_rx.used_idx != con_rx.last_used) {
      uint32_t slot = con_rx.last_used % con_rx.num;
      con_rx_bytes = con_rx_bytes + con_rx.used_ring[2 * slot + 1];
      uint32_t id = con_rx.used_ring[2 * slot];
      con_rx.last_used++;
      vq_post(&con_rx, id); /* re-post the buffer */
    }
    return 1;
  }
  if (blk_q.num && irq == blk_q.irq) {
    blk_irqs = blk_irqs + 1;
    return 1;
  }
  return 0;
}

static const char *device_name(uint32_t type) {
  switch (type) {
    case 1:
      return "net";
    case 2:
      return "block";
    case 3:
      return "console";
    case 4:
      return "rng";
    default:
      return "other";
  }
}

static void lguest_bus_scan(void) {
  vmalloc_start = PAGE_OFFSET + ram_size + 0x800000;
  device_page = ioremap(ram_bytes, 4096);
  for (uint32_t off = 0; off + 5 <= 4096 && device_page[off] != 0 && ndevices < 8;) {
    struct lguest_device *d = &devices[ndevices++];
    d->desc = device_page + off;
    d->gpa = ram_bytes + off;
    d->type = d->desc[0];
    d->num_vq = d->desc[1];
    d->feature_len = d->desc[2];
    d->config_len = d->desc[3];
    set_status(d, 0, 1);
    set_status(d, STATUS_ACK, 0);
    printk("lguest bus: device %u: %s (type %u) at 0x%x, %u queue(s)\n", ndevices - 1,
           device_name(d->type), d->type, d->gpa, d->num_vq);
    off += 5 + 8 * d->num_vq + 2 * d->feature_len + d->config_len;
  }
}

static struct lguest_device *find_device(uint32_t type) {
  for (uint32_t i = 0; i < ndevices; i++)
    if (devices[i].type == type) return &devices[i];
  return 0;
}

static void virtio_console_probe(void) {
  struct lguest_device *d = find_device(3);
  if (!d || d->num_vq < 2) panic("virtio console: no console on the lguest bus");
  finalize(d, 0, 0);
  vq_setup(&con_rx, d, 0);
  vq_setup(&con_tx, d, 1);
  *con_tx.avail_flags = 1; /* NO_INTERRUPT: the transmit queue has no callback */
  lguest_data.blocked_interrupts &= ~(1u << con_rx.irq);
  set_status(d, STATUS_ACK | STATUS_DRIVER | STATUS_DRIVER_OK, 0);
  for (uint32_t i = 0; i < RX_BUFFERS && i < con_rx.num; i++) {
    vq_desc(&con_rx, i, PA(con_rx_buffers[i]), sizeof con_rx_buffers[i], VRING_DESC_WRITE, 0);
    vq_post(&con_rx, i);
  }
  printk("virtio_console: hvc0 on vrings 0x%x (irq %u) and 0x%x (irq %u), %u receive buffers\n", con_rx.gpa,
         con_rx.irq, con_tx.gpa, con_tx.irq, RX_BUFFERS);
  virtio_console_ready = 1;
  printk("virtio_console: early console output ends; this line came through the transmit queue\n");
}

/* Sleeps until the block queue's completion interrupt: interrupts off, check, HALT (the idle loop). */
static void blk_wait(uint32_t irqs_before) {
  for (uint32_t halts = 0; blk_irqs == irqs_before; halts++) {
    if (halts > 1000) panic("virtio_blk: no completion interrupt after %u HALTs", halts);
    *(volatile uint32_t *)&lguest_data.irq_enabled = 0;
    if (blk_irqs != irqs_before) break;
    hc(LHCALL_HALT, 0, 0, 0);
  }
  if (*blk_q.used_idx == blk_q.last_used) panic("virtio_blk: interrupt without a used request");
  *(volatile uint32_t *)&lguest_data.irq_enabled = LGUEST_IRQ_ENABLED;
  blk_q.last_used++;
}

static void virtio_blk_probe(void) {
  struct lguest_device *d = find_device(2);
  if (!d) {
    printk("virtio_blk: no block device\n");
    return;
  }
  static const uint32_t wanted[] = {VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_FLUSH};
  uint32_t accepted = finalize(d, wanted, 2);
  vq_setup(&blk_q, d, 0);
  lguest_data.blocked_interrupts &= ~(1u << blk_q.irq);
  volatile uint8_t *cfg = dev_config(d);
  uint32_t capacity = d->config_len >= 8 ? (cfg[0] | (uint32_t)cfg[1] << 8 | (uint32_t)cfg[2] << 16 | (uint32_t)cfg[3] << 24) : 0;
  set_status(d, STATUS_ACK | STATUS_DRIVER | STATUS_DRIVER_OK, 0);
  printk("virtio_blk: vda: %u 512-byte logical blocks, features 0x%x, vring 0x%x irq %u\n", capacity,
         accepted, blk_q.gpa, blk_q.irq);

  /* The partition table: header (out), 4 KiB of data (in), status byte (in); kicked once. */
  memset(blk_header, 0, sizeof blk_header); /* type 0 IN, ioprio 0, sector 0 */
  blk_status = 0xFF;
  vq_desc(&blk_q, 0, PA(blk_header), sizeof blk_header, VRING_DESC_NEXT, 1);
  vq_desc(&blk_q, 1, PA(blk_data), sizeof blk_data, VRING_DESC_WRITE | VRING_DESC_NEXT, 2);
  vq_desc(&blk_q, 2, PA(&blk_status), 1, VRING_DESC_WRITE, 0);
  uint32_t irqs = blk_irqs;
  vq_post(&blk_q, 0);
  blk_wait(irqs);
  if (blk_status != 0) panic("virtio_blk: reading sector 0 failed with status %u", blk_status);
  const uint8_t *e = blk_data + 0x1BE;
  uint32_t start = e[8] | (uint32_t)e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
  uint32_t size = e[12] | (uint32_t)e[13] << 8 | (uint32_t)e[14] << 16 | (uint32_t)e[15] << 24;
  if (blk_data[510] == 0x55 && blk_data[511] == 0xAA)
    printk(" vda: vda1 (type 0x%x, sectors %u+%u); completion by %u interrupt(s)\n", e[4], start, size,
           blk_irqs - irqs);
  else
    printk(" vda: unknown partition table\n");
}

/* ---- user space (§14.5, §14.8 items 13-14) ---- */

#define USER_CODE 0x08048000u
#define USER_DATA 0x0804A000u
#define USER_STACK 0xBFFFF000u
#define USER_VVAR 0xBFFF0000u
#define USER_PTE 0x007u /* P|RW|US */
#define USER_CS 0x73u
#define USER_DS 0x7Bu
#define SIGSEGV 11u

extern const char user_start[], user_end[];
static uint32_t user_pgdir[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t user_pt_low[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t user_pt_high[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t user_code_page[4096] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t user_data_page[4096] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t user_stack_page[4096] __attribute__((aligned(4096), section(".bss.page")));
static uint32_t vvar_page[1024] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t user_kstack[8192] __attribute__((aligned(4096), section(".bss.page")));
static uint8_t idle_stack[8192] __attribute__((aligned(4096), section(".bss.page")));
static struct task user_task = {.name = "init"};
static struct task idle_task = {.name = "swapper"};
static uint32_t segv_handler;

static uint32_t *user_pte(uint32_t vaddr) {
  return vaddr >= 0x80000000u ? &user_pt_high[(vaddr >> 12) & 0x3FF] : &user_pt_low[(vaddr >> 12) & 0x3FF];
}

/* The demand fault: map the page that backs vaddr with SET_PTE(gpa of the process directory, …). */
static int user_page_fault(struct frame *f) {
  uint32_t addr = lguest_data.cr2, page = addr & ~0xFFFu, backing = 0;
  if (page == USER_CODE) backing = PA(user_code_page);
  if (page == USER_DATA) backing = PA(user_data_page);
  if (page == USER_STACK) backing = PA(user_stack_page);
  if (!backing || (*user_pte(page) & 1)) return 0;
  uint32_t pte = backing | USER_PTE;
  *user_pte(page) = pte;
  hc(LHCALL_SET_PTE, PA(user_pgdir), page, pte);
  printk("init[1]: page fault at 0x%08x (error %u) from eip 0x%08x: page mapped\n", addr, f->error, f->eip);
  return 1;
}

static void idle_main(void) {
  for (;;) switch_to(&user_task);
}

static uint32_t sys_set_thread_area(uint32_t uinfo) {
  volatile uint32_t *u = (volatile uint32_t *)(uintptr_t)uinfo;
  uint32_t base = u[1];
  u[0] = 6;
  user_task.tls[0] = (base << 16) | 0xFFFF;
  user_task.tls[1] = (base & 0xFF000000) | 0x00CFF200 | ((base >> 16) & 0xFF);
  __asm__ volatile("movl %0, %%gs" : : "r"(0) : "memory");
  hc(LHCALL_LOAD_TLS, PA(user_task.tls), 0, 0);
  printk("init[1]: set_thread_area: GDT entry 6, base 0x%08x (LOAD_TLS)\n", base);
  return 0;
}

__attribute__((noreturn)) static void kernel_power_off(void) {
  printk("reboot: Power down\n");
  poweroff();
}

static void sys_call(struct frame *f) {
  switch (f->eax) {
    case 4: {
      char text[128];
      uint32_t n = f->edx < sizeof text - 1 ? f->edx : sizeof text - 1;
      memcpy(text, (const void *)(uintptr_t)f->ecx, n);
      text[n] = 0;
      printk("%s", text);
      f->eax = f->edx;
      return;
    }
    case 20:
      f->eax = 1;
      return;
    case 48:
      segv_handler = f->ecx;
      f->eax = 0;
      return;
    case 88:
      if (f->ebx == 0xfee1deadu && f->ecx == 672274793u && f->edx == 0x4321FEDCu) kernel_power_off();
      f->eax = (uint32_t)-22;
      return;
    case 158:
      switch_to(&idle_task);
      f->eax = 0;
      return;
    case 243:
      f->eax = sys_set_thread_area(f->ebx);
      return;
    default:
      f->eax = (uint32_t)-38;
      return;
  }
}

/* Traps from CPL 3: system calls, demand faults, #NM (lazy FPU) and #GP → SIGSEGV. */
static int user_trap(struct frame *f) {
  switch (f->vector) {
    case 0x80:
      sys_call(f);
      return 1;
    case 14:
      return user_page_fault(f);
    case 7:
      nm_count = nm_count + 1;
      hc(LHCALL_TS, 0, 0, 0);
      user_task.fpu_owner = 1;
      printk("init[1]: #NM from user mode at eip 0x%08x: TS(0)\n", f->eip);
      return 1;
    case 13:
      printk("init[1]: general protection at eip 0x%08x (error %u): SIGSEGV\n", f->eip, f->error);
      if (!segv_handler) return 0;
      f->eip = segv_handler;
      return 1;
    default:
      return 0;
  }
}

void enter_user(uint32_t eip, uint32_t esp);
__asm__(
    "\t.text\n\t.globl enter_user\nenter_user:\n"
    "\tmovl 4(%esp), %eax\n\tmovl 8(%esp), %edx\n"
    "\tpushl $0x7B\n\tpushl %edx\n\tpushl $0x202\n\tpushl $0x73\n\tpushl %eax\n"
    "\tmovl $0x7B, %eax\n\tmovl %eax, %ds\n\tmovl %eax, %es\n"
    "\tjmp lguest_iret\n");

static void user_space(void) {
  /* exec: a new directory with the kernel half copied, loaded synchronously. */
  memcpy(&user_pgdir[768], &swapper_pg_dir[768], 256 * 4);
  current_pgdir = user_pgdir;
  hc(LHCALL_NEW_PGTABLE, PA(user_pgdir), 0, 0);
  user_dir_loaded = 1;
  user_pgdir[USER_CODE >> 22] = PA(user_pt_low) | 0x067;
  hc(LHCALL_SET_PGD, PA(user_pgdir), USER_CODE >> 22, 0);
  user_pgdir[USER_STACK >> 22] = PA(user_pt_high) | 0x067;
  hc(LHCALL_SET_PGD, PA(user_pgdir), USER_STACK >> 22, 0);

  /* The program's text, written through a kmap-style fixmap slot: plain set_pte + FLUSH_TLB(1) now. */
  uint32_t slot = fixaddr_top - 2 * 4096;
  set_pte_plain(&fixmap_pt[(slot >> 12) & 0x3FF], PA(user_code_page) | PAGE_KERNEL);
  memcpy((void *)(uintptr_t)slot, user_start, (uint32_t)(user_end - user_start));
  set_pte_plain(&fixmap_pt[(slot >> 12) & 0x3FF], 0);

  /* The [vvar] page: a lazy-MMU batch (SET_PTE with A set in the ring, then FLUSH_ASYNC). */
  vvar_page[0] = 0x76766172;
  uint32_t vvar_pte = PA(vvar_page) | 0x025; /* P|US|A, read-only */
  *user_pte(USER_VVAR) = vvar_pte;
  async_hcall(LHCALL_SET_PTE, PA(user_pgdir), USER_VVAR, vvar_pte);
  hc(LHCALL_FLUSH_ASYNC, 0, 0, 0);
  printk("Run /init as init process (directory 0x%x, %u bytes of code at 0x%08x)\n", PA(user_pgdir),
         (uint32_t)(user_end - user_start), USER_CODE);

  /* The init task runs on its own kernel stack; an idle task to switch to on sched_yield. */
  user_task.pgdir = user_pgdir;
  user_task.stack_top = (uint32_t)(uintptr_t)(user_kstack + sizeof user_kstack);
  idle_task.pgdir = user_pgdir; /* a kernel thread borrows the address space: no NEW_PGTABLE */
  idle_task.stack_top = (uint32_t)(uintptr_t)(idle_stack + sizeof idle_stack);
  uint32_t *sp = (uint32_t *)(uintptr_t)idle_task.stack_top;
  *--sp = 0;
  *--sp = (uint32_t)(uintptr_t)idle_main;
  for (int i = 0; i < 4; i++) *--sp = 0;
  idle_task.esp = (uint32_t)(uintptr_t)sp;
  current_task = &user_task;
  hc(LHCALL_SET_STACK, KERNEL_DS | 1, user_task.stack_top, 2);
  hc(LHCALL_TS, 8, 0, 0); /* a fresh process does not own the FPU */
  enter_user(USER_CODE, USER_STACK + 4096 - 16);
}

static void start_kernel(void) {
  setup_arch();
  trap_init();
  mem_init();
  init_irq();
  console_init();
  time_init();
  calibrate_delay();
  check_bugs();
  threads_and_idle();
  lguest_bus_scan();
  virtio_console_probe();
  virtio_blk_probe();
  user_space();
  panic("user space returned");
}
