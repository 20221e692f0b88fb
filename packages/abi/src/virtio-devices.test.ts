import { describe, expect, it } from 'vitest';
import { GuestMemory } from './memory.js';
import * as blk from './virtio-block.js';
import * as con from './virtio-console.js';
import * as net from './virtio-net.js';

function memory(): GuestMemory {
  return new GuestMemory(new ArrayBuffer(4096));
}

describe('§9.5 console', () => {
  it('pins queues, features and config', () => {
    expect(con.VIRTIO_CONSOLE_RX_QUEUE).toBe(0);
    expect(con.VIRTIO_CONSOLE_TX_QUEUE).toBe(1);
    expect(con.VIRTIO_CONSOLE_F_SIZE).toBe(0);
    expect(con.VIRTIO_CONSOLE_F_MULTIPORT).toBe(1);
    expect(con.VIRTIO_CONSOLE_F_EMERG_WRITE).toBe(2);
    expect(con.VIRTIO_CONSOLE_CONFIG_LAYOUT).toEqual({
      cols: { offset: 0, size: 2 },
      rows: { offset: 2, size: 2 },
      maxNrPorts: { offset: 4, size: 4 },
      emergWr: { offset: 8, size: 4 },
    });
    expect(con.VIRTIO_CONSOLE_CONFIG_SIZE).toBe(12);
    expect(con.LAUNCHER_CONSOLE_CONFIG_LEN).toBe(0);
    expect(con.VIRTIO_CONSOLE_RX_BUFFER_SIZE).toBe(4096);
  });

  it('round-trips the config view', () => {
    const mem = memory();
    const view = new con.VirtioConsoleConfigView(mem, 0x101);
    view.setCols(80);
    view.setRows(25);
    view.setMaxNrPorts(4);
    view.setEmergWr(0x41);
    expect([mem.read16(0x101), mem.read16(0x103), mem.read32(0x105), mem.read32(0x109)]).toEqual([
      80, 25, 4, 0x41,
    ]);
    expect([view.cols(), view.rows(), view.maxNrPorts(), view.emergWr(), view.size]).toEqual([
      80, 25, 4, 0x41, 12,
    ]);
  });
});

