/**
 * `-vv`: the Host's trace events (`@lguest/hypervisor`'s trace hook) as one readable line each, for
 * the Launcher's stderr.
 */
import type { TraceEvent } from '@lguest/hypervisor';
import { hex } from './load-error.js';

/** One line for one Host event. */
export function formatTraceEvent(event: TraceEvent): string {
  switch (event.kind) {
    case 'hypercall':
      return `hypercall ${event.call}(${event.args.map(hex).join(', ')})${event.async ? ' from the async ring' : ''}`;
    case 'trap':
      return `trap ${event.vector} at eip ${hex(event.eip)}, error code ${hex(event.errorCode)}, cr2 ${hex(event.cr2)}`;
    case 'interrupt':
      return `interrupt: irq ${event.irq} through vector ${hex(event.vector)} at eip ${hex(event.eip)}`;
    case 'kill':
      return `kill: ${event.reason}`;
  }
}
