#!/usr/bin/env node
/** The `lguest` bin. */
import { main } from './main.js';

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
