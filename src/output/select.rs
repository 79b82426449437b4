//! Selection (`--only`, `--flow`, `--principal`, `--verb`): a [`Sink`] that passes on the
//! events a user asked for and drops the rest.
//!
//! Connection-level events (opened, closed, gaps, anomalies, an MSNFTP transfer's summary,
//! an object's start, bytes and end, `extracted`) follow their connection: they pass when the
//! connection is selected, whatever `--verb` says (so `--extract` writes the objects of the
//! selected connections). `--verb` narrows the
//! commands, and drops MSNFTP blocks (they have no verb). A connection's
//! signed-in user is often known only a few lines in (after `USR`), so with `--principal` the
//! events of a connection whose user is not known yet are held, at most
//! [`MAX_HELD_EVENTS`] of them, and released or dropped once it is.

use crate::event::{Channel, Event, Role, Sink};
use crate::flow::FlowId;
use std::collections::{HashMap, HashSet};
use std::io;

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
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
            && self.flows.is_empty()
            && self.principal.is_none()
            && self.verbs.is_empty()
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
    roles: HashMap<FlowId, Role>,
    verdicts: HashMap<FlowId, Verdict>,
    held: HashMap<FlowId, Vec<Event>>,
}

impl<'a> Select<'a> {
    pub fn new(inner: &'a mut dyn Sink, sel: Selection) -> Self {
        Select {
            inner,
            verbs: sel.verbs.iter().map(|v| v.to_ascii_uppercase()).collect(),
            principal: sel.principal.as_ref().map(|p| p.to_ascii_lowercase()),
            sel,
            roles: HashMap::new(),
            verdicts: HashMap::new(),
            held: HashMap::new(),
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

    /// Whether a connection passes `--flow` and `--principal`, as far as is known.
    fn connection_verdict(&self, flow: FlowId, principal: Option<&str>) -> Verdict {
        if !self.sel.flows.is_empty() && !self.sel.flows.contains(&flow.0) {
            return Verdict::Drop;
        }
        match (&self.principal, principal) {
            (None, _) => Verdict::Keep,
            (Some(want), Some(have)) if want == &have.to_ascii_lowercase() => Verdict::Keep,
            (Some(_), Some(_)) => Verdict::Drop,
            (Some(_), None) => Verdict::Undecided,
        }
    }

    fn event_passes(&self, ev: &Event) -> bool {
        match ev {
            Event::Command(c) => {
                (self.sel.channels.is_empty() || self.sel.channels.contains(&c.channel))
                    && (self.verbs.is_empty() || self.verbs.contains(&c.verb))
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
            if self.sel.flows.is_empty() && self.principal.is_none() {
                return self.inner.event(ev);
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
                let v = self.connection_verdict(flow, c.principal.as_deref());
                self.verdicts.insert(flow, v);
                if v == Verdict::Keep {
                    for held in self.held.remove(&flow).unwrap_or_default() {
                        if self.event_passes(&held) {
                            self.inner.event(&held)?;
                        }
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
            Verdict::Keep if self.event_passes(ev) => self.inner.event(ev),
            Verdict::Keep | Verdict::Drop => Ok(()),
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
            self.verdicts.remove(&flow);
            self.roles.remove(&flow);
            self.held.remove(&flow);
        }
        result
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
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
