//! Resolves when a claim was made, from the time expressions of its attribution.
//!
//! Only the attribution is searched (the speaker, the verb and their adjuncts), never the reported
//! content: in "said Korvan had tabled a proposal last week" the week belongs to the proposal, not
//! to the saying. Dates are resolved against the article's dateline following the annotation
//! guidelines: a weekday is the most recent such day on or before the dateline, "last week" is the
//! Monday of the previous ISO week, coarser periods start on their first day.

use super::lexicon::{month_of, weekday_of};
use super::text::{Doc, TokKind};
use super::{Precision, SaidTime};
use chrono::{Datelike, Duration, NaiveDate};

/// A time expression found in the text: its resolution and its token range.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub time: SaidTime,
    pub first: usize,
    pub last: usize,
}

/// The time expression in `ranges` (token ranges, quoted tokens skipped) nearest to token `anchor`.
pub(crate) fn find_time(
    doc: &Doc,
    ranges: &[(usize, usize)],
    anchor: usize,
    published: Option<NaiveDate>,
) -> Option<Found> {
    let mut best: Option<(usize, Found)> = None;
    for &(a, b) in ranges {
        let mut i = a;
        while i < b.min(doc.toks.len()) {
            if doc.toks[i].quoted {
                i += 1;
                continue;
            }
            if let Some((precision, date, first, last)) = parse_at(doc, i, published) {
                let (first, last) = widen(doc, first, last, a, b);
                let text = Some(doc.tok_text(first, last + 1));
                let time = SaidTime {
                    date,
                    precision,
                    text,
                    inferred: false,
                };
                let dist = anchor.abs_diff(i);
                if best.as_ref().is_none_or(|(d, _)| dist < *d) {
                    best = Some((dist, Found { time, first, last }));
                }
                i = last + 1;
            } else {
                i += 1;
            }
        }
    }
    best.map(|(_, f)| f)
}

/// Extends an expression over "on"/"late on" before it and "evening"/"night" after it.
fn widen(doc: &Doc, mut first: usize, mut last: usize, a: usize, b: usize) -> (usize, usize) {
    while first > a
        && matches!(
            doc.low(first - 1),
            "on" | "late" | "early" | "in" | "earlier" | "during"
        )
    {
        first -= 1;
    }
    while last + 1 < b
        && matches!(
            doc.low(last + 1),
            "morning" | "evening" | "night" | "afternoon"
        )
    {
        last += 1;
    }
    (first, last)
}

type Parsed = (Precision, Option<NaiveDate>, usize, usize);

/// Tries to read a time expression starting at token `i`.
fn parse_at(doc: &Doc, i: usize, published: Option<NaiveDate>) -> Option<Parsed> {
    let t = &doc.toks[i];
    let w = doc.lower(t);
    let candidate = t.cap
        || t.kind == TokKind::Number
        || matches!(
            w,
            "yesterday" | "today" | "tonight" | "last" | "this" | "earlier"
        );
    if !candidate {
        return None;
    }
    if let Some(wd) = weekday_of(w).filter(|_| t.cap) {
        let date = published.map(|p| {
            let back = (p.weekday().num_days_from_monday() + 7 - wd) % 7;
            p - Duration::days(i64::from(back))
        });
        return Some((Precision::Day, date, i, i));
    }
    match w {
        "yesterday" => {
            return Some((
                Precision::Day,
                published.map(|p| p - Duration::days(1)),
                i,
                i,
            ))
        }
        "today" | "tonight" => return Some((Precision::Day, published, i, i)),
        "last" | "this" | "earlier" => return relative(doc, i, published),
        _ => {}
    }
    if let Some(m) = month_of(w).filter(|_| t.cap) {
        return month_expr(doc, i, m, published);
    }
    year_expr(doc, i)
}

/// "last week", "this month", "earlier this year".
fn relative(doc: &Doc, i: usize, published: Option<NaiveDate>) -> Option<Parsed> {
    let (this, unit_i) = match (doc.low(i), doc.low(i + 1)) {
        ("earlier" | "later", "this") => (true, i + 2),
        ("last", _) => (false, i + 1),
        ("this", _) => (true, i + 1),
        _ => return None,
    };
    let p = published;
    let (precision, date) = match doc.low(unit_i) {
        "week" => {
            let monday =
                p.map(|d| d - Duration::days(i64::from(d.weekday().num_days_from_monday())));
            (
                Precision::Week,
                if this {
                    monday
                } else {
                    monday.map(|m| m - Duration::days(7))
                },
            )
        }
        "month" => {
            let first = p.and_then(|d| d.with_day(1));
            let prev = first.and_then(|f| (f - Duration::days(1)).with_day(1));
            (Precision::Month, if this { first } else { prev })
        }
        "year" => {
            let y = p.map(|d| if this { d.year() } else { d.year() - 1 });
            (
                Precision::Year,
                y.and_then(|y| NaiveDate::from_ymd_opt(y, 1, 1)),
            )
        }
        _ => return None,
    };
    Some((precision, date, i, unit_i))
}

