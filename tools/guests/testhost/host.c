/*
 * A small lguest Host on bare metal, for running the lguest guest programs on a real x86 CPU model
 * (QEMU) before the project's own CPU and Host exist. qemu-test.sh boots it with QEMU's multiboot
 * loader and the guest image as a module (`-kernel testhost.elf -initrd lguest-<program>.elf`). It
 * loads the guest's PT_LOAD segments into guest RAM [0, 8 MiB) (spec §8.2) — guest-physical is host
 * physical — writes a one-entry e820 map into boot_params (§8.1), and enters the guest at CPL 1
 * (§5.5). Every guest trap comes to ring 0 through entry.S and testhost_trap(), which does what the
 * spec's Host does: hypercalls with the async ring and the pending-notify order (§3), reflection of
 * traps and delivery of the clock interrupt through the guest's IDT with the §6.3 frame (§6.2–6.6),
 * #GP emulation (§6.9), TS/#NM (§6.10), HALT (§6.8), GDT sanitising and TLS (§5.3), SET_STACK.
 *
 * It is a development check, not a Host, and takes short cuts a real one must not:
 * - paging: the CPU walks the guest's own page tables (gpa = host physical); the host overlays its
 *   image (12 MiB, PDE 3) and a window onto guest RAM (16 MiB, PDEs 4-5) on every directory, and
 *   checks nothing in guest page-table entries (no pfn limit, no PSE check); stack pinning is a
 *   write to each page, so the CPU sets A and D;
 * - the clock is a 1 kHz PIT tick: SET_CLOCKEVENT rounds up to whole milliseconds, and
 *   lguest_data.time counts from a fixed wall-clock start;
 * - an early-console string longer than 16 characters kills (stricter than a Launcher);
 * - restart (SHUTDOWN with 2) prints "killed: ERESTART".
 * Every death prints "killed: <reason>" on COM1, then exits through port 0xF4 with MB_EXIT_SUCCESS;
 * a fault of the host itself prints "testhost: fault …" and exits with MB_EXIT_EXCEPTION.
 */
#include <format.h>
#include <io.h>
#include <multiboot.h>
#include <stdint.h>
#include <string.h>

#define GUEST_LIMIT 0x800000u     /* guest RAM: [0, 8 MiB) */
#define GUEST_WINDOW 0x1000000u   /* where the host sees guest RAM once paging is on */
#define HOST_PDE 3                /* the host image, linked at 12 MiB */
#define WINDOW_PDE 4              /* and 5: the guest RAM window */
#define RESERVE_MEM 0x400000u     /* the spec's recommendation for an emulating Host (§5.4) */
#define SWITCHER_ADDR 0xFFC00000u /* 2^32 - RESERVE_MEM */
#define LGUEST_DATA_SIZE 1392u    /* §4 */
#define SHUTDOWN_TEXT 128u
#define CONSOLE_CHUNK 16u
#define HCALL_VECTOR 0x1F
#define TIMER_VECTOR 0xF0         /* the PIC's IRQ 0, out of the way of the guest's vectors */
#define PIT_DIVISOR 1193u         /* 1193182 Hz / 1193: one tick a millisecond */
#define WALL_CLOCK_START 1700000000u
#define MB_INFO_MODS (1u << 3)

/* lguest_data offsets (§4). */
enum {
  LD_IRQ_ENABLED = 0,
  LD_BLOCKED = 4,
  LD_CR2 = 8,
  LD_TIME_SEC = 12,
  LD_TIME_NSEC = 16,
  LD_IRQ_PENDING = 20,
  LD_STATUS = 24,
  LD_HCALLS = 88,
  LD_RESERVE_MEM = 1368,
  LD_TSC_KHZ = 1372,
  LD_NOIRQ_START = 1376,
  LD_NOIRQ_END = 1380,
  LD_KERNEL_ADDRESS = 1384,
  LD_SYSCALL_VEC = 1388,
};

/* What host_common (entry.S) leaves on the ring-0 stack. esp and ss exist only for a trap from the
   guest (a privilege change); the host's own interrupts and faults have neither. */
