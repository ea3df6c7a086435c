/**
 * Waits for a condition the test cannot be told about by a promise (a background write landing,
 * a server answering), checking it every few milliseconds, and fails after `timeoutMs`. The bound
 * only turns a hang into a failure; nothing is timed.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise<void>((check) => setTimeout(check, 5));
  }
}
