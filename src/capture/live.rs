//! Live capture from a network interface, through libpcap by way of the `pcap` crate.
//!
//! Why a module of its own: a live source has concerns a file has not. It must hand each
//! packet over as soon as it arrives (immediate mode), stop by itself (a signal, a packet
//! count, a duration) without losing what was captured, and say when the kernel or the
//! interface dropped packets. It guarantees:
//!
//! - **What the kernel keeps.** The filter installed in the kernel is [`KERNEL_FILTER`] (all
//!   of TCP), narrowed by the user's own BPF expression when one is given. Which connections
//!   are MSN is decided above, by the flow table (port, announced address, first bytes), so a
//!   switchboard or file transfer the protocol announces on any port is never dropped by the
//!   kernel before its announcement has been read.
//! - **Prompt delivery.** Immediate mode, and non-blocking reads with a wait of at most
//!   [`POLL_INTERVAL`] on the capture's descriptor, so that a stop request (a signal ends the
//!   wait at once) is seen even when no packet comes.
//! - **Stopping.** The source ends (returns `Ok(None)`) when the shared stop flag is set (by
//!   the caller's signal handler), after `count` packets, or after `duration` of wall time.
//!   Everything captured before is handed over first.
//! - **Drops are reported.** libpcap's counters are read at most every [`STATS_INTERVAL`];
//!   an increase becomes a [`SourceNotice`] named `capture.dropped`, and [`LiveSource::stats`]
//!   gives the totals for the final line.
//! - **Clear errors.** Opening fails with one line naming the cause: no permission (and the
//!   capability to grant), no such interface (and the valid ones), a bad filter expression
//!   (libpcap's words), an interface that is down. An interface that goes down while
//!   capturing ends the run with an error after everything before it was output.

use super::{CaptureError, LinkType, PacketSource, RawPacket, SourceNotice, Timestamp};
use pcap::{Active, Capture, Device, Precision};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the kernel is asked to keep: every TCP segment, and IPv6 fragments (whose first
/// header is not TCP). Narrower filters would drop the switchboard and file-transfer
/// connections the protocol announces on ports nobody knows in advance.
pub const KERNEL_FILTER: &str = "tcp or (ip6 and ip6[6] == 44)";

/// The longest the source waits for a packet before looking at the stop flag, the deadline
/// and the drop counters again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How often libpcap's drop counters are read.
pub const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// The default snapshot length: whole packets, as tcpdump's default.
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// The default kernel buffer, in MiB. libpcap's 2 MiB holds only eight whole-packet slots
/// at the default snaplen in immediate mode (each packet gets a slot of its own), so a burst
/// of a few packets was enough to make the kernel drop some; 32 MiB holds 128.
pub const DEFAULT_BUFFER_MIB: u32 = 32;

/// How to capture.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// The interface; `None` takes libpcap's default device.
    pub interface: Option<String>,
    pub promisc: bool,
    pub snaplen: u32,
    /// The kernel's capture buffer, in MiB ([`DEFAULT_BUFFER_MIB`]).
    pub buffer_mib: u32,
    /// The user's BPF expression, if any; it narrows [`KERNEL_FILTER`].
    pub filter: Option<String>,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Stop after this much wall time.
    pub duration: Option<Duration>,
    /// Set (by a signal handler) to stop.
    pub stop: Arc<AtomicBool>,
}

/// Packet counters at the end of a live run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets handed to the analyzer.
    pub captured: u64,
    /// Dropped by the kernel because the buffer was full.
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// A network interface, as `msnsniff interfaces` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub description: Option<String>,
    /// Addresses, as text (IPv4 and IPv6).
    pub addresses: Vec<String>,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    pub wireless: bool,
}

