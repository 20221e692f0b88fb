import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { bootGuest, runGuest } from './boot.js';

it('boots lguest-hello and prints its line, then powers off', () => {
  const guest = bootGuest('lguest-hello');
  const run = runGuest(guest);
  const expected = readFileSync(
    new URL('../../../tools/guests/programs/lguest/hello.expected', import.meta.url),
    'utf8',
  );
  expect(run.transcript).toBe(expected);
});