struct host_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_at_pushal, ebx, edx, ecx, eax;
  uint32_t vector, error;
  uint32_t eip, cs, eflags, esp, ss;
};

struct multiboot_module {
  uint32_t start, end, string, reserved;
};

void enter_guest(uint32_t eip) __attribute__((noreturn));
void reload_segments(void);
void testhost_trap(struct host_frame *f);
extern const char host_stubs[];

static uint32_t gdt[32 * 2] __attribute__((aligned(8)));
static uint32_t idt[256 * 2] __attribute__((aligned(8)));
static uint32_t guest_idt[256 * 2]; /* the guest's entries as LOAD_IDT_ENTRY stored them (§6.6) */
static uint32_t tss[26] __attribute__((aligned(16)));
static uint8_t trap_stack[32768] __attribute__((aligned(16)));
static uint32_t directory[1024] __attribute__((aligned(4096)));
static uint32_t linear_tables[2][1024] __attribute__((aligned(4096)));
static uint32_t host_table[1024] __attribute__((aligned(4096)));
static uint32_t window_tables[2][1024] __attribute__((aligned(4096)));

static int paging; /* 0 until enter: guest RAM is then seen through the window */
static uint32_t lguest_data; /* gpa; 0 until LGUEST_INIT */
static uint32_t noirq_start, noirq_end, guest_pgdir; /* guest_pgdir 0: linear mode (§7.1) */
static uint32_t irqs_pending, halted, guest_ts, stack_ss, stack_esp, pending_notify, next_hcall;
static uint32_t clock_ms, clock_deadline;
static int clock_armed;
static volatile int pushing_frame; /* volatile: set around the stores into guest stacks that may fault */
/* gpa 0, where boot_params goes; volatile so the compiler does not treat it as a null pointer. */
static volatile uintptr_t boot_page = 0;

__attribute__((noreturn, format(printf, 1, 2))) static void kill_guest(const char *fmt, ...) {
  va_list ap;
  char reason[200];
  va_start(ap, fmt);
  vsnformat(reason, sizeof reason, fmt, ap);
  va_end(ap);
  serial_printf("killed: %s\n", reason);
  exit(MB_EXIT_SUCCESS);
}

/* The fixed range check of §1.3: the whole range below the limit, no 32-bit wrap. */
static int address_ok(uint32_t addr, uint32_t len) {
  return addr + len >= addr && addr + len <= GUEST_LIMIT;
}

/* The host's view of guest-physical memory: identity before paging, the window after. */
static volatile uint8_t *gpa_bytes(uint32_t addr) {
  return (volatile uint8_t *)(uintptr_t)(paging ? GUEST_WINDOW + addr : addr);
}

static uint32_t read_u32(uint32_t addr) {
  if (!address_ok(addr, 4)) kill_guest("bad read at %08x", addr);
  return *(volatile uint32_t *)gpa_bytes(addr);
}

static void write_u32(uint32_t addr, uint32_t value) {
  if (!address_ok(addr, 4)) kill_guest("bad write at %08x", addr);
  *(volatile uint32_t *)gpa_bytes(addr) = value;
}

static void set_descriptor(uint32_t *table, unsigned index, uint32_t lo, uint32_t hi) {
  table[2 * index] = lo;
  table[2 * index + 1] = hi;
}

/* The live page directory: the guest's (or linear mode's 0-8 MiB, P|RW, supervisor) with the host's
   own PDEs on top; reloading CR3 also drops every cached translation. */
static void load_directory(void) {
  static uint32_t next[1024];
  for (unsigned i = 0; i < 1024; i++) {
    if (guest_pgdir) next[i] = read_u32(guest_pgdir + 4 * i);
    else next[i] = i < 2 ? (uint32_t)(uintptr_t)linear_tables[i] | 3 : 0;
  }
  next[HOST_PDE] = (uint32_t)(uintptr_t)host_table | 3;
  next[WINDOW_PDE] = (uint32_t)(uintptr_t)window_tables[0] | 3;
  next[WINDOW_PDE + 1] = (uint32_t)(uintptr_t)window_tables[1] | 3;
  memcpy(directory, next, sizeof directory);
  __asm__ volatile("movl %0, %%cr3" : : "r"(directory) : "memory");
}

