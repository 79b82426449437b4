//! The timeline of `index.html`, drawn here as inline SVG: one lane per signed-in user
//! (principal) with each login session as a bar, the conversations its connections carried as
//! boxes on it (each a link to its page), and every text message as a tick, blue when the
//! local side wrote it, green otherwise. A reader sees at a glance who was online and who
//! talked when.
//!
//! Guarantees: deterministic (coordinates are computed in integers and written with one
//! decimal); every label is in the display form of [`crate::escape`] and escaped for XML; no
//! script, no event handler, nothing external; bounded size (at most [`MAX_LANES`] lanes,
//! [`MAX_BOXES`] conversation boxes and [`MAX_TICKS`] message ticks, what is left out being
//! said in the picture).
//!
//! The picture is drawn from a [`Sketch`], which keeps at most [`MAX_BOXES`] conversations,
//! spread evenly over all of them (one in every 2, 4, 8... once there are more), and at most
//! [`MAX_TICKS`] of their messages, thinned the same way, and counts the rest: what the
//! picture needs does not grow with the capture, and a long capture is drawn from end to end.

use super::html::{LOCAL_COLOUR, REMOTE_COLOUR, escape_html};
use super::{ConversationSummary, clock, day, nanos, shown};
use crate::capture::Timestamp;
use crate::conversation::model::{Conversation, EntryKind, LoginSession};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const MAX_LANES: usize = 200;
pub const MAX_TICKS: usize = 20_000;
/// Conversations drawn as boxes; the rest are counted in the picture's footer.
pub const MAX_BOXES: usize = 5_000;

const WIDTH: i128 = 1000;
const LABEL: i128 = 230;
const RIGHT: i128 = 20;
const TOP: i128 = 44;
const LANE: i128 = 30;
const TICKS: i128 = 6;

/// Tenths of a pixel as `12.3`.
fn px(tenths: i128) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let a = tenths.abs();
    format!("{sign}{}.{}", a / 10, a % 10)
}

struct Scale {
    t0: i128,
    span: i128,
}

impl Scale {
    /// The x of `ts`, in tenths of a pixel.
    fn x(&self, ts: Timestamp) -> i128 {
        let plot = (WIDTH - LABEL - RIGHT) * 10;
        let off = (nanos(ts) - self.t0).clamp(0, self.span);
        LABEL * 10 + off * plot / self.span
    }
}

/// What the picture shows of one conversation: its box and its messages' ticks.
struct Drawn {
    /// Its place among the conversations given (0, 1, ...).
    place: usize,
    id: u64,
    stem: String,
    start: Timestamp,
    end: Timestamp,
    messages: usize,
    /// The participants' handles.
    who: Vec<String>,
    login_sessions: Vec<u64>,
    /// The first local participant's handle: the lane when no login session claims it.
    local: Option<String>,
    /// (time, whether a local participant sent it, its place among the messages given) of
    /// each message drawn.
    ticks: Vec<(Timestamp, bool, usize)>,
}

/// The timeline's material, bounded and spread over the whole capture: at most
/// [`MAX_BOXES`] conversations, one in every `stride` in the order they were given (the
/// stride doubles, and every other box kept so far is let go, each time the boxes would pass
/// the cap), and at most [`MAX_TICKS`] text messages of the boxes kept, thinned the same way
/// on their own (one in every `tick_stride` messages given); the rest counted.
/// Deterministic: the same conversations give the same picture.
pub struct Sketch {
    drawn: Vec<Drawn>,
    /// Conversations given so far.
    seen: usize,
    stride: usize,
    /// Text messages given so far.
    messages: usize,
    tick_stride: usize,
    /// Ticks held by the boxes kept.
    ticks: usize,
    boxes_left_out: usize,
    ticks_left_out: usize,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            drawn: Vec::new(),
            seen: 0,
            stride: 1,
            messages: 0,
            tick_stride: 1,
            ticks: 0,
            boxes_left_out: 0,
            ticks_left_out: 0,
        }
    }
}

