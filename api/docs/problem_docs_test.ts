// What the contacts routes answer when they fail is what /openapi.json and /docs say: every problem
// `type` they send has its entry on /docs (RFC 9457 3.1.1: a type URI should lead to its
// documentation), and every contacts operation documents the 503 (with Retry-After) that a busy or
// unavailable contacts database gets. Before: imports answered `missing-column`, `empty-file`,
// `duplicate-column` and `bad-upload` while /docs listed only `bad-csv` (never sent), DELETE
// /departments/{id} answered `department-in-use` with no entry, and no contacts route had a 503.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { validate } from "../../scripts/testing/json_schema_validator.ts";
import { PROBLEM_TYPES } from "./openapi.ts";

const CSV = { "content-type": "text/csv" };

// A CSV with a quote it never closes was answered `bad-upload`, whose entry on /docs spoke only of
// the upload's name and of mixed line ends. npm run etl records such a file `unreadable`, as it does
// mixed line ends, so the API keeps the one code, and its entry names every cause.
test("an import's CSV that cannot be read at all is a bad-upload whose /docs entry names its cause (a quote never closed, mixed line ends)", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const docs = (await raw(server.url, { path: "/docs" })).text;
    const start = docs.indexOf('id="problem-bad-upload"');
    assert.ok(start !== -1);
    const entry = docs.slice(start, docs.indexOf("</li>", start));
    for (const [body, cause, described] of [
      ["first_name,last_name,email\nAna,Ruiz,ana@example.com\nBo,\"Li,bo@example.com\nCy,Wu,cy@example.com\n", /quote on line 3 that is never closed/, /quote .*never closed/],
      ['first_name,last_name,"email\nAna,Ruiz,ana@example.com\n', /in its header, that is never closed/, /header/],
      ["first_name,last_name,email\r\nAna,Ruiz,ana@example.com\nBo,Li,bo@example.com\r\n", /mixes line ends/, /CRLF and LF/],
    ] as const) {
      const res = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: CSV, body });
      assert.equal(res.status, 422, res.text);
      assert.equal(res.json().type, "/docs#problem-bad-upload");
      assert.match(res.json().detail, cause);
      assert.match(entry, described, entry);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("every problem type the contacts routes send has its entry on /docs", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const created = await postContact(server.url, { first_name: "Ana", last_name: "Ruiz", email: "ana@example.com", departments: ["Sales"] });
    assert.equal(created.status, 201);
    const department = (await raw(server.url, { path: "/departments" })).json().items[0].id;
    const failures = [
      await raw(server.url, { method: "POST", path: "/imports/contacts", headers: CSV, body: "first_name,last_name\nA,B\n" }),
      await raw(server.url, { method: "POST", path: "/imports/contacts", headers: CSV, body: "" }),
      await raw(server.url, { method: "POST", path: "/imports/contacts", headers: CSV, body: "email,email,first_name,last_name\na@b.co,a@b.co,A,B\n" }),
      await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "application/json" }, body: '{"upload":"nope.csv"}' }),
      await raw(server.url, { method: "DELETE", path: `/departments/${department}` }),
    ];
    const docs = (await raw(server.url, { path: "/docs" })).text;
    for (const failure of failures) {
      assert.ok(failure.status >= 400, failure.text);
      const type: string = failure.json().type;
      const anchor = type.replace("/docs#", "");
      assert.ok(docs.includes(`id="${anchor}"`), `${failure.status} ${type} has no entry on /docs`);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("every contacts operation documents its 503 and Retry-After", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const doc = (await raw(server.url, { path: "/openapi.json" })).json();
    for (const [path, item] of Object.entries<Record<string, { tags: string[]; responses: Record<string, { headers?: object }> }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.tags.includes("contacts")) continue;
        assert.ok(op.responses["503"], `${method.toUpperCase()} ${path} documents no 503`);
        assert.ok(op.responses["503"].headers && "Retry-After" in op.responses["503"].headers, `${method.toUpperCase()} ${path}: no Retry-After`);
      }
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("PostgreSQL busy: GET /contacts answers the 503 its document describes", { skip: POSTGRES_SKIP }, async () => {
  const { dir, cleanup } = tempDir();
  const url = await postgresDatabaseFor(dir);
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgLockTimeoutMs: 200 } });
  const holder = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const doc = (await raw(server.url, { path: "/openapi.json" })).json();
    let busy: Awaited<ReturnType<typeof raw>> | undefined;
    await holder.transaction(async (tx) => {
      await tx.run("LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE");
      busy = await raw(server.url, { path: "/contacts" });
    });
    assert.equal(busy!.status, 503, busy!.text);
    assert.ok(busy!.headers["retry-after"]);
    const documented = doc.paths["/contacts"].get.responses["503"];
    assert.ok(documented, "GET /contacts documents no 503");
    assert.deepEqual(validate(documented.content["application/problem+json"].schema, busy!.json(), doc.components.schemas), []);
  } finally {
    await holder.close();
    await server.close();
    cleanup();
  }
});

