//! Wires the stages together in one single-threaded loop: packets from a [`PacketSource`],
//! through [`NetDecoder`] and the [`FlowTable`], into a [`FlowConsumer`].
//!
//! The loop is the only place that knows the order of the stages. It guarantees that events
//! reach the consumer in capture order, that announcements the consumer makes (a switchboard
//! address seen in `XFR`) reach the flow table before the next packet, and that everything is
//! flushed at the end, even when the source fails part way (a truncated last record): the
//! source's error is returned with the summary, after the flush.

use crate::capture::{CaptureError, Membership, PacketSource, PacketTap, Timestamp};
use crate::flow::{At, FlowConfig, FlowEvent, FlowTable};
use crate::msnp;
use crate::net::{Decoded, NetDecoder};
use std::io;

/// The consumer trait lives with the flow layer; re-exported here, where it is used.
pub use crate::flow::FlowConsumer;

/// The flow table's settings for finding MSN traffic: the defaults (server port 1863, the
/// default bounds) plus the MSNP sniffer, so that an MSNP connection on any other port is
/// found by its first bytes. This is the configuration for real runs; change `ports` for
/// `--port`:
///
/// ```
/// let config = msnsniff::flow::FlowConfig {
///     ports: vec![1863, 1864],
///     ..msnsniff::pipeline::msn_config()
/// };
/// assert_eq!((config.sniff)(b"VER 1 MSNP8 CVR0\r\n"), Some(true));
/// ```
///
/// (`FlowConfig::default()` knows no protocol and finds connections by port and announcement
/// only.)
pub fn msn_config() -> FlowConfig {
    FlowConfig {
        sniff: msnp::sniff::looks_like_msnp,
        ..FlowConfig::default()
    }
}

/// How a run went.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// Frames read.
    pub frames: u64,
    /// MSN connections found.
    pub msn_connections: u64,
    /// The source's failure, if it stopped early. Everything before it was processed.
    pub capture_error: Option<CaptureError>,
}

/// Reads every packet of `source` and feeds the consumer. Returns early only when the consumer
/// fails (an output error); a failing source ends the run normally, with the error in the summary.
pub fn run(
    source: &mut dyn PacketSource,
    config: FlowConfig,
    consumer: &mut dyn FlowConsumer,
) -> io::Result<RunSummary> {
    run_tapped(source, config, consumer, None)
}

/// [`run`], with every packet also shown to `tap` (a writer of the packets, `live -w`) after
/// the flow table has seen it, with what the table made of it. A source's notices (dropped
/// packets) are reported as anomalies that belong to no connection, as they come.
pub fn run_tapped(
    source: &mut dyn PacketSource,
    config: FlowConfig,
    consumer: &mut dyn FlowConsumer,
    mut tap: Option<&mut dyn PacketTap>,
) -> io::Result<RunSummary> {
    let mut net = NetDecoder::new();
    let mut table = FlowTable::new(config);
    let mut summary = RunSummary::default();
    let mut last = At {
        frame: 0,
        ts: Timestamp::default(),
    };
    let mut failure: Option<io::Error> = None;
    loop {
        let packet = match source.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                summary.capture_error = Some(e);
                break;
            }
        };
        summary.frames += 1;
        last = At {
            frame: packet.index,
            ts: packet.ts,
        };
        let membership = match net.decode(&packet) {
            Decoded::Tcp(seg) => {
                table.segment(&seg, &mut |ev| forward(consumer, &mut failure, ev));
                table.membership(seg.src, seg.dst)
            }
            Decoded::Ignored => Membership::Other(None),
            Decoded::Anomaly { name } => {
                table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
                Membership::Other(None)
            }
        };
        if let Some(t) = tap.as_deref_mut() {
            t.packet(&packet, membership)?;
        }
        // Fragment timeouts and evictions found while handling this frame.
        while let Some(name) = net.take_anomaly() {
            table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
        }
        while let Some(n) = source.take_notice() {
            table.anomaly(last, n.name, n.detail, &mut |ev| {
                forward(consumer, &mut failure, ev)
            });
        }
        if let Some(e) = failure.take() {
            return Err(e);
        }
        for e in consumer.take_expectations() {
            table.expect(e);
        }
    }
    net.finish();
    while let Some(n) = source.take_notice() {
        table.anomaly(last, n.name, n.detail, &mut |ev| {
            forward(consumer, &mut failure, ev)
        });
    }
    while let Some(name) = net.take_anomaly() {
        table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
    }
    table.finish(last, &mut |ev| forward(consumer, &mut failure, ev));
    if let Some(e) = failure.take() {
        return Err(e);
    }
    if let Some(t) = tap {
        t.finish()?;
    }
    summary.msn_connections = table.msn_connections();
    Ok(summary)
}

/// Passes one event on, remembering the consumer's first failure.
fn forward(consumer: &mut dyn FlowConsumer, failure: &mut Option<io::Error>, ev: FlowEvent<'_>) {
    if failure.is_none()
        && let Err(e) = consumer.event(&ev)
    {
        *failure = Some(e);
    }
}
