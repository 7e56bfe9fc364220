// Validates every JSON file of a directory with Ajv (draft 2020-12, its default strict mode,
// ajv-formats) against one schema, and prints {"FILE": ["error", ...], ...} (no errors = valid).
// Usage: CONNECTLY_SCHEMA_TOOLS=DIR node ajv-validate.mjs SCHEMA.json DIR
// (DIR: where scripts/schema-tools.sh installed the pinned tools). Run by the agreement test
// tests/tests/schema_tools.rs.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tools = process.env.CONNECTLY_SCHEMA_TOOLS;
if (!tools) throw new Error("CONNECTLY_SCHEMA_TOOLS is not set: run bash scripts/schema-tools.sh");
const require = createRequire(join(tools, "package.json"));
const Ajv2020 = require("ajv/dist/2020").default;
const addFormats = require("ajv-formats").default;

const [schemaFile, dir] = process.argv.slice(2);
const ajv = new Ajv2020({ allErrors: true }); // strict: true is Ajv's default
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
const out = {};
for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
  const file = join(dir, name);
  out[file] = validate(JSON.parse(readFileSync(file, "utf8")))
    ? []
    : validate.errors.map((e) => `${e.instancePath || "/"}: ${e.message}`);
}
console.log(JSON.stringify(out));
