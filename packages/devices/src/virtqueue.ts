/**
 * The device side of one virtqueue: a bounds-checked vring walker (spec §9.3, §9.4, §10.3).
 *
 * The bus makes one per queue when it places a device; the device pops the chains the guest made
 * available, moves the data, and pushes each head back into the used ring. Everything in the vring
 * is guest-written and untrusted, so the walk checks every number before it uses it: how far the avail
 * index moved, the head and every `next` index, loops, indirect tables, that readable buffers come
 * before writable ones, and that every buffer lies inside guest memory without 32-bit wrap-around.
 * A violation kills the guest through its `GuestKiller` with a reason naming the value, and the queue
 * then yields nothing more; nothing here throws for guest data.
 *
 * The ring's `num`, gpa and IRQ are the host's own copies (the guest can rewrite the device page, but
 * not these). Interrupts are sent lazily, once per service pass, and suppressed as the guest asks:
 * `avail.flags` NO_INTERRUPT, or the `used_event` index when EVENT_IDX was negotiated. While a queue is
 * being drained the device sets NO_NOTIFY (or holds back `avail_event`) so the guest need not kick.
 */
import {
  type GuestKiller,
  type GuestMemory,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  type VirtioTransport,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
  VRING_USED_F_NO_NOTIFY,
  VringView,
  vringAvailOffset,
  vringNeedEvent,
  vringSize,
  vringUsedOffset,
} from '@lguest/abi';
import { DescriptorChain } from './chain.js';
import { hasFeature } from './features.js';

const TWO_32 = 0x1_0000_0000;

/** Names a descriptor in a kill reason (only built on the failure path). */
function where(inTable: boolean, i: number, head: number): string {
  return inTable ? `indirect descriptor ${i} of head ${head}` : `descriptor ${i}`;
}

/** Where a virtqueue lives and how it signals: the host's copy of its `lguest_vqconfig`. */
export interface VirtqueueConfig {
  /** Names the queue in kill reasons, e.g. `"console rx"`. */
  readonly name: string;
  /** gpa of the vring (page aligned; `pfn << 12`, the value the guest kicks with). */
  readonly gpa: number;
  /** Entries (a power of two). */
  readonly num: number;
  /** Virtual IRQ line raised on completion. */
  readonly irq: number;
}

/** A u16 ring field as an `Atomics`-capable cell, or undefined when the field is not 2-byte aligned in the buffer. */
function u16Cell(memory: GuestMemory, gpa: number): Uint16Array | undefined {
  const offset = memory.base + gpa;
  return offset % 2 === 0 ? new Uint16Array(memory.buffer, offset, 1) : undefined;
}

/** One virtqueue as its device sees it. */
export class Virtqueue {
  /** The queue's name in kill reasons. */
  readonly name: string;
  /** gpa of the vring. */
  readonly gpa: number;
  /** Entries in the ring. */
  readonly num: number;
  /** The queue's IRQ line. */
  readonly irq: number;
  /** The chain {@link Virtqueue.pop} fills; reused for every pop. */
  readonly chain: DescriptorChain;

  readonly #memory: GuestMemory;
  readonly #killer: GuestKiller;
  readonly #transport: VirtioTransport;
  readonly #ring: VringView;
  // The index fields the guest and the device hand each other, accessed with Atomics when aligned:
  // a sequentially consistent store of used.idx publishes the used element written before it, and
  // the store of used.flags is ordered before the re-read of avail.idx (the full barrier of §10.3).
  readonly #availIdx: Uint16Array | undefined;
  readonly #usedIdx: Uint16Array | undefined;
  readonly #usedFlags: Uint16Array | undefined;
  #lastAvail = 0;
  #nextUsed = 0;
  #signalledUsed = 0;
  #pending = false;
  #running = false;
  #indirect = false;
  #eventIdx = false;

