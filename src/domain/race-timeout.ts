// One bounded wait, shared by every layer: a promise's outcome, or 'timeout' after ms.

/** Settle with the promise's outcome, or with 'timeout' after ms; the timer never keeps the process alive. */
export async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
