// Waiting for something, but only so long: a status that may answer in the ack, a delivery claim on a
// Redis that may be stalled, the audit flush at shutdown. The timer is cleared either way, so nothing
// lingers after the answer.

/** The promise's value if it fulfils within `ms`; undefined when it is slower or fails (the caller decides what that means). */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([promise.then((value) => ({ value })), late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