/// A number token's value, if it is a plain integer.
fn number(doc: &Doc, i: usize) -> Option<i32> {
    let t = doc.toks.get(i)?;
    if t.kind != TokKind::Number || doc.lower(t).len() > 4 {
        return None;
    }
    doc.lower(t).parse().ok()
}

/// "Oct. 2, 2019", "March 4", "March 2021", "in March".
fn month_expr(doc: &Doc, i: usize, m: u32, published: Option<NaiveDate>) -> Option<Parsed> {
    let mut j = i + 1;
    if doc.toks.get(j).is_some_and(|t| t.is_punct('.')) {
        j += 1;
    }
    let is_year = |v: i32| (1900..=2100).contains(&v);
    if let Some(day) = number(doc, j).filter(|d| (1..=31).contains(d)) {
        let mut k = j + 1;
        if doc.toks.get(k).is_some_and(|t| t.is_punct(',')) {
            k += 1;
        }
        if let Some(y) = number(doc, k).filter(|&y| is_year(y)) {
            let date = NaiveDate::from_ymd_opt(y, m, day.unsigned_abs());
            return Some((Precision::Day, date, i, k));
        }
        let date = published.and_then(|p| recent_date(p, m, day.unsigned_abs()));
        return Some((Precision::Day, date, i, j));
    }
    if let Some(y) = number(doc, j).filter(|&y| is_year(y)) {
        return Some((Precision::Month, NaiveDate::from_ymd_opt(y, m, 1), i, j));
    }
    let introduced = i > 0
        && matches!(
            doc.low(i - 1),
            "in" | "during" | "early" | "late" | "mid" | "last"
        );
    if !introduced {
        return None;
    }
    let date = published.and_then(|p| {
        let y = if m <= p.month() {
            p.year()
        } else {
            p.year() - 1
        };
        NaiveDate::from_ymd_opt(y, m, 1)
    });
    Some((Precision::Month, date, i, i))
}

/// The latest date with this month and day on or before `p`.
fn recent_date(p: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(p.year(), m, d)?;
    if this_year <= p {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(p.year() - 1, m, d)
    }
}

/// "in 2019", "his 2019 memoir"; not "since 2019" (a period, not a time of saying).
fn year_expr(doc: &Doc, i: usize) -> Option<Parsed> {
    let y = number(doc, i).filter(|y| (1900..=2100).contains(y))?;
    if doc.toks[i].end - doc.toks[i].start != 4 {
        return None;
    }
    let prev = if i > 0 { doc.low(i - 1) } else { "" };
    if matches!(
        prev,
        "since"
            | "until"
            | "by"
            | "from"
            | "through"
            | "to"
            | "between"
            | "and"
            | "till"
            | "before"
            | "after"
            | "of"
            | "than"
    ) {
        return None;
    }
    Some((Precision::Year, NaiveDate::from_ymd_opt(y, 1, 1), i, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn when(text: &str, published: &str) -> Option<(Precision, Option<NaiveDate>)> {
        let doc = Doc::new(text);
        let p = NaiveDate::parse_from_str(published, "%Y-%m-%d").ok();
        find_time(&doc, &[(0, doc.toks.len())], 0, p).map(|f| (f.time.precision, f.time.date))
    }

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn a_weekday_is_the_latest_such_day_on_or_before_the_dateline() {
        assert_eq!(
            when("said on Wednesday", "2025-03-12"),
            Some((Precision::Day, d("2025-03-12")))
        );
        assert_eq!(
            when("told parliament on Tuesday", "2025-02-05"),
            Some((Precision::Day, d("2025-02-04")))
        );
    }

    #[test]
    fn last_week_is_the_monday_of_the_previous_iso_week() {
        assert_eq!(
            when("posted last week", "2025-01-29"),
            Some((Precision::Week, d("2025-01-20")))
        );
    }

    #[test]
    fn months_and_years_start_on_their_first_day() {
        assert_eq!(
            when("Earlier this month, she said", "2025-01-29"),
            Some((Precision::Month, d("2025-01-01")))
        );
        assert_eq!(
            when("In 2018, he told parliament", "2025-07-15"),
            Some((Precision::Year, d("2018-01-01")))
        );
        assert_eq!(
            when("on Oct. 2, 2019, she argued", "2025-03-12"),
            Some((Precision::Day, d("2019-10-02")))
        );
    }

    #[test]
    fn a_period_introduced_by_since_is_not_a_time_of_saying() {
        assert_eq!(when("who has led since 2023", "2025-03-12"), None);
    }
}