impl Sketch {
    /// Adds `c`, whose index row is `row`.
    pub fn add(&mut self, c: &Conversation, row: &ConversationSummary) {
        let local: Vec<&str> = c
            .participants
            .iter()
            .filter(|p| p.local)
            .map(|p| p.handle.as_str())
            .collect();
        let first = self.messages;
        let times: Vec<(Timestamp, bool, usize)> = c
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::Message { sender, .. } => Some((e.ts, local.contains(&sender.as_str()))),
                _ => None,
            })
            .enumerate()
            .map(|(i, (ts, mine))| (ts, mine, first + i))
            .collect();
        self.messages += times.len();
        let place = self.seen;
        self.seen += 1;
        if !place.is_multiple_of(self.stride) {
            self.boxes_left_out += 1;
            self.ticks_left_out += times.len();
            return;
        }
        let given = times.len();
        let ticks: Vec<_> = times
            .into_iter()
            .filter(|t| t.2.is_multiple_of(self.tick_stride))
            .collect();
        self.ticks_left_out += given - ticks.len();
        self.ticks += ticks.len();
        self.drawn.push(Drawn {
            place,
            id: row.id,
            stem: row.stem.clone(),
            start: row.start,
            end: row.end,
            messages: row.messages,
            who: row.participants.iter().map(|p| shown(&p.handle)).collect(),
            login_sessions: row.login_sessions.clone(),
            local: local.first().map(|h| h.to_string()),
            ticks,
        });
        if self.drawn.len() > MAX_BOXES {
            self.stride *= 2;
            let stride = self.stride;
            let (mut boxes, mut ticks) = (0, 0);
            self.drawn.retain(|d| {
                let keep = d.place.is_multiple_of(stride);
                if !keep {
                    boxes += 1;
                    ticks += d.ticks.len();
                }
                keep
            });
            self.boxes_left_out += boxes;
            self.ticks_left_out += ticks;
            self.ticks = self.ticks.saturating_sub(ticks);
        }
        while self.ticks > MAX_TICKS {
            self.tick_stride *= 2;
            let stride = self.tick_stride;
            let before = self.ticks;
            self.ticks = 0;
            for d in &mut self.drawn {
                d.ticks.retain(|t| t.2.is_multiple_of(stride));
                self.ticks += d.ticks.len();
            }
            self.ticks_left_out += before - self.ticks;
        }
    }
}

/// A lane: its principal, its login sessions' (start, end, login seen), its conversations.
struct Lane<'a> {
    label: String,
    sessions: Vec<(Timestamp, Timestamp, bool, u64)>,
    conversations: Vec<&'a Drawn>,
}

