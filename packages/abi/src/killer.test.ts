import { describe, expect, it, vi } from 'vitest';
import { allocateFrameIds, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from './frame.js';
import { DeathRecord } from './killer.js';

describe('DeathRecord', () => {
  it('starts alive', () => {
    const record = new DeathRecord();
    expect(record.dead).toBe(false);
    expect(record.reason).toBeUndefined();
  });

  it('keeps the first reason and tells the listener once', () => {
    const onDeath = vi.fn();
    const record = new DeathRecord(onDeath);
    record.kill('bad guest page 0x1000');
    record.kill('hypercall 3 before INIT');
    record.kill('');
    expect(record.dead).toBe(true);
    expect(record.reason).toBe('bad guest page 0x1000');
    expect(onDeath).toHaveBeenCalledTimes(1);
    expect(onDeath).toHaveBeenCalledWith('bad guest page 0x1000');
  });

  it('counts an empty first reason as death', () => {
    const record = new DeathRecord();
    record.kill('');
    record.kill('later');
    expect(record.dead).toBe(true);
    expect(record.reason).toBe('');
  });
});

describe('frames', () => {
  it('are 4 KiB pages', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(PAGE_SHIFT).toBe(12);
    expect(PAGE_MASK).toBe(0xfff);
    expect(1 << PAGE_SHIFT).toBe(PAGE_SIZE);
  });

  it('allocateFrameIds gives each memory a disjoint 2^20-page identity range', () => {
    const a = allocateFrameIds();
    const b = allocateFrameIds();
    expect(b - a).toBeGreaterThanOrEqual(0x10_0000);
    expect(a % 0x10_0000).toBe(0);
  });
});