  constructor(transport: VirtioTransport, config: VirtqueueConfig) {
    this.name = config.name;
    this.gpa = config.gpa >>> 0;
    this.num = config.num;
    this.irq = config.irq;
    this.#transport = transport;
    this.#memory = transport.memory;
    this.#killer = transport.killer;
    this.#ring = new VringView(this.#memory, this.gpa, this.num);
    this.chain = new DescriptorChain(this.#memory, this.num);
    this.#availIdx = u16Cell(this.#memory, this.gpa + vringAvailOffset(this.num) + 2);
    this.#usedIdx = u16Cell(this.#memory, this.gpa + vringUsedOffset(this.num) + 2);
    this.#usedFlags = u16Cell(this.#memory, this.gpa + vringUsedOffset(this.num));
  }

  /** The vring view (the guest's structure; read it, never trust it). */
  get ring(): VringView {
    return this.#ring;
  }

  /** True between {@link Virtqueue.activate} and the next {@link Virtqueue.reset}. */
  get running(): boolean {
    return this.#running;
  }

  /** The free-running index of the next avail-ring entry the device will take. */
  get lastAvail(): number {
    return this.#lastAvail;
  }

  /** The free-running used index the device will write next. */
  get usedIdx(): number {
    return this.#nextUsed;
  }

  /**
   * Starts servicing with the negotiated features (the status-3 notification, §10.2). Kills the
   * guest if the vring does not lie inside guest memory (the host placed it there, so this only
   * happens when guest memory was set up smaller than the device pages). Returns whether it started.
   */
  activate(features: number): boolean {
    if (!this.#memory.addressOk(this.gpa, vringSize(this.num))) {
      this.#killer.kill(
        `${this.name}: vring 0x${this.gpa.toString(16)}+0x${vringSize(this.num).toString(16)} is outside guest memory`,
      );
      return false;
    }
    this.#indirect = hasFeature(features, VIRTIO_RING_F_INDIRECT_DESC);
    this.#eventIdx = hasFeature(features, VIRTIO_RING_F_EVENT_IDX);
    this.#running = true;
    return true;
  }

  /** Reset (status 0, §10.2): stop, forget every index, zero the vring memory. */
  reset(): void {
    this.#running = false;
    this.#lastAvail = 0;
    this.#nextUsed = 0;
    this.#signalledUsed = 0;
    this.#pending = false;
    this.#indirect = false;
    this.#eventIdx = false;
    const size = vringSize(this.num);
    if (this.#memory.addressOk(this.gpa, size)) {
      this.#memory.bytes.fill(0, this.gpa, this.gpa + size);
      this.#memory.touch(this.gpa, size);
    }
  }

