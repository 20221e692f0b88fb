/**
 * `ShadowMmu`: one guest's shadow paging, lguest's `page_tables.c`. The CPU sees it as a
 * `TranslationProvider` whose `translate` walks only the shadow tables (the "hardware" walk; a miss
 * is a #PF exit to the Host); the Host calls `demandPage` for that #PF, `guestPa` for its own guest
 * accesses, and the page-table hypercalls. Construct one per guest after `LHREQ_INITIALIZE`.
 */
import {
  GUEST_KERNEL_ADDRESS,
  type GuestKiller,
  type GuestMemory,
  LGUEST_SHADOW_PGDIRS,
  LGUEST_SWITCHER_ADDR,
  PAGE_PRESENT,
  PAGE_RW,
  PAGE_USER,
  PTRS_PER_TABLE,
} from '@lguest/abi';
import {
  ACCESS_WRITE,
  type Access,
  PF_PRESENT,
  PF_USER,
  PF_WRITE,
  type TlbInvalidator,
  TRANSLATE_FAULT,
  type Translation,
  type TranslationProvider,
} from '@lguest/x86';
import { demandPage } from './demand-page.js';
import type { FrameSource } from './frame-source.js';
import { guestPa } from './guest-walk.js';
import { pinStack, setStack } from './pinning.js';
import { hex } from './pte.js';
import { MmuState } from './state.js';
import { flushTlb, newPgtable, setPgd, setPte } from './updates.js';

/** Options for {@link ShadowMmu}. */
export interface ShadowMmuOptions {
  /** The guest's physical memory; every guest page-table read and write-back goes through its checks. */
  memory: GuestMemory;
  /** Where kill reasons go (the Host's death record). */
  killer: GuestKiller;
  /** Host frames behind guest pfns. Default: the guest's own RAM, `memory.frame(pfn)`. */
  frames?: FrameSource;
  /**
   * Start of the reserved switcher region (§5.4): never mapped, `SET_PTE` there kills. Default
   * 0xFFC00000 (the spec's recommendation, `reserve_mem` 4 MiB). Must be a page boundary.
   */
  switcherAddr?: number;
  /**
   * The guest's `kernel_address` (§4). The Host normally sets it with {@link ShadowMmu.lguestInit};
   * until then it is 0xC0000000, Linux's `PAGE_OFFSET` (no page-table hypercall can come before INIT).
   */
  kernelAddress?: number;
  /** Shadow directories kept (§7.4). Default 4, as the reference host. */
  cachedDirectories?: number;
}

/** Shadow page tables for one guest, kept exactly as the guest ABI (spec §7) expects. */
export class ShadowMmu implements TranslationProvider {
  readonly #s: MmuState;

