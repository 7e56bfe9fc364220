//! OpenAPI 3.0 schema objects → JSON Schema draft 2020-12, mechanically.
//!
//! OpenAPI 3.0's schema dialect is a subset of JSON Schema with a few differences, each handled
//! here: `nullable` (→ a `"null"` type), `example` (→ `examples`), references into
//! `#/components/schemas` (→ `#/$defs`), and an `enum` with the `x-enumDescriptions` extension
//! (→ a `oneOf` of `{"const": value, "description": ...}`, which editors show in completion, and
//! a list of the values in the `description`). Everything else — `format`, `pattern`, `default`,
//! `additionalProperties`, descriptions, titles — is kept as is, so the JSON Schema carries every
//! constraint the spec states.
//!
//! The output uses only standard 2020-12 keywords (no `x-` extension survives), so that every
//! validator compiles it in its strictest mode (Ajv's `strict`, for one).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

/// Draft of the generated schemas.
pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";
const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// A standalone JSON Schema for `root` (a schema object of `spec`), with every component it
/// references under `$defs`. `root_component` names `root` when it is itself a component, so
/// that references to it point at the document root.
pub fn bundle(spec: &Value, root: &Value, root_component: Option<&str>) -> Value {
    let mut needed = BTreeSet::new();
    collect_refs(spec, root, &mut needed);
    if let Some(name) = root_component {
        needed.remove(name);
    }
    let mut out = convert(root, root_component);
    if !needed.is_empty() {
        let defs: Map<String, Value> = needed
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    convert(&component(spec, name), root_component),
                )
            })
            .collect();
        if let Value::Object(map) = &mut out {
            map.insert("$defs".to_owned(), Value::Object(defs));
        }
    }
    out
}

fn component(spec: &Value, name: &str) -> Value {
    spec["components"]["schemas"][name].clone()
}

/// Names of the components `schema` references, directly or not.
fn collect_refs(spec: &Value, schema: &Value, names: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(COMPONENT_PREFIX))
            {
                if names.insert(name.to_owned()) {
                    collect_refs(spec, &component(spec, name), names);
                }
            }
            for (key, value) in map {
                if key != "example" && key != "default" {
                    collect_refs(spec, value, names);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(spec, v, names)),
        _ => {}
    }
}

/// Converts one schema object and its subschemas.
fn convert(schema: &Value, root_component: Option<&str>) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    let nullable = map.get("nullable") == Some(&Value::Bool(true));
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {
                let target = value.as_str().unwrap_or_default();
                let converted = match target.strip_prefix(COMPONENT_PREFIX) {
                    Some(name) if Some(name) == root_component => "#".to_owned(),
                    Some(name) => format!("#/$defs/{name}"),
                    None => target.to_owned(),
                };
                out.insert(key.clone(), Value::String(converted));
            }
            "nullable" | "discriminator" | "xml" | "externalDocs" => {}
            "example" => {
                out.insert("examples".to_owned(), json!([value]));
            }
            "enum" if described_enum(map) => {
                out.insert("oneOf".to_owned(), described_values(map, nullable));
            }
            k if k.starts_with("x-") => {}
            "type" if nullable => {
                out.insert(key.clone(), json!([value, "null"]));
            }
            "enum" if nullable => {
                let mut values = value.as_array().cloned().unwrap_or_default();
                values.push(Value::Null);
                out.insert(key.clone(), Value::Array(values));
            }
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, s)| (name.clone(), convert(s, root_component)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert(value, root_component));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let items = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| convert(s, root_component))
                    .collect();
                out.insert(key.clone(), Value::Array(items));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(described) = enum_description(map) {
        out.insert("description".to_owned(), Value::String(described));
    }
    Value::Object(out)
}

/// Whether `map` is an enum whose values are described, and so becomes a `oneOf` of `const`s
/// (unless it has a `oneOf` of its own, when it stays a plain `enum`).
fn described_enum(map: &Map<String, Value>) -> bool {
    map.contains_key("x-enumDescriptions") && !map.contains_key("oneOf")
}

/// One `{"const": value, "description": ...}` per value of a described enum (and `null` when
/// the schema is nullable).
fn described_values(map: &Map<String, Value>, nullable: bool) -> Value {
    let descriptions = &map["x-enumDescriptions"];
    let mut values: Vec<Value> = map["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| match descriptions.get(v.as_str().unwrap_or_default()) {
            Some(description) => json!({"const": v, "description": description}),
            None => json!({ "const": v }),
        })
        .collect();
    if nullable {
        values.push(json!({"const": null, "description": "No value."}));
    }
    Value::Array(values)
}

/// The description of an enum schema, followed by one line per value.
fn enum_description(map: &Map<String, Value>) -> Option<String> {
    let descriptions = map.get("x-enumDescriptions")?;
    let values = map.get("enum")?.as_array()?;
    let mut text = map
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_end()
        .to_owned();
    text.push('\n');
    for value in values {
        let name = value.as_str().unwrap_or_default();
        let line = descriptions[name].as_str().unwrap_or_default();
        text.push_str(&format!("\n- `{name}`: {line}"));
    }
    Some(text.trim_start().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_become_defs_and_openapi_keywords_are_translated() {
        let spec = json!({"components": {"schemas": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"},
                                                    "self": {"$ref": "#/components/schemas/A"}}},
            "B": {"type": "string", "nullable": true, "example": "x", "x-internal": 1,
                  "enum": ["x", "y"], "description": "Pick.",
                  "x-enumDescriptions": {"x": "The x.", "y": "The y."}},
            "Unused": {"type": "integer"},
        }}});
        let out = bundle(&spec, &spec["components"]["schemas"]["A"], Some("A"));
        assert_eq!(out["properties"]["b"]["$ref"], "#/$defs/B");
        assert_eq!(out["properties"]["self"]["$ref"], "#");
        let b = &out["$defs"]["B"];
        assert_eq!(b["type"], json!(["string", "null"]));
        assert_eq!(
            b["oneOf"],
            json!([{"const": "x", "description": "The x."},
                   {"const": "y", "description": "The y."},
                   {"const": null, "description": "No value."}])
        );
        assert!(b.get("enum").is_none() && b.get("enumDescriptions").is_none());
        assert_eq!(b["examples"], json!(["x"]));
        assert_eq!(b["description"], "Pick.\n\n- `x`: The x.\n- `y`: The y.");
        assert!(b.get("x-internal").is_none() && b.get("nullable").is_none());
        assert!(out["$defs"].get("Unused").is_none() && out["$defs"].get("A").is_none());
    }

    #[test]
    fn constraints_are_kept() {
        let spec = json!({"components": {"schemas": {}}});
        let schema = json!({"type": "string", "format": "uri", "pattern": "^https://",
                            "minLength": 1, "default": "https://x"});
        assert_eq!(bundle(&spec, &schema, None), schema);
    }
}
