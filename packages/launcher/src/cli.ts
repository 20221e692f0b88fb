#!/usr/bin/env node
/** The `lguest` bin: runs `main` on the process's arguments and streams, and exits with its status. */
import { main } from './main.js';

main(process.argv.slice(2)).then((status) => {
  // The vCPU thread and stdin would keep the process alive; stdout and stderr are synchronous here.
  process.exit(status);
});
