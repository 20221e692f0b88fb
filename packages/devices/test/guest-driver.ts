/**
 * A test "guest": plays the Linux side of the lguest bus against the devices, the way a 3.10/3.18
 * driver does (spec §9.2, §14.4): it walks the device page from the RAM size, resets and
 * acknowledges a device, finalizes features with a status-3 NOTIFY, lays out its vrings with the abi
 * arithmetic at the pfns the page gives, posts buffers, kicks unless NO_NOTIFY is set, and reads the
 * used ring back. Tests use it to check what the devices put in guest memory, never their internals.
 */
import {
  DEVICE_PAGE_SIZE,
  DEVICE_PAGES,
  DeviceDescView,
  GuestMemory,
  PAGE_SIZE,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FAILED,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_USED_F_NO_NOTIFY,
  VringView,
} from '@lguest/abi';
import { LguestBus, LocalTransport, type VirtioDevice } from '@lguest/devices';

/** One guest with its memory, transport and bus, and what it saw. */
export class TestGuest {
  readonly memory: GuestMemory;
  readonly transport: LocalTransport;
  readonly bus: LguestBus;
  readonly ram: number;
  readonly irqs: number[] = [];
  readonly early: string[] = [];
  readonly warnings: string[] = [];
  #heap = 0x1000;

  constructor(devices: readonly VirtioDevice[], ram = 2 << 20) {
    this.ram = ram;
    this.memory = new GuestMemory(new SharedArrayBuffer(ram + DEVICE_PAGES * PAGE_SIZE));
    this.transport = new LocalTransport(this.memory, { onIrq: (irq) => this.irqs.push(irq) });
    this.bus = new LguestBus(this.transport, {
      ramSize: ram,
      onEarlyConsole: (text) => this.early.push(Buffer.from(text).toString('latin1')),
      onWarning: (message) => this.warnings.push(message),
    });
    for (const device of devices) this.bus.add(device);
    // As the Launcher does at INITIALIZE: the guest may touch RAM, the device page and the vrings.
    this.memory.setPfnLimit(this.bus.limit / PAGE_SIZE);
  }

  get dead(): boolean {
    return this.transport.killer.dead;
  }

  get reason(): string | undefined {
    return this.transport.killer.reason;
  }

  /** Allocates `len` bytes of guest RAM (16-byte aligned). */
  alloc(len: number, align = 16): number {
    const at = Math.ceil(this.#heap / align) * align;
    if (at + len > this.ram) throw new Error('test guest out of RAM');
    this.#heap = at + len;
    return at;
  }

  /** Forgets every allocation (the caller no longer needs what it allocated). */
  resetHeap(): void {
    this.#heap = 0x1000;
  }

  /** Writes bytes into guest memory. */
  poke(gpa: number, bytes: Uint8Array): void {
    if (!this.memory.copyIn(gpa, bytes)) throw new Error(`poke outside memory at ${gpa}`);
  }

  /** Reads guest memory. */
  peek(gpa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.memory.copyOut(gpa, out);
    return out;
  }

  /** Walks the device page from offset 0 as the guest's bus scan does. */
  scan(): GuestDevice[] {
    const found: GuestDevice[] = [];
    let offset = 0;
    while (offset < DEVICE_PAGE_SIZE) {
      const desc = new DeviceDescView(this.memory, this.ram + offset);
      if (desc.type() === 0) break;
      found.push(new GuestDevice(this, desc));
      offset += desc.size;
    }
    return found;
  }

  /** Scans and probes every device: reset, acknowledge, accept `accept(offered)`, finalize. */
  probeAll(accept: (offered: number) => number = (offered) => offered): GuestDevice[] {
    const devices = this.scan();
    for (const d of devices) d.reset();
    for (const d of devices) d.finalize(accept(d.offered()));
    return devices;
  }
}

/** The guest's view of one device descriptor. */
export class GuestDevice {
  readonly guest: TestGuest;
  readonly desc: DeviceDescView;
  #queues: GuestQueue[] | undefined;

  constructor(guest: TestGuest, desc: DeviceDescView) {
    this.guest = guest;
    this.desc = desc;
  }

  get type(): number {
    return this.desc.type();
  }

  offered(): number {
    return this.desc.offeredWord();
  }

  /** Status 0 + NOTIFY, then ACKNOWLEDGE (silent), as the bus scan does. */
  reset(): void {
    this.desc.setStatus(0);
    this.guest.transport.notify(this.desc.gpa);
    this.desc.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  }

