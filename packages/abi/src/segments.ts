/**
 * Segments: the guest's GDT layout, selectors and descriptor bit fields (spec §5.1–§5.3, §5.5).
 *
 * The guest runs its kernel at CPL 1 with Linux's i386 GDT; the Host keeps a sanitised copy of that
 * GDT and owns four entries of it. The Host's GDT hypercalls, the Switcher (which installs the copy)
 * and the CPU (which loads segments from it) share these numbers.
 */

/** Entries in the guest GDT (§5.1). */
export const GDT_ENTRIES = 32;
/** Bytes per descriptor: a low and a high 32-bit word. */
export const GDT_ENTRY_SIZE = 8;

/** First TLS entry; `LOAD_TLS` fills entries 6, 7, 8 (§5.1, §5.3). */
export const GDT_ENTRY_TLS_MIN = 6;
/** Number of TLS entries (§5.1). */
export const GDT_ENTRY_TLS_ENTRIES = 3;
/** Host-only flat code segment (§5.1, §5.2). */
export const GDT_ENTRY_LGUEST_CS = 10;
/** Host-only flat data segment (§5.1, §5.2). */
export const GDT_ENTRY_LGUEST_DS = 11;
/** Guest kernel code (§5.1). */
export const GDT_ENTRY_KERNEL_CS = 12;
/** Guest kernel data (§5.1). */
export const GDT_ENTRY_KERNEL_DS = 13;
/** Guest user code (§5.1). */
export const GDT_ENTRY_DEFAULT_USER_CS = 14;
/** Guest user data (§5.1). */
export const GDT_ENTRY_DEFAULT_USER_DS = 15;
/** The TSS; host-owned (§5.1, §5.2). */
export const GDT_ENTRY_TSS = 16;
/** The LDT (never used by a guest: there is no LDT support) (§5.1, §5.3). */
export const GDT_ENTRY_LDT = 17;
/** First of the five PnP BIOS entries, 18–22 (§5.1). */
export const GDT_ENTRY_PNPBIOS_BASE = 18;
/** First of the three APM BIOS entries, 23–25 (§5.1). */
export const GDT_ENTRY_APMBIOS_BASE = 23;
/** ESPFIX stack segment (§5.1). */
export const GDT_ENTRY_ESPFIX_SS = 26;
/** Per-CPU segment (§5.1). */
export const GDT_ENTRY_PERCPU = 27;
/** Stack-canary segment (§5.1). */
export const GDT_ENTRY_STACK_CANARY = 28;
/** PCI BIOS code; PCI BIOS data is the next entry (§5.1). */
export const GDT_ENTRY_PCIBIOS_CS = 29;
/** PCI BIOS data (§5.1). */
export const GDT_ENTRY_PCIBIOS_DS = 30;
/** Double-fault TSS; host-owned (§5.1, §5.2). */
export const GDT_ENTRY_DOUBLEFAULT_TSS = 31;

/** The GDT entries the Host owns: guest writes there are stored but never used or sanitised (§5.2). */
export const HOST_GDT_ENTRIES: readonly number[] = [
  GDT_ENTRY_LGUEST_CS,
  GDT_ENTRY_LGUEST_DS,
  GDT_ENTRY_TSS,
  GDT_ENTRY_DOUBLEFAULT_TSS,
];

/** True for the host-owned GDT entries 10, 11, 16 and 31 (§5.2). */
export function isHostGdtEntry(index: number): boolean {
  return (
    index === GDT_ENTRY_LGUEST_CS ||
    index === GDT_ENTRY_LGUEST_DS ||
    index === GDT_ENTRY_TSS ||
    index === GDT_ENTRY_DOUBLEFAULT_TSS
  );
}

/** Mask of a selector's requested privilege level. */
export const SELECTOR_RPL_MASK = 0x3;
/** Table-indicator bit of a selector (set = LDT, which guests do not have). */
export const SELECTOR_TI = 0x4;
/** A selector's GDT index is `selector >>> SELECTOR_INDEX_SHIFT`. */
export const SELECTOR_INDEX_SHIFT = 3;

/** Builds a GDT selector from an entry index and an RPL. */
export function selector(index: number, rpl: number): number {
  return ((index << SELECTOR_INDEX_SHIFT) | (rpl & SELECTOR_RPL_MASK)) >>> 0;
}

