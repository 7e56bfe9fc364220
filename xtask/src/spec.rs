//! Loading the OpenAPI document and checking the rules the rest of the pipeline relies on, each
//! error reported at its file, line and column.

use connectly_document::{compile_schema, escape_pointer_token, Document};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

use crate::jsonschema::bundle;

/// The spec, parsed.
pub struct Spec {
    /// Path shown in messages.
    pub path: String,
    /// The text as read.
    pub text: String,
    /// The parsed document, with positions.
    pub doc: Document,
}

/// One problem in the spec, located (the project's one way of printing such errors).
pub use connectly_document::Diagnostic;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// Parses the spec text.
    pub fn parse(path: &str, text: String) -> Result<Self, Vec<Diagnostic>> {
        match Document::parse(&text) {
            Ok(doc) => Ok(Spec {
                path: path.to_owned(),
                text,
                doc,
            }),
            Err(e) => Err(vec![Diagnostic::unreadable(path, "YAML", &e)]),
        }
    }

    /// The document as JSON.
    pub fn value(&self) -> &Value {
        self.doc.value()
    }

    fn diag(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(&self.doc, &self.path, pointer, false, message)
    }

    /// Every rule below; an empty list means the spec is fit for the pipeline.
    pub fn check(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let spec = self.value();
        match spec["openapi"].as_str() {
            Some(v) if v.starts_with("3.0.") => {}
            _ => out.push(self.diag(
                "/openapi",
                "`openapi` must be a 3.0.x version (progenitor reads OpenAPI 3.0)",
            )),
        }
        if !spec["paths"].is_object() {
            out.push(self.diag("/paths", "`paths` must be an object"));
        }
        self.check_refs(spec, "", &mut out);
        self.check_operations(&mut out);
        self.check_enums(&mut out);
        self.check_sample_topics(&mut out);
        if out.is_empty() {
            // Examples are checked against converted schemas, which needs sound references.
            self.check_examples(&mut out);
        }
        out.sort_by_key(|d| d.position);
        out
    }

    /// Every `$ref` is local and resolves; none has siblings (OpenAPI 3.0 ignores them, JSON
    /// Schema 2020-12 would apply them: the two readings must not differ).
    fn check_refs(&self, value: &Value, pointer: &str, out: &mut Vec<Diagnostic>) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref") {
                    let here = format!("{pointer}/$ref");
                    match target.as_str().and_then(|t| t.strip_prefix('#')) {
                        Some(p) if self.value().pointer(p).is_some() => {}
                        Some(_) => {
                            out.push(self.diag(&here, format!("unresolved reference {target}")))
                        }
                        None => out.push(
                            self.diag(&here, "only local references (`#/...`) are supported"),
                        ),
                    }
                    if map.len() > 1 {
                        out.push(self.diag(
                            pointer,
                            "`$ref` must have no sibling keys (OpenAPI 3.0 ignores them)",
                        ));
                    }
                }
                for (key, child) in map {
                    if key != "example" && key != "examples" && key != "default" {
                        self.check_refs(
                            child,
                            &format!("{pointer}/{}", escape_pointer_token(key)),
                            out,
                        );
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.check_refs(child, &format!("{pointer}/{i}"), out);
                }
            }
            _ => {}
        }
    }

    /// Each operation: a unique `operationId`; request bodies closed to unknown properties;
    /// every error response with one and the same schema (progenitor panics otherwise).
    fn check_operations(&self, out: &mut Vec<Diagnostic>) {
        let mut ids = BTreeMap::new();
        let mut error_schema: Option<(Value, String)> = None;
        for (op_pointer, op) in self.operations() {
            match op["operationId"].as_str() {
                None => out.push(self.diag(&op_pointer, "operation has no `operationId`")),
                Some(id) => {
                    if let Some(first) = ids.insert(id.to_owned(), op_pointer.clone()) {
                        out.push(self.diag(
                            &format!("{op_pointer}/operationId"),
                            format!("operationId `{id}` is also used at {first}"),
                        ));
                    }
                }
            }
            if let Some(schema) = op["requestBody"]["content"]["application/json"].get("schema") {
                let p = format!("{op_pointer}/requestBody/content/application~1json/schema");
                self.check_closed(schema, &p, &mut BTreeSet::new(), out);
            }
            let Some(responses) = op["responses"].as_object() else {
                out.push(self.diag(&op_pointer, "operation has no `responses`"));
                continue;
            };
            for (status, response) in responses {
                if status.starts_with('2') {
                    continue;
                }
                let p = format!("{op_pointer}/responses/{status}");
                let response = self.resolve(response);
                let schema = response["content"]["application/json"]["schema"].clone();
                match &error_schema {
                    None => error_schema = Some((schema, p)),
                    Some((first, at)) if *first != schema => out.push(self.diag(
                        &p,
                        format!("every error response must use the schema of {at} (progenitor allows one error type)"),
                    )),
                    Some(_) => {}
                }
            }
        }
    }

    /// Every object schema reachable from a request body has `additionalProperties: false`, so
    /// a typo in a config file is an error and not silently sent.
    fn check_closed(
        &self,
        schema: &Value,
        pointer: &str,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<Diagnostic>,
    ) {
        if let Some(target) = schema["$ref"].as_str() {
            if seen.insert(target.to_owned()) {
                let resolved = self.resolve(schema).clone();
                let p = target.trim_start_matches('#').to_owned();
                self.check_closed(&resolved, &p, seen, out);
            }
            return;
        }
        if let Some(props) = schema["properties"].as_object() {
            if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
                out.push(self.diag(
                    pointer,
                    "a request body object must set `additionalProperties: false`",
                ));
            }
            for (name, prop) in props {
                let p = format!("{pointer}/properties/{}", escape_pointer_token(name));
                self.check_closed(prop, &p, seen, out);
            }
        }
        if let Some(items) = schema.get("items") {
            self.check_closed(items, &format!("{pointer}/items"), seen, out);
        }
    }

    /// Every enum value has a description (`x-enumDescriptions`), and only enum values do.
    fn check_enums(&self, out: &mut Vec<Diagnostic>) {
        let Some(schemas) = self.value()["components"]["schemas"].as_object() else {
            return;
        };
        for (name, schema) in schemas {
            let Some(values) = schema["enum"].as_array() else {
                continue;
            };
            let p = format!("/components/schemas/{}", escape_pointer_token(name));
            let described: BTreeSet<&str> = schema["x-enumDescriptions"]
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let values: BTreeSet<&str> = values.iter().filter_map(Value::as_str).collect();
            for missing in values.difference(&described) {
                out.push(self.diag(
                    &format!("{p}/enum"),
                    format!("enum value `{missing}` has no entry in `x-enumDescriptions`"),
                ));
            }
            for extra in described.difference(&values) {
                out.push(self.diag(
                    &format!("{p}/x-enumDescriptions/{}", escape_pointer_token(extra)),
                    format!("`{extra}` is described but is not an enum value"),
                ));
            }
        }
    }

    /// Every example event (a named example of a `WebhookEvent` request body: the samples)
    /// names its topic in `x-connectly-topic`, one of the `Topic` enum's values, and agrees
    /// with the event's own `topic` field when it has one. The samples' topics are read from
    /// there, never guessed from their bodies.
    fn check_sample_topics(&self, out: &mut Vec<Diagnostic>) {
        let spec = self.value();
        let topics: Vec<&str> = spec["components"]["schemas"]["Topic"]["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (p, media) in request_media(spec) {
            if media["schema"]["$ref"] != SAMPLE_SCHEMA {
                continue;
            }
            for (name, example) in media["examples"].as_object().into_iter().flatten() {
                let ep = format!("{p}/examples/{}", escape_pointer_token(name));
                let Some(topic) = example.get(SAMPLE_TOPIC) else {
                    out.push(self.diag(
                        &ep,
                        format!(
                            "sample `{name}` names no topic: add `{SAMPLE_TOPIC}`, one of {}",
                            topics.join(", ")
                        ),
                    ));
                    continue;
                };
                let tp = format!("{ep}/{SAMPLE_TOPIC}");
                match topic.as_str() {
                    Some(t) if topics.contains(&t) => {
                        if let Some(own) = example["value"]["topic"].as_str() {
                            if own != t {
                                out.push(self.diag(
                                    &tp,
                                    format!("sample `{name}` is `{t}` here but its event's topic is `{own}`"),
                                ));
                            }
                        }
                    }
                    _ => out.push(self.diag(
                        &tp,
                        format!(
                            "sample `{name}`: `{SAMPLE_TOPIC}` must be one of the `Topic` enum's values: {}",
                            topics.join(", ")
                        ),
                    )),
                }
            }
        }
    }

    /// Every example in the spec is valid against its schema, as converted to JSON Schema.
    fn check_examples(&self, out: &mut Vec<Diagnostic>) {
        let spec = self.value();
        let mut cases: Vec<(String, Value, Option<String>)> = Vec::new();
        // Component schemas' own examples.
        if let Some(schemas) = spec["components"]["schemas"].as_object() {
            for (name, schema) in schemas {
                let p = format!("/components/schemas/{}", escape_pointer_token(name));
                self.schema_examples(schema, &p, Some(name.clone()), &mut cases);
            }
        }
        // Media type and parameter examples.
        let mut media: Vec<(String, Value)> = request_media(spec)
            .into_iter()
            .map(|(p, m)| (p, m.clone()))
            .collect();
        for (op_pointer, op) in self.operations() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                if response.get("$ref").is_some() {
                    continue; // checked once, under components/responses
                }
                for (ct, m) in response["content"].as_object().into_iter().flatten() {
                    media.push((
                        format!(
                            "{op_pointer}/responses/{status}/content/{}",
                            escape_pointer_token(ct)
                        ),
                        m.clone(),
                    ));
                }
            }
        }
        for (name, param) in spec["components"]["parameters"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if let Some(example) = param.get("example") {
                let p = format!(
                    "/components/parameters/{}/example",
                    escape_pointer_token(name)
                );
                cases.push((p, json_pair(&param["schema"], example), None));
            }
        }
        for (p, m) in media {
            let Some(schema) = m.get("schema") else {
                continue;
            };
            if let Some(example) = m.get("example") {
                cases.push((format!("{p}/example"), json_pair(schema, example), None));
            }
            for (name, example) in m["examples"].as_object().into_iter().flatten() {
                let ep = format!("{p}/examples/{}/value", escape_pointer_token(name));
                cases.push((ep, json_pair(schema, &example["value"]), None));
            }
        }
        for (pointer, pair, component) in cases {
            let schema = bundle(spec, &pair["schema"], component.as_deref());
            let validator = match compile_schema(&schema) {
                Ok(v) => v,
                Err(e) => {
                    out.push(self.diag(
                        &pointer,
                        format!("its schema is not valid JSON Schema: {e}"),
                    ));
                    continue;
                }
            };
            for error in validator.iter_errors(&pair["example"]) {
                let at = format!("{pointer}{}", error.instance_path().as_str());
                out.push(self.diag(&at, format!("example does not match its schema: {error}")));
            }
        }
    }

    fn schema_examples(
        &self,
        schema: &Value,
        pointer: &str,
        component: Option<String>,
        cases: &mut Vec<(String, Value, Option<String>)>,
    ) {
        if let Some(example) = schema.get("example") {
            cases.push((
                format!("{pointer}/example"),
                json_pair(schema, example),
                component,
            ));
        }
        for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
            let p = format!("{pointer}/properties/{}", escape_pointer_token(name));
            self.schema_examples(prop, &p, None, cases);
        }
    }

    /// `(pointer, operation)` for every operation.
    pub fn operations(&self) -> Vec<(String, &Value)> {
        let mut ops = Vec::new();
        for (path, item) in self.value()["paths"].as_object().into_iter().flatten() {
            for method in HTTP_METHODS {
                if let Some(op) = item.get(method) {
                    ops.push((
                        format!("/paths/{}/{method}", escape_pointer_token(path)),
                        op,
                    ));
                }
            }
        }
        ops
    }

    /// Follows a local `$ref` (once); other values are returned as they are.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        value["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| self.value().pointer(p))
            .unwrap_or(value)
    }
}