static void write_time(void) {
  write_u32(lguest_data + LD_TIME_SEC, WALL_CLOCK_START + clock_ms / 1000);
  write_u32(lguest_data + LD_TIME_NSEC, (clock_ms % 1000) * 1000000u);
}

/* A 4-byte push onto the guest's stack, through the guest's own mapping (an emulator may use
   ordinary virtual writes, §6.3); a fault here is caught in testhost_trap and kills. */
static void push(uint32_t *esp, uint32_t value) {
  *esp -= 4;
  pushing_frame = 1;
  *(volatile uint32_t *)(uintptr_t)*esp = value;
  pushing_frame = 0;
}

/* §7.6 stack pinning, the CPU's way: a locked add of 0 is a write that changes nothing, so the CPU
   sets A and D in the guest's PTE as the Host's demand_page(vaddr, 2) would (a fault kills). */
static void pin_stack(uint32_t pages) {
  for (uint32_t i = 0; i < pages; i++) {
    uint32_t vaddr = stack_esp - 1 - 4096 * i;
    pushing_frame = 1;
    __asm__ volatile("lock; addb $0, (%0)" : : "r"(vaddr) : "memory");
    pushing_frame = 0;
  }
}

/* Delivers vector through the guest's IDT with the frame of §6.3. */
static void reflect(struct host_frame *f, unsigned vector, int has_error, uint32_t error) {
  uint32_t lo = guest_idt[2 * vector], hi = guest_idt[2 * vector + 1];
  if (!(hi & 0x8000)) kill_guest("unhandled trap %u at %08x (%x)", vector, f->eip, error);
  uint32_t esp = f->esp, ss = f->ss;
  if ((f->cs & 3) != 1) {
    esp = stack_esp;
    ss = stack_ss;
    push(&esp, f->ss);
    push(&esp, f->esp);
  }
  uint32_t eflags = f->eflags;
  if (!(read_u32(lguest_data + LD_IRQ_ENABLED) & 0x200)) eflags &= ~0x200u;
  push(&esp, eflags);
  push(&esp, f->cs);
  push(&esp, f->eip);
  if (has_error) push(&esp, error);
  f->ss = ss;
  f->esp = esp;
  f->cs = 0x61;
  f->eip = (lo & 0xFFFF) | (hi & 0xFFFF0000u);
  f->eflags &= ~(0x100u | 0x4000u | 0x10000u | 0x20000u); /* TF, NT, RF, VM (3.12+) */
  if (((hi >> 8) & 0xF) == 0xE) write_u32(lguest_data + LD_IRQ_ENABLED, 0);
}

/* §6.2: the first deliverable interrupt, if the guest can take it now. */
static void deliver_interrupt(struct host_frame *f) {
  if (!lguest_data) return;
  uint32_t deliverable = irqs_pending & ~read_u32(lguest_data + LD_BLOCKED);
  if (!deliverable) return;
  unsigned irq = (unsigned)__builtin_ctz(deliverable);
  int more = (deliverable & ~(1u << irq)) != 0;
  if (f->eip >= noirq_start && f->eip < noirq_end) return;
  if (halted) {
    write_u32(lguest_data + LD_IRQ_ENABLED, 0x200);
    halted = 0;
  } else if (!(read_u32(lguest_data + LD_IRQ_ENABLED) & 0x200)) {
    write_u32(lguest_data + LD_IRQ_PENDING, 0x200);
    return;
  }
  if (!(guest_idt[2 * (0x20 + irq) + 1] & 0x8000)) return;
  irqs_pending &= ~(1u << irq);
  reflect(f, 0x20 + irq, 0, 0);
  write_time();
  if (!more) write_u32(lguest_data + LD_IRQ_PENDING, 0);
}

/* §5.3: DPL 0 becomes 1, the accessed bit is set; the host's own entries are never touched. */
static void load_gdt_entry(unsigned i, uint32_t lo, uint32_t hi) {
  if (i == 10 || i == 11 || i == 16 || i == 31) return;
  if (!(hi & 0x6000)) hi |= 0x2000;
  set_descriptor(gdt, i, lo, hi | 0x100);
}

