// @ts-check
/**
 * The contacts browser: filters, a cursor-paginated table sorted by the column header pressed, the
 * filter, sort and page kept in the page's address, a CSV download of the current filter, the
 * create/edit form that puts the API's 422 field errors next to the fields they belong to, deletion
 * behind a confirmation (sent with the contact's ETag in If-Match), and the contact loads (their own
 * card beside the workbook's run history) with their rejected rows and a download of the rejects file.
 */
import * as api from "./api_client.js";
import { byId, latestOnly, setEdges } from "./_dom.js";
import { CONTACT_FIELDS, conflictFields, contactFieldsHtml, contactsQuery, contactsView, departmentOptionsHtml, contactInput, contactRejectsHtml, contactRowsHtml, contactRunsHtml, fieldErrors, fieldText, formFields, formText, keptValues } from "./contacts_view.js";
import { errorText, escapeHtml, formatCount } from "./html.js";
import { fold } from "./fold.js";

const PAGE_SIZE = 20;
/** Rejected rows listed per run; the download has them all. */
const REJECTS_SHOWN = 20;

/**
 * Mounts the contacts section and returns `load()`, which fetches departments, the page shown and
 * the contact loads, and returns the sections it could not read (for the status line).
 *
 * @example
 * const unread = await mountContacts({ announce }).load(); // [{ section: "Contacts", error }] when /contacts failed
 * @param {{ announce: (message: string) => void }} options
 * @returns {{ load: () => Promise<{ section: string, error: unknown }[]> }}
 */
