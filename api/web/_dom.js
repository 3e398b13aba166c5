// @ts-check
/**
 * DOM lookups that fail loudly (a missing element is a bug in index.html, not a runtime condition),
 * and the timing helpers the panels share.
 */

/**
 * Returns the element with `id`, typed as `type`.
 *
 * @example
 * const input = byId("contacts-q", HTMLInputElement);
 * @template {Element} T
 * @param {string} id
 * @param {{ new (...args: any[]): T }} type
 * @returns {T}
 */
export function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new TypeError(`Cannot find element '#${id}' of the expected type`);
  return element;
}

/**
 * Returns a function that calls `fn` once `ms` have passed without another call.
 *
 * @example
 * input.addEventListener("input", debounce(search, 250));
 * @template {unknown[]} A
 * @param {(...args: A) => void} fn
 * @param {number} ms
 * @returns {(...args: A) => void}
 */
export function debounce(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * Returns `begin()`: each call starts a request and returns `isLatest()`, true until `begin()` is
 * called again. Answers can arrive in any order; a panel draws one only while it is the latest
 * asked for, so an older answer arriving last never replaces a newer one.
 *
 * @example
 * const searches = latestOnly();
 * async function search(q) {
 *   const isLatest = searches();
 *   const found = await api.listActors({ q });
 *   if (isLatest()) draw(found);
 * }
 * @returns {() => () => boolean}
 */
export function latestOnly() {
  let turn = 0;
  return () => {
    const mine = ++turn;
    return () => mine === turn;
  };
}

/**
 * Makes SVG "buttons" (elements with role=button) answer Enter and Space like real buttons, by
 * turning the key press into a click that bubbles to the delegated click handler.
 *
 * @example
 * keyboardClicks(svgContainer);
 * @param {HTMLElement} root
 */
export function keyboardClicks(root) {
  root.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const target = event.target;
    if (!(target instanceof Element) || target.getAttribute("role") !== "button" || target instanceof HTMLButtonElement) return;
    event.preventDefault();
    target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  });
}

/**
 * Disables a pager's `back` button at the start and `forward` at the end; the one of them that
 * held the focus hands it to the other, so the keyboard stays on the pager (a disabled button drops
 * its focus to the top of the page).
 *
 * @example
 * setEdges(prev, next, pageNo === 1, nextCursor === null);
 * @param {HTMLButtonElement} back
 * @param {HTMLButtonElement} forward
 * @param {boolean} atStart
 * @param {boolean} atEnd
 */
export function setEdges(back, forward, atStart, atEnd) {
  const focused = document.activeElement;
  back.disabled = atStart;
  forward.disabled = atEnd;
  if (focused === back && atStart && !atEnd) forward.focus();
  else if (focused === forward && atEnd && !atStart) back.focus();
}
