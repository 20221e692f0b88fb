/**
 * The `lguest` program's entry: parse the command line, then prepare the guest (memory, kernel,
 * initrd, boot page, devices) and boot it. Returns the exit status, so the same function serves the
 * bin and tests.
 *
 * Exit statuses: 0 for `--help` and `--version`; 1 for a usage error (with the usage text), for a
 * kernel, initrd, device file or memory size the Launcher refuses (`lguest: <reason>`), and — until
 * the Host exists — after a successful preparation, because the guest cannot be run yet.
 */

import { LoadError } from './load-error.js';
import { parseCommandLine, USAGE } from './options.js';
import { prepareGuest } from './prepare.js';
import { VERSION } from './version.js';

/** Where the Launcher writes; tests pass their own. */
export interface LauncherIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: LauncherIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the Launcher on `argv` (without node and script names); resolves to the exit status. */
export async function main(argv: readonly string[], io: LauncherIo = processIo): Promise<number> {
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
    case 'launch': {
      const options = parsed.options;
      const decoder = new TextDecoder();
      let guest: ReturnType<typeof prepareGuest>;
      try {
        guest = prepareGuest(options, {
          console: { output: (chunk) => io.stdout(decoder.decode(chunk, { stream: true })) },
          trace: options.verbosity > 0 ? (line) => io.stderr(`lguest: ${line}\n`) : undefined,
        });
      } catch (error) {
        if (!(error instanceof LoadError)) throw error;
        io.stderr(`lguest: ${error.message}\n`);
        return 1;
      }
      guest.bus.close();
      // The guest is ready for LHREQ_INITIALIZE, but there is no Host to run it yet; say so plainly.
      io.stderr(
        'lguest: the guest is loaded, but booting it needs the Host (@lguest/hypervisor), which is not implemented yet\n',
      );
      return 1;
    }
  }
}