export function mountContacts({ announce }) {
  const filter = byId("contacts-filter", HTMLFormElement);
  const q = byId("contacts-q", HTMLInputElement);
  const state = byId("contacts-state", HTMLInputElement);
  const department = byId("contacts-department", HTMLSelectElement);
  const tbody = byId("contacts-rows", HTMLTableSectionElement);
  const caption = byId("contacts-caption", HTMLElement);
  const sortHead = byId("contacts-sort", HTMLTableSectionElement);
  const prev = byId("contacts-prev", HTMLButtonElement);
  const next = byId("contacts-next", HTMLButtonElement);
  const pageLabel = byId("contacts-page", HTMLElement);
  const form = byId("contact-form", HTMLFormElement);
  const notice = byId("contact-form-notice", HTMLElement);
  const formTitle = byId("contact-form-title", HTMLElement);
  const formErrors = byId("contact-form-errors", HTMLElement);
  const token = byId("api-token", HTMLInputElement);
  const csvLink = byId("contacts-csv", HTMLAnchorElement);
  const runsBody = byId("contact-runs", HTMLElement);
  const dialog = byId("contact-delete-dialog", HTMLDialogElement);
  const dialogText = byId("contact-delete-text", HTMLElement);
  /** The contact the dialog is about, with the ETag read when it opened. @type {{ id: number, etag: string | null, name: string } | null} */
  let deleting = null;
  const fieldsRoot = form.querySelector(".fields");
  /** The form's fields: CONTACT_FIELDS until the API's schema says which the contact has (loadFields). */
  let fields = CONTACT_FIELDS;
  if (fieldsRoot) fieldsRoot.innerHTML = contactFieldsHtml(fields);
  /** @type {Promise<void> | null} */
  let fieldsLoaded = null;

  /** The pages before the current one, so "Previous" works with forward-only cursors. */
  /** @type {import("./contacts_view.js").ContactsPage[]} */
  let earlier = [];
  /** @type {string | null} */
  let current = null;
  /** The number of the page shown (a link to page 3 opened in a new tab knows no page 2). */
  let pageNo = 1;
  /** @type {string | null} */
  let nextCursor = null;
  /** The contact being edited, its ETag and the values of its fields the form does not show (keptValues). @type {{ id?: number, etag?: string | null, kept?: Record<string, unknown> }} */
  let editing = {};
  /** @type {number | null} */
  let flashId = null;
  /** Matches across all pages, as last counted (the first page, a delete, a refresh). @type {number | null} */
  let total = null;
  /** The table shows a page of contacts (not "Loading…" or a failure): a Refresh that fails keeps it. */
  let rowsDrawn = false;
  /** The contact loads card shows the loads: a Refresh that cannot read them keeps it. */
  let runsDrawn = false;
  /** The filter the table shows: the boxes' values when Filter was last pressed (typing alone changes nothing), and its sort (the API's `sort`: a field, `-field` descending, "" by id). */
  let applied = { q: "", state: "", department: "", sort: "" };
  /** The fields a column header sorts by: a sort in the address by any other is left out. */
  const sorts = [...sortHead.querySelectorAll("th[data-sort]")].map((th) => th.getAttribute("data-sort") ?? "");
  // The view the address asks for (a reload, a link, Back into this page).
  showView(contactsView(location.search, window.history.state, sorts));
  /** A page of the table in flight: Next and Previous wait for it. */
  let paging = false;
  /** The contacts table's requests, and the form's (each Edit, New contact, Clear): only the latest is shown. */
  const pages = latestOnly();
  const forms = latestOnly();
  /** The Idempotency-Key of the create the form holds: Save pressed again with the same values reuses it. */
  const creates = api.createKeys();

  token.value = sessionStorage.getItem("api-token") ?? "";
  api.configure({ token: token.value });
  token.addEventListener("change", () => {
    sessionStorage.setItem("api-token", token.value);
    api.configure({ token: token.value });
  });

  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    earlier = [];
    applied = filters();
    void showPage(null, { say: true, push: true });
  });
  // Chosen with the mouse, a department applies at once. The arrow keys (and letters) change a closed
  // select's choice at each press: applying each passed sent a request, an announcement and a
  // history entry per department, so from the keyboard the choice applies on Enter or on leaving it.
  // A key's change comes within its keydown's default action, so the mark lasts that task alone: a
  // pick from the list a key opened (Space, Alt+Down), which comes later, applies at once too.
  let keyed = false;
  department.addEventListener("keydown", (event) => {
    keyed = true;
    setTimeout(() => (keyed = false));
    if (event.key !== "Enter") return;
    event.preventDefault();
    filter.requestSubmit();
  });
  department.addEventListener("change", () => {
    if (!keyed) filter.requestSubmit();
  });
  department.addEventListener("blur", () => {
    if (department.value !== applied.department) filter.requestSubmit();
  });
  sortHead.addEventListener("click", (event) => {
    const th = event.target instanceof Element ? event.target.closest("button")?.closest("th[data-sort]") : null;
    if (!(th instanceof HTMLElement)) return;
    const field = th.dataset.sort ?? "";
    // Pressed again it reverses the order. A cursor belongs to its sort: the pages start again.
    applied = { ...applied, sort: applied.sort === field ? `-${field}` : field };
    earlier = [];
    void showPage(null, { say: true, push: true });
  });
  next.addEventListener("click", () => {
    // Until this page is shown, Next would push the same cursor again and ask for it twice.
    if (paging || !nextCursor) return;
    earlier.push({ cursor: current, page: pageNo });
    void showPage(nextCursor, { say: true, push: true, page: pageNo + 1 });
  });
  prev.addEventListener("click", () => {
    const before = paging ? undefined : earlier.pop();
    if (before) void showPage(before.cursor, { say: true, push: true, page: before.page });
  });
  // Back and Forward between the views this page put in the address; a section link's (#network)
  // changes none of it.
  addEventListener("popstate", (event) => {
    const view = contactsView(location.search, event.state, sorts);
    if (contactsQuery(view) === contactsQuery({ ...applied, cursor: current, page: pageNo })) {
      // A section link followed adds an entry with no state: it is given the pages before this
      // one, else Back to it from a later page knew only the first, and Previous went there.
      remember(false);
      return;
    }
    showView(view);
    void showPage(view.cursor, { say: true, page: view.page });
  });
  byId("contacts-new", HTMLButtonElement).addEventListener("click", () => {
    resetForm();
    form.querySelector("input")?.focus();
  });
  byId("contact-cancel", HTMLButtonElement).addEventListener("click", resetForm);
  tbody.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const editButton = target?.closest("[data-edit-contact]");
    if (editButton) void edit(Number(editButton.getAttribute("data-edit-contact")));
    const deleteButton = target?.closest("[data-delete-contact]");
    if (deleteButton) void askDelete(Number(deleteButton.getAttribute("data-delete-contact")));
  });
  // The answer is read from the form's submit (synchronous, the button that was pressed) rather
  // than the dialog's close event, which a browser may hold back for a tab in the background.
  dialog.querySelector("form")?.addEventListener("submit", (event) => {
    if (event.submitter instanceof HTMLButtonElement && event.submitter.value === "delete") void confirmDelete();
    else deleting = null;
  });
  dialog.addEventListener("cancel", () => (deleting = null));
  /** A save in flight: another press of Save (or Enter) waits for it instead of sending twice. */
  let saving = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!saving) void save();
  });

  /**
   * Takes a view from the address: its filter applied and in the boxes, its page and the pages before.
   * @param {import("./contacts_view.js").ContactsView} view
   */
  function showView(view) {
    const { cursor, page, earlier: before, ...filter } = view;
    applied = filter;
    q.value = filter.q;
    state.value = filter.state;
    selectDepartment();
    current = cursor;
    pageNo = page;
    earlier = before;
  }

  /**
   * Shows the applied department in its select: its option (by fold, as the API matches a name), or,
   * for a name from the address that no department has (yet), one added for it: the filter is what
   * the address says, and it finds no contacts.
   */
  function selectDepartment() {
    const chosen = applied.department;
    const option = [...department.options].find((o) => fold(o.value) === fold(chosen));
    if (!option) department.add(new Option(chosen, chosen));
    department.value = option ? option.value : chosen;
  }

  /**
   * After the departments are read: a department the address spelled in another case ("sales") is
   * the filter by its name as the data has it ("Sales"), in the caption and the address too, and a
   * Filter pressed again is the same filter, not a new history entry.
   */
  function nameDepartment() {
    selectDepartment();
    if (!applied.department || department.value === applied.department) return;
    applied = { ...applied, department: department.value };
    csvLink.href = api.contactsCsvUrl(applied);
    remember(false);
    if (tbody.hasAttribute("aria-busy")) return;
    caption.textContent = captionText();
  }

  /**
   * Puts the view shown in the address, and the pages before it in the history entry: a new entry
   * when asked (a Filter, a sort, Next, Previous: Back returns to the view before), else the same
   * one rewritten (a load, a redraw; values the table cannot show are dropped from it).
   * @param {boolean} push
   */
  function remember(push) {
    const address = `${location.pathname}${contactsQuery({ ...applied, cursor: current, page: pageNo })}${location.hash}`;
    const entry = { contactsEarlier: earlier };
    if (push && address !== `${location.pathname}${location.search}${location.hash}`) window.history.pushState(entry, "", address);
    else window.history.replaceState(entry, "", address);
  }

  function filters() {
    return { q: q.value.trim(), state: state.value.trim().toUpperCase(), department: department.value, sort: applied.sort };
  }

  /**
   * Opens the confirmation for deleting a contact, reading its ETag first: the delete then fails
   * (412) instead of removing a contact someone changed in the meantime.
   * @param {number} id
   */
  async function askDelete(id) {
    try {
      const { contact, etag } = await api.getContact(id);
      deleting = { id, etag, name: `${contact.first_name} ${contact.last_name}` };
      dialogText.textContent = `Delete ${deleting.name}${contact.email ? ` (${contact.email})` : ""}? This cannot be undone.`;
      dialog.returnValue = "";
      dialog.showModal();
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) await gone(id);
      else cannotOpen(id, error);
    }
  }

  /**
   * Edit or Delete could not read the contact (the API failing or not answering): said where the
   * form says what went wrong, as a failed Delete is, and brought into view. The status line alone is
   * in the page's header, out of sight from the table, so the button seemed to do nothing.
   * @param {number} id
   * @param {unknown} error
   */
  function cannotOpen(id, error) {
    const message = `Cannot open ${rowName(id)}: ${errorText(error)}`;
    formErrors.innerHTML = `<p>${escapeHtml(message)}</p>`;
    formErrors.scrollIntoView({ block: "nearest" });
    announce(message);
  }

  /** The name a row shows for contact `id`, else "Contact 12". @param {number} id */
  function rowName(id) {
    return tbody.querySelector(`[data-contact-id="${id}"] th`)?.textContent || `Contact ${id}`;
  }

  /**
   * A row whose contact someone else deleted (Edit or Delete answered 404): the page is redrawn and
   * recounted without it, and that is said, rather than "cannot open" beside a row that stays.
   * @param {number} id
   */
  async function gone(id) {
    const name = rowName(id);
    await redrawAfterChange();
    announce(`${name} was deleted by someone else.`);
  }

  async function confirmDelete() {
    const target = deleting;
    deleting = null;
    if (!target) return;
    // Where the deleted row was: its Delete button, which the dialog gave the focus back to, goes
    // with the redrawn page, and the focus with it to the top of the page.
    const at = [...tbody.querySelectorAll("[data-delete-contact]")].findIndex((b) => b.getAttribute("data-delete-contact") === String(target.id));
    const shownPage = pageNo;
    let done = `Deleted ${target.name}`;
    try {
      await api.deleteContact(target.id, target.etag);
    } catch (error) {
      if (error instanceof api.ApiError && error.status === 404) {
        // Someone else deleted it first: what was asked for is done, and the page, which still
        // listed it (and counted it), is redrawn as after a delete.
        done = `${target.name} was already deleted by someone else.`;
      } else {
        const changed = error instanceof api.ApiError && error.status === 412;
        const message = changed
          ? `${target.name} was changed by someone else since you opened it; nothing was deleted.`
          : error instanceof api.ApiError && error.status === 401
            ? "The server requires an API token for changes: enter it in the form below."
            : `Cannot delete ${target.name}: ${errorText(error)}`;
        if (changed) {
          // The row showed the version the delete was refused for: their version now, to be seen
          // before Delete is pressed again, with the focus back on its Delete (the redraw took it).
          await redrawAfterChange();
          if (document.activeElement === null || document.activeElement === document.body) {
            const again = tbody.querySelector(`[data-delete-contact="${target.id}"]`);
            if (again instanceof HTMLElement) again.focus();
          }
        }
        announce(message);
        formErrors.innerHTML = `<p>${escapeHtml(message)}</p>`;
        return;
      }
    }
    if (editing.id === target.id) resetForm();
    await redrawAfterChange();
    if (at >= 0 && (document.activeElement === null || document.activeElement === document.body)) {
      // The row that took its place (or the one above, for the last row, which is the last of the
      // page before when the deleted row was its page's only one), else New contact.
      const rows = tbody.querySelectorAll("[data-delete-contact]");
      const after = rows[pageNo === shownPage ? Math.min(at, rows.length - 1) : rows.length - 1];
      (after instanceof HTMLElement ? after : byId("contacts-new", HTMLButtonElement)).focus();
    }
    announce(done);
  }

  /** Draws the contact loads; when they cannot be read keeps those drawn before (else says so), and rejects. */
  async function loadRuns() {
    try {
      runsBody.innerHTML = contactRunsHtml(await api.listRuns("contacts", 10));
      runsDrawn = true;
    } catch (error) {
      if (!runsDrawn) runsBody.innerHTML = `<p class="muted">The contact loads are not available.</p>`;
      throw error;
    }
    // The rejected rows of the open run now; a folded run's when it is opened.
    const open = runsBody.querySelector("details[open] [data-rejects-for]");
    if (open instanceof HTMLElement) await loadRejects(open);
  }

  /**
   * Fills a run's rejects slot with its first rejected rows, and offers the download once they
   * came: a run whose file cannot be read would offer a download that fails.
   * @param {HTMLElement} slot
   */
  async function loadRejects(slot) {
    if (slot.dataset.loaded) return;
    slot.dataset.loaded = "true";
    try {
      slot.innerHTML = contactRejectsHtml(await api.listRejects(slot.dataset.rejectsFor ?? "", REJECTS_SHOWN));
      const offer = slot.parentElement?.querySelector("[data-rejects-offer]");
      if (offer instanceof HTMLElement) offer.hidden = false;
    } catch (error) {
      slot.innerHTML = `<p class="muted">The rejected rows cannot be shown: ${escapeHtml(errorText(error))}</p>`;
    }
  }

  runsBody.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    const slot = details.querySelector("[data-rejects-for]");
    if (slot instanceof HTMLElement) void loadRejects(slot);
  }, true);

  /**
   * Shows the page after `cursor` of the applied filter, and puts it in the address. The total is
   * counted on the first page, and again when asked (after a delete, or a refresh, on any page).
   * @param {string | null} cursor
   * @param {{ recount?: boolean, say?: boolean, push?: boolean, page?: number, refresh?: boolean }} [options]  say: announce the count and page (a Filter,
   *   Next or Previous pressed: a screen reader heard nothing of the answer, WCAG 4.1.3); push: a new
   *   history entry (remember); page: its number (default: 1 for the first, else the one shown);
   *   refresh: the page's load or Refresh, which keeps the rows drawn before when it fails (as the
   *   other sections keep theirs) and rejects, so the status line names the contacts
   */
  async function showPage(cursor, options = {}) {
    // The CSV link downloads what the table shows: every page of the filter applied, not of text
    // typed in the boxes but not yet applied.
    csvLink.href = api.contactsCsvUrl(applied);
    current = cursor;
    pageNo = options.page ?? (cursor === null ? 1 : pageNo);
    remember(options.push ?? false);
    sortHeaders();
    const isLatest = pages();
    tbody.setAttribute("aria-busy", "true");
    // Seen, not only told to a screen reader: the rows of the page before are dimmed (styles.css)
    // and the pager says so, else a slow answer looked like a Next or a Filter that did nothing.
    pageLabel.textContent = "Loading…";
    pagerBusy(true);
    try {
      const page = await api.listContacts({
        ...applied,
        limit: PAGE_SIZE,
        cursor,
        count: cursor === null || options.recount ? "true" : undefined,
      });
      // A filter or page asked for since: its answer is the one to show.
      if (!isLatest()) return;
      if (typeof page.total === "number") total = page.total;
      if (page.items.length === 0 && cursor !== null) {
        // A page after the first that holds nothing now (its last rows deleted, here or elsewhere, or
        // a link to it opened later) said "No contacts match." under a count of the ones that do: the
        // page before it instead (else the first), in the same history entry.
        const before = earlier.pop();
        return showPage(before?.cursor ?? null, { ...options, push: false, page: before?.page ?? 1 });
      }
      tbody.innerHTML = contactRowsHtml(page.items);
      rowsDrawn = true;
      if (flashId !== null) tbody.querySelector(`[data-contact-id="${flashId}"]`)?.classList.add("flash");
      nextCursor = page.next_cursor ?? null;
      pagerEdges(earlier.length > 0, nextCursor !== null);
      pageLabel.textContent = `Page ${pageNo}`;
      caption.textContent = captionText();
      if (options.say) announce(`${caption.textContent}, page ${pageNo}`);
    } catch (error) {
      if (!isLatest()) return;
      // A cursor the API does not take (from an address: mistyped, or made for another sort): the first page instead.
      if (cursor !== null && error instanceof api.ApiError && error.status === 400 && error.problem.type?.endsWith("bad-cursor")) {
        earlier = [];
        return showPage(null, { ...options, push: false, page: 1 });
      }
      if (options.refresh && rowsDrawn) {
        // A Refresh the API failed: the status line names the contacts as not loaded, so the rows stay.
        pageLabel.textContent = `Page ${pageNo}`;
        pagerEdges(earlier.length > 0, nextCursor !== null);
        throw error;
      }
      const failed = `The contacts cannot be shown: ${errorText(error)}`;
      rowsDrawn = false;
      tbody.innerHTML = `<tr><td colspan="6">${escapeHtml(failed)}</td></tr>`;
      // The caption names the filter asked for, uncounted: the count shown was the filter's before.
      if (cursor === null) total = null;
      caption.textContent = captionText();
      pageLabel.textContent = `Page ${pageNo}`;
      pagerEdges(earlier.length > 0, false);
      if (options.say) announce(failed);
      if (options.refresh) throw error;
    } finally {
      if (isLatest()) {
        tbody.removeAttribute("aria-busy");
        pagerBusy(false);
      }
    }
  }

  /** What the table shows: how many, the filter applied and the sort ("12 contacts in Sales, sorted by City, ascending"). */
  function captionText() {
    const said = [applied.q && `matching "${applied.q}"`, applied.state && `in ${applied.state}`, applied.department && `in ${applied.department}`]
      .filter(Boolean)
      .join(", ");
    return `${total === null ? "Contacts" : `${formatCount(total)} ${total === 1 ? "contact" : "contacts"}`}${said ? ` ${said}` : ""}${sortHeaders()}`;
  }

  /**
   * Marks the header of the applied sort with aria-sort (and its arrow, styles.css), the others not,
   * and returns what the caption says of it (", sorted by Name, descending"; "" for the API's order, by id).
   */
  function sortHeaders() {
    let said = "";
    for (const th of sortHead.querySelectorAll("th[data-sort]")) {
      const field = th.getAttribute("data-sort");
      const order = applied.sort === field ? "ascending" : applied.sort === `-${field}` ? "descending" : null;
      if (!order) th.removeAttribute("aria-sort");
      else {
        th.setAttribute("aria-sort", order);
        said = `, sorted by ${th.textContent}, ${order}`;
      }
    }
    return said;
  }

  /**
   * Marks Previous and Next unavailable while a page loads: aria-disabled (their clicks are ignored
   * while `paging`), not disabled, which would drop the focus of the key that pressed one to the
   * top of the page, so Enter pressed again did nothing (as Save does, below).
   * @param {boolean} busy
   */
  function pagerBusy(busy) {
    paging = busy;
    for (const button of [prev, next]) {
      if (busy) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
  }

  /**
   * Disables Previous on the first page and Next on the last; the one of them that held the focus
   * hands it to the other, so the keyboard stays on the pager.
   * @param {boolean} canPrev
   * @param {boolean} canNext
   */
  function pagerEdges(canPrev, canNext) {
    setEdges(prev, next, !canPrev, !canNext);
  }

  /** Redraws and recounts the page shown, and the departments' counts: after a contact was deleted or saved. */
  function redrawAfterChange() {
    return Promise.all([showPage(current, { recount: true }), loadDepartments()]);
  }

  async function loadDepartments() {
    try {
      department.innerHTML = departmentOptionsHtml(await api.listDepartments());
      nameDepartment();
    } catch {
      // Without departments the filter just offers "Any".
    }
  }

  function clearErrors() {
    formErrors.textContent = "";
    notice.textContent = "";
    for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  function resetForm() {
    // An Edit still loading must not fill the form over what is typed from now on.
    forms();
    editing = {};
    // What comes next (a new contact, an edit) is another write than the one before.
    creates.forget();
    form.reset();
    token.value = sessionStorage.getItem("api-token") ?? token.value;
    clearErrors();
    formTitle.textContent = "New contact";
  }

  /** @param {number} id */
  async function edit(id) {
    const isLatest = forms();
    try {
      const { contact, etag } = await api.getContact(id);
      // Another Edit, New contact or Clear came after this one.
      if (!isLatest()) return;
      resetForm();
      editing = { id, etag, kept: keptValues(/** @type {Record<string, unknown>} */ (contact), fields) };
      formTitle.textContent = `Edit ${contact.first_name} ${contact.last_name}`;
      const shown = formText(/** @type {Record<string, unknown>} */ (contact), fields);
      for (const f of fields) {
        const input = fieldInput(f.name);
        if (input) input.value = shown[f.name];
      }
      form.scrollIntoView({ block: "nearest" });
      form.querySelector("input")?.focus();
    } catch (error) {
      if (!isLatest()) return;
      if (error instanceof api.ApiError && error.status === 404) await gone(id);
      else cannotOpen(id, error);
    }
  }

  async function save() {
    clearErrors();
    /** @type {Record<string, string>} */
    const values = formValues();
    // aria-disabled, not disabled: disabling the focused button would drop the keyboard's focus
    // to the top of the page (the `saving` flag stops a second send).
    const submit = form.querySelector("button[type=submit]");
    saving = true;
    submit?.setAttribute("aria-disabled", "true");
    // What this save is about, as it was when Save was pressed: an Edit, New contact or Clear
    // pressed while it runs gives the form another contact (or none), and the answer, arriving
    // after, must neither wipe that (and what was typed in it) nor put its errors there.
    const target = editing;
    const isLatest = forms();
    try {
      const input = { ...target.kept, ...contactInput(values, fields) };
      // A create keeps its key while the form's values stay as they were sent: if the answer to
      // the last Save was lost, the contact may exist, and Save again must not make (or be refused
      // as) a second one.
      const saved = await api.saveContact(input, target.id === undefined ? { idempotencyKey: creates.keyFor(input) } : target);
      const done = `${target.id === undefined ? "Created" : "Saved"} ${saved.first_name} ${saved.last_name}`;
      if (!isLatest()) {
        // The form holds what was opened since: kept; the table shows the saved values.
        await redrawAfterChange();
        announce(done);
        return;
      }
      resetForm();
      flashId = saved.id;
      // Show the saved contact in the table, whatever page or filter was on before.
      q.value = saved.email || `${saved.first_name} ${saved.last_name}`;
      state.value = "";
      department.value = "";
      applied = filters();
      earlier = [];
      await Promise.all([showPage(null, { push: true }), loadDepartments()]);
      // The server repairs some values (a ZIP code that lost its leading zero): say so where the
      // person typed them, not only in the saved row.
      const repairs = (saved.warnings ?? []).map((w) => `${w.field} '${w.from}' was saved as '${w.to}'`);
      notice.textContent = repairs.length ? `${done}. ${repairs.join("; ")}.` : "";
      announce(done);
    } catch (error) {
      if (!isLatest()) {
        // The form shows another contact now: the failure is said, not marked on its fields.
        announce(`The contact was not saved: ${errorText(error)}`);
        return;
      }
      if (!(error instanceof api.ApiError)) {
        // Not the API's answer (a bug, a browser without an API this page needs): said in the form,
        // where the person pressed Save, rather than thrown where nobody sees it.
        const message = `The contact was not saved: ${errorText(error)}`;
        formErrors.innerHTML = `<p>${escapeHtml(message)}</p>`;
        announce(message);
        return;
      }
      // A contact deleted since it was opened answers the PUT 404, not 412 (the API checks If-Match
      // only on a contact it has): the same "someone else" case, found out by reading it again.
      if ((error.status === 412 || error.status === 404) && target.id !== undefined) await explainConflict(target.id, values, error);
      else showProblem(error);
    } finally {
      saving = false;
      submit?.removeAttribute("aria-disabled");
    }
  }

  /**
   * Someone saved the contact since it was opened (412), or deleted it (404). Reads their version and says, next to
   * each field, what it holds now, keeping everything typed: Save again puts this form's values
   * over theirs (the ETag is now theirs), Edit starts from their version.
   * @param {number} id
   * @param {Record<string, string>} values  the form as it was sent
   * @param {api.ApiError} error
   */
  async function explainConflict(id, values, error) {
    const isLatest = forms();
    try {
      const { contact, etag } = await api.getContact(id);
      if (!isLatest()) return;
      editing = { id, etag, kept: keptValues(/** @type {Record<string, unknown>} */ (contact), fields) };
      const diffs = conflictFields(contactInput(values, fields), /** @type {Record<string, unknown>} */ (contact), fields);
      for (const d of diffs) {
        const slot = form.querySelector(`[data-error-for="${d.name}"]`);
        if (slot) slot.textContent = `Changed meanwhile to ${d.theirs}; yours: ${d.yours}.`;
      }
      const what = diffs.length ? ` (${diffs.map((d) => d.label).join(", ")} differ from yours, as marked)` : "";
      const lead = `Someone else changed this contact since you opened it${what}. Nothing was saved and your input is kept: Save again to replace their version with yours, or Edit to start from theirs.`;
      formErrors.innerHTML = `<p>${escapeHtml(lead)}</p>`;
      announce(lead);
    } catch (reread) {
      if (!isLatest()) return;
      const deleted = reread instanceof api.ApiError && reread.status === 404;
      if (deleted) {
        // Nothing left to replace: the form becomes a new contact with the same values.
        editing = {};
        formTitle.textContent = "New contact";
      }
      const lead = deleted
        ? "Someone else deleted this contact since you opened it. Nothing was saved and your input is kept: Save adds it as a new contact, Clear discards it."
        : `Someone else changed this contact since you opened it, and it cannot be read again now (${reread instanceof Error ? reread.message : String(reread)}). Nothing was saved and your input is kept: Save again later.`;
      formErrors.innerHTML = `<p>${escapeHtml(lead)}</p><p>${escapeHtml(error.message)}</p>`;
      announce(lead);
    }
  }

  /** @param {api.ApiError} error */
  function showProblem(error) {
    const problem = error.problem;
    if (error.status === 409 && !problem.errors?.length) {
      problem.errors = [{ field: "email", message: problem.detail || "Another contact already uses this email." }];
    }
    const byField = fieldErrors(problem, fields);
    /** @type {HTMLInputElement | HTMLTextAreaElement | null} */
    let firstInvalid = null;
    // Walk the fields in form order so focus lands on the first invalid one a person would reach.
    for (const { name } of fields) {
      const messages = byField.get(name);
      if (!messages) continue;
      const slot = form.querySelector(`[data-error-for="${name}"]`);
      const input = fieldInput(name);
      if (slot) slot.textContent = messages.join(" ");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        firstInvalid ??= input;
      }
    }
    const general = byField.get("") ?? [];
    // A refusal that names no field (a 500): said as not saved, with the server's reason, which is
    // announced too (a screen reader user otherwise never hears it).
    const unexplained = error.status !== 412 && error.status !== 401 && firstInvalid === null ? notSaved(error.status) : "";
    const lead =
      error.status === 412
        ? "Someone else changed this contact since you opened it. Open it again to see their version."
        : error.status === 401
          ? "The server requires an API token for changes: enter it below."
          : firstInvalid
            ? "Please correct the highlighted fields."
            : unexplained;
    const said = [lead, ...general].filter(Boolean);
    formErrors.innerHTML = said.map((m) => `<p>${escapeHtml(m)}</p>`).join("");
    announce(unexplained ? said.join(" ") : lead || general[0] || "The contact was not saved");
    (firstInvalid ?? (error.status === 401 ? token : null))?.focus();
  }

  /**
   * What a refusal that names no field says first: the server's detail alone ("Boom inside") did not
   * tell whether the contact was saved. An answer that never came (status 0) is left to its own
   * message: that save may have reached the server.
   * @param {number} status
   */
  function notSaved(status) {
    if (status === 0) return "";
    return status >= 500
      ? `The contact was not saved: the server failed (${status}). What you typed is kept: Save again to try once more.`
      : `The contact was not saved (the API answered ${status}). What you typed is kept.`;
  }

  /** The form's control of a field: an input, or a textarea for a list. @param {string} name */
  function fieldInput(name) {
    const input = form.elements.namedItem(name);
    return input instanceof HTMLInputElement || input instanceof HTMLTextAreaElement ? input : null;
  }

  /** The form's values by field name, as typed. @returns {Record<string, string>} */
  function formValues() {
    /** @type {Record<string, string>} */
    const values = {};
    for (const f of fields) {
      const input = fieldInput(f.name);
      if (input) values[f.name] = input.value;
    }
    return values;
  }

  /**
   * Builds the form from the API's schema of a contact (once): a field the contact definition gained
   * gets its input without a change here. The form is rebuilt only when the fields differ from the
   * built-in ones, keeping what was typed; when the schema cannot be read the built-in fields stay
   * (and an edit still sends back the values of the fields they lack: keptValues).
   */
  function loadFields() {
    fieldsLoaded ??= api.contactInputSchema().then(
      (schema) => {
        const next = formFields(schema);
        if (JSON.stringify(next) === JSON.stringify(fields)) return;
        const typed = formValues();
        fields = next;
        if (fieldsRoot) fieldsRoot.innerHTML = contactFieldsHtml(fields);
        // What was typed stays; an edit opened meanwhile puts its values of the new fields in them.
        const kept = editing.kept ?? {};
        for (const f of fields) {
          const input = fieldInput(f.name);
          if (!input) continue;
          if (Object.hasOwn(typed, f.name)) input.value = typed[f.name];
          else if (Object.hasOwn(kept, f.name)) input.value = fieldText(kept[f.name]);
        }
        if (editing.kept) editing = { ...editing, kept: keptValues(editing.kept, fields) };
      },
      // Asked again by the next load().
      () => void (fieldsLoaded = null),
    );
    return fieldsLoaded;
  }

  async function load() {
    const [, , page, runs] = await Promise.allSettled([loadFields(), loadDepartments(), showPage(current, { recount: true, refresh: true }), loadRuns()]);
    /** @type {{ section: string, error: unknown }[]} */
    const unread = [];
    if (page.status === "rejected") unread.push({ section: "Contacts", error: page.reason });
    if (runs.status === "rejected") unread.push({ section: "Contact loads", error: runs.reason });
    return unread;
  }

  return { load };
}
