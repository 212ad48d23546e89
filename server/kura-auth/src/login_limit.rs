//! Sign-in attempts are limited per account *and* client address, and per address, so that
//! passwords cannot be guessed at speed while nobody can lock someone else out.
//!
//! - Per (account, address) pair: [`FREE_ATTEMPTS`] failures are free, then each further attempt
//!   waits a delay that doubles per failure (30 s, 1 min, 2 min … at most [`MAX_DELAY`]). A failure
//!   from another address does not delay the account's owner.
//! - Per address: at most [`PER_ADDRESS`] failures within [`WINDOW`], across accounts (spraying
//!   one password over many names).
//!
//! An attempt is counted when it *begins*, atomically with the check, as a failure that a
//! success takes back: parallel attempts cannot slip past the count while their passwords are
//! being checked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures per (account, address) before the delay starts.
pub const FREE_ATTEMPTS: u32 = 5;
/// The wait after the first failure beyond the free ones; each further failure doubles it.
pub const FIRST_DELAY: Duration = Duration::from_secs(30);
/// The longest delay between attempts of one (account, address) pair.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per client address within the window (several accounts behind one NAT).
pub const PER_ADDRESS: usize = 20;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures of one (account, address) pair.
#[derive(Debug, Clone, Copy)]
struct PairFailures {
    count: u32,
    last: Instant,
}

#[derive(Debug, Default)]
struct Counts {
    pairs: HashMap<(String, Option<IpAddr>), PairFailures>,
    addresses: HashMap<IpAddr, Vec<Instant>>,
}

/// In-memory failure counts. One node's memory is enough: a replica behind a load balancer
/// limits on its own, which still bounds guessing to a small multiple.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    counts: Mutex<Counts>,
}

/// An attempt under way, already counted as a failure; [`Attempt::succeeded`] takes it back.
#[derive(Debug)]
#[must_use = "report a successful sign-in with Attempt::succeeded"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    pair: (String, Option<IpAddr>),
    started: Instant,
}

/// The wait before the next attempt after `count` failures.
fn delay_after(count: u32) -> Duration {
    match count.checked_sub(FREE_ATTEMPTS) {
        None => Duration::ZERO,
        Some(over) => (FIRST_DELAY * (1u32 << over.min(16))).min(MAX_DELAY),
    }
}

impl LoginLimiter {
    /// Begins an attempt for `account` from `address`, or `Err(wait)` when it must wait. The
    /// attempt counts as a failure from now on unless it is reported as a success.
    pub fn begin(&self, account: &str, address: Option<IpAddr>, now: Instant) -> Result<Attempt<'_>, Duration> {
        let pair = (account.to_lowercase(), address);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        if let Some(f) = counts.pairs.get(&pair).copied() {
            if now.duration_since(f.last) >= WINDOW {
                counts.pairs.remove(&pair);
            } else {
                wait = (f.last + delay_after(f.count)).saturating_duration_since(now);
            }
        }
        if let Some(ip) = address
            && let Some(times) = counts.addresses.get_mut(&ip)
        {
            times.retain(|t| now.duration_since(*t) < WINDOW);
            if times.len() >= PER_ADDRESS {
                wait = wait.max(WINDOW.saturating_sub(now.duration_since(times[0])));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        let f = counts.pairs.entry(pair.clone()).or_insert(PairFailures { count: 0, last: now });
        f.count += 1;
        f.last = now;
        if let Some(ip) = address {
            counts.addresses.entry(ip).or_default().push(now);
        }
        Ok(Attempt { limiter: self, pair, started: now })
    }
}

impl Attempt<'_> {
    /// The password was right: the pair's failures are forgotten and this attempt is taken back
    /// from its address's count.
    pub fn succeeded(self) {
        let mut counts = self.limiter.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.pairs.remove(&self.pair);
        if let Some(ip) = self.pair.1
            && let Some(times) = counts.addresses.get_mut(&ip)
            && let Some(i) = times.iter().rposition(|t| *t == self.started)
        {
            times.remove(i);
        }
    }
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefused {
    /// Too many failures: try again after this long.
    Wait(Duration),
    /// Wrong account or password (the two are not told apart).
    WrongCredentials,
}

/// The one password check of every surface: counts the attempt, then checks `password` against
/// `stored` (the PHC hash of an enabled account, `None` when there is no such account — then a
/// throwaway hash is checked so that timing does not reveal which names exist). Blocking
/// (Argon2 is slow on purpose): call it off the async threads.
pub fn check_sign_in(
    limiter: &LoginLimiter,
    account: &str,
    address: Option<IpAddr>,
    password: &str,
    stored: Option<&str>,
) -> Result<(), SignInRefused> {
    let attempt = limiter.begin(account, address, Instant::now()).map_err(SignInRefused::Wait)?;
    let verified = match stored {
        Some(hash) => crate::verify_password(password, hash),
        None => {
            let _ = crate::verify_password(password, &DUMMY_HASH);
            false
        }
    };
    if verified {
        attempt.succeeded();
        Ok(())
    } else {
        Err(SignInRefused::WrongCredentials)
    }
}

/// An Argon2id hash of a random password, checked against when the account does not exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut secret = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    crate::hash_password(&base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret))
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(limiter: &LoginLimiter, account: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        limiter.begin(account, ip, now).map(drop)
    }

    #[test]
    fn a_pair_waits_longer_after_each_failure_beyond_the_free_ones() {
        let limiter = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        for _ in 0..FREE_ATTEMPTS {
            assert!(fail(&limiter, "Alice", Some(ip), start).is_ok());
        }
        assert_eq!(limiter.begin("alice", Some(ip), start).unwrap_err(), FIRST_DELAY);
        let later = start + FIRST_DELAY;
        assert!(fail(&limiter, "alice", Some(ip), later).is_ok());
        assert_eq!(limiter.begin("alice", Some(ip), later).unwrap_err(), 2 * FIRST_DELAY);
        assert_eq!(delay_after(FREE_ATTEMPTS + 40), MAX_DELAY, "the delay stops growing");
        assert!(limiter.begin("alice", Some(ip), later + WINDOW).is_ok(), "failures are forgotten after the window");
    }

    #[test]
    fn failures_from_one_address_do_not_lock_the_account_elsewhere() {
        let limiter = LoginLimiter::default();
        let attacker: IpAddr = "192.0.2.66".parse().unwrap();
        let owner: IpAddr = "198.51.100.7".parse().unwrap();
        let now = Instant::now();
        for _ in 0..FREE_ATTEMPTS {
            fail(&limiter, "alice", Some(attacker), now).unwrap();
        }
        assert!(limiter.begin("alice", Some(attacker), now).is_err());
        limiter.begin("alice", Some(owner), now).expect("the owner still signs in").succeeded();
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_success_takes_the_attempt_back() {
        let limiter = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let now = Instant::now();
        for i in 0..PER_ADDRESS - 1 {
            fail(&limiter, &format!("user{i}"), Some(ip), now).unwrap();
        }
        limiter.begin("carol", Some(ip), now).unwrap().succeeded();
        fail(&limiter, "dave", Some(ip), now).unwrap();
        assert!(limiter.begin("someone-else", Some(ip), now).is_err());
        assert!(limiter.begin("someone-else", None, now).is_ok());
    }

    #[test]
    fn parallel_attempts_are_counted_before_any_is_checked() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        let ip: IpAddr = "192.0.2.40".parse().unwrap();
        let now = Instant::now();
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40).map(|_| s.spawn(|| fail(&limiter, "alice", Some(ip), now).is_ok())).collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(admitted, FREE_ATTEMPTS as usize);
    }
}
