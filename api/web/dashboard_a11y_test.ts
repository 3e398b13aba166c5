// The dashboard against WCAG 2.2 AA in a real browser (headless chromium over the DevTools
// protocol) on the sample data loaded by the real ETL: the focus ring's contrast (1.4.11), no
// sideways scrolling at 320 px (1.4.10), the heat map's cells readable from the keyboard (2.1.1)
// and as a table (1.1.1, 1.3.1), its 1, 0 and blank cells told apart without colour (1.4.1, 1.4.11),
// the keyboard's focus kept through a save (2.4.3), and a concurrent edit (412) explained field by
// field without losing what was typed. Skips with a message when chromium is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "../../scripts/testing/cdp.ts";
import { useDashboardBrowser } from "../../scripts/testing/dashboard_browser.ts";
import { columnLetters } from "./cell_refs.js";
import { TABLE_COLS, TABLE_ROWS } from "./matrix_table.js";

const dashboard = useDashboardBrowser();
const { skip } = dashboard;
const open = (viewport?: { width: number; height: number }) => dashboard.open(viewport);

/** The focused element's outline colour, and the nearest opaque background behind it, as [r, g, b]. */
const FOCUS_COLOURS = `(() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const el = document.activeElement;
  const ring = rgb(getComputedStyle(el).outlineColor);
  let bg = null;
  for (let e = el.parentElement; e && !bg; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length === 3 || c[3] === 1) bg = c.slice(0, 3);
  }
  return { id: el.id, style: getComputedStyle(el).outlineStyle, ring: ring.slice(0, 3), bg: bg ?? [255, 255, 255] };
})()`;

