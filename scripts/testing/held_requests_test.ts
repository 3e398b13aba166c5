// The browser pauses requests up to its last moment. One paused as its tab closes was answered
// with a command nobody awaited: the browser refused it (the session was gone), and the rejection
// failed dashboard_races_test.ts in CI after all of its tests had passed.
// Skips with a message when chromium is not installed (CI installs it; see .ci/run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Browser, findChromium } from "./cdp.ts";
import { answerPaused } from "./held_requests.ts";

const chromium = findChromium();
const skip = chromium ? false : "chromium is not installed (apt-get install -y chromium); skipping the browser tests";

test("a request paused as its tab closes is let go quietly; another refusal of the browser is in page.errors", { skip }, async () => {
  const browser = await Browser.launch(chromium!);
  try {
    const closing = await browser.newPage();
    // The tab's session ends, as it does when the browser closes at the end of a test file.
    await browser.send("Target.detachFromTarget", { sessionId: closing.sessionId });
    await answerPaused(closing, [], { requestId: "interception-job-1.0", request: { url: "http://127.0.0.1:9/gone" } });
    assert.deepEqual(closing.errors, []);

    // A live tab refusing the command (no such paused request) is not "gone": the test is told.
    const live = await browser.newPage();
    await live.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Response" }] });
    await answerPaused(live, [], { requestId: "interception-job-1.0", request: { url: "http://127.0.0.1:9/x" } });
    assert.equal(live.errors.length, 1, JSON.stringify(live.errors));
    assert.match(live.errors[0], /^Fetch\.continueRequest for http:\/\/127\.0\.0\.1:9\/x failed: /);
  } finally {
    await browser.close();
  }
});