describe('§9.5 block', () => {
  it('pins the request header, types and status values', () => {
    expect(blk.VIRTIO_BLK_REQ_LAYOUT).toEqual({
      type: { offset: 0, size: 4 },
      ioprio: { offset: 4, size: 4 },
      sector: { offset: 8, size: 8 },
    });
    expect(blk.VIRTIO_BLK_REQ_HEADER_SIZE).toBe(16);
    expect(blk.VIRTIO_BLK_STATUS_SIZE).toBe(1);
    expect(blk.VIRTIO_BLK_SECTOR_SIZE).toBe(512);
    expect(blk.VIRTIO_BLK_T_IN).toBe(0);
    expect(blk.VIRTIO_BLK_T_OUT).toBe(1);
    expect(blk.VIRTIO_BLK_T_SCSI_CMD).toBe(2);
    expect(blk.VIRTIO_BLK_T_FLUSH).toBe(4);
    expect(blk.VIRTIO_BLK_T_GET_ID).toBe(8);
    expect(blk.VIRTIO_BLK_T_BARRIER).toBe(0x80000000);
    expect(blk.VIRTIO_BLK_ID_BYTES).toBe(20);
    expect(blk.VIRTIO_BLK_S_OK).toBe(0);
    expect(blk.VIRTIO_BLK_S_IOERR).toBe(1);
    expect(blk.VIRTIO_BLK_S_UNSUPP).toBe(2);
  });

  it('pins the feature bits', () => {
    expect(blk.VIRTIO_BLK_F_BARRIER).toBe(0);
    expect(blk.VIRTIO_BLK_F_SIZE_MAX).toBe(1);
    expect(blk.VIRTIO_BLK_F_SEG_MAX).toBe(2);
    expect(blk.VIRTIO_BLK_F_GEOMETRY).toBe(4);
    expect(blk.VIRTIO_BLK_F_RO).toBe(5);
    expect(blk.VIRTIO_BLK_F_BLK_SIZE).toBe(6);
    expect(blk.VIRTIO_BLK_F_SCSI).toBe(7);
    expect(blk.VIRTIO_BLK_F_FLUSH).toBe(9);
    expect(blk.VIRTIO_BLK_F_TOPOLOGY).toBe(10);
    expect(blk.VIRTIO_BLK_F_CONFIG_WCE).toBe(11);
    expect(blk.VIRTIO_BLK_F_MQ).toBe(12);
  });

  it('pins the packed config', () => {
    expect(blk.VIRTIO_BLK_CONFIG_LAYOUT).toEqual({
      capacity: { offset: 0, size: 8 },
      sizeMax: { offset: 8, size: 4 },
      segMax: { offset: 12, size: 4 },
      cylinders: { offset: 16, size: 2 },
      heads: { offset: 18, size: 1 },
      sectors: { offset: 19, size: 1 },
      blkSize: { offset: 20, size: 4 },
      physicalBlockExp: { offset: 24, size: 1 },
      alignmentOffset: { offset: 25, size: 1 },
      minIoSize: { offset: 26, size: 2 },
      optIoSize: { offset: 28, size: 4 },
      wce: { offset: 32, size: 1 },
      unused: { offset: 33, size: 1 },
      numQueues: { offset: 34, size: 2 },
    });
    expect(blk.VIRTIO_BLK_CONFIG_SIZE).toBe(36);
  });

  it('pins the reference Launcher block device (§10.4)', () => {
    expect(blk.LAUNCHER_BLOCK_CONFIG_LEN).toBe(16);
    expect(blk.LAUNCHER_BLOCK_FEATURE_LEN).toBe(2);
    expect(blk.LAUNCHER_BLOCK_SEG_MAX).toBe(254);
    // The Launcher's 16 config bytes are exactly capacity, size_max, seg_max.
    const l = blk.VIRTIO_BLK_CONFIG_LAYOUT;
    expect(l.segMax.offset + l.segMax.size).toBe(blk.LAUNCHER_BLOCK_CONFIG_LEN);
  });

  it('round-trips the config view', () => {
    const mem = memory();
    const view = new blk.VirtioBlkConfigView(mem, 0x200);
    view.setCapacity(0x1_2345_6789n);
    view.setSizeMax(4096);
    view.setSegMax(254);
    view.setGeometry(1024, 16, 63);
    view.setBlkSize(512);
    view.setTopology(3, 1, 8, 64);
    view.setWce(1);
    view.setNumQueues(2);
    expect(mem.read64(0x200)).toBe(0x1_2345_6789n);
    expect(mem.read32(0x208)).toBe(4096);
    expect(mem.read32(0x20c)).toBe(254);
    expect([mem.read16(0x210), mem.read8(0x212), mem.read8(0x213)]).toEqual([1024, 16, 63]);
    expect(mem.read32(0x214)).toBe(512);
    expect([mem.read8(0x218), mem.read8(0x219), mem.read16(0x21a), mem.read32(0x21c)]).toEqual([3, 1, 8, 64]);
    expect(mem.read8(0x220)).toBe(1);
    expect(mem.read16(0x222)).toBe(2);
    expect([
      view.capacity(),
      view.sizeMax(),
      view.segMax(),
      view.cylinders(),
      view.heads(),
      view.sectors(),
      view.blkSize(),
      view.physicalBlockExp(),
      view.alignmentOffset(),
      view.minIoSize(),
      view.optIoSize(),
      view.wce(),
      view.numQueues(),
    ]).toEqual([0x1_2345_6789n, 4096, 254, 1024, 16, 63, 512, 3, 1, 8, 64, 1, 2]);
  });

  it('round-trips the request header view', () => {
    const mem = memory();
    const view = new blk.VirtioBlkReqView(mem, 0x30);
    view.set(blk.VIRTIO_BLK_T_OUT | blk.VIRTIO_BLK_T_BARRIER, 0, 0xffff_ffff_0000n);
    expect(mem.read32(0x30)).toBe(0x8000_0001);
    expect(mem.read64(0x38)).toBe(0xffff_ffff_0000n);
    expect([view.type(), view.ioprio(), view.sector(), view.size]).toEqual([
      0x8000_0001,
      0,
      0xffff_ffff_0000n,
      16,
    ]);
  });
});

