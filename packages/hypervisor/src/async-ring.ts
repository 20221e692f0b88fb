/**
 * The asynchronous hypercall ring in `lguest_data` (spec §3.3): 64 slots of five words, each with a
 * status byte (0 = request, 0xFF = done). The guest queues page-table and context-switch calls there
 * while in a lazy mode; the Host drains it only when the guest makes a synchronous hypercall, before
 * running that call (`vcpu.ts`, §3.4). A NOTIFY found in the ring stops the drain so the Launcher
 * sees it before anything later runs.
 */
import { LHCALL_RING_SIZE, LHCALL_STATUS_EMPTY } from '@lguest/abi';
import { doHypercall } from './hypercalls.js';
import type { Vcpu } from './vcpu.js';

/** Runs the queued calls in order from the cursor, at most one lap of the ring. */
export function drainAsyncRing(vcpu: Vcpu): void {
  const guest = vcpu.guest;
  const data = guest.lguestData;
  if (data === undefined) return;
  // The common case, an empty ring, costs one byte read instead of a 64-byte snapshot.
  if (data.hcallStatus(vcpu.nextHcall) === LHCALL_STATUS_EMPTY) return;
  const status = vcpu.ringStatus;
  // One snapshot of the status bytes: slots the guest fills while we drain wait for the next call.
  if (!data.copyHcallStatus(status)) return;
  for (let n = 0; n < LHCALL_RING_SIZE; n++) {
    const slot = vcpu.nextHcall;
    if (status[slot] === LHCALL_STATUS_EMPTY) break;
    vcpu.nextHcall = (slot + 1) % LHCALL_RING_SIZE;
    const call = data.hcallArg(slot, 0);
    const a1 = data.hcallArg(slot, 1);
    const a2 = data.hcallArg(slot, 2);
    const a3 = data.hcallArg(slot, 3);
    const a4 = data.hcallArg(slot, 4);
    if (guest.dead) {
      guest.kill('Fetching async hypercalls');
      return;
    }
    doHypercall(vcpu, call, a1, a2, a3, a4, true);
    if (!data.setHcallStatus(slot, LHCALL_STATUS_EMPTY)) guest.kill('Writing result for async hypercall');
    if (guest.dead || vcpu.pendingNotify !== 0) return;
  }
}
