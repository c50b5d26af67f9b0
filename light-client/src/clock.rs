//! Time, injected: the light client judges headers against `now`, stamps transactions with an
//! expiry and waits for their effects, all through a [`Clock`]. Production uses
//! [`SystemClock`]; tests give a clock they move by hand, so nothing waits on real time.

use std::time::Duration;

use tendermint::Time;

/// Where the wallet gets the time, and how it waits.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Time;
    /// Wait `d` (a test clock moves itself forward instead).
    fn sleep(&self, d: Duration);
}

/// The system's clock; `sleep` blocks the thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Time::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// Unix seconds of `t` (0 before the epoch).
pub fn unix_secs(t: Time) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

/// A clock that only moves when told to (or when something sleeps on it). Shared by the
/// wallet and an in-memory chain in tests, so block times and the wallet's `now` agree.
#[derive(Debug)]
pub struct ManualClock {
    start: Time,
    offset_ms: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn at(start: Time) -> Self {
        Self {
            start,
            offset_ms: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Move forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms
            .fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Time {
        let ms = self.offset_ms.load(std::sync::atomic::Ordering::SeqCst);
        (self.start + Duration::from_millis(ms)).unwrap_or(self.start)
    }

    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let t0 = Time::from_unix_timestamp(1_800_000_000, 0).expect("time");
        let c = ManualClock::at(t0);
        assert_eq!(c.now(), t0);
        c.sleep(Duration::from_millis(250));
        c.advance(Duration::from_secs(2));
        assert_eq!(unix_secs(c.now()), 1_800_000_002);
    }
}
