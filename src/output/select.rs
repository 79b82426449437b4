//! Selection (`--only`, `--flow`, `--principal`, `--handle`, `--verb`, `--errors`, `--since`,
//! `--until`): a [`Sink`] that passes on the events a user asked for and drops the rest, and
//! counts what it passed, so that a selection that matched nothing can be told (exit 1, as
//! grep).
//!
//! `--handle` keeps every connection where the handle is the signed-in user or a participant
//! (a switchboard's events are held until someone matching joins, at most
//! [`MAX_HELD_EVENTS`]). `--errors` keeps the error replies and, before each, the request
//! that caused it (the client's command with the same TrID, remembered for at most
//! [`MAX_REMEMBERED_REQUESTS`] commands). `--since` and `--until` keep events captured in that
//! span.
//!
//! Connection-level events (opened, closed, gaps, anomalies, an MSNFTP transfer's summary,
//! an object's start, bytes and end, `extracted`) follow their connection: they pass when the
//! connection is selected, whatever `--verb` says (so `--extract` writes the objects of the
//! selected connections). `--verb` narrows the
//! commands, and drops MSNFTP blocks (they have no verb). A connection's
//! signed-in user is often known only a few lines in (after `USR`), so with `--principal` the
//! events of a connection whose user is not known yet are held, at most
//! [`MAX_HELD_EVENTS`] of them, and released or dropped once it is.

use crate::Direction;
use crate::bounded::FifoMap;
use crate::capture::Timestamp;
use crate::event::{Channel, ConnectionInfo, Event, Role, Sink};
use crate::flow::FlowId;
use std::collections::HashSet;
use std::io;

/// Client commands remembered, all connections together, to show the request of an error.
pub const MAX_REMEMBERED_REQUESTS: usize = 4096;

/// Events held per connection while its user is unknown; past it the oldest are dropped
/// (a login names the user within its first few lines).
pub const MAX_HELD_EVENTS: usize = 256;

/// What to keep.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Channels to keep; empty keeps all.
    pub channels: Vec<Channel>,
    /// Connection ids to keep; empty keeps all.
    pub flows: Vec<u64>,
    /// The signed-in user whose connections to keep (compared case-insensitively).
    pub principal: Option<String>,
    /// Verbs to keep; empty keeps all.
    pub verbs: Vec<String>,
    /// A handle whose connections to keep: as the signed-in user or as a participant.
    pub handle: Option<String>,
    /// Only error replies, each after its request.
    pub errors: bool,
    /// Only events captured at or after this time.
    pub since: Option<Timestamp>,
    /// Only events captured at or before this time.
    pub until: Option<Timestamp>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
            && self.flows.is_empty()
            && self.principal.is_none()
            && self.verbs.is_empty()
            && self.handle.is_none()
            && !self.errors
            && self.since.is_none()
            && self.until.is_none()
    }

    /// The options that make up the selection, as typed: `--flow 99 --verb FOO`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.channels.is_empty() {
            let names: Vec<&str> = self.channels.iter().map(|c| c.as_str()).collect();
            parts.push(format!("--only {}", names.join(",").to_ascii_lowercase()));
        }
        if !self.flows.is_empty() {
            let ids: Vec<String> = self.flows.iter().map(u64::to_string).collect();
            parts.push(format!("--flow {}", ids.join(",")));
        }
        if let Some(p) = &self.principal {
            parts.push(format!("--principal {p}"));
        }
        if let Some(h) = &self.handle {
            parts.push(format!("--handle {h}"));
        }
        if !self.verbs.is_empty() {
            parts.push(format!("--verb {}", self.verbs.join(",")));
        }
        if self.errors {
            parts.push("--errors".into());
        }
        if let Some(t) = self.since {
            parts.push(format!(
                "--since {}",
                crate::output::text::iso_time(t, false)
            ));
        }
        if let Some(t) = self.until {
            parts.push(format!(
                "--until {}",
                crate::output::text::iso_time(t, false)
            ));
        }
        parts.join(" ")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Undecided,
    Keep,
    Drop,
}

