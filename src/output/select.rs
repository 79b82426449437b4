//! Selection (`--only`, `--flow`, `--principal`, `--verb`): a [`Sink`] that passes on the
//! events a user asked for and drops the rest.
//!
//! Connection-level events (opened, closed, gaps, anomalies) follow their connection: they
//! pass when the connection is selected. `--verb` narrows the commands only. A connection's
//! signed-in user is often known only a few lines in (after `USR`), so with `--principal` the
//! events of a connection whose user is not known yet are held, at most
//! [`MAX_HELD_EVENTS`] of them, and released or dropped once it is.

use crate::event::{Channel, Event, Role, Sink};
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
    roles: HashMap<u64, Role>,
    verdicts: HashMap<u64, Verdict>,
    held: HashMap<u64, Vec<Event>>,
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
    fn connection_verdict(&self, flow: u64, principal: Option<&str>) -> Verdict {
        if !self.sel.flows.is_empty() && !self.sel.flows.contains(&flow) {
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
