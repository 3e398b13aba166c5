// `npm run design`: renders every design model into its README's generated sections and svg/*.svg.
// Writes only files whose bytes change, and removes SVGs no view or sequence produces any more.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { designs } from "./designs.ts";
import { renderDesign } from "./render/mod.ts";
import { packageDiagramFiles } from "./system/package_files.ts";

const USAGE = "Usage: npm run design   (regenerates every design's diagrams and tables; takes no options)";
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}
if (args.length > 0) {
  console.error(`Unknown argument '${args[0]}'\n${USAGE}`);
  process.exit(2);
}

let changed = 0;
try {
  for (const { dir, model } of designs) {
    const files = renderDesign(model, readFileSync(join(dir, "README.md"), "utf8"));
    for (const [path, text] of files) {
      const full = join(dir, path);
      if (existsSync(full) && readFileSync(full, "utf8") === text) continue;
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
      console.log(`wrote ${relative(process.cwd(), full)}`);
      changed++;
    }
    const svgDir = join(dir, "svg");
    for (const name of existsSync(svgDir) ? readdirSync(svgDir) : []) {
      if (files.has(`svg/${name}`)) continue;
      rmSync(join(svgDir, name));
      console.log(`removed ${relative(process.cwd(), join(svgDir, name))}`);
      changed++;
    }
  }
  for (const [full, text] of packageDiagramFiles()) {
    if (readFileSync(full, "utf8") === text) continue;
    writeFileSync(full, text);
    console.log(`wrote ${relative(process.cwd(), full)}`);
    changed++;
  }
  console.log(changed === 0 ? "design: everything up to date" : `design: ${changed} file(s) updated`);
} catch (error) {
  // A missing marker or a bad model is the author's to fix: say what, not where in our code.
  console.error(`design: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