/* The host's gate for a vector carries the guest gate's DPL, so the CPU makes the int-n privilege
   check itself (§6.5); 0x1F has DPL 1, the timer and not-present entries DPL 0. */
static void set_host_gate(unsigned vector, unsigned dpl) {
  uint32_t stub = (uint32_t)(uintptr_t)host_stubs + 16 * vector;
  set_descriptor(idt, vector, (0x50u << 16) | (stub & 0xFFFF), (stub & 0xFFFF0000u) | 0x8E00u | (dpl << 13));
}

static void load_idt_entry(unsigned n, uint32_t lo, uint32_t hi) {
  if (n == 2 || n == 8 || n == 15 || n == HCALL_VECTOR) return;
  if (n >= 256) kill_guest("Setting idt entry %u", n);
  if (!(hi & 0x8000)) {
    guest_idt[2 * n] = guest_idt[2 * n + 1] = 0;
    set_host_gate(n, 0);
    return;
  }
  unsigned type = (hi >> 8) & 0xF;
  if (type != 0xE && type != 0xF) kill_guest("bad IDT type %u", type);
  guest_idt[2 * n] = 0x00610000u | (lo & 0xFFFF);
  guest_idt[2 * n + 1] = hi & 0xFFFFEF00u;
  set_host_gate(n, (hi >> 13) & 3);
}

/* The Launcher's side of a NOTIFY (§9.6): the early console. */
static void print_notify(uint32_t value) {
  if (value >= GUEST_LIMIT) kill_guest("NOTIFY of %08x beyond guest memory", value);
  volatile const uint8_t *s = gpa_bytes(value);
  uint32_t bound = GUEST_LIMIT - value, len = 0;
  while (len < bound && s[len]) len++;
  if (len > CONSOLE_CHUNK) kill_guest("early console string of %u characters (at most %u)", len, CONSOLE_CHUNK);
  for (uint32_t i = 0; i < len; i++) serial_putc((char)s[i]);
}

static void shutdown(uint32_t addr, uint32_t how) {
  char text[SHUTDOWN_TEXT];
  if (how == 2) kill_guest("ERESTART");
  if (!address_ok(addr, SHUTDOWN_TEXT)) kill_guest("bad SHUTDOWN reason address %08x", addr);
  for (uint32_t i = 0; i < SHUTDOWN_TEXT; i++) text[i] = (char)gpa_bytes(addr)[i];
  text[SHUTDOWN_TEXT - 1] = '\0';
  kill_guest("CRASH: %s", text);
}

/* One hypercall, synchronous or from the ring (§3.2). */
static void run_hypercall(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3) {
  switch (call) {
    case 0:  /* FLUSH_ASYNC: the drain has happened */
    case 19: /* SEND_INTERRUPTS: delivery follows every exit */
      break;
    case 1:
      kill_guest("already have lguest_data");
    case 2:
      shutdown(a1, a2);
      break;
    case 4:
      if (a1 % 4096 || !address_ok(a1, 4096)) kill_guest("bad page directory %08x", a1);
      guest_pgdir = a1;
      load_directory();
      break;
    case 5: /* FLUSH_TLB */
      load_directory();
      break;
    case 6:
      load_idt_entry(a1, a2, a3);
      break;
    case 7:
      if ((a1 & 3) != 1) kill_guest("bad stack segment %x", a1);
      if (a3 > 2) kill_guest("bad stack pages %u", a3);
      stack_ss = a1;
      stack_esp = a2;
      pin_stack(a3);
      break;
    case 8: {
      uint32_t cr0;
      guest_ts = a1;
      __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
      cr0 = a1 ? cr0 | 8 : cr0 & ~8u;
      __asm__ volatile("movl %0, %%cr0" : : "r"(cr0));
      break;
    }
    case 9:
      clock_armed = a1 != 0;
      clock_deadline = clock_ms + a1 / 1000000u + 1;
      break;
    case 10:
      halted = 1;
      break;
    case 14:
      if (a2 >= SWITCHER_ADDR) kill_guest("attempt to set pte into Switcher pages");
      load_directory();
      break;
    case 15:
      if (a2 > 1024) kill_guest("bad SET_PGD index %u", a2);
      load_directory();
      break;
    case 16:
      if (!address_ok(a1, 24)) kill_guest("bad TLS array at %08x", a1);
      for (unsigned i = 0; i < 3; i++) load_gdt_entry(6 + i, read_u32(a1 + 8 * i), read_u32(a1 + 8 * i + 4));
      break;
    case 17:
      pending_notify = a1;
      break;
    case 18:
      if (a1 >= 32) kill_guest("too many gdt entries %u", a1);
      load_gdt_entry(a1, a2, a3);
      break;
    default:
      kill_guest("Bad hypercall %u", call);
  }
}