// The adapter's 503 `too-many-uploads` (128 MiB of bodies held at once) can meet any route with a
// body, and a PostgreSQL import's `database-locked` (another session's lock waited for 5 min) is the
// import's own: each 503 names them, as it names the others. Before, /openapi.json listed only the
// database's codes, so a client reading it could not tell what either 503 meant.
test("every contacts 503 with a body names too-many-uploads, and the import's names database-locked", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const doc = (await raw(server.url, { path: "/openapi.json" })).json();
    let withBody = 0;
    for (const [path, item] of Object.entries<Record<string, { tags: string[]; requestBody?: object; responses: Record<string, { description: string }> }>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.tags.includes("contacts") || op.requestBody === undefined) continue;
        withBody++;
        assert.match(op.responses["503"].description, /`too-many-uploads`/, `${method.toUpperCase()} ${path}`);
      }
    }
    assert.ok(withBody >= 4, `only ${withBody} contacts operations with a body`);
    assert.match(doc.paths["/imports/contacts"].post.responses["503"].description, /`database-locked`/);
    const docs = (await raw(server.url, { path: "/docs" })).text;
    for (const code of ["too-many-uploads", "database-locked"]) assert.ok(docs.includes(`id="problem-${code}"`), code);
  } finally {
    await server.close();
    cleanup();
  }
});

/** Writes `request` on a fresh socket to `url` and resolves with all the server sent once it closed. */
function overSocket(url: string, request: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
    socket.write(request);
  });
}

// The adapter answers what node's parser refuses before any route sees it; those problem types
// need their entries on /docs as much as the routes' do.
test("every problem type the adapter sends for a request node's parser refuses has its entry on /docs", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const docs = (await raw(server.url, { path: "/docs" })).text;
    const answers = {
      501: await overSocket(server.url, "FOO /contacts/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      414: await overSocket(server.url, `GET /contacts?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
      431: await overSocket(server.url, `GET /contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`),
    };
    for (const [status, answer] of Object.entries(answers)) {
      assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 200));
      const type: string = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)).type;
      assert.ok(docs.includes(`id="${type.replace("/docs#", "")}"`), `${status} ${type} has no entry on /docs`);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

// A CSV import's body cut after 30 s of silence, or a request whose headers are slow, is answered 408
// `request-timeout`, which /docs described while no operation in /openapi.json listed a 408: a
// client generated from the document had no case for it. Every status a problem type is sent with
// is now among some operation's responses.
test("every status a documented problem type is sent with is listed by the operations of /openapi.json", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const doc = (await raw(server.url, { path: "/openapi.json" })).json();
    const listed = new Set<string>();
    for (const path of Object.values(doc.paths) as Record<string, { responses?: Record<string, unknown> }>[]) {
      for (const operation of Object.values(path)) for (const status of Object.keys(operation.responses ?? {})) listed.add(status);
    }
    for (const [type, text] of Object.entries(PROBLEM_TYPES)) {
      const status = /^(\d{3})\b/.exec(text)?.[1];
      assert.ok(status, `${type}: its entry does not start with its status`);
      assert.ok(listed.has(status), `${type} is sent with ${status}, which no operation lists`);
    }
    const importResponses = doc.paths["/imports/contacts"].post.responses;
    assert.match(importResponses["408"]?.description ?? "", /request-timeout.*30 s/s);
  } finally {
    await server.close();
    cleanup();
  }
});