function contrast(a: number[], b: number[]): number {
  const lum = (c: number[]) => {
    const [r, g, bl] = c.map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("dashboard accessibility", { skip }, async (t) => {
  const page = await open();

  await t.test("1.4.11: the keyboard's focus ring has 3:1 contrast on the cards and on the header", async () => {
    for (const id of ["refresh", "contacts-new", "network-search"]) {
      // Focus by keyboard (Tab from the element before), so :focus-visible applies as it does for a person.
      await page.evaluate(`(() => { const el = document.getElementById(${JSON.stringify(id)}); const all = [...document.querySelectorAll('a[href], button:not([disabled]), input, select, summary, [tabindex="0"]')].filter((e) => e.checkVisibility()); all[all.indexOf(el) - 1].focus(); })()`);
      await page.press("Tab");
      const seen = await page.evaluate<{ id: string; style: string; ring: number[]; bg: number[] }>(FOCUS_COLOURS);
      assert.equal(seen.id, id);
      assert.equal(seen.style, "solid");
      const ratio = contrast(seen.ring, seen.bg);
      assert.ok(ratio >= 3, `#${id}: focus ring rgb(${seen.ring}) on rgb(${seen.bg}) is ${ratio.toFixed(2)}:1, under 3:1`);
    }
  });

  await t.test("2.1.1: the heat map's cells are read from the keyboard, not only by hovering", async () => {
    await page.evaluate("document.getElementById('matrix-canvas').focus()");
    await page.press("ArrowRight");
    const first = await page.evaluate<string>("document.getElementById('matrix-info').textContent");
    assert.match(first, /^Row: .+ → column: .+ · 'Matriz de adyacencia'!\w+\d+ = (1 \(marked\)|0|blank \(unknown\))$/);
    await page.press("ArrowRight");
    await page.press("ArrowDown");
    const second = await page.evaluate<string>("document.getElementById('matrix-info').textContent");
    assert.notEqual(second, first);
    assert.match(second, /^Row: .+ → column: .+ = /);
    assert.equal(await page.evaluate("document.getElementById('matrix-info').getAttribute('aria-live')"), "polite");
  });

  // The server's matrix as text, to check what the page shows against.
  type MatrixText = { actors: { id: number; letter_code: string | null; sheet_row: number | null }[]; rows: { id: number; cells: string }[]; layout: { sheet: string; first_col: number } };
  const matrix = (await (await fetch(`${dashboard.demo.url}/matrix?offset=0&limit=1000`)).json()) as MatrixText;
  const textRow = (r: number) => matrix.rows.find((row) => row.id === matrix.actors[r].id)?.cells ?? "";
  const valueAt = (r: number, c: number) => ({ "1": "1", "0": "0" })[textRow(r)[c] as "1" | "0"] ?? "blank";

  await t.test("1.1.1, 1.3.1: Show as table gives the heat map's cells as a table with row and column headers and workbook names", async () => {
    const n = matrix.actors.length;
    await page.click("#matrix-table-toggle");
    await page.waitFor("document.querySelector('#matrix-table table') !== null");
    assert.equal(await page.evaluate("document.getElementById('matrix-table-toggle').getAttribute('aria-expanded')"), "true");
    const read = () =>
      page.evaluate<{ cols: number[]; rows: { row: number; cells: { value: string; ref: string; text: string }[] }[]; caption: string }>(`(() => {
        const table = document.querySelector('#matrix-table table');
        return {
          caption: table.caption.textContent,
          cols: [...table.querySelectorAll('thead th[scope=col]')].map((th) => Number(th.dataset.col)),
          rows: [...table.tBodies[0].rows].map((tr) => ({
            row: Number(tr.querySelector('th[scope=row]').dataset.row),
            cells: [...tr.querySelectorAll('td')].map((td) => ({ value: td.dataset.value, ref: td.dataset.ref, text: td.textContent })),
          })),
        };
      })()`);
    const check = async () => {
      const table = await read();
      assert.equal(table.cols.length, Math.min(n, TABLE_COLS));
      assert.equal(table.rows.length, Math.min(n, TABLE_ROWS));
      assert.match(table.caption, new RegExp(`of ${n} actors of sheet ${matrix.layout.sheet}`));
      for (const { row, cells } of table.rows) {
        assert.equal(cells.length, table.cols.length);
        cells.forEach((cell, k) => {
          const col = table.cols[k];
          assert.equal(cell.value, valueAt(row, col), `row ${row}, column ${col}`);
          const sheetRow = matrix.actors[row].sheet_row;
          if (sheetRow === null) return;
          const name = `${columnLetters(matrix.layout.first_col + col)}${sheetRow}`;
          assert.equal(cell.ref, `'${matrix.layout.sheet}'!${name}`);
          assert.equal(cell.text, `${cell.value} ${name}`);
        });
      }
      return table;
    };
    const first = await check();
    // An actor typed by its letter code: its row and its column are in the table.
    const last = matrix.actors[n - 1];
    await page.type("#matrix-table-actor", last.letter_code ?? String(last.id));
    await page.click("#matrix-table-go button[type=submit]");
    await page.waitFor(`document.querySelector('#matrix-table th[scope=row][data-row="${n - 1}"]') !== null`);
    const jumped = await check();
    assert.ok(jumped.cols.includes(n - 1), "the actor's column is shown");
    if (n > TABLE_ROWS) assert.notDeepEqual(jumped.rows.map((r) => r.row), first.rows.map((r) => r.row));
    await page.click("#matrix-table-up");
    await page.waitFor(`document.getElementById('matrix-table').dataset.window === "${Math.max(0, n - 2 * TABLE_ROWS)},${Math.max(0, n - TABLE_COLS)}"`);
    await check();
    await page.click("#matrix-table-toggle");
    assert.equal(await page.evaluate("document.getElementById('matrix-table-view').hidden"), true);
  });

  await t.test("1.4.1, 1.4.11: a 1, a 0 and a blank cell differ in lightness, not only in hue, and the legend shows the same marks", async () => {
    await page.evaluate("document.getElementById('matrix-canvas').focus()");
    await page.press("0");
    const viewOf = async () => (await page.evaluate<string>("document.getElementById('matrix-canvas').dataset.view")).split(",").map(Number);
    for (let k = 0; k < 4 && (await viewOf())[0] < 16; k++) await page.press("+");
    await page.evaluate("document.activeElement.blur()"); // the keyboard's outline would cover a cell
    const [scale, x, y, g] = await viewOf();
    assert.ok(scale >= 16, `cells are ${scale} px`);
    const side = Math.floor(scale) - 4;
    const cols = ((await page.evaluate<number>("document.getElementById('matrix-canvas').width")) - g) / scale; // cells across the view
    /** The first cell (off the diagonal, wholly on screen) holding `value`, as greyscale luminances. */
    const pixelsOf = async (value: string) => {
      for (let r = Math.ceil(y); r < Math.floor(y + cols) - 1; r++) {
        for (let c = Math.ceil(x); c < Math.floor(x + cols) - 1; c++) {
          if (r === c || valueAt(r, c) !== value) continue;
          const left = Math.round(g + (c - x) * scale) + 2;
          const top = Math.round(g + (r - y) * scale) + 2;
          const rgb = await page.evaluate<number[]>(`Array.from(document.getElementById('matrix-canvas').getContext('2d').getImageData(${left}, ${top}, ${side}, ${side}).data)`);
          const lum: number[] = [];
          for (let k = 0; k < rgb.length; k += 4) {
            const [rr, gg, bb] = [rgb[k], rgb[k + 1], rgb[k + 2]].map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
            lum.push(0.2126 * rr + 0.7152 * gg + 0.0722 * bb);
          }
          return lum;
        }
      }
      return null;
    };
    const ratio = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const cells = { "1": await pixelsOf("1"), "0": await pixelsOf("0"), blank: await pixelsOf("blank") };
    for (const [a, b] of [["1", "0"], ["1", "blank"], ["0", "blank"]] as const) {
      const pa = cells[a];
      const pb = cells[b];
      assert.ok(pa && pb, `the view shows a ${a} and a ${b}`);
      // Seen in grey, the two cells differ somewhere by 3:1: the difference is not hue alone.
      const best = Math.max(...pa.map((l, k) => ratio(l, pb[k])));
      assert.ok(best >= 3, `a ${a} and a ${b} differ by at most ${best.toFixed(2)}:1 in lightness`);
    }
    for (const value of ["0", "blank"] as const) {
      const lum = cells[value]!;
      const inside = ratio(Math.max(...lum), Math.min(...lum));
      assert.ok(inside >= 3, `a ${value} cell carries a mark with 3:1 against its fill (${inside.toFixed(2)}:1)`);
    }
    const legend = await page.evaluate<string[]>("['key-zero', 'key-unk'].map((k) => getComputedStyle(document.querySelector('#matrix .' + k)).backgroundImage)");
    for (const image of legend) assert.match(image, /gradient/, "the legend's swatch carries the cell's mark");
  });

  await t.test("2.4.3: saving the contact form from its button keeps the keyboard's focus there", async () => {
    await page.type("#contact-first_name", "Ada");
    await page.type("#contact-last_name", "Keyboard");
    await page.type("#contact-email", "ada.keyboard@example.com");
    await page.evaluate("document.querySelector('#contact-form button[type=submit]').focus()");
    await page.press(" ");
    await page.waitFor("document.getElementById('status').textContent === 'Created Ada Keyboard'");
    assert.equal(await page.evaluate("document.activeElement.matches('#contact-form button[type=submit]')"), true, "focus fell to the page's start");
  });

  await t.test("a concurrent edit (412) says what changed, next to the field, keeps the input, and Save again wins", async () => {
    const id = await page.evaluate<string>("document.querySelector('#contacts-rows [data-edit-contact]').dataset.editContact");
    await page.click(`[data-edit-contact="${id}"]`);
    await page.waitFor("document.getElementById('contact-form-title').textContent.startsWith('Edit ')");
    // Someone else saves the contact meanwhile.
    const read = await fetch(`${dashboard.demo.url}/contacts/${id}`);
    const theirs = await read.json();
    const { id: _id, created_at: _c, updated_at: _u, ...body } = theirs;
    const put = await fetch(`${dashboard.demo.url}/contacts/${id}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", "If-Match": read.headers.get("ETag") ?? "" },
      body: JSON.stringify({ ...body, city: "Elsewhere" }),
    });
    assert.equal(put.status, 200, await put.text());
    await page.type("#contact-city", "Mycity");
    await page.click("#contact-form button[type=submit]");
    await page.waitFor("document.getElementById('contact-form-errors').textContent.includes('Someone else changed')");
    assert.equal(await page.evaluate("document.getElementById('contact-city').value"), "Mycity", "the typed value is kept");
    assert.equal(await page.evaluate("document.querySelector('[data-error-for=city]').textContent"), 'Changed meanwhile to "Elsewhere"; yours: "Mycity".');
    assert.match(await page.evaluate<string>("document.getElementById('contact-form-errors').textContent"), /City differ.*Save again to replace their version with yours/);
    await page.click("#contact-form button[type=submit]");
    await page.waitFor("document.getElementById('status').textContent.startsWith('Saved ')");
    assert.equal((await (await fetch(`${dashboard.demo.url}/contacts/${id}`)).json()).city, "Mycity");
  });

  assert.deepEqual(page.errors.filter((e) => !/412|Precondition/.test(e)), []);
});

test("1.4.10: at 320 px wide (400% zoom) nothing scrolls sideways", { skip }, async () => {
  const page = await open({ width: 320, height: 700 });
  // With the heat map's table open too: only the table itself may scroll, inside its box.
  await page.click("#matrix-table-toggle");
  await page.waitFor("document.querySelector('#matrix-table table') !== null");
  const wide = await page.evaluate<string[]>(`[...document.querySelectorAll('body *')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap'); })
    .map((e) => e.tagName.toLowerCase() + '.' + e.className + ': ' + e.textContent.trim().slice(0, 40))`);
  assert.deepEqual(wide, []);
  assert.equal(await page.evaluate("document.documentElement.scrollWidth"), 320);
});
