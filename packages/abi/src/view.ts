/**
 * The shape of every zero-copy view in this package.
 *
 * A view is a small object made once per struct instance (or once per walk, and re-aimed with
 * {@link GuestStructView.at}) that remembers a {@link GuestMemory} and the struct's gpa. Each field is
 * a pair of methods, `field()` and `setField(value)`, that read or write the guest's bytes directly
 * through the checked accessors of {@link GuestMemory}: no object is made per access, and a bad
 * address behaves as GuestMemory says (reads give 0, writes are dropped and return false, the fault
 * hook hears of it). Views never throw for guest data; they throw `RangeError` only for host bugs,
 * such as an array index past the end of a fixed-size array the host itself chose.
 */
import type { FieldLayout } from './layout.js';
import type { GuestMemory } from './memory.js';

/** Base of the struct views: the memory, the struct's gpa, and size-generic field access. */
export abstract class GuestStructView {
  /** The guest memory the view reads and writes through. */
  readonly memory: GuestMemory;
  /** Guest-physical address of the struct. Re-aim the view with {@link GuestStructView.at}. */
  gpa: number;

  constructor(memory: GuestMemory, gpa = 0) {
    this.memory = memory;
    this.gpa = gpa >>> 0;
  }

  /** The struct's size in bytes (for variable-sized structs, as its current header says). */
  abstract get size(): number;

  /** Points the view at another struct of the same kind; returns the view. */
  at(gpa: number): this {
    this.gpa = gpa >>> 0;
    return this;
  }

  /** True when the whole struct lies inside guest memory (checked without calling the fault hook). */
  fits(): boolean {
    return this.memory.addressOk(this.gpa, this.size);
  }

  /** Reads a 1-, 2- or 4-byte unsigned field by its layout entry. */
  readField(field: FieldLayout): number {
    const addr = this.gpa + field.offset;
    switch (field.size) {
      case 1:
        return this.memory.read8(addr);
      case 2:
        return this.memory.read16(addr);
      case 4:
        return this.memory.read32(addr);
      default:
        throw new RangeError(`readField handles 1-, 2- and 4-byte fields, not ${field.size}`);
    }
  }

  /** Writes a 1-, 2- or 4-byte field by its layout entry; false if the write was dropped. */
  writeField(field: FieldLayout, value: number): boolean {
    const addr = this.gpa + field.offset;
    switch (field.size) {
      case 1:
        return this.memory.write8(addr, value);
      case 2:
        return this.memory.write16(addr, value);
      case 4:
        return this.memory.write32(addr, value);
      default:
        throw new RangeError(`writeField handles 1-, 2- and 4-byte fields, not ${field.size}`);
    }
  }
}