/// The SVG element (`<svg class="timeline" ...>...</svg>`), for inline use in HTML.
pub fn render_timeline(sketch: &Sketch, sessions: &[LoginSession]) -> String {
    // Lanes, in order of first appearance: principals, then conversations no login session
    // claims, by their first local participant.
    let mut order: Vec<String> = Vec::new();
    let mut lanes: BTreeMap<String, Lane> = BTreeMap::new();
    let lane = |key: &str, order: &mut Vec<String>| -> String {
        if !order.iter().any(|k| k == key) {
            order.push(key.to_string());
        }
        key.to_string()
    };
    let by_id: BTreeMap<u64, &LoginSession> = sessions.iter().map(|l| (l.id, l)).collect();
    for l in sessions {
        let key = lane(&l.principal, &mut order);
        let first_conv = sketch
            .drawn
            .iter()
            .filter(|c| c.login_sessions.contains(&l.id))
            .map(|c| c.start)
            .min_by_key(|t| nanos(*t));
        let start = l.login.or(first_conv).unwrap_or(l.end);
        lanes
            .entry(key)
            .or_insert_with(|| Lane {
                label: l.principal.clone(),
                sessions: Vec::new(),
                conversations: Vec::new(),
            })
            .sessions
            .push((start, l.end, l.login.is_some(), l.id));
    }
    for c in &sketch.drawn {
        let mut keys: Vec<String> = c
            .login_sessions
            .iter()
            .filter_map(|id| by_id.get(id))
            .map(|l| l.principal.clone())
            .collect();
        keys.dedup();
        if keys.is_empty() {
            let label = c
                .local
                .clone()
                .unwrap_or_else(|| "(no login seen)".to_string());
            keys.push(label);
        }
        for k in keys {
            let key = lane(&k, &mut order);
            lanes
                .entry(key)
                .or_insert_with(|| Lane {
                    label: k.clone(),
                    sessions: Vec::new(),
                    conversations: Vec::new(),
                })
                .conversations
                .push(c);
        }
    }
    let left_out = order.len().saturating_sub(MAX_LANES);
    order.truncate(MAX_LANES);

    // The time span.
    let mut times: Vec<i128> = Vec::new();
    for k in &order {
        let l = &lanes[k];
        for (s, e, _, _) in &l.sessions {
            times.push(nanos(*s));
            times.push(nanos(*e));
        }
        for c in &l.conversations {
            times.push(nanos(c.start));
            times.push(nanos(c.end));
        }
    }
    let t0 = times.iter().copied().min().unwrap_or(0);
    let t1 = times.iter().copied().max().unwrap_or(0);
    let scale = Scale {
        t0,
        span: (t1 - t0).max(1),
    };

    let height = TOP + LANE * (order.len().max(1) as i128) + 30;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Timeline of login sessions and conversations\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    if order.is_empty() {
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\">No login session or conversation to show.</text>\n</svg>",
            TOP + 18
        );
        return s;
    }
    // Axis: ticks with UTC clock times, and the day at the left.
    let start_ts = Timestamp::new(
        t0.div_euclid(1_000_000_000) as i64,
        t0.rem_euclid(1_000_000_000) as u32,
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-weight=\"bold\">{} (UTC)</text>",
        day(start_ts)
    );
    let bottom = TOP + LANE * order.len() as i128;
    for i in 0..=TICKS {
        let t = t0 + (t1 - t0) * i / TICKS;
        let ts = Timestamp::new(
            t.div_euclid(1_000_000_000) as i64,
            t.rem_euclid(1_000_000_000) as u32,
        );
        let x = scale.x(ts);
        let anchor = match i {
            0 => "start",
            TICKS => "end",
            _ => "middle",
        };
        let _ = writeln!(
            s,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#dddddd\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"#555555\">{}</text>",
            TOP - 8,
            TOP - 12,
            clock(ts),
            x = px(x)
        );
    }
    let mut ticks = 0usize;
    let mut ticks_left_out = sketch.ticks_left_out;
    for (i, k) in order.iter().enumerate() {
        let l = &lanes[k];
        let y = TOP + LANE * i as i128;
        let mut label = shown(&l.label);
        if label.chars().count() > 32 {
            label = label.chars().take(31).collect::<String>() + "…";
        }
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\"><title>{}</title>{}</text>",
            y + 19,
            escape_html(&shown(&l.label)),
            escape_html(&label)
        );
        for (start, end, seen, id) in &l.sessions {
            let (x0, x1) = (scale.x(*start), scale.x(*end));
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"22\" fill=\"#dfe7ff\" stroke=\"#8090c0\"{}><title>login session {id}: {} {} to {}</title></rect>",
                px(x0),
                y + 4,
                px((x1 - x0).max(20)),
                if *seen {
                    ""
                } else {
                    " stroke-dasharray=\"4 3\""
                },
                escape_html(&shown(&l.label)),
                if *seen {
                    clock(*start)
                } else {
                    "(login not seen)".into()
                },
                clock(*end),
            );
        }
        for c in &l.conversations {
            let (x0, x1) = (scale.x(c.start), scale.x(c.end));
            let _ = writeln!(
                s,
                "<a href=\"{}.html\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"#ffffff\" stroke=\"#444444\"><title>conversation {}: {} to {}, {} message{}; {}</title></rect></a>",
                super::html::href(&c.stem),
                px(x0),
                y + 8,
                px((x1 - x0).max(20)),
                c.id,
                clock(c.start),
                clock(c.end),
                c.messages,
                if c.messages == 1 { "" } else { "s" },
                escape_html(&c.who.join(", "))
            );
            for (ts, local, _) in &c.ticks {
                if ticks == MAX_TICKS {
                    ticks_left_out += 1;
                    continue;
                }
                ticks += 1;
                let x = px(scale.x(*ts));
                let _ = writeln!(
                    s,
                    "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>",
                    y + 6,
                    y + 24,
                    if *local { LOCAL_COLOUR } else { REMOTE_COLOUR }
                );
            }
        }
    }
    let mut foot = String::from(
        "bars: login sessions (dashed: login not seen); boxes: conversations; ticks: messages",
    );
    if left_out > 0 {
        let _ = write!(foot, "; {left_out} more lanes not drawn");
    }
    if sketch.boxes_left_out > 0 {
        let _ = write!(
            foot,
            "; {} more conversations not drawn (one in every {} is)",
            sketch.boxes_left_out, sketch.stride
        );
    }
    if ticks_left_out > 0 {
        let _ = write!(foot, "; {ticks_left_out} more messages not drawn");
    }
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"{}\" fill=\"#555555\">{foot}</text>\n</svg>",
        bottom + 20
    );
    s
}