static void lguest_init(uint32_t data) {
  if (!address_ok(data, LGUEST_DATA_SIZE)) kill_guest("bad guest page %08x", data);
  write_u32(data + LD_TSC_KHZ, 0);
  uint32_t vec = read_u32(data + LD_SYSCALL_VEC);
  if (vec != 0x80) kill_guest("bad syscall vector %u", vec);
  noirq_start = read_u32(data + LD_NOIRQ_START);
  noirq_end = read_u32(data + LD_NOIRQ_END);
  lguest_data = data;
  write_time();
  write_u32(data + LD_RESERVE_MEM, RESERVE_MEM);
  uint32_t kernel_address = read_u32(data + LD_KERNEL_ADDRESS);
  if (kernel_address >= SWITCHER_ADDR) kill_guest("bad kernel address %08x", kernel_address);
}

/* §3.4: drain the ring, then the synchronous call unless a NOTIFY is pending. A pending NOTIFY is
   "returned to the Launcher" (printed) and the loop starts again, as the Launcher's next read()
   would; the synchronous call runs once. */
static void hypercall(struct host_frame *f) {
  if (!lguest_data) {
    if (f->eax != 1) kill_guest("hypercall %u before INIT", f->eax);
    lguest_init(f->ebx);
    return;
  }
  for (;;) {
    for (unsigned n = 0; n < 64; n++) {
      uint32_t slot = next_hcall;
      if (gpa_bytes(lguest_data + LD_STATUS)[slot] == 0xFF) break;
      next_hcall = (next_hcall + 1) % 64;
      uint32_t args = lguest_data + LD_HCALLS + 20 * slot;
      run_hypercall(read_u32(args), read_u32(args + 4), read_u32(args + 8), read_u32(args + 12));
      gpa_bytes(lguest_data + LD_STATUS)[slot] = 0xFF;
      if (pending_notify) break;
    }
    if (pending_notify) {
      print_notify(pending_notify);
      pending_notify = 0;
      continue;
    }
    run_hypercall(f->eax, f->ebx, f->ecx, f->edx);
    if (pending_notify) {
      print_notify(pending_notify);
      pending_notify = 0;
    }
    return;
  }
}

static uint32_t *modrm_register(struct host_frame *f, unsigned rm) {
  uint32_t *regs[8] = {&f->eax, &f->ecx, &f->edx, &f->ebx, &f->esp, &f->ebp, &f->esi, &f->edi};
  return regs[rm & 7];
}

/* §6.9: cli, IN/OUT (imm8 and dx, optional 0x66) and mov from CR4 at CPL 1; 1 if emulated. */
static int emulate(struct host_frame *f) {
  volatile const uint8_t *code = (volatile const uint8_t *)(uintptr_t)f->eip;
  uint8_t op = code[0];
  if (op == 0xFA) {
    f->eip += 1;
    return 1;
  }
  if (op == 0x0F && code[1] == 0x20 && ((code[2] >> 3) & 7) == 4) {
    *modrm_register(f, code[2]) = 0;
    f->eip += 3;
    return 1;
  }
  uint32_t len = 0;
  int word = 0;
  if (op == 0x66) {
    word = 1;
    len = 1;
    op = code[1];
  }
  if ((op & 0xFE) == 0xE4 || (op & 0xFE) == 0xE6) len += 2;
  else if ((op & 0xFE) == 0xEC || (op & 0xFE) == 0xEE) len += 1;
  else return 0;
  if (!(op & 2)) { /* IN */
    if (!(op & 1)) f->eax |= 0xFF;
    else if (word) f->eax |= 0xFFFF;
    else f->eax = 0xFFFFFFFFu;
  }
  f->eip += len;
  return 1;
}

