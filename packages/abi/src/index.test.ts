import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as bootParams from './boot-params.js';
import * as constants from './constants.js';
import * as controlRegisters from './control-registers.js';
import * as devicePage from './device-page.js';
import * as eflags from './eflags.js';
import * as errno from './errno.js';
import * as frame from './frame.js';
import * as gpEmulation from './gp-emulation.js';
import * as hypercalls from './hypercalls.js';
import * as idt from './idt.js';
import * as index from './index.js';
import * as kernelImage from './kernel-image.js';
import * as killer from './killer.js';
import * as layout from './layout.js';
import * as lguestData from './lguest-data.js';
import * as lhreq from './lhreq.js';
import * as memory from './memory.js';
import * as paging from './paging.js';
import * as regs from './regs.js';
import * as segments from './segments.js';
import * as view from './view.js';
import * as virtio from './virtio.js';
import * as virtioBlock from './virtio-block.js';
import * as virtioConsole from './virtio-console.js';
import * as virtioNet from './virtio-net.js';
import * as vring from './vring.js';

const modules = {
  bootParams,
  constants,
  controlRegisters,
  devicePage,
  eflags,
  errno,
  frame,
  gpEmulation,
  hypercalls,
  idt,
  kernelImage,
  killer,
  layout,
  lguestData,
  lhreq,
  memory,
  paging,
  regs,
  segments,
  view,
  virtio,
  virtioBlock,
  virtioConsole,
  virtioNet,
  vring,
};

describe('the public surface', () => {
  it('re-exports every value of every module, unchanged', () => {
    const surface = index as Record<string, unknown>;
    for (const [file, mod] of Object.entries(modules)) {
      for (const [name, value] of Object.entries(mod)) {
        expect([file, name, surface[name] === value]).toEqual([file, name, true]);
      }
    }
  });

  it('exports no name twice with different values', () => {
    const seen = new Map<string, unknown>();
    for (const mod of Object.values(modules)) {
      for (const [name, value] of Object.entries(mod)) {
        if (seen.has(name)) expect([name, seen.get(name)]).toEqual([name, value]);
        seen.set(name, value);
      }
    }
    expect(seen.size).toBe(Object.keys(index).length);
  });

  it('uses plain numbers, never enums, for constants', () => {
    for (const [name, value] of Object.entries(index)) {
      if (/^[A-Z][A-Z0-9_]*$/.test(name) && typeof value === 'number') {
        expect([name, Number.isInteger(value) && value >= 0]).toEqual([name, true]);
      }
    }
  });
});

describe('the spec tests', () => {
  it('pin every exported name in some test file', () => {
    const dir = dirname(fileURLToPath(import.meta.url));
    const tests = readdirSync(dir)
      .filter((file) => file.endsWith('.test.ts') && file !== 'index.test.ts')
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('\n');
    const unpinned = Object.keys(index).filter((name) => !new RegExp(`\\b${name}\\b`).test(tests));
    expect(unpinned).toEqual([]);
  });
});