/// Every interface libpcap can capture on.
pub fn interfaces() -> Result<Vec<Interface>, CaptureError> {
    let devices = Device::list().map_err(|e| CaptureError {
        source: "interfaces".into(),
        message: libpcap_words(&e),
    })?;
    Ok(devices
        .into_iter()
        .map(|d| Interface {
            addresses: d.addresses.iter().map(|a| a.addr.to_string()).collect(),
            up: d.flags.is_up(),
            running: d.flags.is_running(),
            loopback: d.flags.is_loopback(),
            wireless: d.flags.is_wireless(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}

/// A live capture in progress.
pub struct LiveSource {
    cap: Capture<Active>,
    name: String,
    linktype: LinkType,
    opts: LiveOptions,
    started: Instant,
    last_stats: Instant,
    stats: LiveStats,
    notices: std::collections::VecDeque<SourceNotice>,
    buf: Vec<u8>,
    failed: bool,
    /// Whether the interface was up when the capture started (the pseudo-device `any` and
    /// the like have no such flag, and are never taken for down).
    was_up: bool,
}

impl LiveSource {
    /// Opens the interface and installs the filter. Every failure is one line, ready for the
    /// user.
    pub fn open(opts: LiveOptions) -> Result<LiveSource, CaptureError> {
        let known = interfaces()?;
        let name = match &opts.interface {
            Some(name) => {
                if !known.iter().any(|i| &i.name == name) {
                    let names: Vec<&str> = known.iter().map(|i| i.name.as_str()).collect();
                    return Err(CaptureError {
                        source: name.clone(),
                        message: format!("no such interface (interfaces: {})", names.join(", ")),
                    });
                }
                name.clone()
            }
            None => match Device::lookup() {
                Ok(Some(d)) => d.name,
                Ok(None) => {
                    return Err(CaptureError {
                        source: "live".into(),
                        message:
                            "no capture device found; name one with -i (see `msnsniff interfaces`)"
                                .into(),
                    });
                }
                Err(e) => return Err(open_error("live", &e)),
            },
        };
        let expr = kernel_filter(opts.filter.as_deref());
        check_filter(&name, opts.filter.as_deref())?;
        let inactive = Capture::from_device(name.as_str()).map_err(|e| open_error(&name, &e))?;
        let mut cap = inactive
            .promisc(opts.promisc)
            .snaplen(i32::try_from(opts.snaplen).unwrap_or(i32::MAX))
            .immediate_mode(true)
            .buffer_size(i32::try_from(opts.buffer_mib.saturating_mul(1 << 20)).unwrap_or(i32::MAX))
            .timeout(POLL_INTERVAL.as_millis() as i32)
            .precision(Precision::Nano)
            .open()
            .map_err(|e| open_error(&name, &e))?;
        cap.filter(&expr, true)
            .map_err(|e| filter_error(&name, opts.filter.as_deref(), &e))?;
        // Non-blocking, with our own wait on the descriptor (`wait_readable`): libpcap's own
        // read timeout is not honoured in immediate mode on Linux, and a blocked read would
        // never see the stop flag.
        let cap = cap.setnonblock().map_err(|e| open_error(&name, &e))?;
        let linktype = LinkType::from_dlt(cap.get_datalink().0);
        let was_up = known.iter().any(|i| i.name == name && i.up);
        let now = Instant::now();
        Ok(LiveSource {
            cap,
            name,
            linktype,
            opts,
            started: now,
            last_stats: now,
            stats: LiveStats::default(),
            notices: std::collections::VecDeque::new(),
            buf: Vec::new(),
            failed: false,
            was_up,
        })
    }

    /// The interface being captured.
    pub fn interface(&self) -> &str {
        &self.name
    }

    /// The link-layer header type, as libpcap names it (`EN10MB`), with its description.
    pub fn link_description(&self) -> String {
        let dl = self.cap.get_datalink();
        match (dl.get_name(), dl.get_description()) {
            (Ok(n), Ok(d)) => format!("{n} ({d})"),
            (Ok(n), Err(_)) => n,
            _ => format!("DLT {}", dl.0),
        }
    }

    /// A savefile (pcap, nanosecond stamps) with this capture's link type and snaplen.
    pub fn savefile(&self, path: &std::path::Path) -> Result<pcap::Savefile, CaptureError> {
        self.cap.savefile(path).map_err(|e| CaptureError {
            source: path.display().to_string(),
            message: libpcap_words(&e),
        })
    }

    /// The counters so far (read afresh from libpcap).
    pub fn stats(&mut self) -> LiveStats {
        self.poll_stats();
        self.stats
    }

    fn should_stop(&self) -> bool {
        self.opts.stop.load(Ordering::SeqCst)
            || self.opts.count.is_some_and(|n| self.stats.captured >= n)
            || self
                .opts
                .duration
                .is_some_and(|d| self.started.elapsed() >= d)
    }

    /// Whether the interface, up when the capture started, is down now. libpcap goes on
    /// waiting on an interface that was merely taken down (it may come back); msnsniff ends
    /// the run instead, since nothing more will be captured.
    fn went_down(&self) -> bool {
        if !self.was_up {
            return false;
        }
        match Device::list() {
            Ok(list) => list
                .iter()
                .find(|d| d.name == self.name)
                .is_none_or(|d| !d.flags.is_up()),
            Err(_) => false,
        }
    }

    /// Reads libpcap's counters; an increase of the drops becomes a notice.
    fn poll_stats(&mut self) {
        self.last_stats = Instant::now();
        let Ok(s) = self.cap.stats() else {
            return;
        };
        let (dropped, if_dropped) = (u64::from(s.dropped), u64::from(s.if_dropped));
        let (new, new_if) = (
            dropped.saturating_sub(self.stats.dropped),
            if_dropped.saturating_sub(self.stats.if_dropped),
        );
        if new > 0 || new_if > 0 {
            self.notices.push_back(SourceNotice {
                name: "capture.dropped",
                detail: format!(
                    "{new} packets dropped by the kernel and {new_if} by the interface since \
                     the last report ({dropped} and {if_dropped} in all); reassembly will show \
                     gaps"
                ),
            });
        }
        self.stats.dropped = self.stats.dropped.max(dropped);
        self.stats.if_dropped = self.stats.if_dropped.max(if_dropped);
    }
}

impl PacketSource for LiveSource {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        loop {
            if self.failed {
                return Ok(None);
            }
            if self.should_stop() {
                // The last counts, so that drops since the last report are reported too.
                self.poll_stats();
                self.failed = true;
                return Ok(None);
            }
            if self.last_stats.elapsed() >= STATS_INTERVAL {
                self.poll_stats();
                if self.went_down() {
                    self.failed = true;
                    return Err(CaptureError {
                        source: self.name.clone(),
                        message: "the interface went down".into(),
                    });
                }
            }
            let read = match self.cap.next_packet() {
                Ok(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(p.data);
                    Ok((p.header.ts, p.header.len))
                }
                Err(e) => Err(e),
            };
            match read {
                Ok((ts, origlen)) => {
                    self.stats.captured += 1;
                    return Ok(Some(RawPacket {
                        index: self.stats.captured,
                        ts: Timestamp::new(
                            ts.tv_sec,
                            u32::try_from(ts.tv_usec.clamp(0, 999_999_999)).unwrap_or(0),
                        ),
                        linktype: self.linktype,
                        data: &self.buf,
                        origlen,
                    }));
                }
                Err(pcap::Error::TimeoutExpired) => {
                    wait_readable(&self.cap, POLL_INTERVAL);
                    continue;
                }
                Err(e) => {
                    self.failed = true;
                    return Err(read_error(&self.name, &e));
                }
            }
        }
    }

    fn take_notice(&mut self) -> Option<SourceNotice> {
        self.notices.pop_front()
    }
}

/// Waits until the capture has something to read, a signal arrives, or `limit` passes.
fn wait_readable(cap: &Capture<Active>, limit: Duration) {
    use std::os::fd::AsRawFd;
    let mut fds = libc::pollfd {
        fd: cap.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call. An error (EINTR when a signal
    // arrives) just ends the wait; the caller looks at the stop flag and reads again.
    unsafe {
        libc::poll(&mut fds, 1, limit.as_millis() as libc::c_int);
    }
}

/// The filter installed in the kernel: [`KERNEL_FILTER`], narrowed by the user's expression.
pub fn kernel_filter(user: Option<&str>) -> String {
    match user {
        Some(u) if !u.trim().is_empty() => format!("({KERNEL_FILTER}) and ({u})"),
        _ => KERNEL_FILTER.to_string(),
    }
}

/// Compiles the user's expression for Ethernet before the device is opened, so that a typo
/// is reported as such even without the right to capture.
fn check_filter(name: &str, user: Option<&str>) -> Result<(), CaptureError> {
    let Some(user) = user else {
        return Ok(());
    };
    let Ok(dead) = Capture::dead(pcap::Linktype::ETHERNET) else {
        return Ok(());
    };
    dead.compile(&kernel_filter(Some(user)), true)
        .map(|_| ())
        .map_err(|e| filter_error(name, Some(user), &e))
}

fn filter_error(name: &str, user: Option<&str>, e: &pcap::Error) -> CaptureError {
    CaptureError {
        source: name.to_string(),
        message: format!(
            "bad filter expression `{}`: {}",
            user.unwrap_or_default(),
            libpcap_words(e)
        ),
    }
}

/// libpcap's message without the crate's prefix.
fn libpcap_words(e: &pcap::Error) -> String {
    let s = e.to_string();
    s.strip_prefix("libpcap error: ").unwrap_or(&s).to_string()
}

/// Whether libpcap's words mean the process may not capture.
fn is_permission(words: &str) -> bool {
    let w = words.to_ascii_lowercase();
    w.contains("permission") || w.contains("not permitted") || w.contains("cap_net_raw")
}

/// An error opening the device, in one line naming the cause.
fn open_error(name: &str, e: &pcap::Error) -> CaptureError {
    let words = libpcap_words(e);
    let message = if is_permission(&words) {
        format!(
            "no permission to capture ({words}); run as root, or grant the capabilities: \
             sudo setcap cap_net_raw,cap_net_admin=eip $(command -v msnsniff)"
        )
    } else if words.to_ascii_lowercase().contains("not up") {
        format!("the interface is down ({words})")
    } else {
        words
    };
    CaptureError {
        source: name.to_string(),
        message,
    }
}

/// An error while capturing: the interface going down or away is said plainly.
fn read_error(name: &str, e: &pcap::Error) -> CaptureError {
    let words = libpcap_words(e);
    let lower = words.to_ascii_lowercase();
    let message = if lower.contains("went down") || lower.contains("network is down") {
        "the interface went down".to_string()
    } else if lower.contains("disappeared") || lower.contains("no such device") {
        "the interface disappeared".to_string()
    } else {
        words
    };
    CaptureError {
        source: name.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_filter_keeps_all_of_tcp_and_narrows_with_the_users() {
        assert_eq!(kernel_filter(None), KERNEL_FILTER);
        assert_eq!(kernel_filter(Some("  ")), KERNEL_FILTER);
        assert_eq!(
            kernel_filter(Some("host 10.0.0.7")),
            "(tcp or (ip6 and ip6[6] == 44)) and (host 10.0.0.7)"
        );
    }

    #[test]
    fn permission_errors_name_the_capability() {
        let e = open_error(
            "eth0",
            &pcap::Error::PcapError("socket: Operation not permitted".into()),
        );
        assert!(e.message.contains("no permission"), "{e}");
        assert!(e.message.contains("setcap cap_net_raw,cap_net_admin=eip"));
        let e = open_error(
            "eth0",
            &pcap::Error::PcapError("eth0: That device is not up".into()),
        );
        assert!(e.message.starts_with("the interface is down"), "{e}");
        let e = read_error(
            "eth0",
            &pcap::Error::PcapError("The interface went down".into()),
        );
        assert_eq!(e.message, "the interface went down");
    }
}
