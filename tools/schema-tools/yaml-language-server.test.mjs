// yaml-language-server, driven over its stdio LSP protocol as an editor drives it, on a webhooks
// config that names the committed schema with a `$schema` modeline: it must report an unknown
// key, a topic outside the enumeration and a non-https address, and offer every registration key
// (with the schema's descriptions) for completion. Expected keys and values come from the schema.
// Run by scripts/schema-tools.sh: CONNECTLY_SCHEMA_TOOLS=DIR node --test tools/schema-tools/
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const tools = process.env.CONNECTLY_SCHEMA_TOOLS;
const repo = resolve(import.meta.dirname, "../..");
const schemaPath = join(repo, "schemas/webhooks-config.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

/** Follows `$ref`s (`#/$defs/X`) from `node` in `schema`. */
function deref(node) {
  while (node?.$ref) node = node.$ref.slice(2).split("/").reduce((s, k) => s[k], schema);
  return node;
}
const registration = deref(schema.properties.webhooks.items);
const topic = deref(registration.properties.topic);
const topics = topic.oneOf?.map((b) => b.const) ?? topic.enum;
// The SchemaStore catalog entry, given to the server as SchemaStore-using editors do: the
// schema's `fileMatch` patterns, with the committed file in place of the published URL.
const entry = JSON.parse(readFileSync(join(repo, "schemastore/catalog-entry.json"), "utf8"));
const settings = {
  validate: true,
  completion: true,
  hover: true,
  schemaStore: { enable: false },
  schemas: { [pathToFileURL(schemaPath).href]: entry.fileMatch },
};

/** A minimal LSP client: Content-Length framing, requests by id, notifications as events. */
class Client {
  constructor(command) {
    this.proc = spawn(command, ["--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    this.buffer = Buffer.alloc(0);
    this.nextId = 0;
    this.pending = new Map();
    this.waiters = [];
    this.proc.stdout.on("data", (chunk) => this.#read(chunk));
  }
  #send(message) {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }));
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }
  #read(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/Content-Length: *(\d+)/i.exec(this.buffer.subarray(0, end))[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length));
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.#dispatch(message);
    }
  }
  #dispatch(message) {
    if (message.method && message.id !== undefined) {
      // The server asks for settings (workspace/configuration) or registers capabilities.
      const result =
        message.method === "workspace/configuration" ? message.params.items.map(() => settings) : null;
      this.#send({ id: message.id, result });
    } else if (message.method) {
      this.waiters = this.waiters.filter((w) => !w(message));
    } else {
      const { resolve, reject } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) reject(new Error(JSON.stringify(message.error)));
      else resolve(message.result);
    }
  }
  request(method, params) {
    const id = ++this.nextId;
    this.#send({ id, method, params });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  notify(method, params) {
    this.#send({ method, params });
  }
  /** The next notification `method` whose params satisfy `accept`. */
  notification(method, accept) {
    return new Promise((resolve) =>
      this.waiters.push((m) => m.method === method && accept(m.params) && (resolve(m.params), true)),
    );
  }
}

let client;
before(async () => {
  assert.ok(tools, "CONNECTLY_SCHEMA_TOOLS is not set: run bash scripts/schema-tools.sh");
  client = new Client(join(tools, "node_modules/.bin/yaml-language-server"));
  await client.request("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(repo).href,
    capabilities: { workspace: { configuration: true } },
  });
  client.notify("initialized", {});
  client.notify("workspace/didChangeConfiguration", {
    settings: { yaml: settings },
  });
});
after(() => client?.proc.kill());

let documents = 0;
/** Opens `lines` as a new document `target/NAME` (with the `$schema` modeline unless a name is
 * given); resolves to [uri, diagnostics]. */
async function open(lines, name = `yaml-ls-test-${++documents}.yaml`) {
  const uri = pathToFileURL(join(repo, "target", name)).href;
  const modeline = `# yaml-language-server: $schema=${pathToFileURL(schemaPath).href}`;
  const text = [...(name.startsWith("yaml-ls-test-") ? [modeline] : []), ...lines, ""].join("\n");
  const diagnostics = client.notification("textDocument/publishDiagnostics", (p) => p.uri === uri);
  client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version: 1, text } });
  return [uri, (await diagnostics).diagnostics];
}

test("a valid config has no diagnostics", async () => {
  const [, diagnostics] = await open([
    "businessId: biz_1",
    "webhooks:",
    ...topics.flatMap((t) => [`  - topic: ${t}`, `    address: https://example.com/hook/${t}`]),
  ]);
  assert.deepEqual(diagnostics, []);
});

test("unknown key, bad topic and non-https address are reported on their lines", async () => {
  const [, diagnostics] = await open([
    "businessId: biz_1",
    "webhooks:",
    "  - topic: no_such_topic",
    "    address: http://example.com/hook",
    "    adress: https://example.com/hook",
  ]);
  const on = (line) => diagnostics.filter((d) => d.range.start.line === line && d.severity === 1);
  const [badTopic, plainHttp, unknownKey] = [on(3), on(4), on(5)];
  assert.equal(badTopic.length, 1, JSON.stringify(diagnostics));
  for (const t of topics) assert.match(badTopic[0].message, new RegExp(`"${t}"`));
  assert.equal(plainHttp.length, 1, JSON.stringify(diagnostics));
  assert.match(plainHttp[0].message, /pattern/);
  assert.equal(unknownKey.length, 1, JSON.stringify(diagnostics));
  assert.match(unknownKey[0].message, /adress is not allowed/);
  assert.equal(diagnostics.length, 3, JSON.stringify(diagnostics));
});

test("completion offers every registration key, and every topic with its description", async () => {
  const [uri] = await open(["businessId: biz_1", "webhooks:", "  - topic: ", "  - "]);
  const keys = await client.request("textDocument/completion", {
    textDocument: { uri },
    position: { line: 4, character: 4 },
  });
  const offered = keys.items.map((i) => i.label);
  for (const key of Object.keys(registration.properties)) {
    assert.ok(offered.includes(key), `${key} not offered: ${offered}`);
  }
  const values = await client.request("textDocument/completion", {
    textDocument: { uri },
    position: { line: 3, character: 11 },
  });
  for (const branch of topic.oneOf) {
    const item = values.items.find((i) => i.label === branch.const);
    assert.ok(item, `${branch.const} not offered`);
    assert.equal(item.documentation?.value ?? item.documentation, branch.description);
  }
});

test("the catalog entry's fileMatch finds the file names docs/editors.md recommends, in any folder", async () => {
  assert.ok(entry.url.endsWith("/schemas/webhooks-config.schema.json"), entry.url);
  const lines = ["webhooks:", `  - topic: ${topics[0]}`, "    adress: https://example.com/hook"];
  const unknownKey = (diagnostics) => diagnostics.some((d) => /adress is not allowed/.test(d.message));
  for (const name of ["connectly-webhooks.yaml", "connectly-webhooks.yml", "deploy/prod/connectly-webhooks.yaml"]) {
    const [, diagnostics] = await open(lines, name);
    assert.ok(unknownKey(diagnostics), `${name}: ${JSON.stringify(diagnostics)}`);
  }
  // Not claimed: a name other tools use too.
  const [, diagnostics] = await open(lines, "webhooks.yaml");
  assert.ok(!unknownKey(diagnostics), JSON.stringify(diagnostics));
});
