/**
 * The cache of shadow directories (spec §7.4): a few slots, each holding the shadow of one guest page
 * directory, found by the guest's `cr3` gpa. `NEW_PGTABLE` reuses a slot tagged with the new gpa or
 * claims another one. The reference host picks the victim at random; we go round-robin so runs (and
 * tests) are deterministic. Only `ShadowMmu`'s operations use this.
 */
import { ShadowDirectory } from './shadow-table.js';

/** Fixed-size cache of {@link ShadowDirectory}s with round-robin replacement. */
export class PgdirCache {
  /** The slots; `undefined` = never allocated since the last {@link PgdirCache.reset}. */
  readonly slots: (ShadowDirectory | undefined)[];
  #cursor = 0;

  constructor(size: number) {
    this.slots = new Array<ShadowDirectory | undefined>(size).fill(undefined);
  }

  /** The directory tagged `tag`, if cached. */
  find(tag: number): ShadowDirectory | undefined {
    for (const dir of this.slots) if (dir !== undefined && dir.tag === tag) return dir;
    return undefined;
  }

  /**
   * Claims the next slot for `tag`. Returns the directory and whether it is blank (newly allocated);
   * a reused directory keeps its old tables: the caller re-tags it and drops its user part.
   */
  claim(tag: number): { dir: ShadowDirectory; blank: boolean } {
    const index = this.#cursor;
    this.#cursor = (index + 1) % this.slots.length;
    const old = this.slots[index];
    if (old !== undefined) return { dir: old, blank: false };
    const dir = new ShadowDirectory(tag);
    this.slots[index] = dir;
    return { dir, blank: true };
  }

  /** Forgets every slot (leaving linear mode: nothing cached so far mirrors a guest directory). */
  reset(): void {
    this.slots.fill(undefined);
    this.#cursor = 0;
  }
}
