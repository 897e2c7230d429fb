//! Paths and links as they go on the wire, in the one form no server can read another way.
//!
//! An [`ApiPath`] is built from segments, each percent-encoded as exactly one path segment, or
//! parsed from text that must already be in that form: no `.` or `..` segment in any spelling,
//! no empty segment, no `/` or `\` inside a segment, no control characters, one spelling per
//! byte. [`resolve_link`] takes a link a server returned (an async status or result link) and
//! refuses one that a URL parser would rewrite on the way (dot segments, backslashes, a host
//! spelled another way), so what is fetched is exactly what the link named.

use std::fmt;

use reqwest::Url;
use url::Position;

use crate::error::FinraError;

/// Longest path the client sends (FINRA's longest is seven short segments).
const MAX_PATH_BYTES: usize = 2_048;

/// A path under the API base in canonical form: `/segment/segment…`, every segment non-empty,
/// neither `.` nor `..`, made of unreserved characters (`A-Z a-z 0-9 - . _ ~`) and upper-case
/// percent-escapes of every other byte.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiPath(String);

impl ApiPath {
    /// The path of these segments, each percent-encoded as one segment. Refuses an empty
    /// segment, `.` and `..`, and a segment holding `/`, `\` or a control character (a server
    /// that decodes escapes before routing would see more than one segment).
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Self, FinraError> {
        if segments.is_empty() {
            return Err(unsafe_path("a path needs at least one segment"));
        }
        // Room for every segment unencoded: one allocation for the usual path.
        let mut path = String::with_capacity(
            segments
                .iter()
                .map(|segment| segment.as_ref().len() + 1)
                .sum(),
        );
        for segment in segments {
            let segment = segment.as_ref();
            match segment {
                "" => return Err(unsafe_path("a path segment is empty")),
                "." | ".." => return Err(unsafe_path("a path segment is `.` or `..`")),
                _ => {}
            }
            // `%` too: a server that decodes twice would read `%2e%2e` or `%2f` in it.
            if segment
                .chars()
                .any(|c| matches!(c, '/' | '\\' | '%') || c.is_control())
            {
                return Err(unsafe_path(
                    "a path segment holds `/`, `\\`, `%` or a control character",
                ));
            }
            path.push('/');
            // Runs of unreserved characters are copied whole; every byte of any other
            // character is escaped.
            let mut copied = 0;
            for (at, c) in segment.char_indices() {
                if u8::try_from(c).is_ok_and(is_unreserved) {
                    continue;
                }
                path.push_str(&segment[copied..at]);
                copied = at + c.len_utf8();
                for byte in segment[at..copied].bytes() {
                    path.push('%');
                    path.push(hex_digit(byte >> 4));
                    path.push(hex_digit(byte & 0x0f));
                }
            }
            path.push_str(&segment[copied..]);
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(unsafe_path("the path is too long"));
        }
        Ok(Self(path))
    }

    /// A path given as text, accepted only when it is already canonical: exactly what
    /// [`ApiPath::from_segments`] makes of its decoded segments.
    pub fn parse(text: &str) -> Result<Self, FinraError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(unsafe_path("a path must start with `/`"));
        };
        if text.len() > MAX_PATH_BYTES {
            return Err(unsafe_path("the path is too long"));
        }
        let segments = rest
            .split('/')
            .map(percent_decode)
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| unsafe_path("a path segment holds a bad escape or non-UTF-8 bytes"))?;
        let path = Self::from_segments(&segments)?;
        if path.0 == text {
            Ok(path)
        } else {
            Err(unsafe_path(
                "the path is not in canonical form (escapes of unreserved characters, lower-case \
                 escapes or characters that must be escaped)",
            ))
        }
    }

    /// The path text, starting with `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A path may name a dataset, never a secret of the client's; its length is enough to
        // tell paths apart in a debugger without printing what a caller may have pasted into it.
        write!(f, "ApiPath({} bytes)", self.0.len())
    }
}

/// The URL of `path` under `base`, checked after it is built: on the base's origin, and with
/// exactly `base`'s path followed by `path` (the URL library must not have rewritten anything).
pub(crate) fn url_under(base: &Url, path: &ApiPath) -> Result<Url, FinraError> {
    let expected = format!("{}{}", base.path().trim_end_matches('/'), path.as_str());
    let mut url = base.clone();
    url.set_path(&expected);
    if url.origin() != base.origin() || url.path() != expected || url.query().is_some() {
        return Err(unsafe_path(
            "the request URL would not be the canonical path under the API base",
        ));
    }
    Ok(url)
}

