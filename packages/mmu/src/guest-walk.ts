/**
 * `guest_pa` (spec §7.3, last paragraph): the Host's side-effect-free walk of the guest's own page
 * tables, used when it emulates an instruction, pushes a trap frame or checks a guest-virtual
 * address. Unlike demand paging it never sets A/D and never touches the shadow tables; a missing
 * level is the guest's fault and kills it.
 */
import { PAGE_PRESENT } from '@lguest/abi';
import { hex, PTE_FRAME } from './pte.js';
import { type MmuState, READ_FAILED } from './state.js';

/** What {@link guestPa} returns after killing: a gpa that fails every range check (`addr + 1` wraps). */
export const BAD_GPA = 0xffff_ffff;

/** Translates guest-virtual `vaddr` to a gpa through the current guest directory (identity in linear mode). */
export function guestPa(s: MmuState, vaddr: number): number {
  vaddr >>>= 0;
  if (s.linear) return vaddr;
  const pde = s.readEntry(s.current.tag + (vaddr >>> 22) * 4);
  if (pde === READ_FAILED) return BAD_GPA;
  if ((pde & PAGE_PRESENT) === 0) {
    s.killer.kill(`Bad address ${hex(vaddr)} (page directory entry ${hex(pde)} not present)`);
    return BAD_GPA;
  }
  const pte = readPte(s, pde, vaddr);
  if (pte === READ_FAILED) return BAD_GPA;
  if ((pte & PAGE_PRESENT) === 0) {
    s.killer.kill(`Bad address ${hex(vaddr)} (page table entry ${hex(pte)} not present)`);
    return BAD_GPA;
  }
  return ((pte & PTE_FRAME) | (vaddr & 0xfff)) >>> 0;
}

/** Reads the guest PTE for `vaddr` from the page table `pde` points at. */
export function readPte(s: MmuState, pde: number, vaddr: number): number {
  return s.readEntry(((pde & PTE_FRAME) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4);
}
