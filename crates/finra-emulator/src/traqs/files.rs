//! TRAQS reference-data files: which facility has which file, their columns (named after FINRA's
//! public Web API specifications; the content is synthetic) and their rows, each computed from
//! the seed and its own index so a file of any size streams without being held in memory.
//! Pipe-delimited, a header row, CRLF line ends, no BOM.

use axum::body::{Body, Bytes};

use crate::data::Scale;

/// The facilities, upper case.
pub const FACILITIES: [&str; 4] = ["ADF", "ORF", "TRACE", "TRF"];

/// What kind of rows a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An equity security master (active or inactive securities).
    EquityMaster { active: bool },
    /// Today's equity changes (symbol changes, splits, deletions).
    EquityDailyList,
    /// The corporate and agency bond master (the big one).
    BondMaster,
    /// Today's bond additions, changes and deletions.
    BondDailyList,
    /// Reporting participants.
    Participants,
}

/// One downloadable file.
#[derive(Debug)]
pub struct TraqsFile {
    /// Its facility.
    pub facility: &'static str,
    /// Its name (`file=` parameter).
    pub name: &'static str,
    kind: Kind,
}

const fn file(facility: &'static str, name: &'static str, kind: Kind) -> TraqsFile {
    TraqsFile {
        facility,
        name,
        kind,
    }
}

/// Every file of every facility.
pub const FILES: &[TraqsFile] = &[
    file("ADF", "EQUITYMASTERAC", Kind::EquityMaster { active: true }),
    file(
        "ADF",
        "EQUITYMASTERIN",
        Kind::EquityMaster { active: false },
    ),
    file("ADF", "DAILYLIST", Kind::EquityDailyList),
    file("ORF", "EQUITYMASTERAC", Kind::EquityMaster { active: true }),
    file(
        "ORF",
        "EQUITYMASTERIN",
        Kind::EquityMaster { active: false },
    ),
    file("ORF", "DAILYLIST", Kind::EquityDailyList),
    file("TRACE", "CAMASTER", Kind::BondMaster),
    file("TRACE", "DAILYLISTCA", Kind::BondDailyList),
    file("TRACE", "PARTICIPANTLIST", Kind::Participants),
    file("TRF", "PARTICIPANTLIST", Kind::Participants),
];

/// The files of a facility (any case).
pub fn files_of(facility: &str) -> impl Iterator<Item = &'static TraqsFile> {
    let facility = facility.to_ascii_uppercase();
    FILES.iter().filter(move |f| f.facility == facility)
}

/// A file by facility and name (any case).
pub fn find(facility: &str, name: &str) -> Option<&'static TraqsFile> {
    FILES
        .iter()
        .find(|f| f.facility.eq_ignore_ascii_case(facility) && f.name.eq_ignore_ascii_case(name))
}

