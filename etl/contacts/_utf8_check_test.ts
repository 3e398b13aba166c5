import { test } from "node:test";
import assert from "node:assert/strict";
import { Utf8Checker } from "./_utf8_check.ts";

/** The check of `bytes` read in chunks of `size`. */
function check(bytes: Buffer, size: number) {
  const checker = new Utf8Checker();
  for (let at = 0; at < bytes.length; at += size) checker.chunk(bytes.subarray(at, at + size), at);
  return checker.end();
}

test("Utf8Checker: UTF-8, Windows-1252 and damaged UTF-8, whatever the chunk boundaries", () => {
  const utf8 = Buffer.from("Ann,Lee\nJosé,Peña 😀\n名前,ΟΔΟΣ\n");
  const latin1 = Buffer.from("Ann,Lee\nJosé,Peña\n", "latin1");
  const damaged = Buffer.concat([Buffer.from("Peña\n"), Buffer.from([0xff]), Buffer.from("x\n")]);
  const cut = Buffer.from("Peña\n").subarray(0, 3); // ends inside ñ
  for (const size of [1, 2, 3, 4, 5, 7, 64]) {
    assert.deepEqual(check(utf8, size), { firstInvalid: -1, firstInvalidByte: -1, multiByte: true }, `utf8 / ${size}`);
    assert.deepEqual(check(Buffer.from("Ann,Lee\n"), size), { firstInvalid: -1, firstInvalidByte: -1, multiByte: false }, `ascii / ${size}`);
    assert.deepEqual(check(latin1, size), { firstInvalid: 11, firstInvalidByte: 0xe9, multiByte: false }, `latin1 / ${size}`);
    assert.deepEqual(check(damaged, size), { firstInvalid: 6, firstInvalidByte: 0xff, multiByte: true }, `damaged / ${size}`);
    assert.deepEqual(check(cut, size), { firstInvalid: 2, firstInvalidByte: 0xc3, multiByte: false }, `cut / ${size}`);
    // The byte order mark is not a UTF-8 letter (review): Windows-1252 behind one is still that.
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.deepEqual(check(Buffer.concat([bom, latin1]), size), { firstInvalid: 14, firstInvalidByte: 0xe9, multiByte: false }, `bom + latin1 / ${size}`);
    assert.deepEqual(check(Buffer.concat([bom, utf8]), size), { firstInvalid: -1, firstInvalidByte: -1, multiByte: true }, `bom + utf8 / ${size}`);
    assert.deepEqual(check(Buffer.concat([bom, damaged]), size), { firstInvalid: 9, firstInvalidByte: 0xff, multiByte: true }, `bom + damaged / ${size}`);
  }
});
