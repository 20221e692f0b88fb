/**
 * The trace hook: one structured event per hypercall, guest trap, interrupt delivery and kill, for the
 * Launcher's `-vv` and for tests. The Host builds an event only when a hook is set, so an untraced
 * guest pays one `undefined` check per event site.
 */

/** One thing the Host did for the guest. */
export type TraceEvent =
  | {
      kind: 'hypercall';
      /** The call number (eax). */
      call: number;
      /** ebx, ecx, edx, esi. */
      args: readonly [number, number, number, number];
      /** True when it came from the async ring (§3.3). */
      async: boolean;
    }
  | { kind: 'trap'; vector: number; errorCode: number; eip: number; cr2: number }
  | { kind: 'interrupt'; irq: number; vector: number; eip: number }
  | { kind: 'kill'; reason: string };

/** Receives trace events. */
export type TraceHook = (event: TraceEvent) => void;
