/** Exit codes of the `liebian` command (docs/cli.md). */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  CONFIG: 3,
  STORE_UNAVAILABLE: 4,
  INPUT: 5,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}