/// Filters events before they reach `inner`.
pub struct Select<'a> {
    inner: &'a mut dyn Sink,
    sel: Selection,
    verbs: HashSet<String>,
    principal: Option<String>,
    // Keyed by connection ids, which msnsniff numbers itself (no sender chooses them): a
    // fast hasher, looked up for every event.
    roles: foldhash::HashMap<FlowId, Role>,
    verdicts: foldhash::HashMap<FlowId, Verdict>,
    held: foldhash::HashMap<FlowId, Vec<Event>>,
    handle: Option<String>,
    /// With `--errors`: client commands by connection and TrID.
    requests: FifoMap<(FlowId, u32), Event>,
    /// Commands and MSNFTP blocks passed on.
    pub matched: u64,
    /// No selection at all: every event of a kept connection passes.
    unfiltered: bool,
}

impl<'a> Select<'a> {
    pub fn new(inner: &'a mut dyn Sink, sel: Selection) -> Self {
        Select {
            inner,
            verbs: sel.verbs.iter().map(|v| v.to_ascii_uppercase()).collect(),
            principal: sel.principal.as_ref().map(|p| p.to_ascii_lowercase()),
            handle: sel.handle.as_ref().map(|p| p.to_ascii_lowercase()),
            requests: FifoMap::new(if sel.errors {
                MAX_REMEMBERED_REQUESTS
            } else {
                1
            }),
            matched: 0,
            unfiltered: sel.is_empty(),
            sel,
            roles: foldhash::HashMap::default(),
            verdicts: foldhash::HashMap::default(),
            held: foldhash::HashMap::default(),
        }
    }

    fn role_selected(&self, role: Role) -> bool {
        let ch = &self.sel.channels;
        ch.is_empty()
            || match role {
                Role::Dispatch | Role::Notification => ch.contains(&Channel::Ns),
                Role::Switchboard => ch.contains(&Channel::Sb) || ch.contains(&Channel::Msnc),
                Role::FileTransfer => ch.contains(&Channel::Msnc),
                Role::Unknown => true,
            }
    }

    /// Whether a connection passes `--flow`, `--principal` and `--handle`, as far as is known.
    fn connection_verdict(&self, c: &ConnectionInfo) -> Verdict {
        if !self.sel.flows.is_empty() && !self.sel.flows.contains(&c.flow.0) {
            return Verdict::Drop;
        }
        let principal = c.principal.as_deref().map(str::to_ascii_lowercase);
        let by_principal = match (&self.principal, &principal) {
            (None, _) => Verdict::Keep,
            (Some(want), Some(have)) if want == have => Verdict::Keep,
            (Some(_), Some(_)) => Verdict::Drop,
            (Some(_), None) => Verdict::Undecided,
        };
        let by_handle = match &self.handle {
            None => Verdict::Keep,
            Some(want) => {
                let joined = c
                    .clients
                    .participants
                    .iter()
                    .any(|p| p.handle.eq_ignore_ascii_case(want));
                if principal.as_deref() == Some(want.as_str()) || joined {
                    Verdict::Keep
                } else if principal.is_some() && c.role != Role::Switchboard {
                    // Nobody joins a notification server's connection later.
                    Verdict::Drop
                } else {
                    Verdict::Undecided
                }
            }
        };
        match (by_principal, by_handle) {
            (Verdict::Drop, _) | (_, Verdict::Drop) => Verdict::Drop,
            (Verdict::Keep, Verdict::Keep) => Verdict::Keep,
            _ => Verdict::Undecided,
        }
    }

    /// Passes one event of a kept connection on, if it passes the event filters; with
    /// `--errors`, an error goes after the request that caused it.
    fn pass(&mut self, ev: &Event) -> io::Result<()> {
        if let Some((_, ts)) = ev.at()
            && (self.sel.since.is_some_and(|t| ts < t) || self.sel.until.is_some_and(|t| ts > t))
        {
            return Ok(());
        }
        if self.sel.errors {
            let Event::Command(c) = ev else {
                return Ok(());
            };
            if c.dir == Direction::ClientToServer {
                if let Some(trid) = c.trid {
                    self.requests.insert((c.flow, trid), ev.clone());
                }
                return Ok(());
            }
            if c.verb.error_code().is_none() || !self.event_passes(ev) {
                return Ok(());
            }
            if let Some(request) = c.trid.and_then(|t| self.requests.remove(&(c.flow, t))) {
                self.inner.event(&request)?;
            }
            self.matched += 1;
            return self.inner.event(ev);
        }
        if !self.event_passes(ev) {
            return Ok(());
        }
        if matches!(ev, Event::Command(_) | Event::MsnftpBlock(_)) {
            self.matched += 1;
        }
        self.inner.event(ev)
    }

