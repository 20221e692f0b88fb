/**
 * The translation interface: how the CPU turns a linear address into a host frame.
 *
 * The CPU keeps a TLB of `linear page → host frame + rights` and asks a translation provider only
 * when the TLB misses or a cached entry lacks a right. Two providers exist: the standard i386
 * two-level page walk (standalone use, CR0.PG/CR3) in this package, and lguest's shadow page tables
 * in `@lguest/mmu`, where a miss becomes a #PF exit to the Host — the same split as real lguest.
 */
import type { HostFrame } from '@lguest/abi';

/** Kinds of access, as passed to {@link TranslationProvider.translate}. */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_FETCH = 2;
/** One of {@link ACCESS_READ}, {@link ACCESS_WRITE}, {@link ACCESS_FETCH}. */
export type Access = 0 | 1 | 2;

/** #PF error-code bits (also the bits a provider reports). */
export const PF_PRESENT = 1 << 0;
export const PF_WRITE = 1 << 1;
export const PF_USER = 1 << 2;
export const PF_RESERVED = 1 << 3;
export const PF_FETCH = 1 << 4;

/**
 * Marks a failed translation: {@link TranslationProvider.translate} returns `TRANSLATE_FAULT | errorCode`
 * (a negative number), so a #PF error code of 0 is still told apart from success (0).
 */
export const TRANSLATE_FAULT = 0x8000_0000 | 0;

/** Returns true when a `translate` result is a fault. */
export function isTranslateFault(result: number): boolean {
  return result !== 0;
}

/** The preallocated record a provider fills on success (no allocation per translation). */
export interface Translation {
  /** The host frame the linear page maps to. */
  frame: HostFrame | undefined;
  /**
   * Writes may be cached as allowed: the entry permits writes and nothing more must happen on the
   * first write (for the page walk: the dirty bit is already set). A provider may allow one write
   * (return success) yet report `writable = false` so that the next write asks again.
   */
  writable: boolean;
  /** CPL-3 accesses are allowed (the U/S bit of the entry, combined over both levels). */
  user: boolean;
}

/** Makes a fresh, empty {@link Translation} record for a provider's caller to reuse. */
export function createTranslation(): Translation {
  return { frame: undefined, writable: false, user: false };
}

/** What a provider may call back into: the CPU's TLB. */
export interface TlbInvalidator {
  /** Drops whatever the TLB caches for the page holding `linear`. */
  invalidatePage(linear: number): void;
  /** Drops every cached translation. */
  invalidateAll(): void;
}

/**
 * Translates linear addresses for the CPU.
 *
 * `translate` answers one access: it returns 0 and fills `out` when the access (`access` by a
 * CPL-3 accessor if `user`) is allowed now, or `TRANSLATE_FAULT | errorCode` (the #PF error code,
 * P/W/U bits as the hardware sets them) when it is not. On success, `out.writable` and `out.user`
 * are the rights the CPU may cache for later accesses to the page without asking again; on a later
 * access those rights do not cover, the CPU asks once more before raising #PF. Providers never
 * throw for anything the guest controls.
 */
export interface TranslationProvider {
  translate(linear: number, access: Access, user: boolean, out: Translation): number;
  /** Called once when a CPU starts using this provider, so the provider can invalidate its TLB. */
  bind?(tlb: TlbInvalidator): void;
}
