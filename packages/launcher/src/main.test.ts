import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { VERSION } from './version.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('lguest main', () => {
  it('prints usage for --help and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('')).toMatch(/^Usage: lguest/);
  });

  it('prints usage on a bad command line and exits 1', async () => {
    const c = capture();
    expect(await main(['--nope'], c.io)).toBe(1);
    expect(c.err.join('')).toMatch(/unrecognized option[\s\S]*Usage: lguest/);
  });

  it('says plainly that booting is not available yet', async () => {
    const c = capture();
    expect(await main(['64', 'vmlinux'], c.io)).toBe(1);
    expect(c.err.join('')).toMatch(/not implemented yet/);
  });

  it('reports the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out.join('')).toBe(`lguest ${pkg.version}\n`);
  });
});
