/** The one capability every Windows adapter needs: run a program with an argument array (never a shell). */
import type { Processes } from '../types.js';

/** A `Processes`-like runner; tests inject a recorder to check exact argv and stdin. */
export type CommandRunner = Pick<Processes, 'run'>;
