import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './options.js';

function launch(argv: string[]) {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'launch') throw new Error(`expected a launch, got ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function error(argv: string[]): string {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('the lguest command line', () => {
  it('takes memory, kernel and the guest command line', () => {
    const o = launch(['64', 'vmlinux', 'console=hvc0', 'root=/dev/vda']);
    expect(o).toEqual({
      verbosity: 0,
      blocks: [],
      rng: false,
      devices: [],
      initrd: undefined,
      username: undefined,
      memoryMiB: 64,
      kernel: 'vmlinux',
      kernelArgs: ['console=hvc0', 'root=/dev/vda'],
    });
  });

  it('keeps repeated --block options in order and accepts unambiguous prefixes', () => {
    const o = launch(['--block=a.img', '--bl=b.img', '--rn', '--init=rd', '--user=nobody', '-v', '32', 'k']);
    expect(o.blocks).toEqual(['a.img', 'b.img']);
    expect(o.devices).toEqual([
      { kind: 'block', path: 'a.img' },
      { kind: 'block', path: 'b.img' },
      { kind: 'rng' },
    ]);
    expect(o.rng).toBe(true);
    expect(o.initrd).toBe('rd');
    expect(o.username).toBe('nobody');
    expect(o.verbosity).toBe(1);
  });

  it('keeps --block and --rng in command-line order, one entropy device per --rng', () => {
    const o = launch(['--rng', '--block=x.img', '--rng', '8', 'k']);
    expect(o.devices).toEqual([{ kind: 'rng' }, { kind: 'block', path: 'x.img' }, { kind: 'rng' }]);
    expect(o.blocks).toEqual(['x.img']);
    expect(o.rng).toBe(true);
  });

  it('counts -vv and --verbose twice as the second trace level', () => {
    expect(launch(['-vv', '8', 'k']).verbosity).toBe(2);
    expect(launch(['--verbose', '--verb', '8', 'k']).verbosity).toBe(2);
  });

  it('treats options after the memory size as guest arguments, like the reference tool', () => {
    expect(launch(['8', 'k', '--block=x']).kernelArgs).toEqual(['--block=x']);
  });

  it('answers --help and --version', () => {
    expect(parseCommandLine(['--help']).kind).toBe('help');
    expect(parseCommandLine(['-h']).kind).toBe('help');
    expect(parseCommandLine(['--vers']).kind).toBe('version');
  });

  it('rejects what it cannot do, with a reason', () => {
    expect(error(['--tunnet=10.0.0.1', '64', 'k'])).toMatch(/networking/);
    expect(error(['--chroot=/srv', '64', 'k'])).toMatch(/Node\.js/);
    expect(error(['--frobnicate', '64', 'k'])).toMatch(/unrecognized option '--frobnicate'/);
    expect(error(['--ve', '64', 'k'])).toMatch(/ambiguous/);
    expect(error(['--block', '64', 'k'])).toMatch(/requires a value/);
    expect(error(['--block=', '64', 'k'])).toMatch(/needs a file name/);
    expect(error(['--initrd=', '64', 'k'])).toMatch(/needs a file name/);
    expect(error(['--rng=1', '64', 'k'])).toMatch(/doesn't allow a value/);
    expect(error(['-x', '64', 'k'])).toMatch(/invalid option/);
    expect(error(['64'])).toMatch(/expected <mem-in-MiB>/);
    expect(error(['64M', 'k'])).toMatch(/bad memory size/);
    expect(error(['0', 'k'])).toMatch(/bad memory size/);
  });
});
