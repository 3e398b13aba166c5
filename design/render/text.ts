// Line breaking shared by the SVG and Mermaid renderers.

/**
 * Returns words wrapped into lines of at most `width` characters (a longer word gets a line of its own).
 * @example wrap("PaymentCaptured, PaymentFailed", 20) // ["PaymentCaptured,", "PaymentFailed"]
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [""];
}
