/**
 * The dashboard's browser tests' set-up, one for every such file: the demo API on the sample data
 * and a headless chromium, started before the file's tests and closed after them, and `open()`,
 * a page on the dashboard once it has loaded. `skip` is the message to skip with when chromium is
 * not installed (printed once), or false.
 *
 * @example
 * ```ts
 * const dashboard = useDashboardBrowser();
 * test("...", { skip: dashboard.skip }, async () => {
 *   const page = await dashboard.open();
 * });
 * ```
 */
import { after, before } from "node:test";
import { Browser, findChromium, type Page } from "./cdp.ts";
import { startDemo, type Demo } from "./demo_server.ts";

export interface DashboardBrowser {
  readonly skip: string | false;
  /** The demo API; set once the file's `before` has run. */
  readonly demo: Demo;
  readonly browser: Browser;
  open(viewport?: { width: number; height: number }): Promise<Page>;
}

export function useDashboardBrowser(): DashboardBrowser {
  const chromium = findChromium();
  const skip = chromium ? false : "chromium is not installed (apt-get install -y chromium); skipping the browser tests";
  if (!chromium) console.log(skip);
  let browser: Browser | undefined;
  let demo: Demo | undefined;
  before(async () => {
    if (!chromium) return;
    [demo, browser] = await Promise.all([startDemo(), Browser.launch(chromium)]);
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });
  return {
    skip,
    get demo() {
      return demo!;
    },
    get browser() {
      return browser!;
    },
    async open(viewport = { width: 1280, height: 900 }) {
      const page = await browser!.newPage(viewport);
      await page.goto(`${demo!.url}/`);
      await page.waitFor("document.body.dataset.loaded === 'true'", 30000);
      return page;
    },
  };
}
