//! Text inside URIs: a component percent-encoded (every byte but the unreserved characters).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Letters, digits and `-._~` stay; every other byte is percent-encoded.
const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` percent-encoded as one URI component (a query value, an `otpauth://` label, a `data:`
/// URL's content).
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED_KEPT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unreserved_characters_stay() {
        assert_eq!(percent_encode("a b&c=d/é\n"), "a%20b%26c%3Dd%2F%C3%A9%0A");
        assert_eq!(percent_encode("A-z_0.9~"), "A-z_0.9~");
    }
}
