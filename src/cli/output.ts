/** Prints a command result: JSON on one line with `--json`, otherwise readable text lines. */
export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text() + '\n');
}