impl TraqsFile {
    /// The header row's columns.
    pub fn columns(&self) -> &'static [&'static str] {
        match self.kind {
            Kind::EquityMaster { .. } => &[
                "FINRA_OTC_ID",
                "SYM_CD",
                "SYM_SUF_CD",
                "SCRTY_DS",
                "STTS_CD",
                "CUSIP_ID",
                "CLASS_TX",
                "SCRTY_TYPE_CD",
                "SCRTY_EFCTV_TS",
                "NACTV_DT",
            ],
            Kind::EquityDailyList => &[
                "DAILY_LIST_DT",
                "RECORD_ID",
                "DAILY_LIST_RSN_CD",
                "SYM_CD",
                "NEW_SYM_CD",
                "SCRTY_DS",
                "FRWRD_SPLIT_RT",
                "RVRS_SPLIT_RT",
                "SUBJ_CRPRT_ACTN_CD",
                "EFCTV_DT",
            ],
            Kind::BondMaster => &[
                "CUSIP_ID",
                "BOND_SYM_ID",
                "ISSUER_NM",
                "DEBT_TYPE_CD",
                "SCRTY_SBTP_CD",
                "CPN_RT",
                "CPN_TYPE_CD",
                "MTRTY_DT",
                "GRADE_CD",
                "IND_144A",
                "DSMTN_FL",
                "TRD_RPT_EFCTV_DT",
            ],
            Kind::BondDailyList => &[
                "DAILY_LIST_DT",
                "ACTN_CD",
                "CUSIP_ID",
                "BOND_SYM_ID",
                "ISSUER_NM",
                "CPN_RT",
                "MTRTY_DT",
            ],
            Kind::Participants => &["MPID", "PRTCPNT_NM", "CRD_NB", "ACTN_DT", "ACTN_DS"],
        }
    }

    /// Whether it is the big bond master (whose size a benchmark may set).
    pub fn is_bond_master(&self) -> bool {
        self.kind == Kind::BondMaster
    }

    /// How many data rows it has at `scale`.
    pub fn rows(&self, scale: Scale) -> u64 {
        let full = scale == Scale::Full;
        match self.kind {
            Kind::BondMaster if full => 150_000,
            Kind::BondMaster => 2_000,
            Kind::EquityMaster { .. } if full => 20_000,
            Kind::EquityMaster { .. } => 1_500,
            Kind::EquityDailyList | Kind::BondDailyList => 60,
            Kind::Participants => 250,
        }
    }

    /// Appends data row `index` (without its line end).
    fn write_row(&self, seed: u64, index: u64, out: &mut String) {
        let salt = self
            .name
            .bytes()
            .chain(self.facility.bytes())
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let mut draw = Draw::new(seed, salt, index);
        match self.kind {
            Kind::EquityMaster { active } => equity_master(&mut draw, index, active, out),
            Kind::EquityDailyList => equity_daily(&mut draw, index, out),
            Kind::BondMaster => bond_master(&mut draw, index, out),
            Kind::BondDailyList => bond_daily(&mut draw, index, out),
            Kind::Participants => participant(&mut draw, index, out),
        }
    }

    /// The whole file as text (tests; small files).
    pub fn render(&self, seed: u64, scale: Scale) -> String {
        let mut out = String::new();
        for chunk in self.chunks(seed, self.rows(scale)) {
            out.push_str(&String::from_utf8_lossy(&chunk));
        }
        out
    }

    /// The file in chunks of about 64 KiB, each made when it is asked for.
    fn chunks(&self, seed: u64, rows: u64) -> impl Iterator<Item = Bytes> + Send + 'static {
        const CHUNK: usize = 64 * 1024;
        let this: &'static TraqsFile = find(self.facility, self.name).unwrap_or(&FILES[0]);
        let mut next = 0_u64;
        let mut header_sent = false;
        std::iter::from_fn(move || {
            let mut out = String::with_capacity(CHUNK + 512);
            if !header_sent {
                header_sent = true;
                out.push_str(&this.columns().join("|"));
                out.push_str("\r\n");
            }
            while next < rows && out.len() < CHUNK {
                this.write_row(seed, next, &mut out);
                out.push_str("\r\n");
                next += 1;
            }
            (!out.is_empty()).then(|| Bytes::from(out))
        })
    }

    /// The file of `rows` data rows as a streamed body; `cut_after` bytes (a fault) end it with
    /// an error instead.
    pub(crate) fn body(&self, seed: u64, rows: u64, cut_after: Option<usize>) -> Body {
        use futures_util::StreamExt as _;
        let mut sent = 0_usize;
        let chunks = futures_util::stream::iter(self.chunks(seed, rows)).then(move |chunk| {
            // The chunk that crosses the limit still goes out; the next one breaks, after a
            // pause that lets what was sent reach the client.
            let broken = cut_after.is_some_and(|limit| sent >= limit);
            sent += chunk.len();
            async move {
                if broken {
                    tokio::task::yield_now().await;
                    Err(std::io::Error::other(
                        "the emulator was told to break this download",
                    ))
                } else {
                    Ok(chunk)
                }
            }
        });
        Body::from_stream(chunks)
    }
}

/// Deterministic draws for one row: a splitmix64 sequence from (seed, file, row).
struct Draw(u64);

