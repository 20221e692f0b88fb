/**
 * A device for core tests: records the lifecycle calls the bus makes, and completes every chain of
 * its queues with the number of writable bytes, filling them with the chain's readable bytes
 * (an echo), so tests can see exactly what the walker handed over.
 */
import type { DescriptorChain, DeviceBinding, QueueSpec, VirtioDevice } from '@lguest/devices';

export class RecordingDevice implements VirtioDevice {
  readonly name: string;
  readonly type: number;
  readonly queues: readonly QueueSpec[];
  readonly features: number;
  readonly featureLen: number;
  readonly config: Uint8Array;
  readonly calls: string[] = [];
  readonly chains: { head: number; out: number; in: number; outBytes: number; inBytes: number }[] = [];
  binding: DeviceBinding | undefined;
  started: number | undefined;

  constructor(
    options: {
      name?: string;
      type?: number;
      queues?: number[];
      features?: number;
      featureLen?: number;
      config?: Uint8Array;
    } = {},
  ) {
    this.name = options.name ?? 'test';
    this.type = options.type ?? 0x42;
    this.queues = (options.queues ?? [8]).map((num, i) => ({ name: `q${i}`, num }));
    this.features = options.features ?? 0;
    this.featureLen = options.featureLen ?? 4;
    this.config = options.config ?? new Uint8Array(0);
  }

  attach(binding: DeviceBinding): void {
    this.binding = binding;
    this.calls.push('attach');
  }

  start(features: number): void {
    this.started = features;
    this.calls.push(`start ${features.toString(16)}`);
  }

  kick(queue: number): void {
    this.calls.push(`kick ${queue}`);
    const q = this.binding?.queues[queue];
    q?.service((chain: DescriptorChain) => {
      this.chains.push({
        head: chain.head,
        out: chain.outCount,
        in: chain.inCount,
        outBytes: chain.outBytes,
        inBytes: chain.inBytes,
      });
      const echo = new Uint8Array(Math.min(chain.outBytes, chain.inBytes));
      chain.gather(0, echo);
      chain.scatter(0, echo);
      q.push(chain.head, echo.length);
    });
  }

  reset(): void {
    this.started = undefined;
    this.calls.push('reset');
  }

  close(): void {
    this.calls.push('close');
  }
}
