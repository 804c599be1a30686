//! Payload edits (`--set PATH=VALUE`) and the `"test": true` rule.

use serde_json::{Map, Value};

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError {
    #[error("'{0}' is not PATH=VALUE (e.g. data.priority=HIGH)")]
    NotAssignment(String),
    #[error("'{path}': {reason}")]
    BadPath { path: String, reason: String },
    #[error(
        "test events must keep a top-level \"test\": true (it tells receivers the event is \
         synthetic); the edit would {0}"
    )]
    TestFlag(&'static str),
    #[error("the payload must be a JSON object")]
    NotObject,
}

/// Split `PATH=VALUE` at the first `=`.
pub fn parse_set_arg(s: &str) -> Result<(String, String), SetError> {
    let (path, value) = s
        .split_once('=')
        .ok_or_else(|| SetError::NotAssignment(s.to_string()))?;
    let path = path.trim();
    if path.is_empty() {
        return Err(SetError::NotAssignment(s.to_string()));
    }
    Ok((path.to_string(), value.to_string()))
}

/// Deepest `--set` path: payloads nest far less, and a deeper one would only build a document
/// too deep to serialise safely.
pub const MAX_SET_DEPTH: usize = 64;

/// Set the value at a dot path. `raw` is used as JSON when it parses (`5`, `true`, `null`,
/// `{"a":1}`, `"quoted"`), else as a string. Missing objects on the way are created; a number
/// segment indexes an array. The `"test": true` flag cannot be changed.
pub fn apply_set(body: &mut Value, path: &str, raw: &str) -> Result<(), SetError> {
    let value: Value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(SetError::BadPath {
            path: path.into(),
            reason: "empty segment".into(),
        });
    }
    if segments.len() > MAX_SET_DEPTH {
        return Err(SetError::BadPath {
            path: crate::capture::clip::cut(path),
            reason: format!(
                "{} levels deep; at most {MAX_SET_DEPTH} are allowed",
                segments.len()
            ),
        });
    }
    if segments == ["test"] && value != Value::Bool(true) {
        return Err(SetError::TestFlag("change it"));
    }
    let bad = |reason: String| SetError::BadPath {
        path: path.into(),
        reason,
    };
    let Some((last, parents)) = segments.split_last() else {
        return Err(bad("empty path".into()));
    };
    let mut node = body;
    for (i, seg) in parents.iter().enumerate() {
        let at = || segments[..=i].join(".");
        node = match node {
            Value::Object(m) => m
                .entry((*seg).to_string())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => {
                let idx: usize = seg
                    .parse()
                    .map_err(|_| bad(format!("'{}' indexes an array: use a number", at())))?;
                let len = a.len();
                a.get_mut(idx)
                    .ok_or_else(|| bad(format!("'{}' is past the end ({len} items)", at())))?
            }
            _ => return Err(bad(format!("'{}' is not an object", segments[..i].join(".")))),
        };
    }
    match node {
        Value::Object(m) => {
            m.insert((*last).to_string(), value);
        }
        Value::Array(a) => {
            let idx: usize = last
                .parse()
                .map_err(|_| bad("the last segment indexes an array: use a number".into()))?;
            let len = a.len();
            match idx.cmp(&len) {
                std::cmp::Ordering::Less => a[idx] = value,
                std::cmp::Ordering::Equal => a.push(value),
                std::cmp::Ordering::Greater => {
                    return Err(bad(format!("index {idx} is past the end ({len} items)")));
                }
            }
        }
        _ => return Err(bad(format!("'{}' is not an object", parents.join(".")))),
    }
    Ok(())
}

/// The payload is an object with a top-level `"test": true`.
pub fn check_test_flag(body: &Value) -> Result<(), SetError> {
    let Value::Object(m) = body else {
        return Err(SetError::NotObject);
    };
    match m.get("test") {
        Some(Value::Bool(true)) => Ok(()),
        Some(_) => Err(SetError::TestFlag("change it")),
        None => Err(SetError::TestFlag("remove it")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_typed_values_along_dot_paths() {
        let mut v = json!({"test": true, "data": {"priority": "LOW", "items": [{"id": 1}]}});
        apply_set(&mut v, "data.priority", "HIGH").unwrap();
        apply_set(&mut v, "data.count", "5").unwrap();
        apply_set(&mut v, "data.flag", "false").unwrap();
        apply_set(&mut v, "data.items.0.id", "\"7\"").unwrap();
        apply_set(&mut v, "data.items.1", "{\"id\": 2}").unwrap();
        apply_set(&mut v, "new.deep.key", "x y").unwrap();
        assert_eq!(
            v,
            json!({"test": true, "data": {"priority": "HIGH", "items": [{"id": "7"}, {"id": 2}], "count": 5, "flag": false}, "new": {"deep": {"key": "x y"}}})
        );
        assert!(apply_set(&mut v, "data.items.x", "1").is_err());
        assert!(apply_set(&mut v, "data.items.5", "1").is_err());
        assert!(apply_set(&mut v, "data.priority.x", "1").is_err());
        assert!(apply_set(&mut v, "a..b", "1").is_err());
    }

    #[test]
    fn a_path_deeper_than_the_limit_is_refused_before_building_anything() {
        let mut v = json!({"test": true});
        let ok = vec!["a"; MAX_SET_DEPTH].join(".");
        apply_set(&mut v, &ok, "1").unwrap();
        let deep = vec!["a"; 20_000].join(".");
        let err = apply_set(&mut v, &deep, "1").unwrap_err().to_string();
        assert!(err.contains("20000 levels deep; at most 64"), "{err}");
        assert!(err.len() < 200, "the path is cut in the message: {err}");
        assert_eq!(
            serde_json::to_string(&v).unwrap().matches('{').count(),
            MAX_SET_DEPTH
        );
    }

    #[test]
    fn the_test_flag_cannot_be_dropped() {
        let mut v = json!({"test": true});
        let err = apply_set(&mut v, "test", "false").unwrap_err();
        assert!(err.to_string().contains("\"test\": true"), "{err}");
        apply_set(&mut v, "test", "true").unwrap();
        assert!(check_test_flag(&v).is_ok());
        assert!(
            check_test_flag(&json!({"a": 1}))
                .unwrap_err()
                .to_string()
                .contains("remove it")
        );
        assert!(check_test_flag(&json!({"test": "true"})).is_err());
        assert_eq!(check_test_flag(&json!([1])), Err(SetError::NotObject));
        assert_eq!(parse_set_arg("a.b=c=d").unwrap(), ("a.b".into(), "c=d".into()));
        assert!(parse_set_arg("=x").is_err());
    }
}