void testhost_trap(struct host_frame *f) {
  unsigned vector = f->vector;
  if (vector == TIMER_VECTOR) {
    clock_ms++;
    if (clock_armed && (int32_t)(clock_ms - clock_deadline) >= 0) {
      clock_armed = 0;
      irqs_pending |= 1;
    }
    outb(0x20, 0x20);
    if ((f->cs & 3) == 0) return; /* it woke the host in HALT below */
  } else if ((f->cs & 3) == 0) {
    uint32_t cr2;
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    if (vector == 14 && pushing_frame) kill_guest("bad stack page or frame push at %08x", cr2);
    serial_printf("testhost: fault %u (error %x) at %08x, cr2 %08x\n", vector, f->error, f->eip, cr2);
    exit(MB_EXIT_EXCEPTION);
  } else if (vector == HCALL_VECTOR) {
    hypercall(f);
  } else if (vector == 7) {
    if (guest_ts) reflect(f, 7, 0, 0);
    else __asm__ volatile("clts");
  } else if (vector == 13) {
    if (!(f->error == 0 && (f->cs & 3) == 1 && emulate(f))) reflect(f, 13, 1, f->error);
  } else if (vector == 14) {
    uint32_t cr2;
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    if (lguest_data) write_u32(lguest_data + LD_CR2, cr2);
    reflect(f, 14, 1, f->error);
  } else {
    reflect(f, vector, vector == 8 || (vector >= 10 && vector <= 14) || vector == 17, f->error);
  }
  /* Before the guest runs again: an interrupt if one is deliverable; while halted, sleep with the
     timer on until one is (§6.8). */
  for (;;) {
    deliver_interrupt(f);
    if (!halted) break;
    __asm__ volatile("sti; hlt; cli" : : : "memory");
  }
}

/* Copies the guest's PT_LOAD segments to their p_paddr, as the Launcher does (§8.2), with bounds. */
static int load_guest(const uint8_t *elf, uint32_t size, uint32_t *entry) {
  if (size < 52 || memcmp(elf, "\177ELF", 4) != 0) return serial_print("testhost: module is no ELF\n"), 0;
  const uint16_t *half = (const uint16_t *)elf;
  const uint32_t *word = (const uint32_t *)elf;
  uint32_t phoff = word[7], phentsize = half[21], phnum = half[22];
  if (half[8] != 2 || half[9] != 3 || phentsize != 32 || phnum < 1 || phoff > size || phnum * 32 > size - phoff) {
    serial_print("testhost: malformed ELF header\n");
    return 0;
  }
  for (uint32_t i = 0; i < phnum; i++) {
    const uint32_t *ph = (const uint32_t *)(elf + phoff + 32 * i);
    uint32_t type = ph[0], offset = ph[1], paddr = ph[3], filesz = ph[4], memsz = ph[5];
    if (type != 1) continue;
    if (filesz > memsz || !address_ok(paddr, memsz) || offset > size || filesz > size - offset) {
      serial_printf("testhost: PT_LOAD %u does not fit guest memory\n", i);
      return 0;
    }
    memcpy((void *)(uintptr_t)paddr, elf + offset, filesz);
    memset((uint8_t *)(uintptr_t)paddr + filesz, 0, memsz - filesz);
  }
  *entry = word[6];
  return 1;
}

/* GDT: the host's flat ring-0 code and data at entries 10 and 11 (0x50, 0x58) and its TSS at 16
   (0x80), as a real Host keeps them (§5.2); the guest's flat DPL-1 code and data at 12 and 13
   (§5.5). The TSS gives the ring-0 stack; its I/O bitmap offset lies past its limit, so every port
   access by the guest faults (§5.2). */
