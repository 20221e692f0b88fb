/**
 * `demand_page(vaddr, errcode)` (spec §7.3): what the Host does when the guest takes a #PF — the
 * shadow tables had no usable entry, so the CPU exited with trap 14. We look at the guest's own
 * tables: if they allow the access we fill the shadow entry (setting the guest's accessed and dirty
 * bits as a real CPU would) and the guest retries; if not, the Host reflects the #PF to the guest.
 * Also used by stack pinning.
 */
import {
  LINEAR_MODE_PDE_FLAGS,
  LINEAR_MODE_PTE_FLAGS,
  PAGE_ACCESSED,
  PAGE_DIRTY,
  PAGE_PRESENT,
  PAGE_RW,
  PAGE_USER,
} from '@lguest/abi';
import { PF_USER, PF_WRITE } from '@lguest/x86';
import { readPte } from './guest-walk.js';
import { PTE_FRAME } from './pte.js';
import { type MmuState, READ_FAILED } from './state.js';

/**
 * Handles a guest page fault at `vaddr` with hardware error code `errcode` (bit 1 write, bit 2 user;
 * bit 0 is ignored). Returns true when the shadow entry now allows the access, false when the fault
 * belongs to the guest (or the guest was killed for a bad entry).
 */
export function demandPage(s: MmuState, vaddr: number, errcode: number): boolean {
  vaddr >>>= 0;
  // Nothing is ever mapped in the switcher region, not even if the guest's tables say so.
  if (vaddr >= s.switcherAddr) return false;

  let pde: number;
  let pte: number;
  let pteAddr = -1;
  if (s.linear) {
    pde = LINEAR_MODE_PDE_FLAGS;
    pte = ((vaddr & PTE_FRAME) | LINEAR_MODE_PTE_FLAGS) >>> 0;
  } else {
    pde = s.readEntry(s.current.tag + (vaddr >>> 22) * 4);
    if (pde === READ_FAILED || (pde & PAGE_PRESENT) === 0) return false;
    if (!s.checkPde(pde, vaddr)) return false;
    pteAddr = ((pde & PTE_FRAME) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
    pte = readPte(s, pde, vaddr);
    if (pte === READ_FAILED || (pte & PAGE_PRESENT) === 0) return false;
  }

  const write = (errcode & PF_WRITE) !== 0;
  // Rights are those of PDE and PTE together, as the hardware combines them; checking only the PTE
  // (as the reference does) would install an entry the retried access faults on again, for ever.
  if (write && (pte & pde & PAGE_RW) === 0) return false;
  if ((errcode & PF_USER) !== 0 && (pte & pde & PAGE_USER) === 0) return false;
  if (!s.checkPte(pte, vaddr)) return false;

  const updated = (pte | PAGE_ACCESSED | (write ? PAGE_DIRTY : 0)) >>> 0;
  const dir = s.current;
  if (!s.install(dir, dir.tableFor(vaddr, pde), vaddr, updated, pde)) return false;
  // Linear mode has no guest entry to write back to.
  if (pteAddr >= 0 && updated !== pte) s.writeEntry(pteAddr, updated);
  return true;
}
