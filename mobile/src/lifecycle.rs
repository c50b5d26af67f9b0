//! Suspend, resume and the idle timer that re-locks the vault.
//!
//! Phones freeze an app in the background, and the monotonic clocks Rust's `Instant` reads
//! (`CLOCK_MONOTONIC` on Android, `mach_absolute_time` on iOS) stop while the device sleeps.
//! An `Instant`-based timer would therefore miss most of a night in a pocket. [`IdleClock`]
//! measures idleness with the wall clock instead, and treats a clock that went backwards
//! (a user or network time change) as expired, so the answer errs towards locking.

use std::time::{Duration, SystemTime};

/// Clock steps backwards smaller than this are ignored (NTP slews and small corrections).
pub const BACKWARDS_TOLERANCE: Duration = Duration::from_secs(120);

/// A lifecycle change reported by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// The app went to the background (Android `onPause`, iOS `applicationWillResignActive`).
    Suspended,
    /// The app came back (Android `onResume`, iOS `applicationWillEnterForeground`).
    Resumed,
}

/// When the user was last active, by the wall clock, and whether the app is in the
/// background.
#[derive(Debug, Clone)]
pub struct IdleClock {
    last_activity: SystemTime,
    suspended_at: Option<SystemTime>,
    timeout: Duration,
}

impl IdleClock {
    /// A clock that expires `timeout` after the last activity, starting now.
    pub fn new(timeout: Duration, now: SystemTime) -> Self {
        Self {
            last_activity: now,
            suspended_at: None,
            timeout,
        }
    }

    /// The idle period after which the vault locks.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Change the idle period.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The user did something.
    pub fn touch(&mut self, now: SystemTime) {
        self.last_activity = now;
    }

    /// The app went to the background.
    pub fn suspend(&mut self, now: SystemTime) {
        self.suspended_at.get_or_insert(now);
    }

    /// The app came back; true when the time away (or idle before it) reached the timeout.
    pub fn resume(&mut self, now: SystemTime) -> bool {
        self.suspended_at = None;
        self.expired(now)
    }

    /// Whether the app is in the background.
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }

    /// True once the timeout has passed since the last activity, or when the clock now
    /// reads earlier than the last activity by more than [`BACKWARDS_TOLERANCE`].
    pub fn expired(&self, now: SystemTime) -> bool {
        match now.duration_since(self.last_activity) {
            Ok(idle) => idle >= self.timeout,
            Err(back) => back.duration() > BACKWARDS_TOLERANCE,
        }
    }
}

/// Call `on` when the app is suspended or resumed. Only the phone builds get these events
/// (Tauri's `WindowEvent::Suspended`/`Resumed`); on desktop this leaves the builder as it is,
/// and the idle timer alone locks the vault.
pub fn on_lifecycle<R, F>(builder: tauri::Builder<R>, on: F) -> tauri::Builder<R>
where
    R: tauri::Runtime,
    F: Fn(&tauri::AppHandle<R>, Lifecycle) + Send + Sync + 'static,
{
    #[cfg(mobile)]
    {
        use tauri::{Manager, WindowEvent};
        builder.on_window_event(move |window, event| match event {
            WindowEvent::Suspended => on(window.app_handle(), Lifecycle::Suspended),
            WindowEvent::Resumed => on(window.app_handle(), Lifecycle::Resumed),
            _ => {}
        })
    }
    #[cfg(desktop)]
    {
        let _ = on;
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    #[test]
    fn expires_after_the_timeout_of_idleness() {
        let mut c = IdleClock::new(5 * MIN, at(0));
        assert!(!c.expired(at(299)));
        assert!(c.expired(at(300)));
        c.touch(at(200));
        assert!(!c.expired(at(300)));
        assert!(c.expired(at(500)));
    }

    #[test]
    fn time_in_the_background_counts() {
        let mut c = IdleClock::new(5 * MIN, at(0));
        c.suspend(at(10));
        assert!(c.is_suspended());
        // Back after a minute: still unlocked.
        assert!(!c.resume(at(70)));
        assert!(!c.is_suspended());
        c.touch(at(70));
        // A night in a pocket: locked on resume.
        c.suspend(at(80));
        c.suspend(at(90)); // a second pause keeps the first time
        assert!(c.resume(at(80 + 8 * 3600)));
    }

    #[test]
    fn a_clock_set_backwards_locks() {
        let mut c = IdleClock::new(5 * MIN, at(10_000));
        assert!(
            !c.expired(at(10_000 - 60)),
            "a small correction is tolerated"
        );
        assert!(c.expired(at(10_000 - 3600)), "an hour back is not");
        c.set_timeout(60 * MIN);
        assert_eq!(c.timeout(), 60 * MIN);
        assert!(!c.expired(at(10_000 + 59 * 60)));
    }
}
