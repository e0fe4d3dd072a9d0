/**
 * Lets React send the page shell (and other panels' skeletons) before a panel runs its
 * synchronous SQLite query: without a real await the query would run before anything streams.
 */
export function yieldToStream(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
