/**
 * What the MMU adds to the page-table constants of `@lguest/abi` (spec §7.1): the frame mask of an
 * entry and the formatting of kill reasons. The flag bits, the switcher address and the cache size
 * themselves are ABI facts and come from `@lguest/abi`.
 */
import { PAGE_FLAGS_MASK } from '@lguest/abi';

/** The page-frame part of an entry. */
export const PTE_FRAME = ~PAGE_FLAGS_MASK >>> 0;

/** Formats a guest number for a kill reason (spec Appendix A: reasons name the offending value). */
export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
