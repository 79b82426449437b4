//! `msnsniff live` and `msnsniff interfaces`, run for real (issue 10).
//!
//! The main test captures on the loopback interface while a small notification server and
//! switchboard, written here, talk MSNP8 with a client over real TCP sockets on 127.0.0.1.
//! The switchboard listens on a second free port that only its `XFR` announcement names, so
//! it is found the way it would be on a real network. Two msnsniff processes watch the same
//! exchange (one printing the dialogue, with `--stats`, `--transcripts` and `-w` of every
//! packet; one printing JSON, with `-w --write-msn-only`), are stopped with SIGINT, and must
//! exit 0 with both connections decoded; both written files, read back with `msnsniff read`,
//! must give the same commands.
//!
//! Capturing needs the right to (root, or cap_net_raw): where this process has it not, the
//! capture tests say why and return, and the permission test runs instead (CI runs as root,
//! so there the capture tests run and the permission test drops its rights with setpriv).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_msnsniff");
const COOKIE: &str = "17262740.1050826919.32308";

/// Held by each test that sends MSNP over loopback: a live capture sees all of it (it finds
/// MSNP by its first bytes too), so two such tests at once would see each other's traffic.
static LOOPBACK_MSNP: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn loopback_msnp() -> std::sync::MutexGuard<'static, ()> {
    LOOPBACK_MSNP
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
const TEXT: &str = "hello over loopback";

/// Why this process may not capture on `lo`, if it may not.
fn cannot_capture() -> Option<String> {
    match pcap::Capture::from_device("lo").and_then(|c| c.open()) {
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
}

/// A running `msnsniff live`, with its stderr read line by line on a thread.
struct Live {
    child: Child,
    stderr: mpsc::Receiver<String>,
    stderr_lines: Vec<String>,
}

impl Live {
    /// Starts msnsniff and waits for its "listening on" line (capture has begun by then).
    fn start(args: &[&str]) -> Live {
        let mut child = Command::new(BIN)
            .arg("live")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start msnsniff live");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut live = Live {
            child,
            stderr: rx,
            stderr_lines: Vec::new(),
        };
        let line = live
            .stderr
            .recv_timeout(Duration::from_secs(20))
            .expect("msnsniff live did not say it is listening");
        assert!(line.starts_with("msnsniff: listening on lo"), "{line}");
        live.stderr_lines.push(line);
        live
    }

    /// Sends SIGINT and collects what it printed and how it exited.
    fn interrupt(self) -> (Output, Vec<String>) {
        self.interrupt_with(Some(libc::SIGINT))
    }

    /// Sends `signal` (none: it was sent already) and collects what it printed and how it
    /// exited.
    fn interrupt_with(mut self, signal: Option<libc::c_int>) -> (Output, Vec<String>) {
        let pid = self.child.id() as libc::pid_t;
        if let Some(signal) = signal {
            // SAFETY: signalling a child this test started and has not yet waited for.
            unsafe {
                libc::kill(pid, signal);
            }
        }
        let mut stdout = Vec::new();
        self.child
            .stdout
            .take()
            .expect("stdout")
            .read_to_end(&mut stdout)
            .expect("read stdout");
        let status = self.child.wait().expect("wait");
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(5)) {
            self.stderr_lines.push(line);
        }
        (
            Output {
                status,
                stdout,
                stderr: Vec::new(),
            },
            self.stderr_lines,
        )
    }
}

/// Reads one CRLF line (without its end) from a peer.
fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    r.read_line(&mut s).expect("read line");
    s.trim_end_matches("\r\n").to_string()
}

/// The notification server: answers VER, CVR, USR (TWN I then S) and XFR SB with the
/// switchboard's address, then waits for the client to hang up.
fn notification_server(listener: TcpListener, sb_port: u16) {
    let (stream, _) = listener.accept().expect("accept NS");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    loop {
        let l = line(&mut r);
        let parts: Vec<&str> = l.split(' ').collect();
        let reply = match parts.first().copied() {
            Some("VER") => format!("VER {} MSNP8 CVR0", parts[1]),
            Some("CVR") => format!(
                "CVR {} 6.0.0602 6.0.0602 1.0.0000 http://download.example/msn.exe http://messenger.example",
                parts[1]
            ),
            Some("USR") if parts[3] == "I" => format!(
                "USR {} TWN S lc=1033,id=507,tw=40,fs=1,ct=1062764229,kpp=1,kv=5,ver=2.1.0173.1",
                parts[1]
            ),
            Some("USR") => format!("USR {} OK alice@example.com Alice 1 0", parts[1]),
            Some("XFR") => format!("XFR {} SB 127.0.0.1:{sb_port} CKI {COOKIE}", parts[1]),
            Some("OUT") | None | Some("") => break,
            Some(other) => panic!("the NS got {other}"),
        };
        w.write_all(format!("{reply}\r\n").as_bytes())
            .expect("NS write");
    }
}