  /** DRIVER (silent), accepted bits written, status 3 NOTIFY: the device starts. */
  finalize(accepted: number): void {
    this.desc.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    const len = this.desc.featureLen();
    for (let i = 0; i < len; i++) this.guest.memory.write8(this.desc.acceptedGpa() + i, 0);
    for (let bit = 0; bit < Math.min(len * 8, 32); bit++) {
      if ((accepted >>> bit) & 1) this.desc.setAccepted(bit, true);
    }
    this.guest.transport.notify(this.desc.gpa);
  }

  /** DRIVER_OK, stored silently. */
  driverOk(): void {
    this.desc.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
  }

  /** FAILED added, with a NOTIFY. */
  fail(): void {
    this.desc.setStatus(this.desc.status() | VIRTIO_CONFIG_S_FAILED);
    this.guest.transport.notify(this.desc.gpa);
  }

  /** Queue `i` as the vqconfig describes it. */
  queue(i: number): GuestQueue {
    this.#queues ??= [];
    this.#queues[i] ??= new GuestQueue(
      this.guest,
      this.desc.vqPfn(i) * PAGE_SIZE,
      this.desc.vqNum(i),
      this.desc.vqIrq(i),
    );
    return this.#queues[i];
  }
}

/** A used-ring element. */
export interface Used {
  readonly id: number;
  readonly len: number;
}

/** A posted buffer: its gpa and length. */
export interface Posted {
  readonly head: number;
  readonly out: number[];
  readonly in: number[];
}

/** The guest's side of one vring. */
export class GuestQueue {
  readonly guest: TestGuest;
  readonly ring: VringView;
  readonly gpa: number;
  readonly num: number;
  readonly irq: number;
  #free: number[];
  #availIdx = 0;
  #lastUsed = 0;
  readonly #chains = new Map<number, number[]>();

  constructor(guest: TestGuest, gpa: number, num: number, irq: number) {
    this.guest = guest;
    this.gpa = gpa;
    this.num = num;
    this.irq = irq;
    this.ring = new VringView(guest.memory, gpa, num);
    this.#free = Array.from({ length: num }, (_, i) => i);
  }

  get freeDescriptors(): number {
    return this.#free.length;
  }

  /**
   * Posts a chain: one readable buffer per `out` entry (copied into fresh guest RAM), then one
   * writable buffer per `inLens` entry. Publishes it in the avail ring; does not kick.
   */
  post(out: readonly Uint8Array[], inLens: readonly number[] = []): Posted {
    const count = out.length + inLens.length;
    if (count === 0 || count > this.#free.length) throw new Error('no room for the chain');
    const descs = this.#free.splice(0, count);
    const posted: Posted = { head: descs[0], out: [], in: [] };
    for (let k = 0; k < count; k++) {
      const isOut = k < out.length;
      const len = isOut ? out[k].length : inLens[k - out.length];
      const addr = this.guest.alloc(Math.max(len, 1));
      if (isOut) {
        this.guest.poke(addr, out[k]);
        posted.out.push(addr);
      } else {
        posted.in.push(addr);
      }
      const flags = (isOut ? 0 : VRING_DESC_F_WRITE) | (k + 1 < count ? VRING_DESC_F_NEXT : 0);
      this.ring.setDesc(descs[k], addr, len, flags, k + 1 < count ? descs[k + 1] : 0);
    }
    this.#chains.set(descs[0], descs);
    this.publish(descs[0]);
    return posted;
  }

  /** Puts `head` in the next avail slot and bumps `avail.idx`. */
  publish(head: number): void {
    this.ring.setAvailRing(this.#availIdx, head);
    this.#availIdx = (this.#availIdx + 1) & 0xffff;
    this.ring.setAvailIdx(this.#availIdx);
  }

  /** Kicks unless the device set NO_NOTIFY (or `force`). Returns whether it kicked. */
  kick(force = false): boolean {
    if (!force && this.ring.usedFlags() & VRING_USED_F_NO_NOTIFY) return false;
    this.guest.transport.notify(this.gpa);
    return true;
  }

  /** The used elements since the last call; their descriptors become free again. */
  takeUsed(): Used[] {
    const used: Used[] = [];
    const idx = this.ring.usedIdx();
    while (this.#lastUsed !== idx) {
      const id = this.ring.usedId(this.#lastUsed);
      used.push({ id, len: this.ring.usedLen(this.#lastUsed) });
      const descs = this.#chains.get(id);
      if (descs) {
        this.#free.push(...descs);
        this.#chains.delete(id);
      }
      this.#lastUsed = (this.#lastUsed + 1) & 0xffff;
    }
    return used;
  }
}
