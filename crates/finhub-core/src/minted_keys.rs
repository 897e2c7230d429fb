//! The hasher of the in-process maps keyed by what the hub minted or has verified: digests of
//! secrets (no caller can choose a digest, even of a value it sent), and ids read from the hub's
//! own signed tokens and stored sessions. These maps are read on every proxied call; foldhash
//! hashes their keys in a fraction of the time std's SipHash takes, and SipHash's guard against
//! hash flooding is not needed where no caller chooses the keys. Keys a caller does choose
//! (client addresses, ids as sent) stay on std's hasher.

use std::collections::HashMap;

/// foldhash, seeded per map.
pub type MintedKeys = foldhash::fast::RandomState;

/// A map keyed by values the hub minted or has verified.
pub type MintedKeyMap<K, V> = HashMap<K, V, MintedKeys>;