  /** The guest's `avail.idx`. */
  #loadAvailIdx(): number {
    const cell = this.#availIdx;
    return cell !== undefined ? Atomics.load(cell, 0) : this.#ring.availIdx();
  }

  /** True when the guest has made a chain available that the device has not taken yet. */
  hasAvailable(): boolean {
    return this.#running && !this.#killer.dead && this.#loadAvailIdx() !== this.#lastAvail;
  }

  #kill(reason: string): undefined {
    this.#killer.kill(`${this.name}: ${reason}`);
    this.#running = false;
    return undefined;
  }

  /**
   * Takes the next available chain, walked and checked, into {@link Virtqueue.chain}. Returns
   * undefined when nothing is available, the queue is not running, or the guest was just killed for
   * a malformed chain.
   */
  pop(): DescriptorChain | undefined {
    if (!this.#running || this.#killer.dead) return undefined;
    const availIdx = this.#loadAvailIdx();
    const last = this.#lastAvail;
    if (availIdx === last) return undefined;
    const outstanding = (availIdx - last) & 0xffff;
    if (outstanding > this.num) {
      return this.#kill(
        `avail index jumped from ${last} to ${availIdx} (${outstanding} buffers outstanding in a ${this.num}-entry ring)`,
      );
    }
    const head = this.#ring.availRing(last);
    this.#lastAvail = (last + 1) & 0xffff;
    if (head >= this.num) {
      return this.#kill(`head descriptor ${head} at avail slot ${last % this.num} is not below ${this.num}`);
    }
    return this.#walk(head) ? this.chain : undefined;
  }

  /** Walks the chain from `head` into {@link Virtqueue.chain}; false after a kill. */
  #walk(head: number): boolean {
    const memory = this.#memory;
    const chain = this.chain;
    chain.clear(head);
    let table = this.gpa;
    let max = this.num;
    let inTable = false;
    let visited = 0;
    let i = head;
    for (;;) {
      if (visited >= max) {
        this.#kill(
          `looped descriptor chain from head ${head}: more than ${max} descriptors${inTable ? ' in its indirect table' : ''}`,
        );
        return false;
      }
      visited++;
      const at = table + VRING_DESC_SIZE * i;
      const addr = memory.read32(at) + memory.read32(at + 4) * TWO_32;
      const len = memory.read32(at + 8);
      const flags = memory.read16(at + 12);

      if (flags & VRING_DESC_F_INDIRECT) {
        if (!this.#indirect)
          return this.#fail(`${where(inTable, i, head)} is INDIRECT but INDIRECT_DESC was not negotiated`);
        if (inTable) return this.#fail(`${where(inTable, i, head)} is a nested indirect table`);
        if (flags & VRING_DESC_F_NEXT)
          return this.#fail(`${where(inTable, i, head)} is INDIRECT and also has NEXT`);
        if (len === 0 || len % VRING_DESC_SIZE !== 0) {
          return this.#fail(
            `${where(inTable, i, head)}: indirect table length ${len} is not a non-zero multiple of 16`,
          );
        }
        if (!memory.addressOk(addr, len)) {
          return this.#fail(
            `${where(inTable, i, head)}: indirect table 0x${addr.toString(16)}+0x${len.toString(16)} is outside guest memory`,
          );
        }
        const entries = len / VRING_DESC_SIZE;
        if (entries > chain.capacity - chain.count) {
          return this.#fail(
            `${where(inTable, i, head)}: indirect table of ${entries} descriptors makes the chain longer than ${this.num}`,
          );
        }
        table = addr;
        max = entries;
        inTable = true;
        visited = 0;
        i = 0;
        continue;
      }

      if (!memory.addressOk(addr, len)) {
        return this.#fail(
          `${where(inTable, i, head)}: buffer 0x${addr.toString(16)}+0x${len.toString(16)} is outside guest memory`,
        );
      }
      const writable = (flags & VRING_DESC_F_WRITE) !== 0;
      if (!writable && chain.inCount > 0) {
        return this.#fail(
          `${where(inTable, i, head)}: readable buffer after a writable one in the chain from head ${head}`,
        );
      }
      if (chain.count >= chain.capacity) {
        return this.#fail(`descriptor chain from head ${head} is longer than ${this.num} buffers`);
      }
      chain.add(addr, len, writable);

      if (!(flags & VRING_DESC_F_NEXT)) return true;
      const next = memory.read16(at + 14);
      if (next >= max) {
        return this.#fail(`${where(inTable, i, head)}: next index ${next} is not below ${max}`);
      }
      i = next;
    }
  }

  #fail(reason: string): false {
    this.#kill(reason);
    return false;
  }

  /**
   * Completes chain `head` with `len` bytes written into its writable buffers (never more than it
   * wrote: a 3.18 guest trusts the length). The interrupt is owed, not sent: see {@link Virtqueue.interrupt}.
   */
  push(head: number, len: number): void {
    if (!this.#running || this.#killer.dead) return;
    const idx = this.#nextUsed;
    this.#ring.setUsed(idx, head, len);
    const next = (idx + 1) & 0xffff;
    const cell = this.#usedIdx;
    if (cell !== undefined) {
      Atomics.store(cell, 0, next);
      this.#memory.touch(this.#ring.usedGpa + 2, 2);
    } else {
      this.#ring.setUsedIdx(next);
    }
    this.#nextUsed = next;
    this.#pending = true;
  }

  /**
   * Sends the owed completion interrupt, unless the guest suppressed it: NO_INTERRUPT in
   * `avail.flags`, or, with EVENT_IDX, a `used_event` the new used index has not passed. Returns
   * whether the IRQ was raised. The debt is cleared either way, as in the reference Launcher.
   */
  interrupt(): boolean {
    if (!this.#pending || this.#killer.dead) return false;
    this.#pending = false;
    if (this.#eventIdx) {
      const old = this.#signalledUsed;
      this.#signalledUsed = this.#nextUsed;
      if (!vringNeedEvent(this.#ring.usedEvent(), this.#nextUsed, old)) return false;
    } else if (this.#ring.availFlags() & VRING_AVAIL_F_NO_INTERRUPT) {
      return false;
    }
    this.#transport.raiseIrq(this.irq);
    return true;
  }

  /**
   * Tells the guest whether it needs to kick: clears or sets NO_NOTIFY in `used.flags`, or with
   * EVENT_IDX publishes `avail_event` (kick me once you pass the entry I will read next).
   */
  setKicks(wanted: boolean): void {
    if (!this.#running || this.#killer.dead) return;
    if (this.#eventIdx) {
      if (wanted) this.#ring.setAvailEvent(this.#lastAvail);
      return;
    }
    const flags = wanted ? 0 : VRING_USED_F_NO_NOTIFY;
    const cell = this.#usedFlags;
    if (cell !== undefined) {
      Atomics.store(cell, 0, flags);
      this.#memory.touch(this.#ring.usedGpa, 2);
    } else {
      this.#ring.setUsedFlags(flags);
    }
  }

  /**
   * The usual service pass (§10.3): with kicks suppressed, hand every available chain to `handle`
   * (which pushes it), then ask for kicks again and re-check the avail index so a chain made
   * available in between is not left waiting for a kick the guest skipped; finally send the owed
   * interrupt. `handle` must complete each chain synchronously.
   */
  service(handle: (chain: DescriptorChain) => void): void {
    if (!this.#running) return;
    for (;;) {
      this.setKicks(false);
      for (let chain = this.pop(); chain !== undefined; chain = this.pop()) handle(chain);
      if (!this.#running || this.#killer.dead) return;
      this.setKicks(true);
      if (this.#loadAvailIdx() === this.#lastAvail) break;
    }
    this.interrupt();
  }
}
