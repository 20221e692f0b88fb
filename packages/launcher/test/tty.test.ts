/**
 * The console on a real terminal: the bin runs on a pseudo-terminal made by a small python3 helper
 * (`pty-run.py`; CI has no TTY). Raw mode must be on while the guest runs and restored on every way
 * out — power-off, the guest's death, a signal, three Ctrl-C, an uncaught error — and typed input
 * must reach the guest.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, image } from './bin.js';

const HELPER = fileURLToPath(new URL('./pty-run.py', import.meta.url));

type Step = { expect: string } | { send: string } | { sleep: number } | { mode: string } | { signal: string };

interface PtyRun {
  output: string;
  status: number;
  modes: Record<string, 'raw' | 'cooked'>;
}

function onPty(args: string[], steps: Step[], extra: { stdout_closed_pipe?: boolean } = {}): PtyRun {
  const spec = { argv: [process.execPath, CLI, ...args], steps: [{ mode: 'before' }, ...steps], ...extra };
  return JSON.parse(execFileSync('python3', [HELPER, JSON.stringify(spec)], { encoding: 'utf8' }));
}

describe('the console on a terminal', () => {
  it('is raw while the guest runs, carries typed lines to the guest, and is restored on power-off', () => {
    const r = onPty(
      ['32', image('virtio-echo')],
      [
        { expect: '> ' },
        { mode: 'running' },
        { send: 'hi there\r' },
        { expect: 'echo: hi there' },
        { send: 'quit\r' },
      ],
    );
    expect(r.modes).toEqual({ before: 'cooked', running: 'raw', after: 'cooked' });
    expect(r.output).toMatch(/echo: hi there\r?\n/);
    expect(r.output).toMatch(/1 line\(s\) echoed/);
    expect(r.status).toBe(0);
  });

  it('three Ctrl-C within a second stop the launcher (exit 1) and restore the terminal', () => {
    const r = onPty(
      ['32', image('virtio-echo')],
      [
        { expect: '> ' },
        { mode: 'running' },
        { send: '\x03' },
        { sleep: 0.1 },
        { send: '\x03' },
        { sleep: 0.1 },
        { send: '\x03' },
      ],
    );
    expect(r.modes).toEqual({ before: 'cooked', running: 'raw', after: 'cooked' });
    expect(r.output).toMatch(/lguest: three Ctrl-C: stopping the guest/);
    expect(r.status).toBe(1);
  });

  it('a signal stops the launcher with the reason and restores the terminal', () => {
    const r = onPty(
      ['32', image('virtio-echo')],
      [{ expect: '> ' }, { mode: 'running' }, { signal: 'SIGTERM' }],
    );
    expect(r.modes).toEqual({ before: 'cooked', running: 'raw', after: 'cooked' });
    expect(r.output).toMatch(/lguest: killed by SIGTERM/);
    expect(r.status).toBe(1);
  });

  it('a guest killed for a malformed vring leaves the terminal restored', () => {
    const r = onPty(['32', image('virtio-bad-loop')], []);
    expect(r.output).toMatch(/lguest: console tx: looped descriptor chain/);
    expect(r.modes.after).toBe('cooked');
    expect(r.status).toBe(1);
  });

  it('an uncaught error (stdout is a pipe nobody reads) restores the terminal and exits 1', () => {
    const r = onPty(['32', image('virtio-echo')], [{ sleep: 1 }], { stdout_closed_pipe: true });
    expect(r.output).toMatch(/lguest: internal error: .*EPIPE/);
    expect(r.modes.after).toBe('cooked');
    expect(r.status).toBe(1);
  });
});
