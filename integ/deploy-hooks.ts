/**
 * A pre-deploy hook command that fails with `message`: it stops `integ:deploy` before
 * anything is created when a test cannot deploy as configured (placeholder values, say).
 * integ-runner runs hooks without a shell and splits them on spaces, hence the escapes.
 */
export function failingHook(message: string): string {
  return `node -e console.error('${message.replace(/ /g, '\\u0020').replace(/'/g, '\\u0027')}');process.exit(1)`;
}
