/*
 * A minimal lguest Host on bare metal, for proving the lguest guest runtime on a real x86 CPU model
 * (QEMU) before the project's own CPU exists. qemu-test.sh boots it with QEMU's multiboot loader and
 * the guest image as a module (`-kernel testhost.elf -initrd lguest-<program>.elf`). It loads the
 * guest's PT_LOAD segments into guest RAM [0, 8 MiB) (spec §8.2), builds the GDT of §5.5 (entries 12
 * and 13 flat, DPL 1) and a TSS, points vector 0x1F at a DPL-1 gate and enters the guest at CPL 1
 * (entry.S). It implements only what the runtime uses — LGUEST_INIT (§3.5), NOTIFY as the early
 * console (§9.6), SHUTDOWN (§3.2) and the two no-op calls — and is stricter than a real Host in one
 * place: an early-console string longer than 16 characters kills the guest. Every death prints
 * "killed: <reason>" on COM1, then the host exits through port 0xF4 with MB_EXIT_SUCCESS; a guest
 * CPU exception is reported by the multiboot runtime's trap handler (MB_EXIT_EXCEPTION).
 */
#include <format.h>
#include <io.h>
#include <multiboot.h>
#include <stdint.h>
#include <string.h>

#define GUEST_LIMIT 0x800000u  /* guest RAM: everything below this host's own image */
#define RESERVE_MEM 0x400000u  /* the spec's recommended reserve_mem (§5.4) */
#define SWITCHER_ADDR 0xFFC00000u
#define LGUEST_DATA_SIZE 1392u /* §4 */
#define SHUTDOWN_TEXT 128u
#define CONSOLE_CHUNK 16u
#define HCALL_VECTOR 0x1F
#define MB_INFO_MODS (1u << 3)

enum { HC_FLUSH_ASYNC = 0, HC_LGUEST_INIT = 1, HC_SHUTDOWN = 2, HC_NOTIFY = 17, HC_SEND_INTERRUPTS = 19 };

/* What hypercall_entry (entry.S) leaves on the ring-0 stack. */
struct hcall_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_at_pushal, ebx, edx, ecx, eax;
  uint32_t eip, cs, eflags, esp, ss;
};

struct multiboot_module {
  uint32_t start, end, string, reserved;
};

void enter_guest(uint32_t eip) __attribute__((noreturn));
void hypercall_entry(void);
void testhost_hypercall(struct hcall_frame *f);

static uint32_t gdt[32 * 2] __attribute__((aligned(8)));
static uint32_t idt[32 * 2] __attribute__((aligned(8)));
static uint32_t tss[26] __attribute__((aligned(16))); /* the 104-byte 32-bit TSS */
static uint8_t trap_stack[16384] __attribute__((aligned(16)));
static uint32_t lguest_data_gpa; /* 0 until LGUEST_INIT */

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

static void *gpa(uint32_t addr) {
  return (void *)(uintptr_t)addr;
}

static void set_descriptor(uint32_t *table, unsigned index, uint32_t lo, uint32_t hi) {
  table[2 * index] = lo;
  table[2 * index + 1] = hi;
}

static void hcall_init(uint32_t data) {
  if (lguest_data_gpa) kill_guest("already have lguest_data");
  if (!address_ok(data, LGUEST_DATA_SIZE)) kill_guest("bad guest page %08x", data);
  uint8_t *block = gpa(data);
  uint32_t *words = gpa(data);
  words[1372 / 4] = 0; /* tsc_khz: do not trust the TSC */
  if (words[1388 / 4] != 0x80) kill_guest("bad syscall vector %u", words[1388 / 4]);
  words[12 / 4] = 0; /* time: this host has no wall clock */
  words[16 / 4] = 0;
  words[1368 / 4] = RESERVE_MEM;
  if (words[1384 / 4] >= SWITCHER_ADDR) kill_guest("bad kernel address %08x", words[1384 / 4]);
  /* Not a Host rule, a runtime check: the guest must start with an empty async ring (§3.3). */
  for (unsigned i = 24; i < 88; i++) {
    if (block[i] != 0xFF) kill_guest("hcall_status[%u] is %02x, not 0xFF", i - 24, block[i]);
  }
  lguest_data_gpa = data;
}

static void hcall_notify(uint32_t addr) {
  if (addr >= GUEST_LIMIT) kill_guest("NOTIFY of %08x beyond guest memory", addr);
  const char *s = gpa(addr);
  uint32_t bound = GUEST_LIMIT - addr, len = 0;
  while (len < bound && s[len]) len++;
  if (len > CONSOLE_CHUNK) kill_guest("early console string of %u characters (at most %u)", len, CONSOLE_CHUNK);
  for (uint32_t i = 0; i < len; i++) serial_putc(s[i]);
}