/// The request target of `path` and `query` under `base`, as the raw transport sends it: built
/// as text and parsed without any normalisation, then checked to be on the base's origin with
/// exactly `base`'s path followed by `path`, and exactly `query`.
pub(crate) fn uri_under(
    base: &Url,
    path: &ApiPath,
    query: Option<&str>,
) -> Result<hyper::Uri, FinraError> {
    let origin = &base[..Position::BeforePath];
    let base_path = base.path().trim_end_matches('/');
    let mut text = String::with_capacity(
        origin.len() + base_path.len() + path.0.len() + query.map_or(0, |q| q.len() + 1),
    );
    text.push_str(origin);
    text.push_str(base_path);
    text.push_str(&path.0);
    if let Some(query) = query {
        if !is_forwardable_query(query) {
            return Err(unsafe_path(
                "the query string holds a character that is not visible ASCII, or one of `\"#<>`",
            ));
        }
        text.push('?');
        text.push_str(query);
    }
    // From the `String` itself: parsed in place, not copied.
    let uri =
        hyper::Uri::try_from(text).map_err(|_| unsafe_path("the request URL does not parse"))?;
    let same_origin = uri.scheme_str() == Some(base.scheme())
        && uri.authority().map(hyper::http::uri::Authority::as_str)
            == Some(&base[Position::BeforeHost..Position::AfterPort]);
    let same_path = uri.path().strip_prefix(base_path) == Some(path.as_str());
    if !same_origin || !same_path || uri.query() != query {
        return Err(unsafe_path(
            "the request URL would not be the canonical path under the API base",
        ));
    }
    Ok(uri)
}

/// Whether a query string can be forwarded exactly as it is: visible ASCII except `"`, `#`,
/// `<` and `>` (the form in which no URL library escapes or drops anything).
pub fn is_forwardable_query(query: &str) -> bool {
    query
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'#' | b'<' | b'>'))
}

/// Resolves a link a server returned (absolute, or rooted at `base`'s origin when `base` is
/// given), refusing one whose resolved URL would differ from the text: dot segments in any
/// spelling, backslashes, characters a parser escapes, user info, or a host or port written in
/// another form than the one the URL ends up with. What is fetched is what the link named.
pub fn resolve_link(base: Option<&Url>, link: &str) -> Result<Url, FinraError> {
    if link.is_empty() || !link.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return Err(unsafe_link(
            "it holds a backslash, a space or a character that is not visible ASCII",
        ));
    }
    let (authority, rest) = match link.split_once("://") {
        Some((scheme, rest)) => {
            if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
                return Err(unsafe_link("it is not an http or https URL"));
            }
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            (Some(&rest[..end]), &rest[end..])
        }
        None if link.starts_with('/') && !link.starts_with("//") => (None, link),
        None => return Err(unsafe_link("it is neither absolute nor rooted at `/`")),
    };
    let url = match (base, authority) {
        (Some(base), _) => base.join(link),
        (None, Some(_)) => Url::parse(link),
        (None, None) => return Err(unsafe_link("a rooted link needs a base")),
    }
    .map_err(|_| unsafe_link("it is not a valid URL"))?;
    if let Some(authority) = authority
        && (authority.contains('@')
            || !authority.eq_ignore_ascii_case(&url[Position::BeforeHost..Position::AfterPort]))
    {
        return Err(unsafe_link(
            "its host resolves to a different host than the one it names",
        ));
    }
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let path = if path.is_empty() { "/" } else { path };
    if url.path() != path {
        return Err(unsafe_link(
            "its path would be rewritten (dot segments or escapes)",
        ));
    }
    Ok(url)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0x0f)])
}

