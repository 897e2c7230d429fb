//! Recovery codes: ten per batch, each 120 random bits written as 24 Crockford-Base32 characters
//! in groups of four (`7K3Q-…`). Stored only as SHA-256 hashes of their normal form, each usable
//! once; read back case-insensitively, with spaces and dashes ignored and Crockford's look-alikes
//! (`O` for `0`, `I` and `L` for `1`) accepted.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::secret::SecretHash;

/// Codes in a batch.
pub const BATCH: usize = 10;
/// Characters of a code (5 bits each: 120 bits).
pub const CHARS: usize = 24;
/// Crockford's Base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// One recovery code. Never printed.
pub struct RecoveryCode(SecretString);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

impl RecoveryCode {
    /// A fresh code from the OS random generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; CHARS * 5 / 8];
        aws_lc_rs::rand::fill(&mut bytes).expect("the OS random number generator is available");
        let mut bits: u128 = 0;
        for byte in bytes {
            bits = (bits << 8) | u128::from(byte);
        }
        let code: String = (0..CHARS)
            .map(|i| {
                let shift = 5 * (CHARS - 1 - i);
                char::from(ALPHABET[usize::try_from((bits >> shift) & 0x1f).unwrap_or(0)])
            })
            .collect();
        Self(SecretString::from(code))
    }

    /// A batch of [`BATCH`] fresh codes.
    pub fn batch() -> Vec<Self> {
        (0..BATCH).map(|_| Self::generate()).collect()
    }

    /// The code as typed, in its normal form; `None` when it cannot be one.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > 128 {
            return None;
        }
        let mut code = String::with_capacity(CHARS);
        for c in input.chars().filter(|c| *c != ' ' && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            code.push(c);
        }
        (code.len() == CHARS).then(|| Self(SecretString::from(code)))
    }

    /// The code as shown to its owner: groups of four joined by dashes.
    pub fn display(&self) -> SecretString {
        let chars: Vec<char> = self.0.expose_secret().chars().collect();
        let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
        SecretString::from(groups.join("-"))
    }

    /// The hash stored for it.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.0.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_24_crockford_characters_in_groups_of_four_and_reads_back_loosely() {
        let code = RecoveryCode::generate();
        let shown = code.display();
        let shown = shown.expose_secret();
        assert_eq!(shown.len(), CHARS + CHARS / 4 - 1);
        assert!(shown.split('-').all(|group| group.len() == 4));
        assert!(
            shown
                .chars()
                .all(|c| c == '-' || ALPHABET.contains(&(c as u8)))
        );
        let typed = shown.to_lowercase().replace('-', " ");
        let read = RecoveryCode::parse(&typed).expect("reads back");
        assert_eq!(read.hash(), code.hash());
    }

    #[test]
    fn look_alikes_read_as_crockford_digits_and_anything_else_is_refused() {
        let canonical = RecoveryCode::parse("0000-1111-2222-3333-4444-5555").expect("code");
        let loose = RecoveryCode::parse("oOoO-iIlL-2222-3333-4444-5555").expect("code");
        assert_eq!(canonical.hash(), loose.hash());
        for bad in [
            "",
            "0000-1111-2222-3333-4444-555",
            "0000-1111-2222-3333-4444-55555",
            "UUUU-1111-2222-3333-4444-5555",
            "٠٠٠٠-1111-2222-3333-4444-5555",
            &"0".repeat(10_000),
        ] {
            assert!(RecoveryCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_batch_is_ten_different_codes() {
        let batch = RecoveryCode::batch();
        assert_eq!(batch.len(), BATCH);
        let hashes: std::collections::BTreeSet<String> = batch
            .iter()
            .map(|code| code.hash().as_str().to_owned())
            .collect();
        assert_eq!(hashes.len(), BATCH);
    }
}
