//! The capture clock: how much capture time has passed, as the flow table believes it, for the
//! idle sweep and the grace given to acknowledged holes.
//!
//! Why it exists: packet timestamps are data, and data can be wrong. One frame stamped 2036 in
//! a 2011 capture must not make every connection look idle for 25 years (its holes given up,
//! the bytes that fill them later reported missing), and one frame stamped 1990 must not stop
//! time (no sweep ever again). So the table does not read time off each packet; it reads this
//! clock, which believes a frame's timestamp only when it is plausible.
//!
//! The rule:
//!
//! - A frame within [`MAX_CLOCK_STEP`] of the newest believed time (before or after it) is
//!   plausible. One that is later moves the clock forward by the difference; one that is
//!   earlier (frames a little out of order) does not move it.
//! - A frame further than that, either way, is a jump, believed only once
//!   [`JUMP_CONFIRM_FRAMES`] frames in a row land there (each within [`MAX_CLOCK_STEP`] of the
//!   one before): two capture files a day apart, or a capture paused for an hour, are real
//!   jumps; a stray frame, or a short burst of them, is not and moves nothing. A believed
//!   forward jump counts in full (connections that were quiet across it are idle); a believed
//!   backward jump only moves the reference point: the clock never runs backwards.
//!
//! Guarantees: [`CaptureClock::now`] never decreases, so the sweep keeps running whatever the
//! stamps; a single stray frame (or fewer than [`JUMP_CONFIRM_FRAMES`] in a row) moves the clock
//! by at most [`MAX_CLOCK_STEP`]; for a capture whose frames come in time order with steps of
//! at most [`MAX_CLOCK_STEP`], `now` is exactly the time since the first frame. Constant size.

use crate::capture::Timestamp;
use std::time::Duration;

/// The largest step between one frame and the newest believed time that is taken on a single
/// frame's word. A minute: MSN clients ping their server about once a minute, so a live
/// capture of MSN traffic rarely has longer silences, and a minute is well below the idle
/// timeout, so one stray frame cannot make a connection idle.
pub const MAX_CLOCK_STEP: Duration = Duration::from_secs(60);

/// Frames in a row that must agree on a jumped-to time before the clock believes the jump.
pub const JUMP_CONFIRM_FRAMES: u32 = 3;

/// Capture time as the flow table believes it. See the module documentation for the rule.
#[derive(Debug, Default)]
pub struct CaptureClock {
    /// The newest believed timestamp (`None` before the first frame).
    anchor: Option<Timestamp>,
    /// Capture time believed to have passed since the first frame.
    now: Duration,
    /// A run of frames that jumped away from `anchor`: the last one's time and how many.
    jump: Option<(Timestamp, u32)>,
}

/// Whether `a` and `b` are at most [`MAX_CLOCK_STEP`] apart, either way.
fn close(a: Timestamp, b: Timestamp) -> bool {
    a.saturating_duration_since(b) <= MAX_CLOCK_STEP
        && b.saturating_duration_since(a) <= MAX_CLOCK_STEP
}

impl CaptureClock {
    pub fn new() -> CaptureClock {
        CaptureClock::default()
    }

    /// Capture time believed to have passed since the first frame.
    pub fn now(&self) -> Duration {
        self.now
    }

    /// Takes a frame's timestamp into account and returns the (possibly moved) time.
    pub fn observe(&mut self, ts: Timestamp) -> Duration {
        let Some(anchor) = self.anchor else {
            self.anchor = Some(ts);
            return self.now;
        };
        if close(ts, anchor) {
            self.jump = None;
            self.advance_to(anchor, ts);
            return self.now;
        }
        let run = match self.jump {
            Some((last, n)) if close(ts, last) => n + 1,
            _ => 1,
        };
        if run >= JUMP_CONFIRM_FRAMES {
            self.jump = None;
            self.advance_to(anchor, ts);
            self.anchor = Some(ts);
        } else {
            self.jump = Some((ts, run));
        }
        self.now
    }