static void hcall_shutdown(uint32_t addr) {
  char text[SHUTDOWN_TEXT];
  if (!address_ok(addr, SHUTDOWN_TEXT)) kill_guest("CRASH: (bad reason address %08x)", addr);
  memcpy(text, gpa(addr), SHUTDOWN_TEXT);
  text[SHUTDOWN_TEXT - 1] = '\0';
  kill_guest("CRASH: %s", text);
}

void testhost_hypercall(struct hcall_frame *f) {
  if (!lguest_data_gpa && f->eax != HC_LGUEST_INIT) kill_guest("hypercall %u before INIT", f->eax);
  switch (f->eax) {
    case HC_LGUEST_INIT:
      hcall_init(f->ebx);
      break;
    case HC_SHUTDOWN:
      hcall_shutdown(f->ebx);
      break;
    case HC_NOTIFY:
      hcall_notify(f->ebx);
      break;
    case HC_FLUSH_ASYNC:
    case HC_SEND_INTERRUPTS:
      break;
    default:
      kill_guest("hypercall %u not implemented by this test host", f->eax);
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
    memcpy(gpa(paddr), elf + offset, filesz);
    memset((uint8_t *)gpa(paddr) + filesz, 0, memsz - filesz);
  }
  *entry = word[6];
  return 1;
}

/* GDT: the multiboot runtime's flat ring-0 code and data (0x08, 0x10), the guest's flat DPL-1 code and
   data at entries 12 and 13 (selectors 0x61 and 0x69 with RPL 1, §5.1, §5.5), and the TSS at 16 (0x80)
   giving the ring-0 stack for gates taken from CPL 1. Its I/O bitmap offset lies past the TSS limit,
   so every port access by the guest faults, as under a real Host (§5.2). */
static void install_segments(void) {
  uint32_t base = (uint32_t)(uintptr_t)tss, limit = sizeof tss - 1;
  set_descriptor(gdt, 1, 0x0000FFFF, 0x00CF9B00);
  set_descriptor(gdt, 2, 0x0000FFFF, 0x00CF9300);
  set_descriptor(gdt, 12, 0x0000FFFF, 0x00CFBB00);
  set_descriptor(gdt, 13, 0x0000FFFF, 0x00CFB300);
  tss[1] = (uint32_t)(uintptr_t)(trap_stack + sizeof trap_stack); /* esp0 */
  tss[2] = 0x10;                                                   /* ss0 */
  tss[25] = (uint32_t)sizeof tss << 16;                            /* I/O bitmap offset */
  set_descriptor(gdt, 16, (base << 16) | (limit & 0xFFFF),
                 (base & 0xFF000000u) | (limit & 0xF0000u) | 0x8900u | ((base >> 16) & 0xFF));
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } pointer = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};
  __asm__ volatile("lgdt %0; ltr %w1" : : "m"(pointer), "r"(0x80) : "memory");
}

/* IDT: the multiboot runtime's exception gates, plus the hypercall gate at 0x1F with DPL 1 so the
   guest's `int $0x1f` at CPL 1 is allowed (from CPL 3 it would raise #GP, as §3.1 says). */
static void install_hypercall_gate(void) {
  struct __attribute__((packed)) {
    uint16_t limit;
    uint32_t base;
  } pointer;
  __asm__ volatile("sidt %0" : "=m"(pointer));
  memcpy(idt, (const void *)(uintptr_t)pointer.base, sizeof idt);
  uint32_t handler = (uint32_t)(uintptr_t)hypercall_entry;
  set_descriptor(idt, HCALL_VECTOR, (0x08u << 16) | (handler & 0xFFFF), (handler & 0xFFFF0000u) | 0xAE00u);
  pointer.limit = sizeof idt - 1;
  pointer.base = (uint32_t)(uintptr_t)idt;
  __asm__ volatile("lidt %0" : : "m"(pointer) : "memory");
}

int main(void) {
  if (!mb_info || !(mb_info->flags & MB_INFO_MODS) || mb_info->mods_count < 1) {
    serial_print("testhost: no guest module (boot with -initrd <guest.elf>)\n");
    return 1;
  }
  const struct multiboot_module *module = (const struct multiboot_module *)(uintptr_t)mb_info->mods_addr;
  uint32_t entry;
  if (!load_guest((const uint8_t *)(uintptr_t)module->start, module->end - module->start, &entry)) return 1;
  /* The guest runs with EFLAGS.IF set (§5.1): mask both PICs so no BIOS-programmed IRQ arrives. */
  outb(0x21, 0xFF);
  outb(0xA1, 0xFF);
  install_segments();
  install_hypercall_gate();
  enter_guest(entry);
}
