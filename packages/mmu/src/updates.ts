/**
 * The page-table hypercalls (spec §3.2, §7.4, §7.5): `NEW_PGTABLE`, `SET_PTE`, `SET_PGD` and
 * `FLUSH_TLB`, as the Host dispatches them (synchronously or from the async ring). They keep the
 * shadow directories coherent with what the guest told us, so the CPU never uses a translation the
 * guest has invalidated, and they tell the CPU's TLB exactly what changed.
 */
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_PRESENT, PTRS_PER_TABLE } from '@lguest/abi';
import { pinStack } from './pinning.js';
import { hex } from './pte.js';
import type { ShadowDirectory } from './shadow-table.js';
import type { MmuState } from './state.js';

/**
 * `NEW_PGTABLE(gpa)`: the guest loaded `cr3`. The first one ends linear mode; later ones reuse the
 * cached shadow of `gpa` or claim a slot, keeping that slot's kernel part (every guest directory maps
 * the kernel identically) and dropping its user part.
 */
export function newPgtable(s: MmuState, gpa: number): void {
  gpa >>>= 0;
  let repin = false;
  let next: ShadowDirectory;
  if (s.linear) {
    s.linear = false;
    s.cache.reset();
    next = s.cache.claim(gpa).dir;
    repin = true;
  } else {
    const cached = s.cache.find(gpa);
    if (cached !== undefined) {
      next = cached;
    } else {
      const { dir, blank } = s.cache.claim(gpa);
      if (!blank) {
        dir.tag = gpa;
        dir.releaseRange(0, s.kernelIndex);
        // The claimed slot may be the current one: its user part just vanished under the CPU.
        if (dir === s.current) s.notifyAll();
      }
      next = dir;
      repin = blank;
    }
  }
  if (next !== s.current) {
    s.current = next;
    s.notifyAll();
  }
  if (repin) pinStack(s);
}

/**
 * `SET_PTE(pgdir, vaddr, pte)`: the guest changed one PTE. Kernel addresses change in every cached
 * directory, user addresses only in the one tagged `pgdir`. The old shadow entry goes; a new entry
 * the guest has already marked accessed or dirty is installed at once (write-protected until dirty),
 * anything else is left to fault in.
 */
export function setPte(s: MmuState, pgdir: number, vaddr: number, pte: number): void {
  pgdir >>>= 0;
  vaddr >>>= 0;
  pte >>>= 0;
  if (vaddr >= s.switcherAddr) {
    s.killer.kill(`attempt to set pte into Switcher pages at ${hex(vaddr)}`);
    return;
  }
  // The linear directory mirrors no guest table, so a guest entry has nothing to update there.
  if (s.linear) return;
  if (vaddr >= s.kernelAddress) {
    for (const dir of s.cache.slots) {
      if (dir !== undefined && !setPteIn(s, dir, vaddr, pte)) return;
    }
  } else {
    const dir = s.cache.find(pgdir);
    if (dir !== undefined) setPteIn(s, dir, vaddr, pte);
  }
}

/** Applies one `SET_PTE` to one directory. Returns false if the guest was killed. */
function setPteIn(s: MmuState, dir: ShadowDirectory, vaddr: number, pte: number): boolean {
  const table = dir.tables[vaddr >>> 22];
  if (table === undefined) return true;
  if (dir.clear(vaddr)) s.notifyPage(dir, vaddr);
  // A non-present entry maps nothing, so (unlike the reference) its other bits are not checked:
  // Linux keeps swap entries there, whose "pfn" bits are a swap offset.
  if ((pte & PAGE_PRESENT) === 0 || (pte & (PAGE_ACCESSED | PAGE_DIRTY)) === 0) return true;
  if (!s.checkPte(pte, vaddr)) return false;
  return s.install(dir, table, vaddr, pte, table.pdeFlags);
}

/**
 * `SET_PGD(pgdir, index)`: the guest changed one PDE, so the shadow page table under it goes.
 * Index 1024 is accepted and does nothing (the reference's off-by-one bound); above that kills.
 */
export function setPgd(s: MmuState, pgdir: number, index: number): void {
  index >>>= 0;
  if (index > PTRS_PER_TABLE) {
    s.killer.kill(`SET_PGD index ${index} above ${PTRS_PER_TABLE}`);
    return;
  }
  if (s.linear || index === PTRS_PER_TABLE) return;
  const dir = s.cache.find(pgdir >>> 0);
  if (dir === undefined) return;
  dir.releaseTable(index, dir === s.current ? (vaddr) => s.notifyPage(dir, vaddr) : undefined);
}

/**
 * `FLUSH_TLB(all)`: 0 drops the user part of the current directory; non-zero drops every shadow
 * entry everywhere (directories stay cached and tagged) and re-pins the stack.
 */
export function flushTlb(s: MmuState, all: boolean): void {
  if (!all) {
    if (s.current.releaseRange(0, s.kernelIndex)) s.notifyAll();
    return;
  }
  for (const dir of s.directories()) dir.releaseRange(0, PTRS_PER_TABLE);
  s.notifyAll();
  pinStack(s);
}