/// The switchboard: USR with the cookie, CAL answered by RINGING and bob's JOI, a MSG
/// acknowledged with ACK, then OUT.
fn switchboard(listener: TcpListener) {
    let (stream, _) = listener.accept().expect("accept SB");
    let mut w = stream.try_clone().expect("clone");
    let mut r = BufReader::new(stream);
    loop {
        let l = line(&mut r);
        let parts: Vec<&str> = l.split(' ').collect();
        let reply = match parts.first().copied() {
            Some("USR") => {
                assert_eq!(parts[3], COOKIE);
                format!("USR {} OK alice@example.com Alice", parts[1])
            }
            Some("CAL") => format!(
                "CAL {} RINGING 11752013\r\nJOI bob@example.com Bob",
                parts[1]
            ),
            Some("MSG") => {
                let len: usize = parts[3].parse().expect("length");
                let mut body = vec![0; len];
                r.read_exact(&mut body).expect("payload");
                assert!(String::from_utf8_lossy(&body).ends_with(TEXT));
                format!("ACK {}", parts[1])
            }
            Some("OUT") | None | Some("") => break,
            Some(other) => panic!("the SB got {other}"),
        };
        w.write_all(format!("{reply}\r\n").as_bytes())
            .expect("SB write");
    }
}

/// The client's side of a login, a switchboard request and one message.
fn client(ns_port: u16) {
    let ns = TcpStream::connect(("127.0.0.1", ns_port)).expect("connect NS");
    let mut w = ns.try_clone().expect("clone");
    let mut r = BufReader::new(ns);
    let say = |w: &mut TcpStream, r: &mut BufReader<TcpStream>, l: &str| {
        w.write_all(format!("{l}\r\n").as_bytes()).expect("write");
        line(r)
    };
    say(&mut w, &mut r, "VER 1 MSNP8 CVR0");
    say(
        &mut w,
        &mut r,
        "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com",
    );
    say(&mut w, &mut r, "USR 3 TWN I alice@example.com");
    say(&mut w, &mut r, "USR 4 TWN S t=ticket&p=profile");
    let xfr = say(&mut w, &mut r, "XFR 5 SB");
    let sb_addr = xfr.split(' ').nth(3).expect("address").to_string();

    let sb = TcpStream::connect(&sb_addr).expect("connect SB");
    let mut sw = sb.try_clone().expect("clone");
    let mut sr = BufReader::new(sb);
    say(
        &mut sw,
        &mut sr,
        &format!("USR 1 alice@example.com {COOKIE}"),
    );
    say(&mut sw, &mut sr, "CAL 2 bob@example.com");
    assert!(line(&mut sr).starts_with("JOI bob@example.com"));
    let body =
        format!("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{TEXT}");
    sw.write_all(format!("MSG 3 A {}\r\n{body}", body.len()).as_bytes())
        .expect("MSG");
    assert_eq!(line(&mut sr), "ACK 3");
    sw.write_all(b"OUT\r\n").expect("OUT");
    drop((sw, sr));
    w.write_all(b"OUT\r\n").expect("OUT");
}

/// Runs the whole exchange over loopback: both servers on free ports, the client, done when
/// every socket is closed.
fn exchange(ns: TcpListener, sb: TcpListener) {
    let sb_port = sb.local_addr().expect("addr").port();
    let ns_port = ns.local_addr().expect("addr").port();
    let n = thread::spawn(move || notification_server(ns, sb_port));
    let s = thread::spawn(move || switchboard(sb));
    client(ns_port);
    s.join().expect("switchboard");
    n.join().expect("notification server");
}

fn jsonl(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `(flow, dir, line)` of every command, the line rebuilt from its verb, TrID and
/// parameters (`XFR 5 SB 127.0.0.1:1864 CKI ...`).
fn commands(events: &[Value]) -> Vec<(u64, String, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "command")
        .map(|e| {
            let mut words = vec![e["verb"].as_str().expect("verb").to_string()];
            if let Some(t) = e["trid"].as_u64() {
                words.push(t.to_string());
            }
            for p in e["params"].as_array().expect("params") {
                words.push(p.as_str().expect("param").to_string());
            }
            (
                e["flow"].as_u64().expect("flow"),
                e["dir"].as_str().expect("dir").to_string(),
                words.join(" "),
            )
        })
        .collect()
}

