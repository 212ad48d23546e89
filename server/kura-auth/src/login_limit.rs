//! Sign-in attempts are limited per account and per client address, so that passwords cannot be
//! guessed at speed. Failures are counted in a sliding window; a success clears the account's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per account within the window.
pub const PER_ACCOUNT: usize = 5;
/// Failures allowed per client address within the window (several accounts behind one NAT).
pub const PER_ADDRESS: usize = 20;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// In-memory failure counts. One node's memory is enough: a replica behind a load balancer
/// limits on its own, which still bounds guessing to a small multiple.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

fn keys(account: &str, address: Option<IpAddr>) -> (String, Option<String>) {
    (format!("account:{}", account.to_lowercase()), address.map(|a| format!("address:{a}")))
}

impl LoginLimiter {
    /// `Err(wait)` when this account or address must wait before trying again.
    pub fn check(&self, account: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let (account_key, address_key) = keys(account, address);
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in [(Some(account_key), PER_ACCOUNT), (address_key, PER_ADDRESS)] {
            let Some(key) = key else { continue };
            let Some(times) = failures.get_mut(&key) else { continue };
            times.retain(|t| now.duration_since(*t) < WINDOW);
            if times.len() >= limit {
                let oldest = times[0];
                wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    /// Records a failed attempt.
    pub fn failed(&self, account: &str, address: Option<IpAddr>, now: Instant) {
        let (account_key, address_key) = keys(account, address);
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.entry(account_key).or_default().push(now);
        if let Some(key) = address_key {
            failures.entry(key).or_default().push(now);
        }
    }

    /// Clears the account's failures after a successful sign-in.
    pub fn succeeded(&self, account: &str, address: Option<IpAddr>) {
        let (account_key, _) = keys(account, address);
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&account_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_five_failures_and_opens_after_the_window() {
        let limiter = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        for _ in 0..PER_ACCOUNT {
            assert!(limiter.check("Alice", Some(ip), start).is_ok());
            limiter.failed("alice", Some(ip), start);
        }
        let wait = limiter.check("alice", Some(ip), start).unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60));
        assert!(limiter.check("bob", Some(ip), start).is_ok(), "other accounts from the address still may try");
        assert!(limiter.check("alice", Some(ip), start + WINDOW).is_ok());
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_success_clears_the_account() {
        let limiter = LoginLimiter::default();
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let now = Instant::now();
        for i in 0..PER_ADDRESS {
            limiter.failed(&format!("user{i}"), Some(ip), now);
        }
        assert!(limiter.check("someone-else", Some(ip), now).is_err());
        assert!(limiter.check("someone-else", None, now).is_ok());
        limiter.failed("carol", None, now);
        limiter.succeeded("carol", None);
        assert!(limiter.failures.lock().unwrap().get("account:carol").is_none());
    }
}
