import {
  PAGE_SIZE,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
} from '@lguest/abi';
import { featureBit, featureLenFor, hasFeature, negotiateFeatures } from '@lguest/devices';
import { describe, expect, it } from 'vitest';
import { TestGuest } from '../test/guest-driver.js';
import { RecordingDevice } from '../test/recording-device.js';

const hello = new TextEncoder().encode('hello');

describe('feature negotiation', () => {
  it('starts the device with what the guest accepted of what was offered', () => {
    const offered = featureBit(0) | featureBit(5) | featureBit(VIRTIO_RING_F_INDIRECT_DESC);
    const device = new RecordingDevice({ features: offered });
    const guest = new TestGuest([device]);
    const [d] = guest.scan();
    expect(d.offered()).toBe(offered >>> 0);
    d.reset();
    expect(device.started).toBeUndefined();
    // The guest accepts bit 5, INDIRECT_DESC, and bits never offered (3, 30): those mean nothing.
    d.finalize(featureBit(5) | featureBit(3) | featureBit(30) | featureBit(VIRTIO_RING_F_INDIRECT_DESC));
    expect(device.started).toBe((featureBit(5) | featureBit(VIRTIO_RING_F_INDIRECT_DESC)) >>> 0);
    expect(guest.bus.isRunning(device)).toBe(true);
  });

  it('has small helpers that agree with the bitmap layout', () => {
    expect(featureLenFor(0)).toBe(0);
    expect(featureLenFor(featureBit(9))).toBe(2);
    expect(featureLenFor(featureBit(31))).toBe(4);
    expect(hasFeature(featureBit(29), VIRTIO_RING_F_EVENT_IDX)).toBe(true);
    expect(hasFeature(featureBit(29), 32)).toBe(false);
    expect(negotiateFeatures(0b1011, 0b0110)).toBe(0b0010);
  });
});

describe('status notifications (§10.2)', () => {
  it('resets on status 0: accepted bitmap cleared, vring zeroed, device told', () => {
    const device = new RecordingDevice({ features: 0xff });
    const guest = new TestGuest([device]);
    const [d] = guest.probeAll();
    const q = d.queue(0);
    q.post([hello], [5]);
    q.kick();
    expect(q.takeUsed()).toEqual([{ id: 0, len: 5 }]);
    expect(d.desc.acceptedWord()).toBe(0xff);
    d.reset();
    expect(device.calls.at(-1)).toBe('reset');
    expect(d.desc.acceptedWord()).toBe(0);
    expect(guest.peek(q.gpa, 3 * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    expect(guest.bus.isRunning(device)).toBe(false);
  });

  it('stores DRIVER_OK silently: the running device keeps working', () => {
    const device = new RecordingDevice();
    const guest = new TestGuest([device]);
    const [d] = guest.probeAll();
    d.driverOk();
    const q = d.queue(0);
    q.post([hello], [5]);
    q.kick();
    expect(q.takeUsed()).toEqual([{ id: 0, len: 5 }]);
    expect(device.calls.filter((c) => c.startsWith('start'))).toHaveLength(1);
    expect(guest.dead).toBe(false);
  });

  it('kills the guest when features are finalized twice', () => {
    const guest = new TestGuest([new RecordingDevice({ name: 'twice' })]);
    const [d] = guest.probeAll();
    d.finalize(0);
    expect(guest.reason).toMatch(/twice: features finalized twice \(status 0x3\)/);
  });

  it('on FAILED warns, and resets a running device', () => {
    const device = new RecordingDevice({ name: 'flaky' });
    const guest = new TestGuest([device]);
    const [d] = guest.scan();
    d.reset();
    d.fail(); // not running: warn only
    expect(guest.warnings).toEqual(["flaky: the guest's driver failed (status 0x81)"]);
    expect(device.calls.filter((c) => c === 'reset')).toHaveLength(1);
    d.reset();
    d.finalize(0);
    d.fail();
    expect(guest.warnings).toHaveLength(2);
    expect(device.calls.at(-1)).toBe('reset');
    expect(guest.bus.isRunning(device)).toBe(false);
    expect(guest.dead).toBe(false);
    // A fresh probe starts it again.
    d.reset();
    d.finalize(0);
    expect(guest.bus.isRunning(device)).toBe(true);
  });

  it('kills the guest for a kick before the device was started', () => {
    const guest = new TestGuest([new RecordingDevice({ name: 'early' })]);
    const [d] = guest.scan();
    d.reset();
    d.queue(0).kick(true);
    expect(guest.reason).toBe(
      `Notification on early q0 (vring 0x${d.queue(0).gpa.toString(16)}) before setup`,
    );
  });

  it('services from the status-3 notification, before DRIVER_OK', () => {
    const device = new RecordingDevice();
    const guest = new TestGuest([device]);
    const [d] = guest.scan();
    d.reset();
    d.finalize(0);
    expect(d.desc.status()).toBe(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    const q = d.queue(0);
    q.post([hello], [5]);
    q.kick();
    expect(q.takeUsed()).toHaveLength(1);
  });
});

describe('NOTIFY routing', () => {
  it('treats an unmatched value below guest_limit as an early-console string', () => {
    const guest = new TestGuest([new RecordingDevice()]);
    const at = guest.alloc(32);
    guest.poke(at, new TextEncoder().encode('Linux version\0junk'));
    expect(guest.bus.notify(at)).toBe('early-console');
    expect(guest.early).toEqual(['Linux version']);
    // A string without a NUL stops at guest_limit.
    const end = guest.bus.limit - 3;
    guest.poke(end, new TextEncoder().encode('abc'));
    expect(guest.bus.notify(end)).toBe('early-console');
    expect(guest.early[1]).toBe('abc');
    expect(guest.dead).toBe(false);
  });

  it('kills the guest for a NOTIFY at or above guest_limit', () => {
    const guest = new TestGuest([new RecordingDevice()]);
    const bad = guest.bus.limit;
    expect(guest.bus.notify(bad)).toBe('bad');
    expect(guest.reason).toBe(`Bad NOTIFY 0x${bad.toString(16)} (guest_limit 0x${bad.toString(16)})`);
    expect(guest.bus.notify(0x1000)).toBe('dead');
    expect(guest.bus.notify(0xffff_ffff)).toBe('dead');
  });

  it('routes descriptor and vring addresses, and stops listening when closed', () => {
    const device = new RecordingDevice({ queues: [8, 16] });
    const guest = new TestGuest([device]);
    const [d] = guest.scan();
    expect(guest.bus.notify(d.desc.gpa)).toBe('status');
    d.finalize(0);
    expect(guest.bus.notify(d.queue(1).gpa)).toBe('kick');
    expect(device.calls).toContain('kick 1');
    guest.bus.close();
    expect(device.calls.at(-1)).toBe('close');
    guest.transport.notify(d.queue(0).gpa);
    expect(device.calls).not.toContain('kick 0');
    expect(guest.bus.notify(d.queue(0).gpa)).toBe('dead');
  });

  it('resets every device for a reboot', () => {
    const a = new RecordingDevice({ name: 'a' });
    const b = new RecordingDevice({ name: 'b' });
    const guest = new TestGuest([a, b]);
    guest.probeAll();
    guest.bus.reset();
    expect(guest.bus.isRunning(a) || guest.bus.isRunning(b)).toBe(false);
  });
});