fn read_back(file: &Path, port: u16) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["read", "--format", "jsonl", "--port", &port.to_string()])
        .arg(file)
        .output()
        .expect("run read");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    jsonl(&out.stdout)
}

#[test]
fn live_capture_of_a_real_msnp_exchange_over_loopback() {
    if let Some(why) = cannot_capture() {
        eprintln!("skipped: this process may not capture on lo ({why})");
        return;
    }
    let _alone = loopback_msnp();
    let dir = tempfile::tempdir().expect("tempdir");
    let all = dir.path().join("all.pcap");
    let msn_only = dir.path().join("msn.pcap");
    let transcripts = dir.path().join("transcripts");
    let ns = TcpListener::bind("127.0.0.1:0").expect("bind NS");
    let sb = TcpListener::bind("127.0.0.1:0").expect("bind SB");
    let ns_port = ns.local_addr().expect("addr").port();
    let sb_port = sb.local_addr().expect("addr").port();
    let port = ns_port.to_string();

    // Only the NS port is named: the switchboard must be found through its announcement.
    let dialogue = Live::start(&[
        "-i",
        "lo",
        "--port",
        &port,
        "--color",
        "never",
        "--stats",
        "--transcripts",
        transcripts.to_str().expect("path"),
        "-w",
        all.to_str().expect("path"),
    ]);
    let json = Live::start(&[
        "-i",
        "lo",
        "--port",
        &port,
        "--format",
        "jsonl",
        "-w",
        msn_only.to_str().expect("path"),
        "--write-msn-only",
    ]);
    let started = Instant::now();
    exchange(ns, sb);
    // Let the last packets through the capture (immediate mode: milliseconds).
    thread::sleep(Duration::from_millis(700));
    let (json_out, json_err) = json.interrupt();
    let (dlg_out, dlg_err) = dialogue.interrupt();
    assert!(started.elapsed() < Duration::from_secs(60));

    // Both stopped by SIGINT exit 0, with the final counts.
    assert!(json_out.status.success(), "{json_out:?} {json_err:?}");
    assert!(dlg_out.status.success(), "{dlg_out:?} {dlg_err:?}");
    for err in [&json_err, &dlg_err] {
        let last = err.last().expect("final line");
        assert!(
            last.contains("packets captured, 2 MSN connections"),
            "{err:?}"
        );
        assert!(last.contains("0 dropped by the kernel"), "{err:?}");
    }

    // The JSON: two connections, the NS by its port, the SB by the XFR announcement.
    let events = jsonl(&json_out.stdout);
    let opened: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "connection_opened")
        .collect();
    assert_eq!(opened.len(), 2, "{events:#?}");
    assert_eq!(opened[0]["server"], format!("127.0.0.1:{ns_port}"));
    assert_eq!(opened[0]["detection"]["by"], "port");
    assert_eq!(opened[1]["server"], format!("127.0.0.1:{sb_port}"));
    assert_eq!(opened[1]["detection"]["by"], "announced", "{:#}", opened[1]);
    let cmds = commands(&events);
    let raw: Vec<&str> = cmds.iter().map(|c| c.2.as_str()).collect();
    for expected in [
        "VER 1 MSNP8 CVR0",
        "USR 4 OK alice@example.com Alice 1 0",
        &format!("XFR 5 SB 127.0.0.1:{sb_port} CKI {COOKIE}"),
        "CAL 2 RINGING 11752013",
        "JOI bob@example.com Bob",
        "MSG 3 A 81",
        "ACK 3",
        "OUT",
    ] {
        assert!(
            raw.contains(&expected),
            "{expected:?} missing from {raw:#?}"
        );
    }
    let msg = events
        .iter()
        .find(|e| e["type"] == "command" && e["verb"] == "MSG")
        .expect("the MSG");
    assert_eq!(msg["flow"], 2);
    assert!(msg.to_string().contains(TEXT), "{msg:#}");
    let closed: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "connection_closed")
        .collect();
    assert_eq!(
        closed.len(),
        2,
        "both connections are closed before the end"
    );
    // Both ended with FIN both ways (in whichever order the servers hung up).
    let mut roles: Vec<&str> = closed
        .iter()
        .map(|e| e["role"].as_str().unwrap_or(""))
        .collect();
    roles.sort();
    assert_eq!(roles, ["NS", "SB"]);
    for c in &closed {
        assert_eq!(c["closing"], "fin", "{c:#}");
    }

    // The dialogue: the same exchange in the classic notation, then the stats tables.
    let text = String::from_utf8_lossy(&dlg_out.stdout);
    assert!(text.contains(">>> VER 1 MSNP8 CVR0\\r\\n"), "{text}");
    assert!(
        text.contains(&format!(
            "<<< XFR 5 SB 127.0.0.1:{sb_port} CKI {COOKIE}\\r\\n"
        )),
        "{text}"
    );
    assert!(text.contains("<<< JOI bob@example.com Bob\\r\\n"), "{text}");
    assert!(text.contains(TEXT), "{text}");
    let stats_at = text.find("Connections").expect("the stats tables follow");
    assert!(stats_at > text.find("ACK 3").expect("ACK"), "{text}");

    // The transcripts of the conversation.
    let names: Vec<String> = std::fs::read_dir(&transcripts)
        .expect("transcripts written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n == "index.html"), "{names:?}");
    let txt = names
        .iter()
        .find(|n| n.ends_with(".txt") && n.contains("bob"))
        .unwrap_or_else(|| panic!("no conversation transcript in {names:?}"));
    let body = std::fs::read_to_string(transcripts.join(txt)).expect("read transcript");
    assert!(body.contains(TEXT), "{body}");

    // Written files read back give the same commands: the MSN-only file exactly, and the
    // file of every packet too (other loopback traffic is not MSN).
    assert_eq!(commands(&read_back(&msn_only, ns_port)), cmds);
    assert_eq!(commands(&read_back(&all, ns_port)), cmds);
    // The MSN-only file starts each connection with its SYN.
    let back = read_back(&msn_only, ns_port);
    for e in back.iter().filter(|e| e["type"] == "connection_opened") {
        assert_eq!(e["opening"], "syn", "{e:#}");
    }
}