impl Draw {
    fn new(seed: u64, salt: u64, index: u64) -> Self {
        Self(seed ^ salt.rotate_left(17) ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let len = u64::try_from(items.len()).unwrap_or(1);
        items[usize::try_from(self.below(len)).unwrap_or(0)]
    }

    fn letters(&mut self, n: usize, out: &mut String) {
        for _ in 0..n {
            out.push(char::from(b'A' + u8::try_from(self.below(26)).unwrap_or(0)));
        }
    }
}

const ISSUERS: &[&str] = &[
    "ACME HLDGS",
    "NORTHWIND TRADERS",
    "CONTOSO",
    "FABRIKAM",
    "GLOBEX",
    "INITECH",
    "UMBRELLA",
    "STARK INDS",
    "WAYNE ENTERPRISES",
    "TYRELL",
    "CYBERDYNE",
    "SOYLENT",
    "HOOLI",
    "VANDELAY",
    "WONKA",
    "OSCORP",
    "MASSIVE DYNAMIC",
    "BLUTH",
    "DUNDER MIFFLIN",
    "PIED PIPER",
];
const SUFFIXES: &[&str] = &["INC", "CORP", "CO", "LTD", "PLC", "HLDGS INC", "GROUP"];

/// The date `days_back` days before 2026-12-01, as `YYYYMMDD`.
fn date(days_back: u64) -> String {
    let base = time::macros::date!(2026 - 12 - 01);
    let day = base - time::Duration::days(i64::try_from(days_back).unwrap_or(0));
    format!(
        "{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// A CUSIP: six issuer characters, two issue characters and its check digit.
fn cusip(draw: &mut Draw, index: u64) -> String {
    let mut body = format!("{:06}", 100_000 + index % 900_000);
    body.push(char::from(b'A' + u8::try_from(draw.below(26)).unwrap_or(0)));
    body.push(char::from(b'0' + u8::try_from(draw.below(10)).unwrap_or(0)));
    let check = cusip_check_digit(&body);
    body.push(char::from(b'0' + check));
    body
}

/// The CUSIP check digit ("modulus 10 double add double").
fn cusip_check_digit(first_eight: &str) -> u8 {
    let sum: u32 = first_eight
        .bytes()
        .enumerate()
        .map(|(position, byte)| {
            let value = match byte {
                b'0'..=b'9' => u32::from(byte - b'0'),
                b'A'..=b'Z' => u32::from(byte - b'A') + 10,
                _ => 0,
            };
            let value = if position % 2 == 1 { value * 2 } else { value };
            value / 10 + value % 10
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

fn equity_master(draw: &mut Draw, index: u64, active: bool, out: &mut String) {
    use std::fmt::Write as _;
    let offset = if active { 0 } else { 500_000 };
    let _ = write!(out, "{:014}|", 10_000_000 + offset + index);
    draw.letters(4, out);
    out.push('|');
    out.push_str(draw.pick(&["", "", "", "PR", "WS", "U"]));
    let issuer = draw.pick(ISSUERS);
    let suffix = draw.pick(SUFFIXES);
    let _ = write!(
        out,
        "|{issuer} {suffix} COM|{}|",
        if active { "A" } else { "I" }
    );
    out.push_str(&cusip(draw, index));
    let _ = write!(
        out,
        "|{}|{}|{} 09:30:00|{}",
        draw.pick(&["COM", "CL A", "CL B", "ADR"]),
        draw.pick(&["CS", "PRFS", "ADRS", "WARR", "UNIT"]),
        date(365 + draw.below(3_000)),
        if active {
            String::new()
        } else {
            date(draw.below(365))
        },
    );
}

fn equity_daily(draw: &mut Draw, index: u64, out: &mut String) {
    use std::fmt::Write as _;
    let reason = draw.pick(&["SC", "NC", "FS", "RS", "DL", "NW"]);
    let _ = write!(out, "{}|{}|{reason}|", date(0), 1_000 + index);
    draw.letters(4, out);
    out.push('|');
    if reason == "SC" {
        draw.letters(4, out);
    }
    let (forward, reverse) = match reason {
        "FS" => (format!("{}:1", 2 + draw.below(3)), String::new()),
        "RS" => (String::new(), format!("1:{}", 5 * (1 + draw.below(4)))),
        _ => (String::new(), String::new()),
    };
    let _ = write!(
        out,
        "|{} {} COM|{forward}|{reverse}|{}|{}",
        draw.pick(ISSUERS),
        draw.pick(SUFFIXES),
        draw.pick(&["CA", "CD", ""]),
        date(0),
    );
}

fn bond_master(draw: &mut Draw, index: u64, out: &mut String) {
    use std::fmt::Write as _;
    out.push_str(&cusip(draw, index));
    let issuer = draw.pick(ISSUERS);
    let ticker: String = issuer
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(4)
        .collect();
    let coupon = draw.below(900);
    let _ = write!(
        out,
        "|{ticker}{}|{issuer} {}|{}|{}|{}.{:03}|{}|{}|{}|{}|{}|{}",
        index % 10_000,
        draw.pick(SUFFIXES),
        draw.pick(&["SRNT", "SBNT", "DEB", "MTN", "BND"]),
        draw.pick(&["CORP", "AGCY", "ELN", "CHRC"]),
        coupon / 100,
        (coupon % 100) * 10,
        draw.pick(&["FXD", "FLT", "ZER", "VRB"]),
        date(0).replace("2026", &format!("{}", 2027 + draw.below(30))),
        draw.pick(&["I", "H", "I", "I"]),
        draw.pick(&["N", "N", "N", "Y"]),
        draw.pick(&["Y", "Y", "Y", "N"]),
        date(30 + draw.below(5_000)),
    );
}

fn bond_daily(draw: &mut Draw, index: u64, out: &mut String) {
    use std::fmt::Write as _;
    let issuer = draw.pick(ISSUERS);
    let _ = write!(
        out,
        "{}|{}|{}|{}{}|{issuer} {}|{}.{:03}|{}",
        date(0),
        draw.pick(&["A", "C", "D"]),
        cusip(draw, 900_000 + index),
        issuer
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(4)
            .collect::<String>(),
        index,
        draw.pick(SUFFIXES),
        draw.below(9),
        draw.below(1_000),
        date(0).replace("2026", &format!("{}", 2027 + draw.below(30))),
    );
}

fn participant(draw: &mut Draw, index: u64, out: &mut String) {
    use std::fmt::Write as _;
    draw.letters(4, out);
    let _ = write!(
        out,
        "|{} {}|{}|{}|{}",
        draw.pick(ISSUERS),
        draw.pick(&["SECURITIES LLC", "CAPITAL MARKETS", "& CO", "BROKERAGE INC"]),
        1_000 + index * 7 + draw.below(7),
        date(draw.below(2_000)),
        draw.pick(&[
            "Participant Addition",
            "Participant Change",
            "Participant Deletion"
        ]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_header_and_its_rows_with_crlf_and_no_bom() {
        for file in FILES {
            let text = file.render(42, Scale::Small);
            assert!(!text.starts_with('\u{feff}'));
            let lines: Vec<&str> = text.split_terminator("\r\n").collect();
            assert_eq!(lines[0], file.columns().join("|"), "{}", file.name);
            assert_eq!(
                u64::try_from(lines.len() - 1).expect("count"),
                file.rows(Scale::Small),
                "{}/{}",
                file.facility,
                file.name
            );
            for line in &lines[1..] {
                assert_eq!(
                    line.split('|').count(),
                    file.columns().len(),
                    "{}/{}: {line}",
                    file.facility,
                    file.name
                );
                assert!(!line.contains('\n') && !line.contains('\r'));
            }
        }
    }

    #[test]
    fn files_are_deterministic_from_the_seed() {
        let master = find("trace", "camaster").expect("CAMASTER");
        assert_eq!(
            master.render(7, Scale::Small),
            master.render(7, Scale::Small)
        );
        assert_ne!(
            master.render(7, Scale::Small),
            master.render(8, Scale::Small)
        );
        assert!(master.rows(Scale::Full) >= 100_000);
    }

    #[test]
    fn cusips_carry_their_check_digit() {
        // A real CUSIP (Apple common stock, 037833100).
        assert_eq!(cusip_check_digit("03783310"), 0);
        assert_eq!(cusip_check_digit("59491810"), 4, "Microsoft 594918104");
        let text = find("TRACE", "CAMASTER")
            .expect("file")
            .render(1, Scale::Small);
        for line in text.split_terminator("\r\n").skip(1).take(50) {
            let cusip = line.split('|').next().expect("CUSIP");
            assert_eq!(cusip.len(), 9);
            assert_eq!(
                cusip_check_digit(&cusip[..8]),
                cusip.as_bytes()[8] - b'0',
                "{cusip}"
            );
        }
    }

    #[test]
    fn facilities_list_their_files() {
        let orf: Vec<&str> = files_of("orf").map(|f| f.name).collect();
        assert_eq!(orf, ["EQUITYMASTERAC", "EQUITYMASTERIN", "DAILYLIST"]);
        assert!(find("TRF", "PARTICIPANTLIST").is_some());
        assert!(find("TRF", "CAMASTER").is_none());
    }
}
