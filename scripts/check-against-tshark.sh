#!/usr/bin/env bash
# Compares `msnsniff flows --dump` with tshark's own TCP reassembly (`-z follow,tcp,raw`),
# byte for byte, for every MSN connection msnsniff finds in CAPTURE.
#
# usage: scripts/check-against-tshark.sh CAPTURE [msnsniff flags...]
# Needs tshark and python3. Prints one line per connection and exits non-zero on a mismatch.
set -euo pipefail
cap=${1:?usage: $0 CAPTURE [msnsniff flags...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MSNSNIFF:-$here/target/release/msnsniff}
[ -x "$bin" ] || (cd "$here" && cargo build --release -q)
command -v tshark >/dev/null || { echo "tshark not found (apt-get install tshark)"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set +e
"$bin" flows --format jsonl --dump "$tmp/dump" "$@" "$cap" >"$tmp/flows.jsonl"
rc=$?
set -e
[ $rc -le 1 ] || { echo "msnsniff failed ($rc)"; exit 2; }
python3 - "$cap" "$tmp" <<'PY'
import json, re, subprocess, sys
cap, tmp = sys.argv[1], sys.argv[2]
flows = [json.loads(l) for l in open(f"{tmp}/flows.jsonl")]
bad = 0
for f in flows:
    stream = subprocess.run(
        ["tshark", "-r", cap, "-Y", f"frame.number=={f['first_frame']}", "-T", "fields", "-e", "tcp.stream"],
        capture_output=True, text=True).stdout.strip()
    if not stream:
        print(f"flow {f['id']}: tshark has no TCP stream at frame {f['first_frame']}"); bad += 1; continue
    out = subprocess.run(["tshark", "-r", cap, "-q", "-z", f"follow,tcp,raw,{stream}"],
                         capture_output=True, text=True).stdout.splitlines()
    nodes, data = {}, {0: bytearray(), 1: bytearray()}
    for line in out:
        if line.startswith("Node "):
            n, addr = line[5:].split(": ", 1)
            nodes[int(n)] = addr.strip()
        elif line and not line.startswith(("=", "Follow", "Filter")):
            node = 1 if line.startswith("\t") else 0
            data[node] += bytes.fromhex(line.strip())
    def norm(a):  # tshark prints IPv6 nodes as [addr]:port too
        return a.replace("[", "").replace("]", "")
    client = norm(f["client"])
    cnode = 0 if norm(nodes.get(0, "")) == client else 1
    ours_c = open(f"{tmp}/dump/{f['id']}.client", "rb").read()
    ours_s = open(f"{tmp}/dump/{f['id']}.server", "rb").read()
    # tshark writes a "[N bytes missing in capture file]" marker where we leave a gap out.
    marker = re.compile(rb"\[\d+ bytes missing in capture file\]\x00?")
    theirs_c = marker.sub(b"", bytes(data[cnode]))
    theirs_s = marker.sub(b"", bytes(data[1 - cnode]))
    ok = ours_c == theirs_c and ours_s == theirs_s
    gaps = f" gaps={f['gap_count']}" if f["gap_count"] else ""
    print(f"flow {f['id']} (tcp.stream {stream}) {f['client']} -> {f['server']}: "
          f"client {len(ours_c)}/{len(theirs_c)} B, server {len(ours_s)}/{len(theirs_s)} B: "
          f"{'same' if ok else 'DIFFERENT'}{gaps}")
    bad += not ok
print(f"{len(flows) - bad} of {len(flows)} connections identical to tshark")
sys.exit(1 if bad else 0)
PY