/// A segment with its `%XX` escapes decoded; `None` for a bad escape or non-UTF-8 bytes.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while let Some(&byte) = bytes.get(idx) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(idx + 1..idx + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            idx += 3;
        } else {
            decoded.push(byte);
            idx += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

fn unsafe_path(reason: &'static str) -> FinraError {
    FinraError::UnsafeUrl {
        what: "request path",
        reason,
    }
}

fn unsafe_link(reason: &'static str) -> FinraError {
    FinraError::UnsafeUrl {
        what: "link",
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        matches!(ApiPath::parse(text), Err(FinraError::UnsafeUrl { .. }))
    }

    #[test]
    fn segments_are_escaped_into_exactly_one_segment_each() {
        let path =
            ApiPath::from_segments(&["data", "group", "a b", "name", "x:y;z"]).expect("a path");
        assert_eq!(path.as_str(), "/data/group/a%20b/name/x%3Ay%3Bz");
        assert_eq!(ApiPath::parse(path.as_str()).expect("canonical"), path);
        // Every byte of a character outside ASCII, wherever it stands in the segment.
        let path = ApiPath::from_segments(&["\u{e9}t\u{e9}", "~a-b_c.d", "\u{1f600}", "x\u{e9}"])
            .expect("a path");
        assert_eq!(
            path.as_str(),
            "/%C3%A9t%C3%A9/~a-b_c.d/%F0%9F%98%80/x%C3%A9"
        );
        assert_eq!(ApiPath::parse(path.as_str()).expect("canonical"), path);
        for bad in [
            &["data", ""][..],
            &["data", "."],
            &["data", ".."],
            &["a/b"],
            &["a\\b"],
            &["a\u{7f}"],
            &["a\nb"],
            &["%2e%2e"],
        ] {
            assert!(ApiPath::from_segments(bad).is_err(), "{bad:?}");
        }
        assert!(ApiPath::from_segments::<&str>(&[]).is_err());
    }

    #[test]
    fn only_canonical_text_parses() {
        assert!(ApiPath::parse("/data/group/otcMarket/name/weeklySummary").is_ok());
        assert!(ApiPath::parse("/a/b.c/d~e/f_g-h").is_ok());
        for text in [
            "",
            "data",
            "/",
            "//x",
            "/a//b",
            "/a/",
            "/a/./b",
            "/a/../b",
            "/a/%2e%2e/b",
            "/a/%2E%2E/b",
            "/a/.%2e/b",
            "/a/%2e/b",
            "/a/%252e%252e/b",
            "/a/..\\..\\b",
            "/a/%5C/b",
            "/a/%5c/b",
            "/a/%2F/b",
            "/a/%2f/b",
            "/a/%41/b",
            "/a/x;y/b",
            "/a/%3b/b",
            "/a/\u{e9}/b",
            "/a/%C3%A9x%/b",
            "/a/%zz/b",
            "/a/%0a/b",
            "/a/\t/b",
        ] {
            assert!(refused(text), "{text:?}");
        }
        // A non-ASCII name is sent escaped, and its escaped form parses.
        assert!(ApiPath::parse("/a/%C3%A9/b").is_ok());
    }

    #[test]
    fn urls_are_built_under_the_base_and_checked() {
        let base = Url::parse("https://api.example.org/v1/finra").expect("base");
        let path = ApiPath::parse("/data/group/g/name/n").expect("path");
        let uri = uri_under(&base, &path, Some("limit=3&offset=0")).expect("uri");
        assert_eq!(
            uri.to_string(),
            "https://api.example.org/v1/finra/data/group/g/name/n?limit=3&offset=0"
        );
        let kept = uri_under(&base, &path, Some("a='x'&b=[1]&c=%22")).expect("kept as it is");
        assert_eq!(kept.query(), Some("a='x'&b=[1]&c=%22"));
        for query in ["a=1#frag", "a= 1", "a=\u{e9}", "a=\n", "a=\"x\"", "a=<b>"] {
            assert!(uri_under(&base, &path, Some(query)).is_err(), "{query:?}");
        }
        let url = url_under(&base, &path).expect("url");
        assert_eq!(
            url.as_str(),
            "https://api.example.org/v1/finra/data/group/g/name/n"
        );
        let root = Url::parse("http://127.0.0.1:9/").expect("base");
        assert_eq!(
            uri_under(&root, &path, None).expect("uri").to_string(),
            "http://127.0.0.1:9/data/group/g/name/n"
        );
    }

    #[test]
    fn links_resolve_only_to_what_they_name() {
        let base = Url::parse("https://api.example.org").expect("base");
        let ok = resolve_link(
            Some(&base),
            "https://results.example.net/async-results/1.csv?X-Amz-Signature=ab%2Fcd",
        )
        .expect("a plain link");
        assert_eq!(ok.host_str(), Some("results.example.net"));
        let rooted = resolve_link(Some(&base), "/async-requests/group/g/name/n/abc-1")
            .expect("a rooted link");
        assert_eq!(rooted.host_str(), Some("api.example.org"));
        assert!(resolve_link(None, "https://h.example/x").is_ok());
        for link in [
            "",
            "https://h.example/a/../b",
            "https://h.example/a/%2e%2e/b",
            "https://h.example/a/./b",
            "https://h.example/a\\..\\b",
            "https://h.example\\@evil.example/x",
            "https://user@h.example/x",
            "https://0x7f.1/x",
            "https://H.example:443/x",
            "https://h.example/a b",
            "https://h.example/a\"b",
            "ftp://h.example/x",
            "//h.example/x",
            "relative/x",
            "/a/../../b",
        ] {
            assert!(
                matches!(
                    resolve_link(Some(&base), link),
                    Err(FinraError::UnsafeUrl { .. })
                ),
                "{link:?}"
            );
        }
        assert!(resolve_link(None, "/rooted").is_err());
    }

    #[test]
    fn debug_shows_only_the_length() {
        let path = ApiPath::parse("/data/group/g/name/secretish").expect("path");
        assert_eq!(format!("{path:?}"), "ApiPath(28 bytes)");
    }
}
