// Generated sections inside hand-written Markdown: the text between
// `<!-- generated:NAME:start -->` and `<!-- generated:NAME:end -->` belongs to `npm run design`;
// everything outside the markers belongs to the author.

const MARKER = /<!-- generated:([A-Za-z0-9_-]+):(start|end) -->/g;

/**
 * Returns the names of the generated sections a document declares, in order.
 * @example sectionNames("<!-- generated:a:start --><!-- generated:a:end -->") // ["a"]
 */
export function sectionNames(text: string): string[] {
  return [...text.matchAll(MARKER)].filter((m) => m[2] === "start").map((m) => m[1]);
}

/**
 * Returns `text` with every generated section replaced by its new content. Throws SyntaxError when a
 * section has no markers, a marker has no partner, or the document has a section nobody generates.
 * @example replaceSections("x\n<!-- generated:a:start -->\nold\n<!-- generated:a:end -->\n", { a: "new" })
 * // "x\n<!-- generated:a:start -->\nnew\n<!-- generated:a:end -->\n"
 */
export function replaceSections(text: string, sections: Record<string, string>, file = "the document"): string {
  const declared = sectionNames(text);
  for (const name of declared) {
    if (!(name in sections)) throw new SyntaxError(`Cannot fill generated section '${name}' in ${file}: nothing generates it; remove its markers`);
  }
  let out = text;
  for (const [name, content] of Object.entries(sections)) {
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < 0 || j < i) {
      throw new SyntaxError(`Cannot find the markers '${start}' ... '${end}' in ${file}; add them where the section belongs`);
    }
    out = `${out.slice(0, i + start.length)}\n${content.trimEnd()}\n${out.slice(j)}`;
  }
  return out;
}
