/**
 * The `lguest` program's entry: parse the command line, prepare the guest (memory, kernel, initrd,
 * boot page, devices), open the Host's `/dev/lguest` file, `LHREQ_INITIALIZE` (the vCPU starts in its
 * worker thread), optionally drop privileges, and run the guest (`run-loop.ts`) with the console on
 * stdin and stdout. A restart request boots the guest again in this process. Returns the exit
 * status, so the same function serves the bin and tests.
 *
 * Exit statuses: 0 for `--help`, `--version` and a normal guest power-off; 1 for a usage error (with
 * the usage text), a kernel, initrd, device file or memory size the Launcher refuses, and every
 * other end of the guest (its death reason, a panic, a malformed vring, three Ctrl-C, a signal),
 * which is printed as `lguest: <reason>`.
 */
import type { GuestMemory } from '@lguest/abi';
import { LguestError, type LguestFile, openLguest, type TraceHook } from '@lguest/hypervisor';
import { ConsoleInput } from './console-input.js';
import { FileTransport } from './file-transport.js';
import { LoadError } from './load-error.js';
import { type LaunchOptions, parseCommandLine, USAGE } from './options.js';
import { type PreparedGuest, prepareGuest } from './prepare.js';
import { dropPrivileges } from './privileges.js';
import { type GuestEnd, runGuest } from './run-loop.js';
import { Terminal, type TerminalInput } from './terminal.js';
import { formatTraceEvent } from './trace-format.js';
import { VERSION } from './version.js';

/** Where the Launcher writes and reads; tests pass their own. Only `stdout` and `stderr` are required. */
export interface LauncherIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Console input (raw mode when it is a TTY). Default: none. */
  readonly stdin?: TerminalInput;
  /** `--username`: becomes that user. Default: refuse (only the bin really drops privileges). */
  readonly dropPrivileges?: (username: string) => void;
  /** The clock of the triple-Ctrl-C rule, in ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Install process-wide handlers (SIGINT, SIGTERM, SIGHUP, uncaught errors, exit). The bin does. */
  readonly processHooks?: boolean;
}

/** The bin's io: the process's streams and privileges (stdin is only touched when the bin runs). */
function processIo(): LauncherIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    dropPrivileges,
    processHooks: true,
  };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs the Launcher on `argv` (without node and script names); resolves to the exit status. */
export async function main(argv: readonly string[], io: LauncherIo = processIo()): Promise<number> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'help':
      io.stdout(`${USAGE}\n`);
      return 0;
    case 'version':
      io.stdout(`lguest ${VERSION}\n`);
      return 0;
    case 'error':
      io.stderr(`lguest: ${parsed.message}\n${USAGE}\n`);
      return 1;
    case 'launch':
      return new Launch(parsed.options, io).run();
  }
}

/** One run of the Launcher: its terminal, its input, and the boots of the guest. */
class Launch {
  readonly #options: LaunchOptions;
  readonly #io: LauncherIo;
  readonly #trace: ((line: string) => void) | undefined;
  readonly #hostTrace: TraceHook | undefined;
  readonly #terminal: Terminal | undefined;
  readonly #input: ConsoleInput;
  #file: LguestFile | undefined;
  #stopReason: string | undefined;
  readonly #cleanups: (() => void)[] = [];

