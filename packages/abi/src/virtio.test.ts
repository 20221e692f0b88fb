import { describe, expect, it } from 'vitest';
import * as v from './virtio.js';

describe('§9.1 virtio device IDs', () => {
  it('match the spec list', () => {
    expect(v.VIRTIO_ID_NET).toBe(1);
    expect(v.VIRTIO_ID_BLOCK).toBe(2);
    expect(v.VIRTIO_ID_CONSOLE).toBe(3);
    expect(v.VIRTIO_ID_RNG).toBe(4);
    expect(v.VIRTIO_ID_BALLOON).toBe(5);
    expect(v.VIRTIO_ID_RPMSG).toBe(7);
    expect(v.VIRTIO_ID_SCSI).toBe(8);
    expect(v.VIRTIO_ID_9P).toBe(9);
    expect(v.VIRTIO_ID_RPROC_SERIAL).toBe(11);
    expect(v.VIRTIO_ID_CAIF).toBe(12);
  });
});

describe('§9.2 status bits', () => {
  it('match the spec', () => {
    expect(v.VIRTIO_CONFIG_S_ACKNOWLEDGE).toBe(1);
    expect(v.VIRTIO_CONFIG_S_DRIVER).toBe(2);
    expect(v.VIRTIO_CONFIG_S_DRIVER_OK).toBe(4);
    expect(v.VIRTIO_CONFIG_S_FAILED).toBe(0x80);
    // "status then 3 = ACK|DRIVER", "status becomes 7".
    expect(v.VIRTIO_CONFIG_S_ACKNOWLEDGE | v.VIRTIO_CONFIG_S_DRIVER).toBe(3);
    expect(v.VIRTIO_CONFIG_S_ACKNOWLEDGE | v.VIRTIO_CONFIG_S_DRIVER | v.VIRTIO_CONFIG_S_DRIVER_OK).toBe(7);
  });
});

describe('transport feature bits', () => {
  it('match §9.1 and §9.5', () => {
    expect(v.VIRTIO_F_NOTIFY_ON_EMPTY).toBe(24);
    expect(v.VIRTIO_F_ANY_LAYOUT).toBe(27);
    expect(v.VIRTIO_RING_F_INDIRECT_DESC).toBe(28);
    expect(v.VIRTIO_RING_F_EVENT_IDX).toBe(29);
    expect(v.VIRTIO_TRANSPORT_F_START).toBe(28);
    expect(v.VIRTIO_TRANSPORT_F_END).toBe(32);
  });
});