fn json_pair(schema: &Value, example: &Value) -> Value {
    serde_json::json!({"schema": schema, "example": example})
}

/// `(pointer, media type object)` of every request body: of each operation and of each callback
/// operation.
/// The schema whose request bodies' named examples are the sample events.
pub const SAMPLE_SCHEMA: &str = "#/components/schemas/WebhookEvent";

/// The extension of a sample event (an example object) that names its topic.
pub const SAMPLE_TOPIC: &str = "x-connectly-topic";

pub fn request_media(spec: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_pointer = format!("/paths/{}/{method}", escape_pointer_token(path));
            push_request_media(&op_pointer, op, &mut out);
            for (name, callback) in op["callbacks"].as_object().into_iter().flatten() {
                for (expression, cb_item) in callback.as_object().into_iter().flatten() {
                    for cb_method in HTTP_METHODS {
                        if let Some(cb_op) = cb_item.get(cb_method) {
                            let p = format!(
                                "{op_pointer}/callbacks/{}/{}/{cb_method}",
                                escape_pointer_token(name),
                                escape_pointer_token(expression)
                            );
                            push_request_media(&p, cb_op, &mut out);
                        }
                    }
                }
            }
        }
    }
    out
}

fn push_request_media<'a>(op_pointer: &str, op: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    for (ct, media) in op["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
    {
        out.push((
            format!(
                "{op_pointer}/requestBody/content/{}",
                escape_pointer_token(ct)
            ),
            media,
        ));
    }
}
