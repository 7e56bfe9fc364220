//! Reading a schema: the subschema at an instance's pointer ([`schema_at`]), the values of an
//! enumeration ([`allowed_values`]), and what a subschema says in words (its types, the literal
//! start of its pattern, the keys an object needs).

use serde_json::Value;

/// The subschema that describes the value at `pointer` of an instance, following `$ref`s into
/// `$defs`, `properties` and `items` (all the committed schemas use), and one-schema `allOf`s.
pub fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    // A `$ref`, or an `allOf` of one schema (how the spec gives a referenced type a description
    // of its own), stands for the schema it names.
    let resolve = |mut schema: &'a Value| loop {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            schema = root.pointer(target.strip_prefix('#')?)?;
        } else if let Some([only]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            schema = only;
        } else {
            return Some(schema);
        }
    };
    let mut schema = resolve(root)?;
    for token in pointer.split('/').skip(1) {
        let token = connectly_document::unescape_pointer_token(token);
        let next = match schema.get("properties").and_then(|p| p.get(token.as_ref())) {
            Some(property) => property,
            None if token.parse::<usize>().is_ok() => schema.get("items")?,
            None => return None,
        };
        schema = resolve(next)?;
    }
    Some(schema)
}

/// The values an enumeration allows, or `None` when `schema` is not one: the `const` of each
/// `oneOf` (or `anyOf`) branch (the form the generated schemas use, so that every value has a description),
/// or the items of an `enum`.
///
/// ```
/// let topic = connectly_schema::SchemaKind::Registration.schema()["$defs"]["Topic"].clone();
/// let values = connectly_schema::allowed_values(&topic).unwrap();
/// assert!(values.contains(&&serde_json::json!("messages")));
/// ```
pub fn allowed_values(schema: &Value) -> Option<Vec<&Value>> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().collect());
    }
    ["oneOf", "anyOf"].iter().find_map(|key| {
        let branches = schema.get(*key)?.as_array()?;
        let values: Option<Vec<&Value>> = branches.iter().map(|b| b.get("const")).collect();
        values.filter(|v| !v.is_empty())
    })
}

/// The `type`s a subschema allows.
pub(crate) fn schema_types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The literal text a regular expression requires at the start (`^https://[^/]+` → `https://`),
/// when it has one.
pub(crate) fn literal_prefix(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix('^')?;
    let prefix: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '-' | '_'))
        .collect();
    (!prefix.is_empty()).then_some(prefix)
}

/// What the object at `pointer` needs, from the schema's `required` (one level into lists):
/// `` `webhooks` (a list, each item with `topic` and `address`) ``.
pub(crate) fn needs(root: &Value, pointer: &str) -> String {
    let required = |p: &str| -> Vec<String> {
        schema_at(root, p)
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|k| k.as_str().map(|k| format!("`{k}`")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let and = |items: Vec<String>| match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    and(required(pointer)
        .into_iter()
        .map(|key| {
            let child = format!("{pointer}/{}", key.trim_matches('`'));
            let is_list =
                schema_at(root, &child).map(schema_types) == Some(vec!["array".to_owned()]);
            let each = required(&format!("{child}/0"));
            if is_list && !each.is_empty() {
                format!("{key} (a list, each item with {})", and(each))
            } else {
                key
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemaKind;
    use serde_json::json;

    #[test]
    fn enumerations_are_read_in_either_form() {
        let values = [json!("a"), json!("b")];
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(allowed_values(&json!({"enum": values})), Some(refs.clone()));
        assert_eq!(
            allowed_values(&json!({"anyOf": [{"const": "a", "description": "A"}, {"const": "b"}]})),
            Some(refs)
        );
        assert_eq!(
            allowed_values(&json!({"oneOf": [{"const": "a"}, {"type": "string"}]})),
            None
        );
        assert_eq!(
            literal_prefix("^https://[^\\s/?#]+[^\\s]*$").as_deref(),
            Some("https://")
        );
        assert_eq!(literal_prefix("[a-z]+"), None);
    }

    #[test]
    fn schema_at_follows_refs_properties_and_items() {
        let config = SchemaKind::Config.schema();
        assert_eq!(
            schema_at(config, "/webhooks/3/configuration/filters/0/field").unwrap()["minLength"],
            1
        );
        assert!(allowed_values(schema_at(config, "/webhooks/0/topic").unwrap()).is_some());
        assert!(schema_at(config, "/nope").is_none());
    }
}
