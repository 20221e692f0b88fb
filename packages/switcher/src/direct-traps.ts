/**
 * Direct traps (spec §6.5): which guest gates the CPU may enter without leaving to the Host. The
 * Switcher asks this for each vector when the guest IDT changed; every other vector becomes an exit.
 *
 * lguest's rule, kept exactly: a vector below 32 or the guest's system-call vector, never 7 (#NM, the
 * Host's lazy-FPU hook), 13 (#GP, emulation), 14 (#PF, shadow paging) or 0x1F (hypercalls), and only
 * through a trap gate — an interrupt gate must clear the guest's virtual IF in `lguest_data`, which
 * only the Host can do.
 */
import {
  FIRST_EXTERNAL_VECTOR,
  GATE_TYPE_TRAP,
  gatePresent,
  gateType,
  LGUEST_TRAP_ENTRY,
  X86_TRAP_GP,
  X86_TRAP_NM,
  X86_TRAP_PF,
} from '@lguest/abi';

/** True when guest gate `hi` for `vector` may be delivered by the CPU straight into the guest. */
export function isDirectTrap(vector: number, hi: number, syscallVector: number): boolean {
  if (vector >= FIRST_EXTERNAL_VECTOR && vector !== syscallVector) return false;
  if (
    vector === X86_TRAP_NM ||
    vector === X86_TRAP_GP ||
    vector === X86_TRAP_PF ||
    vector === LGUEST_TRAP_ENTRY
  ) {
    return false;
  }
  return gatePresent(hi) && gateType(hi) === GATE_TYPE_TRAP;
}
