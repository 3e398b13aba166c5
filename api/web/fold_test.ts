import { test } from "node:test";
import assert from "node:assert/strict";
import { fold } from "./fold.js";
import { fold as apiFold } from "../../etl/text/mod.js";

test("fold() in the page answers as the API's fold() does", () => {
  // The page compares department names as the API does; a rule of its own would mark a department
  // the API keeps as one as changed, or the other way round.
  const names = ["Peña Díaz", "SALÉS", "Ñandú", "a\u1dc4b", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "Παπαδόπουλος", "연구 개발", "İstanbul", "Research, Development", "ﬁnance", "Straße", "", null, undefined];
  for (const name of names) assert.equal(fold(name), apiFold(name), String(name));
  assert.equal(fold("Recherche et Développement"), "recherche et developpement");
});
