/**
 * The virtio console as the lguest bus carries it (spec §9.5 "Console", §10.4).
 *
 * Queue 0 carries input to the guest (the guest posts one-page WRITE buffers), queue 1 its output.
 * The reference Launcher offers no features and no config space; the layout below matters only if
 * SIZE or MULTIPORT is offered. The console device reads these numbers.
 */
import type { FieldLayout } from './layout.js';
import { GuestStructView } from './view.js';

/** Receive queue: host → guest (§9.5). */
export const VIRTIO_CONSOLE_RX_QUEUE = 0;
/** Transmit queue: guest → host (§9.5). */
export const VIRTIO_CONSOLE_TX_QUEUE = 1;

/** Feature: `cols`/`rows` are valid (§9.5). */
export const VIRTIO_CONSOLE_F_SIZE = 0;
/** Feature: several ports and control queues (§9.5). */
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
/** Feature: `emerg_wr` exists (3.16+; never written by 3.18's driver) (§9.5). */
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

/** The console config (§9.5). */
export const VIRTIO_CONSOLE_CONFIG_LAYOUT = {
  cols: { offset: 0, size: 2 },
  rows: { offset: 2, size: 2 },
  maxNrPorts: { offset: 4, size: 4 },
  emergWr: { offset: 8, size: 4 },
} as const satisfies Record<string, FieldLayout>;
/** Bytes of the console config with every field (§9.5). */
export const VIRTIO_CONSOLE_CONFIG_SIZE = 12;
/** The reference Launcher's console `config_len`: 0, no features (§10.4). */
export const LAUNCHER_CONSOLE_CONFIG_LEN = 0;
/** Bytes of each receive buffer the guest posts: one page (§9.5). */
export const VIRTIO_CONSOLE_RX_BUFFER_SIZE = 4096;

/** A zero-copy view of a console config space. */
export class VirtioConsoleConfigView extends GuestStructView {
  get size(): number {
    return VIRTIO_CONSOLE_CONFIG_SIZE;
  }
  /** Reads `cols`. */
  cols(): number {
    return this.memory.read16(this.gpa);
  }
  /** Writes `cols`; false if the write was dropped. */
  setCols(value: number): boolean {
    return this.memory.write16(this.gpa, value);
  }
  /** Reads `rows`. */
  rows(): number {
    return this.memory.read16(this.gpa + 2);
  }
  /** Writes `rows`; false if the write was dropped. */
  setRows(value: number): boolean {
    return this.memory.write16(this.gpa + 2, value);
  }
  /** Reads `max_nr_ports`. */
  maxNrPorts(): number {
    return this.memory.read32(this.gpa + 4);
  }
  /** Writes `max_nr_ports`; false if the write was dropped. */
  setMaxNrPorts(value: number): boolean {
    return this.memory.write32(this.gpa + 4, value);
  }
  /** Reads `emerg_wr`. */
  emergWr(): number {
    return this.memory.read32(this.gpa + 8);
  }
  /** Writes `emerg_wr`; false if the write was dropped. */
  setEmergWr(value: number): boolean {
    return this.memory.write32(this.gpa + 8, value);
  }
}