    /// Drops what is kept about a connection that has closed.
    fn forget(&mut self, flow: FlowId) {
        self.verdicts.remove(&flow);
        self.roles.remove(&flow);
        self.held.remove(&flow);
    }

    fn event_passes(&self, ev: &Event) -> bool {
        match ev {
            Event::Command(c) => {
                (self.sel.channels.is_empty() || self.sel.channels.contains(&c.channel))
                    && (self.verbs.is_empty() || self.verbs.contains(c.verb.as_str()))
            }
            Event::MsnftpBlock(b) => {
                self.verbs.is_empty()
                    && self
                        .roles
                        .get(&b.flow)
                        .is_none_or(|r| self.role_selected(*r))
            }
            _ => ev
                .flow()
                .and_then(|f| self.roles.get(&f))
                .is_none_or(|r| self.role_selected(*r)),
        }
    }
}

impl Sink for Select<'_> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        let Some(flow) = ev.flow() else {
            // Anomalies outside any connection pass unless a connection was asked for.
            if self.sel.flows.is_empty()
                && self.principal.is_none()
                && self.handle.is_none()
                && !self.sel.errors
            {
                return self.pass(ev);
            }
            return Ok(());
        };
        if let Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) = ev {
            self.roles.insert(flow, c.role);
            let previous = self
                .verdicts
                .get(&flow)
                .copied()
                .unwrap_or(Verdict::Undecided);
            if previous == Verdict::Undecided {
                let v = self.connection_verdict(c);
                self.verdicts.insert(flow, v);
                if v == Verdict::Keep {
                    for held in self.held.remove(&flow).unwrap_or_default() {
                        self.pass(&held)?;
                    }
                } else if v == Verdict::Drop {
                    self.held.remove(&flow);
                }
            }
        }
        let verdict = self
            .verdicts
            .get(&flow)
            .copied()
            .unwrap_or(Verdict::Undecided);
        let closing = matches!(ev, Event::ConnectionClosed { .. });
        let result = match verdict {
            Verdict::Keep => self.pass(ev),
            Verdict::Drop => Ok(()),
            Verdict::Undecided => {
                if !closing {
                    let held = self.held.entry(flow).or_default();
                    if held.len() >= MAX_HELD_EVENTS {
                        held.remove(0);
                    }
                    held.push(ev.clone());
                }
                Ok(())
            }
        };
        if closing {
            self.forget(flow);
        }
        result
    }

    fn event_owned(&mut self, mut ev: Event) -> io::Result<()> {
        self.event_mut(&mut ev)
    }

    // Without a selection, an event that `event` would pass on at once (one of a connection
    // already kept, or one that belongs to none) is passed on to be changed where it is, so
    // that the sinks after this one (the redaction) need not copy it. Anything else goes
    // through `event`.
    fn event_mut(&mut self, ev: &mut Event) -> io::Result<()> {
        if !self.unfiltered {
            return self.event(ev);
        }
        match ev.flow() {
            None => self.inner.event_mut(ev),
            Some(flow)
                if self.verdicts.get(&flow) == Some(&Verdict::Keep)
                    && !matches!(ev, Event::ConnectionOpened(_) | Event::ConnectionUpdate(_)) =>
            {
                if matches!(ev, Event::ConnectionClosed { .. }) {
                    self.forget(flow);
                }
                if matches!(ev, Event::Command(_) | Event::MsnftpBlock(_)) {
                    self.matched += 1;
                }
                self.inner.event_mut(ev)
            }
            Some(_) => self.event(ev),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    // The selection reads neither notes nor message text: what the outputs read.
    fn wants_notes(&self) -> bool {
        self.inner.wants_notes()
    }

    fn wants_text(&self) -> bool {
        self.inner.wants_text()
    }

    fn wants_fields(&self) -> crate::event::FieldsWanted {
        self.inner.wants_fields()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Collect, ConnectionInfo};

    fn info(principal: Option<&str>) -> ConnectionInfo {
        ConnectionInfo {
            role: Role::Notification,
            principal: principal.map(str::to_string),
            ..ConnectionInfo::example(1)
        }
    }

    fn anomaly(n: u64) -> Event {
        Event::Anomaly {
            flow: Some(FlowId(1)),
            frame: n,
            ts: Timestamp::new(1000, 0),
            dir: None,
            name: "msnp.resync",
            detail: String::new(),
        }
    }

    #[test]
    fn past_max_held_events_the_oldest_held_are_dropped_and_the_rest_released_in_order() {
        let mut out = Collect::default();
        let sel = Selection {
            principal: Some("Bob@X.com".into()),
            ..Selection::default()
        };
        let mut s = Select::new(&mut out, sel);
        s.event(&Event::ConnectionOpened(info(None))).unwrap();
        let extra = 10;
        for n in 0..(MAX_HELD_EVENTS as u64 + extra) {
            s.event(&anomaly(n)).unwrap();
        }
        s.event(&Event::ConnectionUpdate(info(Some("bob@x.com"))))
            .unwrap();
        drop(s);
        let frames: Vec<u64> = out
            .0
            .iter()
            .filter_map(|e| match e {
                Event::Anomaly { frame, .. } => Some(*frame),
                _ => None,
            })
            .collect();
        // The opening event was held first and dropped first, then the oldest anomalies.
        assert_eq!(frames.len(), MAX_HELD_EVENTS);
        assert_eq!(frames[0], extra);
        assert_eq!(*frames.last().unwrap(), MAX_HELD_EVENTS as u64 + extra - 1);
        assert!(frames.windows(2).all(|w| w[0] < w[1]));
        assert!(matches!(out.0.last(), Some(Event::ConnectionUpdate(_))));
    }

    /// Counts how events arrive: lent to be changed, or lent to be read.
    #[derive(Default)]
    struct Arrivals {
        seen: Vec<String>,
        changeable: usize,
    }

    impl Sink for Arrivals {
        fn event(&mut self, ev: &Event) -> io::Result<()> {
            self.seen.push(format!("{ev:?}"));
            Ok(())
        }

        fn event_mut(&mut self, ev: &mut Event) -> io::Result<()> {
            self.changeable += 1;
            self.event(ev)
        }
    }

    /// Without a selection, events given away pass on exactly as events lent do (same
    /// events, same order, same count of matches), held ones included, and the sinks after
    /// get most of them to change where they are.
    #[test]
    fn without_a_selection_events_given_away_pass_as_lent_ones_do() {
        let mut events = Collect::default();
        let mut source = crate::capture::FileSource::new(
            vec!["captures/synthetic_msnc_messages.pcap".into()],
            None,
        );
        crate::pipeline::decode(&mut source, crate::pipeline::msn_config(), &mut events).unwrap();
        // Before the capture's own: one event of a connection not opened yet (held until it
        // is), and one that belongs to no connection.
        let mut all = vec![
            anomaly(0),
            Event::Anomaly {
                flow: None,
                frame: 0,
                ts: Timestamp::new(1000, 0),
                dir: None,
                name: "capture.dropped",
                detail: String::new(),
            },
        ];
        all.extend(events.0);
        assert!(all.len() > 50, "{}", all.len());
        let (mut lent, mut given) = (Arrivals::default(), Arrivals::default());
        let mut a = Select::new(&mut lent, Selection::default());
        for ev in &all {
            a.event(ev).unwrap();
        }
        let matched_lent = a.matched;
        let mut b = Select::new(&mut given, Selection::default());
        for ev in all.iter().cloned() {
            b.event_owned(ev).unwrap();
        }
        let matched_given = b.matched;
        assert_eq!(given.seen, lent.seen);
        assert_eq!(matched_given, matched_lent);
        assert_eq!(lent.changeable, 0);
        assert!(
            given.changeable * 4 >= all.len() * 3,
            "{} of {}",
            given.changeable,
            all.len()
        );
    }

    #[test]
    fn another_users_connection_is_dropped_whole() {
        let mut out = Collect::default();
        let sel = Selection {
            principal: Some("bob@x.com".into()),
            ..Selection::default()
        };
        let mut s = Select::new(&mut out, sel);
        s.event(&Event::ConnectionOpened(info(None))).unwrap();
        s.event(&anomaly(2)).unwrap();
        s.event(&Event::ConnectionUpdate(info(Some("carol@x.com"))))
            .unwrap();
        s.event(&anomaly(3)).unwrap();
        drop(s);
        assert!(out.0.is_empty(), "{:?}", out.0);
    }
}
