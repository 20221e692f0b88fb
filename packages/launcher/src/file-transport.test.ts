/** The devices' transport over the Host's file: IRQs as `LHREQ_IRQ` writes, NOTIFY fan-out, the kill switch. */
import { GuestMemory, LHREQ_INITIALIZE } from '@lguest/abi';
import { openLguest } from '@lguest/hypervisor';
import { describe, expect, it } from 'vitest';
import { FileTransport } from './file-transport.js';

describe('FileTransport', () => {
  it('raises IRQs through the file, hands NOTIFY values to listeners, and kills once', () => {
    const memory = new GuestMemory(new SharedArrayBuffer(1 << 20));
    const reasons: string[] = [];
    const transport = new FileTransport(memory, (r) => reasons.push(r));
    transport.raiseIrq(3); // no file yet: nothing to wake, no error
    const file = openLguest({ memory });
    transport.attach(file);
    transport.raiseIrq(3); // not initialized: the file refuses, the transport swallows it
    file.write([LHREQ_INITIALIZE, 0, 256, 0x1000]);
    transport.raiseIrq(5);
    expect(Atomics.load(file.control, 1)).toBe(1 << 5);
    const seen: number[] = [];
    const off = transport.onNotify((v) => seen.push(v));
    transport.notify(-1);
    off();
    transport.notify(7);
    expect(seen).toEqual([0xffff_ffff]);
    transport.killer.kill('first');
    transport.killer.kill('second');
    expect(reasons).toEqual(['first']);
    transport.raiseIrq(6);
    expect(Atomics.load(file.control, 1)).toBe(1 << 5);
    file.close();
  });
});