  constructor(options: LaunchOptions, io: LauncherIo) {
    this.#options = options;
    this.#io = io;
    this.#trace = options.verbosity > 0 ? (line) => io.stderr(`lguest: ${line}\n`) : undefined;
    this.#hostTrace =
      options.verbosity > 1 ? (event) => io.stderr(`lguest: ${formatTraceEvent(event)}\n`) : undefined;
    this.#terminal = io.stdin === undefined ? undefined : new Terminal(io.stdin);
    this.#input = new ConsoleInput({
      now: io.now,
      onTripleCtrlC: () => this.stop('three Ctrl-C: stopping the guest'),
    });
  }

  /** Ends the current boot from outside; the run ends with `reason` and status 1. */
  stop(reason: string): void {
    this.#stopReason ??= reason;
    this.#file?.close();
  }

  async run(): Promise<number> {
    try {
      this.#open();
      for (let boot = 1; ; boot++) {
        const end = await this.#boot(boot);
        if (typeof end === 'number') return end;
        if (end.kind === 'restart') {
          this.#trace?.('the guest asked for a restart: booting it again');
          continue;
        }
        if (end.kind === 'poweroff') {
          this.#trace?.('the guest powered off');
          return 0;
        }
        this.#io.stderr(`lguest: ${end.reason}\n`);
        return 1;
      }
    } finally {
      this.#close();
    }
  }

  /** Terminal, input and process hooks for the whole run. */
  #open(): void {
    const io = this.#io;
    const terminal = this.#terminal;
    if (terminal !== undefined) {
      terminal.enterRaw();
      const stdin = terminal.input;
      const onData = (chunk: Buffer | string) =>
        this.#input.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      const onEnd = () => {
        if (this.#input.ended) return;
        this.#trace?.('console input ended');
        this.#input.end();
      };
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.on('error', onEnd);
      stdin.resume();
      this.#cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.off('error', onEnd);
        stdin.pause();
        terminal.restore();
      });
    }
    if (io.processHooks === true) {
      const restore = () => terminal?.restore();
      const onSignal = (signal: NodeJS.Signals) => this.stop(`killed by ${signal}`);
      const onUncaught = (error: unknown) => {
        restore();
        process.stderr.write(`lguest: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
        process.exit(1);
      };
      process.on('exit', restore);
      for (const signal of SIGNALS) process.on(signal, onSignal);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUncaught);
      this.#cleanups.push(() => {
        process.off('exit', restore);
        for (const signal of SIGNALS) process.off(signal, onSignal);
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
      });
    }
  }

  #close(): void {
    this.#file?.close();
    for (const cleanup of this.#cleanups.splice(0).reverse()) cleanup();
  }

  /** Prepares, initializes and runs the guest once; a number is an exit status before it ran. */
  async #boot(boot: number): Promise<GuestEnd | number> {
    const options = this.#options;
    const io = this.#io;
    const decoder = new TextDecoder();
    const earlyDecoder = new TextDecoder();
    let transport: FileTransport | undefined;
    let guest: PreparedGuest;
    try {
      guest = prepareGuest(options, {
        console: { output: (chunk) => io.stdout(decoder.decode(chunk, { stream: true })) },
        trace: boot === 1 ? this.#trace : undefined,
        transport: (memory: GuestMemory) => {
          transport = new FileTransport(memory, () => this.#file?.close());
          return transport;
        },
        bus: {
          listen: false,
          onEarlyConsole: (text) => io.stdout(earlyDecoder.decode(text, { stream: true })),
          onWarning: (message) => io.stderr(`lguest: ${message}\n`),
        },
      });
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      io.stderr(`lguest: ${error.message}\n`);
      return 1;
    }
    const killer = (transport as FileTransport).killer;
    const file = openLguest({ memory: guest.memory, trace: this.#hostTrace });
    this.#file = file;
    try {
      if (this.#stopReason !== undefined) return { kind: 'stopped', reason: this.#stopReason };
      (transport as FileTransport).attach(file);
      try {
        file.write([0, ...guest.initializeWords]);
      } catch (error) {
        if (!(error instanceof LguestError)) throw error;
        io.stderr(`lguest: LHREQ_INITIALIZE failed: ${error.message}\n`);
        return 1;
      }
      if (boot === 1 && options.username !== undefined) {
        const drop =
          io.dropPrivileges ??
          (() => {
            throw new Error('dropping privileges is only possible from the lguest bin');
          });
        try {
          drop(options.username);
          this.#trace?.(
            `now running as ${options.username} (uid ${process.getuid?.()}, gid ${process.getgid?.()}, groups ${process.getgroups?.().join(',')})`,
          );
        } catch (error) {
          io.stderr(`lguest: ${(error as Error).message}\n`);
          return 1;
        }
      }
      this.#input.attach(guest.console);
      return await runGuest(file, guest.bus, killer, {
        trace: this.#trace,
        stopReason: () => this.#stopReason,
      });
    } finally {
      this.#input.attach(undefined);
      file.close();
      this.#file = undefined;
      guest.bus.close();
    }
  }
}