  constructor(options: ShadowMmuOptions) {
    const switcherAddr = (options.switcherAddr ?? LGUEST_SWITCHER_ADDR) >>> 0;
    if ((switcherAddr & 0xfff) !== 0 || switcherAddr === 0) {
      throw new RangeError(`switcher address ${hex(switcherAddr)} is not a non-zero page boundary`);
    }
    const cached = options.cachedDirectories ?? LGUEST_SHADOW_PGDIRS;
    if (!Number.isInteger(cached) || cached < 1) {
      throw new RangeError(`cannot cache ${cached} directories`);
    }
    const memory = options.memory;
    this.#s = new MmuState(
      memory,
      options.killer,
      options.frames ?? memory,
      switcherAddr,
      (options.kernelAddress ?? GUEST_KERNEL_ADDRESS) >>> 0,
      cached,
    );
  }

  // --- the CPU's side -------------------------------------------------------------------------

  /** Remembers the CPU's TLB so every later shadow change invalidates exactly what it affects. */
  bind(tlb: TlbInvalidator): void {
    this.#s.tlb = tlb;
    tlb.invalidateAll();
  }

  /**
   * The hardware walk of the shadow tables: fills `out` and returns 0 when the current shadow
   * directory allows the access, else `TRANSLATE_FAULT | errorCode` (P set when a shadow entry exists
   * but lacks the right). Never reads the guest's page tables; never allocates.
   */
  translate(linear: number, access: Access, user: boolean, out: Translation): number {
    const write = access === ACCESS_WRITE;
    const code = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
    const table = this.#s.current.tables[linear >>> 22];
    if (table === undefined) return TRANSLATE_FAULT | code;
    const i = (linear >>> 12) & 0x3ff;
    const entry = table.entries[i];
    if ((entry & PAGE_PRESENT) === 0) return TRANSLATE_FAULT | code;
    if ((write && (entry & PAGE_RW) === 0) || (user && (entry & PAGE_USER) === 0)) {
      return TRANSLATE_FAULT | code | PF_PRESENT;
    }
    out.frame = table.frames[i];
    out.writable = (entry & PAGE_RW) !== 0;
    out.user = (entry & PAGE_USER) !== 0;
    return 0;
  }

  // --- the Host's side ------------------------------------------------------------------------

  /**
   * `demand_page` (§7.3) for a guest #PF at `vaddr` (the CPU's CR2) with `errcode`. True: retry the
   * instruction. False: reflect the #PF to the guest (unless the guest was killed meanwhile).
   */
  demandPage(vaddr: number, errcode: number): boolean {
    return demandPage(this.#s, vaddr, errcode);
  }

  /** `guest_pa` (§7.3): gpa of guest-virtual `vaddr`; kills "Bad address" and returns 0xFFFFFFFF on failure. */
  guestPa(vaddr: number): number {
    return guestPa(this.#s, vaddr);
  }

  /**
   * The MMU's part of `LGUEST_INIT` (§3.5 steps 6–7): records `kernel_address`, kills "bad kernel
   * address" if it reaches the switcher region, and drops all shadow tables. Returns false if killed.
   * The Host writes {@link ShadowMmu.reserveMem} into `lguest_data.reserve_mem`.
   */
  lguestInit(kernelAddress: number): boolean {
    kernelAddress >>>= 0;
    if (kernelAddress >= this.#s.switcherAddr) {
      this.#s.killer.kill(`bad kernel address ${hex(kernelAddress)}`);
      return false;
    }
    this.#s.kernelAddress = kernelAddress;
    flushTlb(this.#s, true);
    return !this.#s.killer.dead;
  }

  /** `NEW_PGTABLE(gpa)` (§7.4). */
  newPgtable(gpa: number): void {
    newPgtable(this.#s, gpa);
  }

  /** `SET_PTE(pgdir, vaddr, pte)` (§7.5). */
  setPte(pgdir: number, vaddr: number, pte: number): void {
    setPte(this.#s, pgdir, vaddr, pte);
  }

  /** `SET_PGD(pgdir, index)` (§7.5). */
  setPgd(pgdir: number, index: number): void {
    setPgd(this.#s, pgdir, index);
  }

  /** `FLUSH_TLB(arg)` (§7.5): `all` is the argument being non-zero. */
  flushTlb(all: boolean): void {
    flushTlb(this.#s, all);
  }

  /**
   * Drops every shadow entry and re-pins the stack: what the Host does whenever the shadow tables may
   * be wrong wholesale (after LGUEST_INIT, after patching guest code, after remapping many frames).
   */
  flushAll(): void {
    flushTlb(this.#s, true);
  }

  /**
   * `SET_STACK(ss, esp, pages)` (§3.2, §7.6): kills on a bad segment or page count, records the ring-1
   * stack and pins it. Returns false if the guest was killed.
   */
  setStack(ss: number, esp: number, pages: number): boolean {
    return setStack(this.#s, ss, esp, pages);
  }

  /** Re-runs stack pinning (§7.6) in the current directory. Returns false if the guest was killed. */
  pinStack(): boolean {
    return pinStack(this.#s);
  }

  /**
   * The frame source changed what backs guest page `pfn` (a grant was mapped or unmapped): drop every
   * shadow entry pointing at the old frame, so the next access faults in the new one.
   */
  frameSourceChanged(pfn: number): void {
    pfn >>>= 0;
    const s = this.#s;
    for (const dir of s.directories()) {
      for (let pd = 0; pd < PTRS_PER_TABLE; pd++) {
        const table = dir.tables[pd];
        if (table === undefined) continue;
        for (let i = 0; i < PTRS_PER_TABLE; i++) {
          const entry = table.entries[i];
          if ((entry & PAGE_PRESENT) === 0 || entry >>> 12 !== pfn) continue;
          const vaddr = ((pd << 22) | (i << 12)) >>> 0;
          dir.clear(vaddr);
          s.notifyPage(dir, vaddr);
        }
      }
    }
  }

  // --- what the Host and Switcher read --------------------------------------------------------

  /** True until the guest's first `NEW_PGTABLE` (§7.1). */
  get linear(): boolean {
    return this.#s.linear;
  }

  /** The guest's current page-directory gpa (its `cr3`), or `undefined` in linear mode. */
  get pgdir(): number | undefined {
    return this.#s.linear ? undefined : this.#s.current.tag;
  }

  /** The guest directories whose shadows are cached, by slot (`undefined` = free slot). */
  get cachedPgdirs(): (number | undefined)[] {
    if (this.#s.linear) return this.#s.cache.slots.map(() => undefined);
    return this.#s.cache.slots.map((dir) => dir?.tag);
  }

  /** Start of the reserved switcher region. */
  get switcherAddr(): number {
    return this.#s.switcherAddr;
  }

  /** `reserve_mem` for `lguest_data` (§3.5): 2^32 − switcher address. */
  get reserveMem(): number {
    return 0x1_0000_0000 - this.#s.switcherAddr;
  }

  /** The guest's `kernel_address`. */
  get kernelAddress(): number {
    return this.#s.kernelAddress;
  }

  /** The ring-1 stack from the last good `SET_STACK` (the Switcher's `ss1`/`esp1`). */
  get stack(): Readonly<{ ss: number; esp: number; pages: number }> {
    return this.#s.stack;
  }

  /** Where frames come from. */
  get frames(): FrameSource {
    return this.#s.frames;
  }
}