/** Host-only code selector, DPL 0 (§5.1). */
export const LGUEST_CS = 0x50;
/** Host-only data selector, DPL 0 (§5.1). */
export const LGUEST_DS = 0x58;
/** Kernel code selector with RPL 0 (entry 12). */
export const KERNEL_CS = 0x60;
/** Kernel data selector with RPL 0 (entry 13). */
export const KERNEL_DS = 0x68;
/** The guest kernel's code selector: `KERNEL_CS | GUEST_PL` (§5.1, §5.5). */
export const GUEST_KERNEL_CS = 0x61;
/** The guest kernel's stack/data selector: `KERNEL_DS | GUEST_PL` (§5.1, §5.5). */
export const GUEST_KERNEL_DS = 0x69;
/** Guest user code selector (entry 14, RPL 3) (§5.1). */
export const GUEST_USER_CS = 0x73;
/** Guest user data selector (entry 15, RPL 3); the kernel uses it for ds/es too (§5.1). */
export const GUEST_USER_DS = 0x7b;
/** glibc's TLS selector: entry 6, RPL 3 (§5.1). */
export const GUEST_TLS_SELECTOR = 0x33;

// Descriptor high word (the second 32-bit word of an 8-byte descriptor).
/** Base bits 16–23, in the high word's low byte. */
export const DESC_HI_BASE_MID_MASK = 0x0000_00ff;
/** "Accessed" type bit; the Host sets it so the CPU never writes the read-only GDT (§5.3). */
export const DESC_HI_ACCESSED = 0x0000_0100;
/** Type field, bits 8–11 (for system descriptors and gates: the gate type). */
export const DESC_HI_TYPE_MASK = 0x0000_0f00;
/** Shift of the type field. */
export const DESC_HI_TYPE_SHIFT = 8;
/** S bit: code/data (1) rather than system (0). */
export const DESC_HI_S = 0x0000_1000;
/** DPL field, bits 13–14 (§5.3). */
export const DESC_HI_DPL_MASK = 0x0000_6000;
/** Shift of the DPL field. */
export const DESC_HI_DPL_SHIFT = 13;
/** DPL 1, what the Host forces onto a DPL-0 guest descriptor (§5.3). */
export const DESC_HI_DPL1 = 0x0000_2000;
/** Present bit. */
export const DESC_HI_P = 0x0000_8000;
/** Limit bits 16–19. */
export const DESC_HI_LIMIT_HIGH_MASK = 0x000f_0000;
/** Available-for-software bit. */
export const DESC_HI_AVL = 0x0010_0000;
/** Default operand size (1 = 32-bit). */
export const DESC_HI_DB = 0x0040_0000;
/** Granularity (1 = limit in 4 KiB units). */
export const DESC_HI_G = 0x0080_0000;
/** Base bits 24–31. */
export const DESC_HI_BASE_HIGH_MASK = 0xff00_0000;
// Descriptor low word.
/** Limit bits 0–15. */
export const DESC_LO_LIMIT_MASK = 0x0000_ffff;
/** Base bits 0–15, in the low word's upper half. */
export const DESC_LO_BASE_MASK = 0xffff_0000;

/** The DPL (0–3) of a descriptor's high word. */
export function descriptorDpl(hi: number): number {
  return (hi & DESC_HI_DPL_MASK) >>> DESC_HI_DPL_SHIFT;
}

/** The 4-bit type field of a descriptor's high word. */
export function descriptorType(hi: number): number {
  return (hi & DESC_HI_TYPE_MASK) >>> DESC_HI_TYPE_SHIFT;
}

/** The 32-bit base address of a segment descriptor. */
export function descriptorBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & DESC_HI_BASE_MID_MASK) << 16) | (hi & DESC_HI_BASE_HIGH_MASK)) >>> 0;
}

/** The segment limit in bytes minus one (the last valid offset), with granularity applied. */
export function descriptorLimit(lo: number, hi: number): number {
  const raw = (lo & DESC_LO_LIMIT_MASK) | (hi & DESC_HI_LIMIT_HIGH_MASK);
  return (hi & DESC_HI_G ? (raw << 12) | 0xfff : raw) >>> 0;
}

/** Low word of a flat 4 GiB segment (limit 0xFFFFF pages, base 0) (§5.2, §5.5). */
export const FLAT_SEGMENT_LO = 0x0000_ffff;
/** High word of the host's flat code segment, entry 10: DPL 0 (§5.2). */
export const LGUEST_CS_HI = 0x00cf_9b00;
/** High word of the host's flat data segment, entry 11: DPL 0 (§5.2). */
export const LGUEST_DS_HI = 0x00cf_9300;
/** High word of guest entry 12 after INITIALIZE: flat code, DPL 1 (§5.5). */
export const INITIAL_KERNEL_CS_HI = 0x00cf_bb00;
/** High word of guest entry 13 after INITIALIZE: flat data, DPL 1 (§5.5). */
export const INITIAL_KERNEL_DS_HI = 0x00cf_b300;
