/**
 * Guest page tables and the switcher region (spec §5.4, §7).
 *
 * A profile-M guest uses plain i386 two-level tables with 4 KiB pages; the MMU walks them, checks
 * them with these flag masks and keeps the top of the address space (the switcher region) unmapped.
 */

/** Entries per page directory and per page table. */
export const PTRS_PER_TABLE = 1024;
/** `vaddr >>> PGDIR_SHIFT` is the page-directory index (§7.3). */
export const PGDIR_SHIFT = 22;

/** Present (§7.1). */
export const PAGE_PRESENT = 0x001;
/** Writable (§7.1). */
export const PAGE_RW = 0x002;
/** User-accessible (§7.1). */
export const PAGE_USER = 0x004;
/** Write-through (§7.1). */
export const PAGE_PWT = 0x008;
/** Cache-disable (§7.1). */
export const PAGE_PCD = 0x010;
/** Accessed (§7.1). */
export const PAGE_ACCESSED = 0x020;
/** Dirty (§7.1). */
export const PAGE_DIRTY = 0x040;
/** PSE in a PDE, PAT in a PTE; a PTE with it set kills (§7.1, §7.2). */
export const PAGE_PSE = 0x080;
/** Global (§7.1); ignored by the Host (§7.3). */
export const PAGE_GLOBAL = 0x100;
/** The flag bits of an entry (the rest is the pfn). */
export const PAGE_FLAGS_MASK = 0xfff;

/** Flags a present PDE may carry: P|RW|US|A|D; anything else kills (§7.2). */
export const PDE_ALLOWED_FLAGS = 0x067;
/** The PDE linear mode behaves as if it read (§7.3 step 2). */
export const LINEAR_MODE_PDE_FLAGS = 0x067;
/** The PTE flags of linear mode: P|RW, supervisor only (§7.1, §7.3 step 2). */
export const LINEAR_MODE_PTE_FLAGS = 0x003;

/** #PF error code bit: the page was present (§6.11). */
export const PF_ERROR_PRESENT = 0x1;
/** #PF error code bit: the access was a write (§6.11, §7.3). */
export const PF_ERROR_WRITE = 0x2;
/** #PF error code bit: the access came from CPL 3 (§6.11, §7.3). */
export const PF_ERROR_USER = 0x4;

/** Shadow page directories the Host caches (§7.4). */
export const LGUEST_SHADOW_PGDIRS = 4;
/** Recommended switcher address for an emulating host (§5.4). */
export const LGUEST_SWITCHER_ADDR = 0xffc0_0000;
/** Recommended `reserve_mem`: `2^32 − LGUEST_SWITCHER_ADDR` (§5.4). */
export const LGUEST_RESERVE_MEM = 0x40_0000;
/** The usual guest `PAGE_OFFSET`, reported in `lguest_data.kernel_address` (§4). */
export const GUEST_KERNEL_ADDRESS = 0xc000_0000;
