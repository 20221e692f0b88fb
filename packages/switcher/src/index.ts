/**
 * `@lguest/switcher`: lguest's world switch for the TypeScript CPU — per-vCPU lguest pages (register
 * frame, guest GDT/IDT copies, ring-1 stack), copy-in by "changed" flags, direct traps (§6.5) and
 * `runGuestOnce()`, which comes back with a trap vector, error code and CR2, a stop, or a spent budget.
 */
export { isDirectTrap } from './direct-traps.js';
export { CHANGED_ALL, CHANGED_GDT, CHANGED_GDT_TLS, CHANGED_IDT, LguestPages } from './lguest-pages.js';
export {
  RUN_BUDGET,
  RUN_STOP,
  RUN_TRAP,
  type RunOutcome,
  Switcher,
  type SwitcherOptions,
} from './switcher.js';
