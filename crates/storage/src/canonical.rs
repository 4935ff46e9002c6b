//! Canonical JSON: the one text of a JSON value that is hashed, so that equal values hash equally
//! wherever they are hashed (audit records, the ids of events sent without one). It sits below
//! both so that neither has to reach into the other for it.

use serde_json::Value;

/// JSON with object keys sorted and no insignificant whitespace, so that equal values hash equally.
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(128);
    write_canonical_json(&mut out, value);
    // Only JSON is written, and JSON text is UTF-8; the fallback is never taken.
    String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Appends the canonical JSON of `value` to `out`: written as it is walked, keys sorted in place,
/// rather than copied into a sorted value and printed (every audit record of every read is hashed
/// on the audit writer's one thread). Leaves are printed by `serde_json`, so that strings and
/// numbers read exactly as `Value`'s own text.
pub(crate) fn write_canonical_json(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_leaf(out, key);
                out.push(b':');
                write_canonical_json(out, value);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical_json(out, item);
            }
            out.push(b']');
        }
        leaf => write_leaf(out, leaf),
    }
}

fn write_leaf<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, leaf: &T) {
    // Writing a string, number, bool or null into a vector cannot fail.
    serde_json::to_writer(&mut *out, leaf).unwrap_or_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let value = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    /// Canonical JSON as first defined: the value copied with its keys sorted, then printed.
    fn as_first_defined(value: &Value) -> String {
        fn sorted(value: &Value) -> Value {
            match value {
                Value::Object(map) => {
                    let ordered: std::collections::BTreeMap<&String, Value> =
                        map.iter().map(|(k, v)| (k, sorted(v))).collect();
                    Value::Object(ordered.into_iter().map(|(k, v)| (k.clone(), v)).collect())
                }
                Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
                other => other.clone(),
            }
        }
        sorted(value).to_string()
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
                .prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("[a-zA-Z\\\\\"é]{0,5}", inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Stored hashes were made with the first definition: the direct writer must print
        /// exactly what it printed, for any value (keys out of order, escapes, nesting).
        #[test]
        fn the_direct_writer_prints_what_the_first_definition_printed(value in any_value()) {
            proptest::prop_assert_eq!(canonical_json(&value), as_first_defined(&value));
        }
    }
}
