//! The firm-entitled datasets: firm/firmProfile (one row per broker-dealer, address and
//! registration status flattened into fields) and registration/brokerDealerFirmList (the firms
//! that are not terminated). The real venues' and dealers' operators come first, with their CRDs.

use std::collections::HashSet;

use rand::Rng;
use rand::seq::IndexedRandom;
use time::Date;

use super::super::{
    Cell, DatasetDef, Entitlement, FieldDef, QueryRules, Scale, Table, TableBuilder,
};
use super::calendar::{ANCHOR, add_days, weekday_on_or_before};
use super::names::{
    ATS_VENUES, CITIES, DEALERS, FIRM_SUFFIXES, FIRM_WORDS, STEM_HEADS, STEM_TAILS, STREETS,
};
use super::random::{chance, rng_for};
use super::{date, num, text};

static PROFILE_FIELDS: &[FieldDef] = &[
    num("firmCRDNumber", "The CRD number of the firm."),
    text("firmApplicantName", "The firm's legal name."),
    text("doingBusinessAsName", "The name the firm does business as."),
    text(
        "registeredFirmTypeCode",
        "Registered firm type: BD, or BD/IA for dual registrants.",
    ),
    text("sec8FirmIdentifier", "SEC broker-dealer file number (8-)."),
    text(
        "sec801FirmIdentifier",
        "SEC investment adviser file number (801-), if any.",
    ),
    text("firmFinraDistrict", "The FINRA district of the firm."),
    text("firmAddress.addressLine1", "Main office address, line 1."),
    text("firmAddress.addressLine2", "Main office address, line 2."),
    text("firmAddress.cityName", "Main office city."),
    text("firmAddress.stateCode", "Main office state code."),
    text("firmAddress.stateName", "Main office state name."),
    text("firmAddress.countryCode", "Main office country code."),
    text("firmAddress.countryName", "Main office country name."),
    text("firmAddress.postalCode", "Main office postal code."),
    text(
        "registrations.regulatorCode",
        "The regulator of the registration.",
    ),
    text(
        "registrations.statusName",
        "Registration status: Approved, Termination Requested or Terminated.",
    ),
    text("registrations.statusCode", "Registration status code."),
    date(
        "registrations.effectiveDate",
        "Effective date of the current status.",
    ),
];

static BD_LIST_FIELDS: &[FieldDef] = &[
    num("firmCRDNumber", "The CRD number of the firm."),
    text("firmName", "The firm's legal name."),
    text("doingBusinessAsName", "The name the firm does business as."),
    text("sec8FirmIdentifier", "SEC broker-dealer file number (8-)."),
    text(
        "registrationStatusName",
        "Approved or Termination Requested.",
    ),
    date("registrationStatusDate", "Effective date of the status."),
    text("mainOfficeCityName", "Main office city."),
    text("mainOfficeStateCode", "Main office state code."),
    text("mainOfficeCountryCode", "Main office country code."),
];

/// firm/firmProfile.
pub(super) static FIRM_PROFILE: DatasetDef = DatasetDef {
    group: "firm",
    name: "firmProfile",
    description: "Profile of registered broker-dealer firms: names, SEC numbers, main office, registration status",
    entitlement: Entitlement::Firm,
    fields: PROFILE_FIELDS,
    partition_fields: &[],
    primary_id_field: Some("firmCRDNumber"),
    rules: QueryRules::Standard,
    has_mock: false,
};

/// registration/brokerDealerFirmList.
pub(super) static BROKER_DEALER_LIST: DatasetDef = DatasetDef {
    group: "registration",
    name: "brokerDealerFirmList",
    description: "Broker-dealer firms that are registered or have requested termination",
    entitlement: Entitlement::Firm,
    fields: BD_LIST_FIELDS,
    partition_fields: &[],
    primary_id_field: None,
    rules: QueryRules::Standard,
    has_mock: false,
};

const SALT: u64 = 0x0F13_0001;

/// Registration statuses: name, code.
const APPROVED: (&str, &str) = ("Approved", "APPROVED");
const TERMINATION_REQUESTED: (&str, &str) = ("Termination Requested", "TERM_REQUESTED");
const TERMINATED: (&str, &str) = ("Terminated", "TERMINATED");

/// One broker-dealer.
#[derive(Debug, Clone)]
struct Firm {
    crd: i64,
    legal_name: String,
    dba: String,
    dual_registrant: bool,
    sec8: String,
    sec801: Option<String>,
    city: usize,
    street: String,
    suite: Option<String>,
    postal: String,
    status: (&'static str, &'static str),
    effective: Date,
}

/// The firms, sorted by CRD number: the named venues' and dealers' operators, then generated ones.
fn firms(seed: u64, scale: Scale) -> Vec<Firm> {
    let mut rng = rng_for(seed, SALT);
    let target = match scale {
        Scale::Small => 250,
        Scale::Full => 3400,
    };
    let mut crds = HashSet::new();
    let mut names = HashSet::new();
    let mut named: Vec<(i64, String)> = Vec::new();
    for (crd, name) in DEALERS
        .iter()
        .map(|d| (d.crd, d.name))
        .chain(ATS_VENUES.iter().map(|v| (v.crd, v.firm)))
    {
        if crds.insert(crd) {
            names.insert(name.to_owned());
            named.push((crd, name.to_owned()));
        }
    }
    let mut firms = Vec::with_capacity(target);
    for (crd, name) in named {
        firms.push(firm(&mut rng, crd, name, true));
    }
    while firms.len() < target {
        let crd = rng.random_range(1_000..330_000);
        if !crds.insert(crd) {
            continue;
        }
        let word = FIRM_WORDS.choose(&mut rng).expect("non-empty pool");
        let suffix = FIRM_SUFFIXES.choose(&mut rng).expect("non-empty pool");
        let head = STEM_HEADS.choose(&mut rng).expect("non-empty pool");
        let tail = STEM_TAILS.choose(&mut rng).expect("non-empty pool");
        let name = match rng.random_range(0..3) {
            0 => format!("{word} {suffix}"),
            1 => format!("{head}{tail} {suffix}"),
            _ => format!("{word} {head}{tail} {suffix}"),
        };
        if names.insert(name.clone()) {
            firms.push(firm(&mut rng, crd, name, false));
        } else {
            crds.remove(&crd);
        }
    }
    firms.sort_by_key(|f| f.crd);
    firms
}

