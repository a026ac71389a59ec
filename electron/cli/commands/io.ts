/** What a command may use of its process: output, environment, whether a person is at the terminal. */
export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly interactive: boolean;
}

/** argv: the words after the top-level name; path: the sub-command words the grammar (commander) matched, e.g. ['ssl', 'enable']. */
export type Command = (argv: readonly string[], io: CommandIo, path: readonly string[]) => Promise<number>;
