import { constants as bufferConstants } from 'node:buffer';
import { DEVICE_PAGES, LGUEST_SWITCHER_ADDR } from '@lguest/abi';
import { describe, expect, it } from 'vitest';
import { DEVICE_AREA_BYTES, MAX_GUEST_SPACE, MAX_MEMORY_MIB, memoryLayout } from './layout.js';

describe('the memory layout (§10.1, §5.4)', () => {
  it('puts the device page right above RAM and reserves 256 pages there', () => {
    expect(DEVICE_AREA_BYTES).toBe(DEVICE_PAGES * 4096);
    expect(memoryLayout(64)).toEqual({
      ramBytes: 0x400_0000,
      devicePageGpa: 0x400_0000,
      bufferBytes: 0x400_0000 + 256 * 4096,
    });
  });

  it('keeps RAM and the device pages below the switcher region and inside one typed array', () => {
    expect(MAX_GUEST_SPACE).toBe(Math.min(LGUEST_SWITCHER_ADDR, bufferConstants.MAX_LENGTH));
    // On 64-bit Node the switcher region is the binding limit: 0xFFC00000 − 1 MiB of device pages.
    expect(MAX_MEMORY_MIB).toBe(4091);
    const top = memoryLayout(MAX_MEMORY_MIB);
    expect(top.bufferBytes).toBeLessThanOrEqual(LGUEST_SWITCHER_ADDR);
    expect(top.bufferBytes + 1024 * 1024).toBeGreaterThan(LGUEST_SWITCHER_ADDR);
  });

  it('refuses sizes that are not a whole number of MiB from 1 up to the maximum', () => {
    expect(() => memoryLayout(0)).toThrow(/bad memory size 0/);
    expect(() => memoryLayout(1.5)).toThrow(/bad memory size 1.5/);
    expect(() => memoryLayout(MAX_MEMORY_MIB + 1)).toThrow(
      /memory size 4092 MiB is too large: RAM and the 256 device pages above it must end below 0xffc00000, so at most 4091 MiB/,
    );
    expect(() => memoryLayout(1e20)).toThrow(/memory size 100000000000000000000 MiB is too large/);
    expect(() => memoryLayout(Number.NaN)).toThrow(/bad memory size NaN/);
  });
});
