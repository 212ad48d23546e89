//! Policies that follow data into what is derived from it: a compute job's output is at least
//! as strict as every input (open < embargoed < consortium < restricted < closed; the latest
//! embargo; consortium sets intersected), and only an airlock release may loosen it. Pure
//! functions beside [`super::decide`], so the rule is one and tested here.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::AccessLevel;

/// The loosest level at least as strict as every one of `inputs`: what an output is given.
/// No inputs: open. Consortium levels keep only the consortia all of them name (none left:
/// restricted). A consortium level with an embargo still running is restricted, because the
/// model cannot say "consortium members, but only from D on" and consortium alone would let
/// them read the embargoed part early.
pub fn strictest(inputs: &[AccessLevel], now: DateTime<Utc>) -> AccessLevel {
    if inputs.iter().any(|l| matches!(l, AccessLevel::Closed)) {
        return AccessLevel::Closed;
    }
    if inputs.iter().any(|l| matches!(l, AccessLevel::Restricted)) {
        return AccessLevel::Restricted;
    }
    let embargo = inputs
        .iter()
        .filter_map(|l| match l {
            AccessLevel::Embargoed { until } => Some(*until),
            _ => None,
        })
        .max();
    let mut shared: Option<BTreeSet<Uuid>> = None;
    for level in inputs {
        if let AccessLevel::Consortium { consortia } = level {
            let these: BTreeSet<Uuid> = consortia.iter().copied().collect();
            shared = Some(match shared {
                None => these,
                Some(before) => before.intersection(&these).copied().collect(),
            });
        }
    }
    match (shared, embargo) {
        (Some(_), Some(until)) if until > now => AccessLevel::Restricted,
        (Some(set), _) if set.is_empty() => AccessLevel::Restricted,
        (Some(set), _) => AccessLevel::Consortium { consortia: set.into_iter().collect() },
        (None, Some(until)) => AccessLevel::Embargoed { until },
        (None, None) => AccessLevel::Open,
    }
}

/// Whether `candidate` lets nobody outside the owner group read what `floor` would not: a
/// change of an output's level to `candidate` is a tightening (the owner may make it) when
/// this holds, and a loosening (an airlock release) when it does not.
pub fn at_least_as_strict(candidate: &AccessLevel, floor: &AccessLevel, now: DateTime<Utc>) -> bool {
    use AccessLevel::*;
    match (floor, candidate) {
        (_, Closed) => true,
        (Closed, _) => false,
        (Restricted, c) => matches!(c, Restricted),
        (Consortium { consortia: f }, Consortium { consortia: c }) => c.iter().all(|x| f.contains(x)),
        (Consortium { .. }, c) => matches!(c, Restricted),
        // An embargo is only as strict as its end: until then only grants and consortia that
        // wait for it qualify, and after it nothing is left to keep.
        (Embargoed { until }, Embargoed { until: c }) => c >= until || *until <= now,
        (Embargoed { .. }, Restricted) => true,
        (Embargoed { until }, _) => *until <= now,
        (Open, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(days: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap().with_timezone(&Utc) + chrono::Duration::days(days)
    }

    fn ids() -> (Uuid, Uuid, Uuid) {
        (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3))
    }

    #[test]
    fn the_strictest_level_follows_the_order_and_joins_embargoes_and_consortia() {
        let now = t(0);
        let (a, b, c) = ids();
        let cons = |v: &[Uuid]| AccessLevel::Consortium { consortia: v.to_vec() };
        let table: Vec<(Vec<AccessLevel>, AccessLevel)> = vec![
            (vec![], AccessLevel::Open),
            (vec![AccessLevel::Open, AccessLevel::Open], AccessLevel::Open),
            (vec![AccessLevel::Open, AccessLevel::Embargoed { until: t(5) }], AccessLevel::Embargoed { until: t(5) }),
            (
                vec![AccessLevel::Embargoed { until: t(9) }, AccessLevel::Embargoed { until: t(5) }],
                AccessLevel::Embargoed { until: t(9) },
            ),
            (vec![cons(&[a, b]), cons(&[b, c])], cons(&[b])),
            (vec![cons(&[a]), cons(&[c])], AccessLevel::Restricted),
            (vec![cons(&[a]), AccessLevel::Open], cons(&[a])),
            (vec![cons(&[a]), AccessLevel::Embargoed { until: t(3) }], AccessLevel::Restricted),
            (vec![cons(&[a]), AccessLevel::Embargoed { until: t(-3) }], cons(&[a])),
            (vec![cons(&[a, b]), AccessLevel::Restricted], AccessLevel::Restricted),
            (vec![AccessLevel::Restricted, AccessLevel::Closed, AccessLevel::Open], AccessLevel::Closed),
        ];
        for (inputs, want) in table {
            let got = strictest(&inputs, now);
            assert_eq!(got, want, "{inputs:?}");
            // What is derived is at least as strict as every input it came from.
            for input in &inputs {
                assert!(at_least_as_strict(&got, input, now), "{got:?} looser than {input:?}");
            }
        }
    }

    #[test]
    fn tightening_is_told_apart_from_loosening() {
        let now = t(0);
        let (a, b, _) = ids();
        let cons = |v: &[Uuid]| AccessLevel::Consortium { consortia: v.to_vec() };
        let tighter = [
            (AccessLevel::Open, AccessLevel::Embargoed { until: t(1) }),
            (AccessLevel::Embargoed { until: t(1) }, AccessLevel::Embargoed { until: t(2) }),
            (AccessLevel::Embargoed { until: t(1) }, AccessLevel::Restricted),
            (cons(&[a, b]), cons(&[a])),
            (cons(&[a]), AccessLevel::Restricted),
            (AccessLevel::Restricted, AccessLevel::Closed),
            (AccessLevel::Embargoed { until: t(-1) }, AccessLevel::Open),
        ];
        for (floor, candidate) in tighter {
            assert!(at_least_as_strict(&candidate, &floor, now), "{floor:?} -> {candidate:?} tightens");
        }
        let looser = [
            (AccessLevel::Embargoed { until: t(2) }, AccessLevel::Embargoed { until: t(1) }),
            (AccessLevel::Embargoed { until: t(2) }, AccessLevel::Open),
            (AccessLevel::Embargoed { until: t(2) }, cons(&[a])),
            (cons(&[a]), cons(&[a, b])),
            (cons(&[a]), AccessLevel::Open),
            (AccessLevel::Restricted, cons(&[a])),
            (AccessLevel::Closed, AccessLevel::Restricted),
        ];
        for (floor, candidate) in looser {
            assert!(!at_least_as_strict(&candidate, &floor, now), "{floor:?} -> {candidate:?} loosens");
        }
    }
}
