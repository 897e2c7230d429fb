//! Request bodies: the `application/json` (UTF-8) content type, reading within the body limit,
//! and strict JSON objects — duplicate keys and unknown fields refused, every value a string.
//! serde_json's own `Map` would keep the last of two equal keys silently, so keys are collected
//! here by a visitor that notices the second one.

use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::error::ApiError;

/// Reads the whole body, refusing one over the limit set by `DefaultBodyLimit` with 413.
pub(crate) async fn read_body(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    Bytes::from_request(request, &())
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge { limit }
            } else {
                ApiError::InvalidBody("the request body could not be read".into())
            }
        })
}

/// Checks `Content-Type` is `application/json`, optionally with `charset=utf-8` (any case,
/// quoted or not). Anything else, including other charsets and parameters, is 415. The caller
/// has already refused a missing header where one is required.
pub(crate) fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = super::context::single_header(headers, &header::CONTENT_TYPE, "Content-Type")?
        .ok_or(ApiError::UnsupportedMediaType)?;
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    for parameter in parts {
        let parameter = parameter.trim();
        if parameter.is_empty() {
            continue;
        }
        let (name, value) = parameter
            .split_once('=')
            .ok_or(ApiError::UnsupportedMediaType)?;
        let value = value.trim().trim_matches('"');
        if !name.trim().eq_ignore_ascii_case("charset") || !value.eq_ignore_ascii_case("utf-8") {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    Ok(())
}

/// A JSON object's members in order, with every key unique and known.
#[derive(Debug)]
pub(crate) struct StrictObject {
    members: Vec<(&'static str, Value)>,
}

impl StrictObject {
    /// Parses `bytes` as one JSON object whose keys are all in `known` and appear once.
    /// Errors are descriptions for a 400 that never echo a value.
    pub(crate) fn parse(bytes: &[u8], known: &'static [&'static str]) -> Result<Self, ApiError> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let members = ObjectSeed { known }
            .deserialize(&mut deserializer)
            .and_then(|members| deserializer.end().map(|()| members))
            .map_err(|error| ApiError::InvalidBody(describe(&error)))?;
        Ok(Self { members })
    }

    /// The value of a member, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.members.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Whether a member is present (with any value, `null` included).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A string member: `Ok(None)` when absent, 400 when not a JSON string (`null` included).
    pub(crate) fn string(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(ApiError::InvalidBody(format!(
                "{key} must be a JSON string"
            ))),
        }
    }

    /// The keys present.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.members.iter().map(|(k, _)| *k)
    }
}

/// A 400 description for a parse error: serde_json's syntax messages (which never quote the
/// input), or the messages of the visitor below.
fn describe(error: &serde_json::Error) -> String {
    match error.classify() {
        serde_json::error::Category::Eof => "the body is not complete JSON".to_owned(),
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Data
        | serde_json::error::Category::Io => format!("malformed JSON body: {error}"),
    }
}

struct ObjectSeed {
    known: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for ObjectSeed {
    type Value = Vec<(&'static str, Value)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ObjectVisitor { known: self.known })
    }
}

struct ObjectVisitor {
    known: &'static [&'static str],
}

fn not_an_object<E: de::Error>() -> E {
    E::custom("the body must be a JSON object")
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Vec<(&'static str, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(&'static str, Value)> = Vec::new();
        while let Some(key) = map.next_key::<KeyText>()? {
            let Some(name) = self.known.iter().copied().find(|k| *k == key.0) else {
                return Err(de::Error::custom(format!(
                    "unknown field {}",
                    shortened(&key.0)
                )));
            };
            if members.iter().any(|(k, _)| *k == name) {
                return Err(de::Error::custom(format!("duplicate field {name}")));
            }
            let value: Value = map.next_value()?;
            members.push((name, value));
        }
        Ok(members)
    }

    // Scalars and arrays: refuse without quoting them (a stray string may be a secret).
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(not_an_object())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(not_an_object())
    }
}

/// An object key, decoded (escapes resolved) so `"user\u006eame"` is `username`.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// A client-sent name for an error message: escaped, and cut to 40 characters.
fn shortened(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const KNOWN: &[&str] = &["username", "password"];

    fn parse(text: &str) -> Result<StrictObject, String> {
        StrictObject::parse(text.as_bytes(), KNOWN).map_err(|e| match e {
            ApiError::InvalidBody(reason) => reason,
            other => format!("unexpected {other:?}"),
        })
    }

    #[test]
    fn duplicate_keys_even_when_escaped_differently_are_refused() {
        assert!(parse(r#"{"username":"a","password":"b"}"#).is_ok());
        let error = parse(r#"{"username":"a","username":"b"}"#).err();
        assert!(error.is_some_and(|e| e.contains("duplicate field username")));
        let error = parse(r#"{"username":"a","user\u006eame":"b"}"#).err();
        assert!(error.is_some_and(|e| e.contains("duplicate field username")));
    }

    #[test]
    fn non_objects_unknown_fields_and_trailing_garbage_are_refused_without_echo() {
        for (body, expected) in [
            (r#""hunter2""#, "must be a JSON object"),
            ("[1]", "must be a JSON object"),
            ("null", "must be a JSON object"),
            (r#"{"admin":"x"}"#, "unknown field \"admin\""),
            (r#"{"username":"a"} x"#, "trailing characters"),
            (r#"{"username":"a""#, "not complete"),
            ("", "not complete"),
        ] {
            let error = parse(body).err().unwrap_or_default();
            assert!(error.contains(expected), "{body}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let body = format!(
            r#"{{"username":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert!(parse(&body).is_err());
    }

    #[test]
    fn content_type_must_be_json_in_utf8() {
        let check = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            check_json_content_type(&headers).is_ok()
        };
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=UTF-8"));
        assert!(check("application/json;charset=\"utf-8\""));
        for bad in [
            "text/plain",
            "application/json; charset=utf-16",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "application/json; foo=bar",
            "application/vnd.api+json",
        ] {
            assert!(!check(bad), "{bad}");
        }
    }
}
