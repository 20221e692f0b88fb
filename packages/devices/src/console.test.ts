import { PassThrough } from 'node:stream';
import { VIRTIO_ID_CONSOLE, VRING_AVAIL_F_NO_INTERRUPT } from '@lguest/abi';
import { ConsoleDevice, CtrlCDetector } from '@lguest/devices';
import { describe, expect, it } from 'vitest';
import { TestGuest } from '../test/guest-driver.js';

const text = (s: string) => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function consoleGuest(options: { input?: PassThrough; onInputEnd?: () => void } = {}) {
  const output: Uint8Array[] = [];
  const device = new ConsoleDevice({ output: (chunk) => output.push(chunk), ...options });
  const guest = new TestGuest([device]);
  const [d] = guest.probeAll();
  return { device, guest, d, rx: d.queue(0), tx: d.queue(1), output };
}

describe('console transmit', () => {
  it('is a two-queue console with no features and no config', () => {
    const { d } = consoleGuest();
    expect([d.type, d.desc.numVq(), d.desc.featureLen(), d.desc.configLen()]).toEqual([
      VIRTIO_ID_CONSOLE,
      2,
      0,
      0,
    ]);
  });

  it('marks its transmit queue as one the guest spins on, and only that one', () => {
    const console = new ConsoleDevice({ output: () => {} });
    expect(console.queues.map((q) => [q.name, q.guestSpins === true])).toEqual([
      ['rx', false],
      ['tx', true],
    ]);
  });

  it('writes every buffer in order and marks it used before the kick returns', () => {
    const { tx, output } = consoleGuest();
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}\n`);
    let sent = 0;
    for (const line of lines) {
      // As hvc does: one buffer per write; the guest spins until it is used, with interrupts off.
      tx.ring.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
      const posted = tx.post([text(line)]);
      tx.kick();
      const used = tx.takeUsed();
      expect(used).toEqual([{ id: posted.head, len: 0 }]);
      sent++;
    }
    expect(sent).toBe(300);
    expect(output.map(decode).join('')).toBe(lines.join(''));
  });

  it('hands the sink copies: the guest may reuse its buffer at once', () => {
    const { guest, tx, output } = consoleGuest();
    const posted = tx.post([text('first')]);
    tx.kick();
    guest.poke(posted.out[0], text('XXXXX'));
    expect(decode(output[0])).toBe('first');
  });

  it('writes multi-buffer chains in descriptor order, and works with a stream-like sink', () => {
    const chunks: string[] = [];
    const device = new ConsoleDevice({ output: { write: (c: Uint8Array) => chunks.push(decode(c)) } });
    const guest = new TestGuest([device]);
    const tx = guest.probeAll()[0].queue(1);
    tx.post([text('a'), text('bc'), text('def')]);
    tx.kick();
    expect(chunks.join('')).toBe('abcdef');
  });
});

describe('console receive', () => {
  it('fills posted buffers with input, completes with the byte count and interrupts at once', () => {
    const { device, guest, rx } = consoleGuest();
    const posted = [rx.post([], [4096]), rx.post([], [4096])];
    rx.kick();
    expect(rx.takeUsed()).toEqual([]);
    device.input(text('ls -l\r'));
    const used = rx.takeUsed();
    expect(used).toEqual([{ id: posted[0].head, len: 6 }]);
    expect(decode(guest.peek(posted[0].in[0], 6))).toBe('ls -l\r');
    expect(guest.irqs).toEqual([rx.irq]);
  });

  it('keeps input that arrives before the guest posted buffers, and splits it over small buffers', () => {
    const { device, guest, rx } = consoleGuest();
    device.input(text('hello '));
    device.input(text('world'));
    expect(device.waitingInput).toBe(11);
    const small = [rx.post([], [4]), rx.post([], [4]), rx.post([], [4096])];
    rx.kick();
    const used = rx.takeUsed();
    expect(used.map((u) => u.len)).toEqual([4, 4, 3]);
    const got = small.map((p, i) => decode(guest.peek(p.in[0], used[i].len))).join('');
    expect(got).toBe('hello world');
    expect(device.waitingInput).toBe(0);
  });

  it('suppresses the input interrupt while NO_INTERRUPT is set', () => {
    const { device, guest, rx } = consoleGuest();
    rx.ring.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    rx.post([], [16]);
    rx.kick();
    device.input(text('x'));
    expect(rx.takeUsed()).toHaveLength(1);
    expect(guest.irqs).toEqual([]);
  });

  it('reads a stream, and stops cleanly at its end', async () => {
    const stdin = new PassThrough();
    let ended = 0;
    const { device, guest, rx } = consoleGuest({ input: stdin, onInputEnd: () => ended++ });
    const p = rx.post([], [64]);
    rx.kick();
    stdin.write('typed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(rx.takeUsed()).toEqual([{ id: p.head, len: 5 }]);
    expect(decode(guest.peek(p.in[0], 5))).toBe('typed');
    stdin.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ended).toBe(1);
    expect(device.inputEnded).toBe(true);
    rx.post([], [64]);
    rx.kick();
    device.input(text('ignored'));
    expect(rx.takeUsed()).toEqual([]);
  });

  it('pauses a stream while much input waits, and resumes as the guest takes it', async () => {
    const stdin = new PassThrough();
    const { device, rx } = consoleGuest({ input: stdin });
    stdin.write(Buffer.alloc(100 * 1024, 0x61));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdin.isPaused()).toBe(true);
    for (let i = 0; i < 20; i++) rx.post([], [4096]);
    rx.kick();
    expect(device.waitingInput).toBe(100 * 1024 - 20 * 4096);
    expect(stdin.isPaused()).toBe(false);
    device.close();
  });

  it('drops input once the guest is dead', () => {
    const { device, guest, rx } = consoleGuest();
    rx.post([], [64]);
    rx.kick();
    guest.transport.killer.kill('test');
    device.input(text('late'));
    expect(rx.ring.usedIdx()).toBe(0);
  });
});

describe('CtrlCDetector', () => {
  const ctrlC = new Uint8Array([3]);
  it('fires on the third lone Ctrl-C within about a second', () => {
    const d = new CtrlCDetector();
    expect([d.feed(ctrlC, 10_000), d.feed(ctrlC, 10_500), d.feed(ctrlC, 11_900)]).toEqual([
      false,
      false,
      true,
    ]);
  });
  it('does not fire when they are too slow, or when other input comes between', () => {
    const slow = new CtrlCDetector();
    expect([slow.feed(ctrlC, 10_000), slow.feed(ctrlC, 11_000), slow.feed(ctrlC, 12_000)]).toEqual([
      false,
      false,
      false,
    ]);
    const mixed = new CtrlCDetector();
    mixed.feed(ctrlC, 0);
    mixed.feed(ctrlC, 1);
    expect(mixed.feed(text('a'), 2)).toBe(false);
    expect(mixed.feed(ctrlC, 3)).toBe(false);
    expect(mixed.feed(new Uint8Array([3, 3]), 4)).toBe(false);
  });
});
