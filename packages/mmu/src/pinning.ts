/**
 * Stack pinning (spec §7.6) and the `SET_STACK` hypercall (§3.2). The guest's ring-1 stack is where
 * the CPU pushes a trap frame when the guest is interrupted in user mode; on real hardware a fault
 * while pushing it would be a double fault, so the host maps those pages writable up front — after
 * `SET_STACK`, after a full flush, and whenever a blank shadow directory is allocated. We keep the
 * rule and its side effect (A and D set in the guest's PTEs) exactly.
 */
import { PAGE_RW } from '@lguest/abi';
import { PF_WRITE } from '@lguest/x86';
import { demandPage } from './demand-page.js';
import { hex } from './pte.js';
import type { MmuState } from './state.js';

/** The most stack pages a guest may ask to pin (its `THREAD_SIZE` is 8 KiB). */
export const MAX_STACK_PAGES = 2;

/** `SET_STACK(ss, esp, pages)`: validates, records and pins the stack. Returns false if the guest was killed. */
export function setStack(s: MmuState, ss: number, esp: number, pages: number): boolean {
  ss >>>= 0;
  pages >>>= 0;
  if ((ss & 3) !== 1) {
    s.killer.kill(`bad stack segment ${hex(ss)}`);
    return false;
  }
  if (pages > MAX_STACK_PAGES) {
    s.killer.kill(`bad stack pages ${pages}`);
    return false;
  }
  s.stack.ss = ss;
  s.stack.esp = esp >>> 0;
  s.stack.pages = pages;
  return pinStack(s);
}

/** Makes every stack page writable in the current shadow directory. Returns false if the guest was killed. */
export function pinStack(s: MmuState): boolean {
  for (let i = 0; i < s.stack.pages; i++) {
    const vaddr = (s.stack.esp - 1 - 4096 * i) >>> 0;
    if ((s.current.entry(vaddr) & PAGE_RW) !== 0) continue;
    if (!demandPage(s, vaddr, PF_WRITE)) {
      s.killer.kill(`bad stack page ${hex(vaddr)}`);
      return false;
    }
  }
  return true;
}