    /// Moves the clock forward to `ts` when it is later than `anchor`.
    fn advance_to(&mut self, anchor: Timestamp, ts: Timestamp) {
        if let Some(d) = ts.checked_duration_since(anchor) {
            self.now = self.now.saturating_add(d);
            self.anchor = Some(ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_312_946_224; // August 2011

    fn at(secs: i64, millis: u32) -> Timestamp {
        Timestamp::new(T0 + secs, millis * 1_000_000)
    }

    #[test]
    fn frames_in_order_give_the_time_since_the_first() {
        let mut c = CaptureClock::new();
        assert_eq!(c.observe(at(0, 0)), Duration::ZERO);
        assert_eq!(c.observe(at(0, 250)), Duration::from_millis(250));
        assert_eq!(c.observe(at(59, 0)), Duration::from_secs(59));
        // Steps up to the bound are believed at once, however many.
        assert_eq!(c.observe(at(119, 0)), Duration::from_secs(119));
        assert_eq!(c.now(), Duration::from_secs(119));
    }

    #[test]
    fn frames_a_little_out_of_order_do_not_move_it_or_inflate_it() {
        let mut c = CaptureClock::new();
        c.observe(at(10, 0));
        assert_eq!(c.observe(at(9, 990)), Duration::ZERO);
        assert_eq!(c.observe(at(10, 5)), Duration::from_millis(5));
        // Two sources 10 ms apart, interleaved: time is the later one's, not the sum of dips.
        for i in 0..100 {
            c.observe(at(11, i));
            c.observe(at(11, i + 10));
        }
        assert_eq!(c.now(), Duration::from_millis(1_109));
    }

    #[test]
    fn a_stray_frame_years_ahead_or_behind_moves_nothing() {
        for stray in [at(25 * 365 * 86_400, 0), at(-21 * 365 * 86_400, 0)] {
            let mut c = CaptureClock::new();
            c.observe(at(0, 0));
            c.observe(at(1, 0));
            assert_eq!(c.observe(stray), Duration::from_secs(1));
            // Time goes on from where it was, and keeps going.
            assert_eq!(c.observe(at(2, 0)), Duration::from_secs(2));
            assert_eq!(c.observe(at(30, 0)), Duration::from_secs(30));
        }
    }

    #[test]
    fn a_short_burst_of_stray_frames_moves_nothing_either() {
        let mut c = CaptureClock::new();
        c.observe(at(0, 0));
        let far = 10 * 365 * 86_400;
        for i in 0..JUMP_CONFIRM_FRAMES - 1 {
            assert_eq!(c.observe(at(far, i)), Duration::ZERO);
        }
        assert_eq!(c.observe(at(1, 0)), Duration::from_secs(1));
    }

    #[test]
    fn a_jump_confirmed_by_the_frames_after_it_is_real() {
        // Forward: counted in full.
        let mut c = CaptureClock::new();
        c.observe(at(0, 0));
        let day = 86_400;
        for i in 0..JUMP_CONFIRM_FRAMES - 1 {
            assert_eq!(c.observe(at(day, i)), Duration::ZERO);
        }
        let day_and =
            |s: u64, ms: u64| Duration::from_secs(day as u64 + s) + Duration::from_millis(ms);
        assert_eq!(c.observe(at(day, 100)), day_and(0, 100));
        assert_eq!(c.observe(at(day + 1, 100)), day_and(1, 100));
        // Backward: the reference moves, the clock does not run back, and goes on from there.
        let before = c.now();
        for i in 0..JUMP_CONFIRM_FRAMES {
            assert_eq!(c.observe(at(-day, i)), before);
        }
        assert_eq!(c.observe(at(-day + 5, 2)), before + Duration::from_secs(5));
    }

    #[test]
    fn a_stray_first_frame_is_outvoted() {
        let mut c = CaptureClock::new();
        c.observe(at(25 * 365 * 86_400, 0));
        for i in 0..JUMP_CONFIRM_FRAMES {
            assert_eq!(c.observe(at(0, i)), Duration::ZERO);
        }
        assert_eq!(c.observe(at(3, 2)), Duration::from_secs(3));
    }
}
