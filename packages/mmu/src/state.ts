/**
 * The state one guest's MMU keeps, and the few primitives every MMU operation shares: checked reads
 * and writes of guest page-table entries, the §7.2 validity checks, and installing a shadow entry
 * (telling the CPU's TLB about it). `ShadowMmu` owns one of these; `demand-page.ts`, `updates.ts` and
 * `pinning.ts` operate on it. Guest misbehaviour kills through the `GuestKiller`; nothing here throws.
 */
import {
  type GuestKiller,
  type GuestMemory,
  type HostFrame,
  PAGE_DIRTY,
  PAGE_PRESENT,
  PAGE_PSE,
  PAGE_RW,
  PAGE_USER,
  PDE_ALLOWED_FLAGS,
} from '@lguest/abi';
import type { TlbInvalidator } from '@lguest/x86';
import type { FrameSource } from './frame-source.js';
import { PgdirCache } from './pgdir-cache.js';
import { hex } from './pte.js';
import { NO_TAG, ShadowDirectory, type ShadowPageTable } from './shadow-table.js';

/** A read that failed (the guest is dead); entries themselves are always >= 0. */
export const READ_FAILED = -1;

/** The ring-1 stack the guest registered with `SET_STACK`. */
export interface GuestStack {
  /** `ss1`: the stack segment (RPL 1). */
  ss: number;
  /** `esp1`: the virtual address just above the stack. */
  esp: number;
  /** Pages below `esp` to keep pinned (0–2). */
  pages: number;
}

/** Like `hex`, but shows a directory offset that ran past 2^32 as it is instead of wrapping it. */
function wideHex(addr: number): string {
  return addr > 0xffff_ffff ? `0x${addr.toString(16)}` : hex(addr);
}

/** One guest's shadow-paging state. */
export class MmuState {
  readonly memory: GuestMemory;
  readonly killer: GuestKiller;
  frames: FrameSource;
  readonly switcherAddr: number;
  kernelAddress: number;
  /** §7.1: true until the guest's first `NEW_PGTABLE`. */
  linear = true;
  readonly cache: PgdirCache;
  /** The directory the CPU walks now (in linear mode it is not in the cache: it mirrors no guest table). */
  current: ShadowDirectory = new ShadowDirectory(NO_TAG);
  tlb: TlbInvalidator | undefined;
  readonly stack: GuestStack = { ss: 0, esp: 0, pages: 0 };

  constructor(
    memory: GuestMemory,
    killer: GuestKiller,
    frames: FrameSource,
    switcherAddr: number,
    kernelAddress: number,
    cachedDirectories: number,
  ) {
    this.memory = memory;
    this.killer = killer;
    this.frames = frames;
    this.switcherAddr = switcherAddr;
    this.kernelAddress = kernelAddress;
    this.cache = new PgdirCache(cachedDirectories);
  }

  /** PDE index where the kernel part (shared by every guest directory) starts. */
  get kernelIndex(): number {
    return Math.min(this.kernelAddress >>> 22, this.switcherAddr >>> 22);
  }

  /**
   * Reads the guest entry at `addr` (a plain number that may exceed 2^32: directory gpa + offset is
   * not wrapped, so a directory at the top of the address space cannot alias gpa 0).
   */
  readEntry(addr: number): number {
    if (addr > 0xffff_fffc || !this.memory.addressOk(addr, 4)) {
      this.killer.kill(`bad read address ${wideHex(addr)} len 4 (guest page table)`);
      return READ_FAILED;
    }
    return this.memory.read32(addr);
  }

  /** Writes a guest entry back (after a successful read of the same address, so it cannot fail in practice). */
  writeEntry(addr: number, value: number): void {
    if (addr > 0xffff_fffc || !this.memory.addressOk(addr, 4)) {
      this.killer.kill(`bad write address ${wideHex(addr)} len 4 (guest page table)`);
      return;
    }
    this.memory.write32(addr, value);
  }

  /** §7.2 for a present PDE; kills and returns false when it is bad. */
  checkPde(pde: number, vaddr: number): boolean {
    if ((pde & 0xfff & ~PDE_ALLOWED_FLAGS) !== 0 || pde >>> 12 >= this.memory.pfnLimit) {
      this.killer.kill(`bad page directory entry ${hex(pde)} for ${hex(vaddr)}`);
      return false;
    }
    return true;
  }

  /** §7.2 for a PTE about to be mapped; kills and returns false when it is bad. */
  checkPte(pte: number, vaddr: number): boolean {
    if ((pte & PAGE_PSE) !== 0 || pte >>> 12 >= this.memory.pfnLimit) {
      this.killer.kill(`bad page table entry ${hex(pte)} for ${hex(vaddr)}`);
      return false;
    }
    return true;
  }

  /**
   * Maps `vaddr` in `dir` from a checked, present guest PTE. Rights never exceed the guest's: RW needs
   * RW in both PTE and PDE *and* the dirty bit (a clean page is read-only so its first write faults and
   * the host sets D); US needs US in both. Kills (returns false) if no host frame backs the pfn.
   */
  install(
    dir: ShadowDirectory,
    table: ShadowPageTable,
    vaddr: number,
    pte: number,
    pdeFlags: number,
  ): boolean {
    const pfn = pte >>> 12;
    const frame: HostFrame | undefined = this.frames.frame(pfn);
    if (frame === undefined) {
      this.killer.kill(`cannot get page ${hex(pfn << 12)} for ${hex(vaddr)}`);
      return false;
    }
    let entry = PAGE_PRESENT;
    if ((pte & pdeFlags & PAGE_RW) !== 0 && (pte & PAGE_DIRTY) !== 0) entry |= PAGE_RW;
    if ((pte & pdeFlags & PAGE_USER) !== 0) entry |= PAGE_USER;
    if (dir.set(table, vaddr, ((pfn << 12) | entry) >>> 0, frame)) this.notifyPage(dir, vaddr);
    return true;
  }

  /** Tells the CPU a page of `dir` changed (only the current directory can be in its TLB). */
  notifyPage(dir: ShadowDirectory, vaddr: number): void {
    if (dir === this.current) this.tlb?.invalidatePage(vaddr);
  }

  /** Tells the CPU everything it cached from the current directory is gone. */
  notifyAll(): void {
    this.tlb?.invalidateAll();
  }

  /** Every shadow directory that exists: the cached ones, or the linear one. */
  directories(): ShadowDirectory[] {
    if (this.linear) return [this.current];
    const dirs: ShadowDirectory[] = [];
    for (const dir of this.cache.slots) if (dir !== undefined) dirs.push(dir);
    return dirs;
  }
}
