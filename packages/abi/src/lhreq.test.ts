import { describe, expect, it } from 'vitest';
import * as e from './errno.js';
import * as r from './lhreq.js';

describe('§2.1 /dev/lguest requests', () => {
  it('are numbered as the table says', () => {
    expect(r.LHREQ_INITIALIZE).toBe(0);
    expect(r.LHREQ_GETDMA).toBe(1);
    expect(r.LHREQ_IRQ).toBe(2);
    expect(r.LHREQ_BREAK).toBe(3);
    expect(r.LHREQ_EVENTFD).toBe(4);
    expect(r.LHREQ_GETREG).toBe(5);
    expect(r.LHREQ_SETREG).toBe(6);
    expect(r.LHREQ_TRAP).toBe(7);
  });

  it('INITIALIZE takes three 4-byte words and returns 12', () => {
    expect(r.LHREQ_WORD_SIZE).toBe(4);
    expect(r.LHREQ_INITIALIZE_ARGS).toBe(3);
    expect(r.LHREQ_INITIALIZE_RESULT).toBe(12);
  });

  it('a notification is read as one 4-byte word from CPU 0', () => {
    expect(r.LHREQ_NOTIFY_READ_SIZE).toBe(4);
    expect(r.LGUEST_ONLY_CPU).toBe(0);
  });
});

describe('Appendix B errno values', () => {
  it('match the spec', () => {
    expect(e.EPERM).toBe(1);
    expect(e.ENOENT).toBe(2);
    expect(e.EFAULT).toBe(14);
    expect(e.EBUSY).toBe(16);
    expect(e.EINVAL).toBe(22);
    expect(e.ENOMEM).toBe(12);
    expect(e.EAGAIN).toBe(11);
    expect(e.EINTR).toBe(4);
    expect(e.ERESTART).toBe(85);
  });

  it('names every Appendix B value and nothing else', () => {
    expect(Object.keys(e.LGUEST_ERRNOS).sort()).toEqual(
      ['EAGAIN', 'EBUSY', 'EFAULT', 'EINTR', 'EINVAL', 'ENOENT', 'ENOMEM', 'EPERM', 'ERESTART'].sort(),
    );
    expect(e.errnoName(22)).toBe('EINVAL');
    expect(e.errnoName(85)).toBe('ERESTART');
    expect(e.errnoName(1)).toBe('EPERM');
    expect(e.errnoName(3)).toBeUndefined();
    expect(e.errnoName(-22)).toBeUndefined();
  });
});
