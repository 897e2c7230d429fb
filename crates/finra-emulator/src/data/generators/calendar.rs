//! The data's fixed "today" and the business-calendar arithmetic every generator shares (weekdays,
//! week and month starts, publication lags, short-interest settlement dates).
//!
//! Only weekends are non-business days: exchange holidays are not modelled, so every Monday to
//! Friday is a trading day.

use time::{Date, Duration, Month, Weekday};

/// The data's "today": a Monday. Nothing reads the system clock, so the same seed always gives the
/// same partitions.
pub(super) const ANCHOR: Date = time::macros::date!(2026 - 11 - 16);

/// Whether `date` is a business day (Monday to Friday).
pub(super) fn is_weekday(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// `date + days`.
pub(super) fn add_days(date: Date, days: i64) -> Date {
    date + Duration::days(days)
}

/// The business day strictly before `date`.
pub(super) fn prev_weekday(date: Date) -> Date {
    let mut day = add_days(date, -1);
    while !is_weekday(day) {
        day = add_days(day, -1);
    }
    day
}

/// `date` if it is a business day, else the business day before it.
pub(super) fn weekday_on_or_before(date: Date) -> Date {
    if is_weekday(date) {
        date
    } else {
        prev_weekday(date)
    }
}

/// `date` moved forward by `n` business days.
pub(super) fn add_weekdays(date: Date, n: u32) -> Date {
    let mut day = date;
    for _ in 0..n {
        day = add_days(day, 1);
        while !is_weekday(day) {
            day = add_days(day, 1);
        }
    }
    day
}

/// The `n` business days ending at `latest` (included when it is one), newest first.
pub(super) fn weekdays_back(latest: Date, n: usize) -> Vec<Date> {
    let mut days = Vec::with_capacity(n);
    let mut day = weekday_on_or_before(latest);
    while days.len() < n {
        days.push(day);
        day = prev_weekday(day);
    }
    days
}

/// The Monday of `date`'s week.
pub(super) fn monday_of(date: Date) -> Date {
    add_days(date, -i64::from(date.weekday().number_days_from_monday()))
}

/// `n` consecutive Mondays ending at the Monday of `latest`'s week, newest first.
pub(super) fn mondays_back(latest: Date, n: usize) -> Vec<Date> {
    let latest = monday_of(latest);
    (0..n as i64).map(|i| add_days(latest, -7 * i)).collect()
}

/// The first day of `date`'s month.
pub(super) fn month_start(date: Date) -> Date {
    date.replace_day(1).expect("day 1 exists in every month")
}

/// The last day of `date`'s month.
pub(super) fn month_end(date: Date) -> Date {
    let last = date.month().length(date.year());
    date.replace_day(last)
        .expect("a month's length is a valid day")
}

/// The first day of the month `delta` months after (or before, when negative) `date`'s month.
pub(super) fn add_months(date: Date, delta: i32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + delta;
    let year = index.div_euclid(12);
    let month = u8::try_from(index.rem_euclid(12) + 1).expect("a month number is 1..=12");
    let month = Month::try_from(month).expect("a month number is 1..=12");
    Date::from_calendar_date(year, month, 1).expect("the first of a month is valid")
}

/// `n` consecutive month starts ending at `latest`'s month, newest first.
pub(super) fn month_starts_back(latest: Date, n: usize) -> Vec<Date> {
    (0..n as i32).map(|i| add_months(latest, -i)).collect()
}

/// The first Monday on or after `date`.
pub(super) fn monday_on_or_after(date: Date) -> Date {
    let offset = (7 - date.weekday().number_days_from_monday()) % 7;
    add_days(date, i64::from(offset))
}

/// When a month's monthly summaries (monthlySummary, blocks) are first published: the first
/// Monday of the second month after it.
pub(super) fn monthly_publication(month: Date) -> Date {
    monday_on_or_after(add_months(month, 2))
}

/// The newest month whose monthly summaries are published by [`ANCHOR`].
pub(super) fn latest_published_month() -> Date {
    let mut month = month_start(ANCHOR);
    while monthly_publication(month) > ANCHOR {
        month = add_months(month, -1);
    }
    month
}

/// `yyyy-MM`.
pub(super) fn year_month(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

/// `yyyyMMdd` as a number.
pub(super) fn yyyymmdd(date: Date) -> i64 {
    i64::from(date.year()) * 10_000
        + i64::from(u8::from(date.month())) * 100
        + i64::from(date.day())
}

/// The two short-interest settlement dates of `month`: the 15th and the month's last day, each
/// moved back to a business day. Earlier date first.
pub(super) fn settlement_dates_of(month: Date) -> [Date; 2] {
    let mid = month.replace_day(15).expect("every month has a 15th");
    [
        weekday_on_or_before(mid),
        weekday_on_or_before(month_end(month)),
    ]
}

/// Business days between a settlement date and its short-interest publication.
pub(super) const SHORT_INTEREST_PUBLICATION_LAG: u32 = 8;

/// The `n` newest settlement dates already published at [`ANCHOR`], newest first.
pub(super) fn settlement_dates_back(n: usize) -> Vec<Date> {
    let mut dates = Vec::with_capacity(n);
    let mut month = month_start(ANCHOR);
    while dates.len() < n {
        let [mid, end] = settlement_dates_of(month);
        for date in [end, mid] {
            if dates.len() < n && add_weekdays(date, SHORT_INTEREST_PUBLICATION_LAG) <= ANCHOR {
                dates.push(date);
            }
        }
        month = add_months(month, -1);
    }
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn anchor_is_a_monday() {
        assert_eq!(ANCHOR.weekday(), Weekday::Monday);
    }

    #[test]
    fn weekdays_skip_weekends_and_go_newest_first() {
        let days = weekdays_back(date!(2026 - 11 - 15), 6);
        assert_eq!(days[0], date!(2026 - 11 - 13));
        assert_eq!(days[5], date!(2026 - 11 - 06));
        assert!(days.iter().all(|d| is_weekday(*d)));
        assert!(days.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn month_arithmetic_crosses_years() {
        assert_eq!(add_months(date!(2026 - 01 - 20), -1), date!(2025 - 12 - 01));
        assert_eq!(add_months(date!(2026 - 11 - 30), 2), date!(2027 - 01 - 01));
        assert_eq!(month_end(date!(2028 - 02 - 03)), date!(2028 - 02 - 29));
        assert_eq!(
            monday_on_or_after(date!(2026 - 11 - 01)),
            date!(2026 - 11 - 02)
        );
        assert_eq!(
            monday_on_or_after(date!(2026 - 11 - 02)),
            date!(2026 - 11 - 02)
        );
        assert_eq!(latest_published_month(), date!(2026 - 09 - 01));
        assert_eq!(year_month(date!(2026 - 03 - 09)), "2026-03");
        assert_eq!(yyyymmdd(date!(2026 - 08 - 31)), 20_260_831);
    }

    #[test]
    fn settlement_dates_are_mid_month_and_month_end_business_days() {
        let dates = settlement_dates_back(6);
        assert_eq!(dates[0], date!(2026 - 10 - 30));
        assert_eq!(dates[1], date!(2026 - 10 - 15));
        assert_eq!(dates[2], date!(2026 - 09 - 30));
        // 2026-08-15 is a Saturday.
        assert_eq!(dates[5], date!(2026 - 08 - 14));
        assert!(dates.iter().all(|d| is_weekday(*d)));
        assert!(dates.windows(2).all(|w| w[0] > w[1]));
    }
}
