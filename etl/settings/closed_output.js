/**
 * Lets a command outlive the reader of its output (`npm run etl | head`, `npm start | tee api.log`
 * with tee gone, a log shipper restarted): a write then fails with EPIPE, and an 'error' event
 * nobody listened to ended the process with a stack trace and exit 1, a load that had published its
 * version or an API serving requests included. What would have been printed is dropped; stdout's
 * first error goes to `onStdoutClosed` (the API says so once), stderr's nowhere (there is nowhere
 * left to say anything).
 *
 * @example
 * ```js
 * outliveClosedOutput(); // first thing in a CLI's entry point
 * ```
 * @param {(error: NodeJS.ErrnoException) => void} [onStdoutClosed]
 */
export function outliveClosedOutput(onStdoutClosed = () => {}) {
  let told = false;
  process.stdout.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
    if (told) return;
    told = true;
    onStdoutClosed(error);
  });
  process.stderr.on("error", () => {});
}