#[test]
fn live_stops_by_itself_after_a_duration_or_a_count() {
    if let Some(why) = cannot_capture() {
        eprintln!("skipped: this process may not capture on lo ({why})");
        return;
    }
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["live", "-i", "lo", "--duration", "0.5", "--format", "jsonl"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("packets captured"), "{err}");

    // -c: a few packets of a loopback connection are enough.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut child = Command::new(BIN)
        .args(["live", "-i", "lo", "-c", "3", "-q"])
        .args(["--", "port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    // Connect until msnsniff has seen three packets and ended.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "-c 3 did not stop msnsniff");
        let _conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let _ = listener.accept();
        thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn kernel_drops_are_reported_as_anomalies_and_in_the_final_line() {
    if let Some(why) = cannot_capture() {
        eprintln!("skipped: this process may not capture on lo ({why})");
        return;
    }
    // A 1 MiB buffer holds four whole-packet slots: a burst of a thousand segments overflows it.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let live = Live::start(&[
        "-i",
        "lo",
        "--buffer-size",
        "1",
        "--format",
        "jsonl",
        "--",
        "port",
        &port.to_string(),
    ]);
    let reader = thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_nodelay(true).expect("nodelay");
    for i in 0..2000 {
        conn.write_all(format!("PNG {i}\r\n").as_bytes())
            .expect("write");
    }
    drop(conn);
    reader.join().expect("reader");
    thread::sleep(Duration::from_millis(1500));
    let (out, err) = live.interrupt();
    assert!(out.status.success(), "{out:?} {err:?}");
    let last = err.last().expect("final line");
    let dropped: u64 = last
        .split(", ")
        .find_map(|part| part.strip_suffix(" dropped by the kernel"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no drop count in {last}"));
    assert!(
        dropped > 0,
        "the burst should overflow a 1 MiB buffer: {last}"
    );
    // Each report is an anomaly event with no connection; their counts add up to the total.
    let reported: u64 = jsonl(&out.stdout)
        .iter()
        .filter(|e| e["type"] == "anomaly" && e["name"] == "capture.dropped")
        .map(|e| {
            assert_eq!(e["flow"], Value::Null);
            let detail = e["detail"].as_str().expect("detail");
            detail
                .split(' ')
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .expect("count first")
        })
        .sum();
    assert_eq!(reported, dropped, "{last}");
}

#[test]
fn sigterm_stops_cleanly_and_a_second_signal_ends_at_once() {
    if let Some(why) = cannot_capture() {
        eprintln!("skipped: this process may not capture on lo ({why})");
        return;
    }
    let live = Live::start(&["-i", "lo", "--", "port", "1"]);
    let pid = live.child.id() as libc::pid_t;
    // SAFETY: signalling a child this test started and has not yet waited for.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let (out, err) = live.interrupt_with(None);
    assert!(out.status.success(), "{out:?} {err:?}");
    assert!(
        err.last().expect("final").contains("packets captured"),
        "{err:?}"
    );

    // Two different signals cannot merge into one: the second finds the stop already asked
    // for and ends the process at once, as 128 + SIGINT.
    let live = Live::start(&["-i", "lo", "--", "port", "1"]);
    let pid = live.child.id() as libc::pid_t;
    // SAFETY: as above.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
        libc::kill(pid, libc::SIGINT);
    }
    let (out, _) = live.interrupt_with(None);
    assert_eq!(out.status.code(), Some(130), "{out:?}");
}

#[test]
fn interfaces_lists_the_loopback_device() {
    let out = Command::new(BIN).arg("interfaces").output().expect("run");
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("lo "), "{table}");
    assert!(table.contains("loopback"), "{table}");

    let out = Command::new(BIN)
        .args(["interfaces", "--format", "json"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    let lo = list
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["name"] == "lo")
        .expect("lo listed");
    assert!(
        lo["flags"]
            .as_array()
            .expect("flags")
            .contains(&"loopback".into())
    );
    assert!(
        lo["addresses"]
            .as_array()
            .expect("addresses")
            .contains(&"127.0.0.1".into())
    );
}

#[test]
fn an_unknown_interface_is_named_with_the_valid_ones() {
    let out = Command::new(BIN)
        .args(["live", "-i", "nosuch0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("msnsniff: nosuch0: no such interface (interfaces: "),
        "{err}"
    );
    assert!(err.contains("lo"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_bad_filter_is_reported_in_libpcaps_words() {
    // Checked before the device is opened: the same answer with or without capture rights.
    let out = Command::new(BIN)
        .args(["live", "-i", "lo", "--", "port"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("msnsniff: lo: bad filter expression `port`: ")
            && err.contains("syntax error"),
        "{err}"
    );
}

#[test]
fn no_permission_names_the_capability_to_grant() {
    // Without capture rights the binary says so; as root, setpriv takes them away.
    let mut cmd = if cannot_capture().is_some() {
        Command::new(BIN)
    } else if Path::new("/usr/bin/setpriv").exists() {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            BIN,
        ]);
        c
    } else {
        eprintln!("skipped: running with capture rights and no setpriv to drop them");
        return;
    };
    let out = cmd.args(["live", "-i", "lo"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no permission to capture"), "{err}");
    assert!(
        err.contains("setcap cap_net_raw,cap_net_admin=eip $(command -v msnsniff)"),
        "{err}"
    );
}

#[test]
fn an_interface_going_down_ends_the_run_with_exit_2() {
    // In a network namespace of its own, on a veth pair made for the test.
    if cannot_capture().is_some() {
        eprintln!("skipped: this process may not capture (and may not make a namespace)");
        return;
    }
    let script = format!(
        "ip link add msnv0 type veth peer name msnv1 || exit 77; \
         ip link set msnv0 up; ip link set msnv1 up; \
         {BIN} live -i msnv0 -q & pid=$!; sleep 1; ip link set msnv0 down; wait $pid"
    );
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output();
    let Ok(out) = out else {
        eprintln!("skipped: unshare is not installed");
        return;
    };
    if out.status.code() == Some(77) || String::from_utf8_lossy(&out.stderr).contains("unshare") {
        eprintln!(
            "skipped: no network namespace here ({})",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("msnsniff: msnv0: the interface went down"),
        "{err}"
    );
}

#[test]
fn live_redact_hides_the_switchboard_cookie_and_still_follows_the_switchboard() {
    if let Some(why) = cannot_capture() {
        eprintln!("skipped: this process may not capture on lo ({why})");
        return;
    }
    let _alone = loopback_msnp();
    let ns = TcpListener::bind("127.0.0.1:0").expect("bind NS");
    let sb = TcpListener::bind("127.0.0.1:0").expect("bind SB");
    let port = ns.local_addr().expect("addr").port().to_string();
    let live = Live::start(&[
        "-i",
        "lo",
        "--port",
        &port,
        "--format",
        "jsonl",
        "--redact-handles",
    ]);
    exchange(ns, sb);
    thread::sleep(Duration::from_millis(700));
    let (out, err) = live.interrupt();
    assert!(out.status.success(), "{out:?} {err:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(COOKIE), "{text}");
    assert!(!text.contains("alice@example.com") && !text.contains("bob@example.com"));
    assert!(text.contains("redacted:") && text.contains("user-1@redacted"));
    // The switchboard, found by its announcement, is decoded: the message text stays.
    let events = jsonl(&out.stdout);
    let opened = events
        .iter()
        .filter(|e| e["type"] == "connection_opened")
        .count();
    assert_eq!(opened, 2, "{text}");
    assert!(text.contains(TEXT));
}