fn firm(rng: &mut impl Rng, crd: i64, legal_name: String, named: bool) -> Firm {
    let dba = if chance(rng, 0.25) {
        let short = legal_name
            .split([',', ' '])
            .next()
            .unwrap_or(&legal_name)
            .to_owned();
        format!("{short} Financial")
    } else {
        legal_name.clone()
    };
    let dual_registrant = chance(rng, 0.3);
    let status = if named {
        APPROVED
    } else {
        match rng.random::<f64>() {
            p if p < 0.85 => APPROVED,
            p if p < 0.90 => TERMINATION_REQUESTED,
            _ => TERMINATED,
        }
    };
    let days_back = if status == APPROVED {
        rng.random_range(365..12_000)
    } else {
        rng.random_range(5..900)
    };
    let city = if named {
        // The large dealers and ATS operators sit in the New York area or Chicago.
        [0, 0, 1, 2, 3, 17, 18][rng.random_range(0..7)]
    } else {
        rng.random_range(0..CITIES.len())
    };
    Firm {
        crd,
        legal_name,
        dba,
        dual_registrant,
        sec8: format!("8-{}", rng.random_range(10_000..70_000)),
        sec801: dual_registrant.then(|| format!("801-{}", rng.random_range(10_000..120_000))),
        city,
        street: format!(
            "{} {}",
            rng.random_range(1..2000),
            STREETS.choose(rng).expect("non-empty pool")
        ),
        suite: match rng.random_range(0..3) {
            0 => None,
            1 => Some(format!("Suite {}", rng.random_range(100..4000))),
            _ => Some(format!("Floor {}", rng.random_range(2..60))),
        },
        postal: format!("{:03}{:02}", CITIES[city].3, rng.random_range(1..99)),
        status,
        effective: weekday_on_or_before(add_days(ANCHOR, -days_back)),
    }
}

/// firm/firmProfile rows.
pub(super) fn generate_profile(seed: u64, scale: Scale) -> Table {
    let firms = firms(seed, scale);
    let mut builder = TableBuilder::new(FIRM_PROFILE.fields, FIRM_PROFILE.partition_fields);
    builder.reserve_rows(firms.len());
    let (bd, dual) = (builder.str("BD"), builder.str("BD/IA"));
    let (us, united_states, finra) = (
        builder.str("US"),
        builder.str("United States"),
        builder.str("FINRA"),
    );
    for f in &firms {
        let (city, state_code, state_name, _) = CITIES[f.city];
        let row = [
            Cell::Int(f.crd),
            builder.str(&f.legal_name),
            builder.str(&f.dba),
            if f.dual_registrant { dual } else { bd },
            builder.str(&f.sec8),
            builder.opt_str(f.sec801.as_deref()),
            builder.str(&format!("District {}", 1 + f.city % 12)),
            builder.str(&f.street),
            builder.opt_str(f.suite.as_deref()),
            builder.str(city),
            builder.str(state_code),
            builder.str(state_name),
            us,
            united_states,
            builder.str(&f.postal),
            finra,
            builder.str(f.status.0),
            builder.str(f.status.1),
            Cell::Date(f.effective),
        ];
        builder.push_row(&row);
    }
    builder.finish()
}

/// registration/brokerDealerFirmList rows.
pub(super) fn generate_broker_dealers(seed: u64, scale: Scale) -> Table {
    let firms = firms(seed, scale);
    let mut builder = TableBuilder::new(
        BROKER_DEALER_LIST.fields,
        BROKER_DEALER_LIST.partition_fields,
    );
    builder.reserve_rows(firms.len());
    let us = builder.str("US");
    for f in firms.iter().filter(|f| f.status != TERMINATED) {
        let (city, state_code, ..) = CITIES[f.city];
        let row = [
            Cell::Int(f.crd),
            builder.str(&f.legal_name),
            builder.str(&f.dba),
            builder.str(&f.sec8),
            builder.str(f.status.0),
            Cell::Date(f.effective),
            builder.str(city),
            builder.str(state_code),
            us,
        ];
        builder.push_row(&row);
    }
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_have_unique_crds_and_the_list_excludes_terminated_firms() {
        let profile = generate_profile(1, Scale::Small);
        let list = generate_broker_dealers(1, Scale::Small);
        assert_eq!(profile.len(), 250);
        assert!(profile.partitions().len() <= 1);
        let crds: Vec<i64> = (0..profile.len())
            .map(|i| match profile.row(i)[0] {
                Cell::Int(c) => c,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(crds.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        assert!(crds.contains(&116_797), "Citadel Securities is a firm");
        let status = profile
            .field_idx("registrations.statusName")
            .expect("field");
        let terminated = (0..profile.len())
            .filter(|&i| matches!(profile.row(i)[status], Cell::Str(id) if profile.str(id) == "Terminated"))
            .count();
        assert!(terminated > 0);
        assert_eq!(list.len(), profile.len() - terminated);
    }
}
