import { CONTROL_STOP } from '@lguest/x86';
import { describe, expect, it } from 'vitest';
import { systemClock, VirtualClock } from './clock.js';
import {
  CONTROL_HOLD,
  CONTROL_IRQS,
  CONTROL_KICK,
  createControlBlock,
  HOLD_BREAK,
  HOLD_CLOSE,
  raiseIrq,
  requestStop,
  setHold,
} from './control.js';

describe('the control block', () => {
  it('raiseIrq sets the line and the stop word; lines outside 0..31 are refused', () => {
    const c = createControlBlock();
    expect(c.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(raiseIrq(c, 5)).toBe(true);
    expect(raiseIrq(c, 31)).toBe(true);
    expect(raiseIrq(c, 32)).toBe(false);
    expect(raiseIrq(c, 1.5)).toBe(false);
    expect(c[CONTROL_IRQS] >>> 0).toBe(((1 << 5) | (1 << 31)) >>> 0);
    expect(c[CONTROL_STOP]).toBe(1);
  });

  it('holds and kicks are separate words', () => {
    const c = createControlBlock();
    setHold(c, HOLD_BREAK, true);
    setHold(c, HOLD_CLOSE, true);
    setHold(c, HOLD_BREAK, false);
    expect(c[CONTROL_HOLD]).toBe(HOLD_CLOSE);
    requestStop(c);
    expect(c[CONTROL_KICK]).toBe(1);
  });
});

describe('clocks', () => {
  it('systemClock sleeps until the deadline, or returns at once when the stop word is up', () => {
    const clock = systemClock();
    const c = createControlBlock();
    const start = clock.now();
    expect(clock.wait(c, start + 5e6)).toBe(true);
    expect(clock.now() - start).toBeGreaterThanOrEqual(4e6);
    c[CONTROL_STOP] = 1;
    const again = clock.now();
    expect(clock.wait(c, again + 1e9)).toBe(true);
    expect(clock.now() - again).toBeLessThan(5e8);
    const wall = new Uint32Array(2);
    clock.wallTime(wall);
    expect(Math.abs(wall[0] - Date.now() / 1000)).toBeLessThan(2);
    expect(wall[1]).toBeLessThan(1e9);
  });

  it('VirtualClock counts instructions and skips to deadlines', () => {
    let n = 0;
    const clock = new VirtualClock({ instructions: () => n, nsPerInstruction: 5, wallStartNs: 10e9 });
    n = 1000;
    expect(clock.now()).toBe(5000);
    const c = createControlBlock();
    expect(clock.wait(c, 20_000)).toBe(true);
    expect(clock.now()).toBe(20_000);
    expect(clock.wait(c, Number.POSITIVE_INFINITY)).toBe(false);
    const wall = new Uint32Array(2);
    clock.wallTime(wall);
    expect([...wall]).toEqual([10, 20_000]);
  });
});