describe('§9.5 net', () => {
  it('pins virtio_net_hdr', () => {
    expect(net.VIRTIO_NET_HDR_LAYOUT).toEqual({
      flags: { offset: 0, size: 1 },
      gsoType: { offset: 1, size: 1 },
      hdrLen: { offset: 2, size: 2 },
      gsoSize: { offset: 4, size: 2 },
      csumStart: { offset: 6, size: 2 },
      csumOffset: { offset: 8, size: 2 },
      numBuffers: { offset: 10, size: 2 },
    });
    expect(net.VIRTIO_NET_HDR_SIZE).toBe(10);
    expect(net.VIRTIO_NET_HDR_MRG_RXBUF_SIZE).toBe(12);
    expect(net.VIRTIO_NET_HDR_F_NEEDS_CSUM).toBe(1);
    expect(net.VIRTIO_NET_HDR_F_DATA_VALID).toBe(2);
    expect(net.VIRTIO_NET_HDR_GSO_NONE).toBe(0);
    expect(net.VIRTIO_NET_HDR_GSO_TCPV4).toBe(1);
    expect(net.VIRTIO_NET_HDR_GSO_UDP).toBe(3);
    expect(net.VIRTIO_NET_HDR_GSO_TCPV6).toBe(4);
    expect(net.VIRTIO_NET_HDR_GSO_ECN).toBe(0x80);
  });

  it('pins queues, config and Launcher sizes', () => {
    expect(net.VIRTIO_NET_RX_QUEUE).toBe(0);
    expect(net.VIRTIO_NET_TX_QUEUE).toBe(1);
    expect(net.VIRTIO_NET_CTRL_QUEUE).toBe(2);
    expect(net.VIRTIO_NET_CONFIG_LAYOUT).toEqual({
      mac: { offset: 0, size: 6 },
      status: { offset: 6, size: 2 },
      maxVirtqueuePairs: { offset: 8, size: 2 },
    });
    expect(net.VIRTIO_NET_CONFIG_SIZE).toBe(10);
    expect(net.ETH_ALEN).toBe(6);
    expect(net.LAUNCHER_NET_FEATURE_LEN).toBe(4);
    expect(net.VIRTIO_NET_SMALL_FRAME_SIZE).toBe(1518);
    expect(net.VIRTIO_NET_BIG_SEGMENTS).toBe(19);
  });

  it('pins the feature bits', () => {
    expect(net.VIRTIO_NET_F_CSUM).toBe(0);
    expect(net.VIRTIO_NET_F_GUEST_CSUM).toBe(1);
    expect(net.VIRTIO_NET_F_MAC).toBe(5);
    expect(net.VIRTIO_NET_F_GSO).toBe(6);
    expect(net.VIRTIO_NET_F_GUEST_TSO4).toBe(7);
    expect(net.VIRTIO_NET_F_GUEST_TSO6).toBe(8);
    expect(net.VIRTIO_NET_F_GUEST_ECN).toBe(9);
    expect(net.VIRTIO_NET_F_GUEST_UFO).toBe(10);
    expect(net.VIRTIO_NET_F_HOST_TSO4).toBe(11);
    expect(net.VIRTIO_NET_F_HOST_TSO6).toBe(12);
    expect(net.VIRTIO_NET_F_HOST_ECN).toBe(13);
    expect(net.VIRTIO_NET_F_HOST_UFO).toBe(14);
    expect(net.VIRTIO_NET_F_MRG_RXBUF).toBe(15);
    expect(net.VIRTIO_NET_F_STATUS).toBe(16);
    expect(net.VIRTIO_NET_F_CTRL_VQ).toBe(17);
    expect(net.VIRTIO_NET_F_CTRL_RX).toBe(18);
    expect(net.VIRTIO_NET_F_CTRL_VLAN).toBe(19);
    expect(net.VIRTIO_NET_F_CTRL_RX_EXTRA).toBe(20);
    expect(net.VIRTIO_NET_F_GUEST_ANNOUNCE).toBe(21);
    expect(net.VIRTIO_NET_F_MQ).toBe(22);
    expect(net.VIRTIO_NET_F_CTRL_MAC_ADDR).toBe(23);
    // No other net feature bit is exported.
    expect(Object.keys(net).filter((k) => k.startsWith('VIRTIO_NET_F_'))).toHaveLength(21);
  });

  it('round-trips the header view (10 and 12 bytes)', () => {
    const mem = memory();
    const view = new net.VirtioNetHdrView(mem, 0x41);
    view.setFlags(net.VIRTIO_NET_HDR_F_NEEDS_CSUM);
    view.setGsoType(net.VIRTIO_NET_HDR_GSO_TCPV4 | net.VIRTIO_NET_HDR_GSO_ECN);
    view.setHdrLen(54);
    view.setGsoSize(1448);
    view.setCsumStart(34);
    view.setCsumOffset(16);
    view.setNumBuffers(3);
    expect([...mem.bytes.subarray(0x41, 0x41 + 12)]).toEqual([
      1, 0x81, 54, 0, 0xa8, 0x05, 34, 0, 16, 0, 3, 0,
    ]);
    expect([
      view.flags(),
      view.gsoType(),
      view.hdrLen(),
      view.gsoSize(),
      view.csumStart(),
      view.csumOffset(),
      view.numBuffers(),
      view.size,
    ]).toEqual([1, 0x81, 54, 1448, 34, 16, 3, 10]);
  });

  it('round-trips the config view', () => {
    const mem = memory();
    const view = new net.VirtioNetConfigView(mem, 0x80);
    expect(view.setMac(new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]))).toBe(true);
    view.setStatus(1);
    view.setMaxVirtqueuePairs(1);
    expect([...mem.bytes.subarray(0x80, 0x8a)]).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56, 1, 0, 1, 0]);
    expect([view.mac(0), view.mac(5), view.status(), view.maxVirtqueuePairs()]).toEqual([0x52, 0x56, 1, 1]);
    expect(() => view.mac(6)).toThrow(RangeError);
    expect(() => view.setMac(new Uint8Array(5))).toThrow(RangeError);
  });
});