static void install_segments(void) {
  uint32_t base = (uint32_t)(uintptr_t)tss, limit = sizeof tss - 1;
  set_descriptor(gdt, 10, 0x0000FFFF, 0x00CF9B00);
  set_descriptor(gdt, 11, 0x0000FFFF, 0x00CF9300);
  set_descriptor(gdt, 12, 0x0000FFFF, 0x00CFBB00);
  set_descriptor(gdt, 13, 0x0000FFFF, 0x00CFB300);
  tss[1] = (uint32_t)(uintptr_t)(trap_stack + sizeof trap_stack); /* esp0 */
  tss[2] = 0x58;                                                   /* ss0 */
  tss[25] = (uint32_t)sizeof tss << 16;                            /* I/O bitmap offset */
  set_descriptor(gdt, 16, (base << 16) | (limit & 0xFFFF),
                 (base & 0xFF000000u) | (limit & 0xF0000u) | 0x8900u | ((base >> 16) & 0xFF));
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } pointer = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};
  __asm__ volatile("lgdt %0" : : "m"(pointer) : "memory");
  reload_segments();
  __asm__ volatile("ltr %w0" : : "r"(0x80));
}

/* IDT: every vector to its stub; 0x1F with DPL 1 so the guest's int $0x1f at CPL 1 is allowed
   (from CPL 3 it raises #GP, §3.1); the rest DPL 0 until the guest installs a gate. */
static void install_idt(void) {
  for (unsigned v = 0; v < 256; v++) set_host_gate(v, v == HCALL_VECTOR ? 1 : 0);
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } pointer = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
}

/* Both PICs remapped to 0xF0/0xF8 with only IRQ 0 open, and the PIT ticking every millisecond. */
static void install_timer(void) {
  outb(0x20, 0x11);
  outb(0xA0, 0x11);
  outb(0x21, TIMER_VECTOR);
  outb(0xA1, TIMER_VECTOR + 8);
  outb(0x21, 4);
  outb(0xA1, 2);
  outb(0x21, 1);
  outb(0xA1, 1);
  outb(0x21, 0xFE);
  outb(0xA1, 0xFF);
  outb(0x43, 0x34);
  outb(0x40, PIT_DIVISOR & 0xFF);
  outb(0x40, PIT_DIVISOR >> 8);
}

/* Paging on, in linear mode: guest RAM 1:1 (P|RW, supervisor only, §7.1), the host image, and the
   window through which the host reads guest memory whatever the guest maps at low addresses. CR0
   as a guest expects it (§13): PE, MP, NE, WP, PG; EM clear. */
static void install_paging(void) {
  for (uint32_t i = 0; i < 2048; i++) {
    linear_tables[i / 1024][i % 1024] = (i << 12) | 3;
    window_tables[i / 1024][i % 1024] = (i << 12) | 3;
  }
  for (uint32_t i = 0; i < 1024; i++) host_table[i] = (HOST_PDE * 0x400000u + (i << 12)) | 3;
  load_directory();
  uint32_t cr0;
  __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 | 0x80010022u) & ~0x4u;
  __asm__ volatile("movl %0, %%cr0" : : "r"(cr0) : "memory");
  paging = 1;
}

int main(void) {
  if (!mb_info || !(mb_info->flags & MB_INFO_MODS) || mb_info->mods_count < 1) {
    serial_print("testhost: no guest module (boot with -initrd <guest.elf>)\n");
    return 1;
  }
  const struct multiboot_module *module = (const struct multiboot_module *)(uintptr_t)mb_info->mods_addr;
  uint32_t entry;
  if (!load_guest((const uint8_t *)(uintptr_t)module->start, module->end - module->start, &entry)) return 1;
  /* boot_params (§8.1): one e820 entry covering guest RAM, everything else zero. */
  uint8_t *boot = (uint8_t *)boot_page;
  memset(boot, 0, 4096);
  boot[0x1E8] = 1;
  uint32_t e820[5] = {0, 0, GUEST_LIMIT, 0, 1};
  memcpy(boot + 0x2D0, e820, sizeof e820);
  install_segments();
  install_idt();
  install_timer();
  install_paging();
  enter_guest(entry);
}
