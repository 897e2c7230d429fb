//! Paging an unsorted group of partition slices by offset, safely. FINRA does not promise the same row order on two
//! unsorted requests, so such paging may deliver a row twice (and then miss another). It is
//! still worth trying, because it fills every page (one partition slice rarely holds a whole
//! number of pages), so [`Unrepeated`] checks it as it goes:
//!
//! - **Optimistic pass.** A 128-bit key of every delivered row is remembered. If all
//!   `Record-Total` rows arrive and no key repeats, every row came exactly once: that many
//!   distinct rows out of a set of that many is the whole set.
//! - **Fallback.** The first repeated key (a reordering, or rows that are simply identical) ends
//!   the pass: the rest of that page is dropped and the download goes on with the safe plan (one
//!   sorted segment per partition slice of the group), skipping one occurrence of each row
//!   already delivered. Rows carry their partition values (the pass is only used when they do),
//!   so two identical rows always sit in the same slice, and the skip keeps their count exact.
//!
//! The remembered keys are 96 bits (a chance of about 10^-18 that two of 500 000 rows share
//! one), about 13 bytes a row, kept for one group at a time (about 20 pages, 100 000 rows:
//! some 1.3 MB), so memory stays flat however many rows the download has.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use bytes::Bytes;

use crate::page::Payload;

/// Which pass the download is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Optimistic,
    Fallback,
}

/// What a page turned out to be.
#[derive(Debug)]
pub(crate) enum Checked {
    /// The rows to deliver; the pass goes on.
    Rows(Payload),
    /// A row repeated: deliver these rows (those before it), then switch to the fallback.
    Repeated(Payload),
}

/// A row's key: 96 bits of two independently keyed hashes of its bytes.
type Key = [u32; 3];

/// The rows delivered so far by the optimistic pass, as keys.
#[derive(Debug)]
pub(crate) struct Unrepeated {
    hashers: (RandomState, RandomState),
    delivered: HashSet<Key>,
    pass: Pass,
}

impl Unrepeated {
    /// A check for a pass of about `expected_rows` rows (the set is sized for them up front).
    pub(crate) fn new(expected_rows: u64) -> Self {
        Self {
            hashers: (RandomState::new(), RandomState::new()),
            delivered: HashSet::with_capacity(usize::try_from(expected_rows).unwrap_or(0)),
            pass: Pass::Optimistic,
        }
    }

    /// From now on, pages come from the safe plan.
    pub(crate) fn fall_back(&mut self) {
        self.pass = Pass::Fallback;
    }

    /// Checks one page of the current pass.
    pub(crate) fn check(&mut self, payload: Payload) -> Checked {
        let mut repeated = false;
        let mut keep = |bytes: &[u8]| -> bool {
            if repeated {
                return false;
            }
            let key = self.key(bytes);
            match self.pass {
                Pass::Optimistic => {
                    repeated = !self.delivered.insert(key);
                    !repeated
                }
                // One occurrence of each row delivered before is skipped, once.
                Pass::Fallback => !self.delivered.remove(&key),
            }
        };
        let kept = match payload {
            Payload::Rows(rows) => Payload::Rows(
                rows.into_iter()
                    .filter(|row| keep(&serde_json::to_vec(row).unwrap_or_default()))
                    .collect(),
            ),
            Payload::RawRows(rows) => Payload::RawRows(
                rows.into_iter()
                    .filter(|row| keep(row.get().as_bytes()))
                    .collect(),
            ),
            Payload::Csv { header, records } => {
                let mut out = Vec::with_capacity(records.len());
                for record in crate::csvtext::records(&records) {
                    if keep(&record) {
                        out.extend_from_slice(&record);
                    }
                }
                Payload::Csv {
                    header,
                    records: Bytes::from(out),
                }
            }
        };
        if repeated {
            Checked::Repeated(kept)
        } else {
            Checked::Rows(kept)
        }
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "the key keeps 96 of the 128 bits"
    )]
    fn key(&self, bytes: &[u8]) -> Key {
        let first = self.hashers.0.hash_one(bytes);
        let second = self.hashers.1.hash_one(bytes);
        [(first >> 32) as u32, first as u32, second as u32]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rows: &[&str]) -> Payload {
        Payload::RawRows(
            rows.iter()
                .map(|row| {
                    serde_json::value::RawValue::from_string((*row).to_owned()).expect("json")
                })
                .collect(),
        )
    }

    fn texts(payload: &Payload) -> Vec<String> {
        match payload {
            Payload::RawRows(rows) => rows.iter().map(|row| row.get().to_owned()).collect(),
            Payload::Rows(rows) => rows
                .iter()
                .map(|row| serde_json::to_string(row).expect("json"))
                .collect(),
            Payload::Csv { records, .. } => crate::csvtext::records(records)
                .map(|record| String::from_utf8_lossy(&record).into_owned())
                .collect(),
        }
    }

    #[test]
    fn distinct_rows_pass_and_the_first_repeat_cuts_the_page() {
        let mut check = Unrepeated::new(8);
        let Checked::Rows(first) = check.check(raw(&["1", "2", "3"])) else {
            panic!("no repeat yet");
        };
        assert_eq!(texts(&first), ["1", "2", "3"]);
        let Checked::Repeated(second) = check.check(raw(&["4", "2", "5"])) else {
            panic!("2 came twice");
        };
        assert_eq!(
            texts(&second),
            ["4"],
            "the rest of the page waits for the fallback"
        );
    }

    #[test]
    fn the_fallback_skips_one_occurrence_of_each_row_delivered_before() {
        let mut check = Unrepeated::new(8);
        assert!(matches!(check.check(raw(&["1", "2"])), Checked::Rows(_)));
        assert!(matches!(
            check.check(raw(&["3", "1"])),
            Checked::Repeated(_)
        ));
        check.fall_back();
        // The safe plan delivers the whole multiset: 1 and 2 and 3 were delivered once.
        let Checked::Rows(rest) = check.check(raw(&["1", "1", "2", "3", "4"])) else {
            panic!("the fallback never stops");
        };
        assert_eq!(texts(&rest), ["1", "4"], "the second 1 is a row of its own");
    }

    #[test]
    fn csv_records_and_decoded_rows_are_checked_too() {
        let mut check = Unrepeated::new(8);
        let csv = Payload::Csv {
            header: Bytes::from_static(b"a,b\n"),
            records: Bytes::from_static(b"1,\"x\ny\"\n2,z\n1,\"x\ny\"\n"),
        };
        let Checked::Repeated(kept) = check.check(csv) else {
            panic!("the quoted record repeats");
        };
        assert_eq!(texts(&kept), ["1,\"x\ny\"\n", "2,z\n"]);

        let mut check = Unrepeated::new(8);
        let row: crate::page::Row = serde_json::from_str(r#"{"a":1}"#).expect("row");
        let rows = Payload::Rows(vec![row.clone(), row]);
        assert!(matches!(check.check(rows), Checked::Repeated(kept) if texts(&kept).len() == 1));
    }
}
