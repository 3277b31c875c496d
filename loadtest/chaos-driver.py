#!/usr/bin/env python3
"""Clients for loadtest/chaos.sh, on the PostgreSQL wire protocol itself (TLS, cleartext password = the token,
simple Query), so that each client knows its own TCP port and can ask HAProxy which node its session went to.

  chaos-driver.py load EVENTS HOST PORT HAPROXY_SOCKET TOKEN_FILE CLIENTS STOP_FILE
      CLIENTS sessions through HAProxy, each running tagged point selects one after another until STOP_FILE exists;
      after an error a client logs in again. One login probe (a fresh session, SELECT 1, closed) every 150 ms.
      Every outcome is a JSON line in EVENTS: {t (ms), kind, client, node, tag, code, msg}.
  chaos-driver.py watch HOST PORT[,PORT…] TOKEN_FILE SECONDS
      Opens one session on each port, prints "ready", then prints "closed PORT MS" as each session is ended by the
      gateway (by a revocation), or "open PORT" for those still open after SECONDS.
  chaos-driver.py report EVENTS PHASES AUDIT_TAGS
      chaos.sh's report: per phase, the client errors by node and SQLSTATE, the time until logins succeed again, the
      membership and revocation figures chaos.sh measured; then the audit reconciliation. A line "FAILED: …" per
      failed check, exit 1 when there is one.
Nothing here prints or logs a token.
"""
import json, os, socket, ssl, struct, sys, threading, time

def now_ms():
    return int(time.time() * 1000)

class PgError(Exception):
    def __init__(self, code, msg):
        super().__init__(f"{code} {msg}")
        self.code, self.msg = code, msg

class Session:
    def __init__(self, host, port, timeout):
        self.raw = socket.create_connection((host, port), timeout=timeout)
        self.local_port = self.raw.getsockname()[1]

    def login(self, token):
        raw = self.raw
        try:
            raw.sendall(struct.pack("!ii", 8, 80877103))  # SSLRequest
            if raw.recv(1) != b"S":
                raise PgError("08P01", "TLS refused")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # sslmode=require: the local cluster's certificate is self-signed
            self.sock = ctx.wrap_socket(raw)
        except BaseException:
            raw.close()
            raise
        self.buf = b""
        try:
            self._startup(token)
        except BaseException:
            self.sock.close()
            raise

    def _startup(self, token):
        params = b"user\0chaos-agent\0database\0demo\0application_name\0chaos\0\0"
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        while True:
            code, body = self.read()
            if code == b"R":
                kind = struct.unpack("!i", body[:4])[0]
                if kind == 3:
                    pw = token.encode() + b"\0"
                    self.sock.sendall(b"p" + struct.pack("!i", 4 + len(pw)) + pw)
                elif kind != 0:
                    raise PgError("28000", f"unexpected authentication request {kind}")
            elif code == b"Z":
                return

    def read(self):
        while True:
            if len(self.buf) >= 5:
                length = struct.unpack("!i", self.buf[1:5])[0]
                if len(self.buf) >= 1 + length:
                    code, body = self.buf[:1], self.buf[5:1 + length]
                    self.buf = self.buf[1 + length:]
                    if code == b"E":
                        fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
                        raise PgError(fields.get(b"C", "?????"), fields.get(b"M", ""))
                    return code, body
            chunk = self.sock.recv(65536)
            if not chunk:
                raise PgError("EOF", "connection closed by the server")
            self.buf += chunk

    def query(self, sql):
        q = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(q)) + q)
        error = None
        while True:
            try:
                code, _ = self.read()
            except PgError as e:
                if e.code == "EOF" or error is not None:
                    raise error or e
                error = e  # an ErrorResponse is followed by ReadyForQuery, unless the server ends the session
                continue
            if code == b"Z":
                if error:
                    raise error
                return

    def close(self):
        try:
            self.sock.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.sock.close()

class HaproxyNodes:
    """Maps a client's TCP port to the HAProxy server its session was given (`show sess`)."""
    def __init__(self, path):
        self.path, self.known, self.lock = path, {}, threading.Lock()

    def refresh(self):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(3)
            s.connect(self.path)
            s.sendall(b"show sess\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
            s.close()
        except OSError:
            return
        with self.lock:
            for line in out.decode(errors="replace").splitlines():
                parts = dict(p.split("=", 1) for p in line.split() if "=" in p)
                if parts.get("be") == "gateway_postgres" and parts.get("srv", "<none>") != "<none>":
                    self.known[int(parts["src"].rsplit(":", 1)[1])] = parts["srv"]

    def node(self, port):
        with self.lock:
            return self.known.get(port)

def load(events_path, host, port, sock_path, token_file, clients, stop_file):
    port, clients = int(port), int(clients)
    nodes = HaproxyNodes(sock_path)
    out = open(events_path, "a", buffering=1)
    out_lock = threading.Lock()
    stop = threading.Event()

    def token():
        with open(token_file) as f:
            return f.read().strip()

    def event(**e):
        e["t"] = now_ms()
        with out_lock:
            out.write(json.dumps(e) + "\n")

    def node_of(local_port):
        n = nodes.node(local_port)
        if n is None:
            nodes.refresh()
            n = nodes.node(local_port)
        return n

    def client(c):
        seq = 0
        while not stop.is_set():
            s = None
            try:
                s = Session(host, port, 120)
                s.login(token())
            except (PgError, OSError) as e:
                event(kind="login_error", client=c, node=node_of(s.local_port) if s else None,
                      code=getattr(e, "code", "NET"), msg=str(e)[:200])
                stop.wait(0.2)
                continue
            node = node_of(s.local_port)
            event(kind="login", client=c, node=node, lport=s.local_port)
            try:
                while not stop.is_set():
                    seq += 1
                    tag = f"c{c}n{seq}"
                    # The tag is a column alias: the audit keeps identifiers (literals become $n, comments are emptied).
                    s.query(f"SELECT id, name AS chaos_{tag} FROM customers WHERE id = 1")
                    event(kind="ack", client=c, node=node, tag=tag)
            except (PgError, OSError) as e:
                event(kind="error", client=c, node=node or node_of(s.local_port), tag=tag,
                      code=getattr(e, "code", "NET"), msg=str(e)[:200])
            finally:
                s.close()

    def probe():
        while not stop.is_set():
            started = time.monotonic()
            s = None
            try:
                s = Session(host, port, 10)
                s.login(token())
                try:
                    s.query("SELECT 1")
                finally:
                    s.close()
                event(kind="probe_ok", node=nodes.node(s.local_port))
            except (PgError, OSError) as e:
                event(kind="probe_error", node=node_of(s.local_port) if s else None, code=getattr(e, "code", "NET"),
                      msg=str(e)[:200])
            stop.wait(max(0.0, 0.15 - (time.monotonic() - started)))

    def sampler():  # keeps the port→node map fresh, so an error is attributed even when its session is gone
        while not stop.is_set():
            nodes.refresh()
            stop.wait(0.2)

    threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
    threads += [threading.Thread(target=probe, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for t in threads:
        t.start()
    while not os.path.exists(stop_file):
        time.sleep(0.1)
    stop.set()
    deadline = time.monotonic() + 30
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    event(kind="stopped")

def watch(host, ports, token_file, seconds):
    with open(token_file) as f:
        token = f.read().strip()
    sessions = {}
    for p in ports.split(","):
        sessions[int(p)] = Session(host, int(p), float(seconds))
        sessions[int(p)].login(token)
    print("ready", flush=True)
    closed = {}

    def wait_closed(p, s):
        try:
            s.read()  # an idle session gets nothing until the gateway ends it (FATAL, then EOF)
        except (PgError, OSError):
            pass
        closed[p] = now_ms()

    ts = [threading.Thread(target=wait_closed, args=(p, s), daemon=True) for p, s in sessions.items()]
    for t in ts:
        t.start()
    for t in ts:
        t.join(float(seconds))
    for p in sessions:
        print(f"closed {p} {closed[p]}" if p in closed else f"open {p}", flush=True)

# A login refused while a silo stops because the agent's grain could not be reached (RegisterSession is not
# idempotent, docs/operations.md "Graceful drain"): a known open issue, counted apart and not failed.
def known_issue(e):
    return e.get("code") == "57P03" and "cannot decide" in e.get("msg", "")

# Known open issues, seen by this test and reported apart (not failed), each on a node that survived the fault:
# - the edge-only node-3 has no silo: its Orleans gateway and its sessions' grains are on node-1 and node-2. After
#   node-2 is killed, or while it is stopped (SIGSTOP) and not yet declared dead, node-3's calls that go to node-2
#   wait for Orleans' response timeout (30 s) and then fail ("the cluster did not answer", a login cancelled by its
#   authentication timeout) or time out at the client;
# - while node-2 is stopped and not yet declared dead, a login whose agent grain is on node-2 waits for it.
def known_outside(e, phase):
    msg = e.get("msg", "")
    waited = "did not answer" in msg or "timed out" in msg or "authentication due to timeout" in msg
    if phase in ("kill", "restart", "pause") and e.get("node") == "node-3" and waited:
        return "node-3 (edge only) waited on node-2 (its Orleans gateway, or a grain there) for the response timeout"
    if phase == "pause" and e.get("node") != "node-2" and "timed out" in msg:
        return "a login waited on the agent's grain on the stopped node-2, not yet declared dead"
    return None

def report(events_path, phases_path, tags_path):
    events = [json.loads(l) for l in open(events_path) if l.strip()]
    phases = []
    for line in open(phases_path):
        name, start, end, affected, membership, revocation = line.rstrip("\n").split("\t")
        phases.append(dict(name=name, start=int(start), end=int(end), affected=set(affected.split(",")) - {"none"},
                           membership=membership, revocation=revocation))
    failed = []
    def fail(msg):
        failed.append(msg)
        print("FAILED: " + msg)
    rows = []
    for ph in phases:
        inside = [e for e in events if ph["start"] <= e["t"] < ph["end"]]
        errors = [e for e in inside if e["kind"] == "error"]
        logins = [e for e in inside if e["kind"] == "login_error"]
        known = [e for e in logins if known_issue(e)]
        logins = [e for e in logins if not known_issue(e)]
        acks = sum(1 for e in inside if e["kind"] == "ack")
        probe_errors = [e for e in inside if e["kind"] == "probe_error"]
        by = {}
        for e in errors + logins + probe_errors:
            key = (e.get("node") or "unknown", e["code"], e["kind"])
            by[key] = by.get(key, 0) + 1
        known_here = [(e, why) for e in errors + logins + probe_errors if (why := known_outside(e, ph["name"]))
                      and (e.get("node") or "unknown") not in ph["affected"]]
        excused = {id(e) for e, _ in known_here}
        errors_checked = [e for e in errors if id(e) not in excused]
        logins_checked = [e for e in logins if id(e) not in excused]
        outside = sorted({e.get("node") or "unknown" for e in errors_checked} - ph["affected"])
        login_outside = sorted({e["node"] for e in logins_checked if e.get("node")} - ph["affected"])
        if probe_errors:
            last = probe_errors[-1]["t"]
            ok = [e["t"] for e in events if e["kind"] == "probe_ok" and e["t"] > last]
            recovery = f"{ok[0] - ph['start']}" if ok else "never"
        else:
            recovery = "0"
        print(f"{ph['name']}: {(ph['end'] - ph['start']) / 1000:.1f} s, {acks} statements acknowledged; "
              f"{len(errors)} session errors, {len(logins)} logins refused, {len(known)} refused 57P03 'cannot decide' "
              f"(known issue); {len(probe_errors)} login probes failed")
        for (node, code, kind), n in sorted(by.items()):
            sample = next(e["msg"] for e in errors + logins + probe_errors if (e.get("node") or "unknown", e["code"], e["kind"]) == (node, code, kind))
            print(f"    {n:5d} {kind:11s} on {node:8s} {code}: {sample[:110]}")
        for why in sorted({w for _, w in known_here}):
            n = sum(1 for _, w in known_here if w == why)
            print(f"    KNOWN ISSUE: {n} errors outside the affected node(s): {why}")
        if not ph["affected"] and (errors_checked or logins_checked):
            fail(f"{ph['name']}: {len(errors_checked)} session errors and {len(logins_checked)} refused logins where no node was affected")
        elif outside:
            fail(f"{ph['name']}: session errors on {','.join(outside)}, outside the affected node(s) {','.join(sorted(ph['affected']))}")
        elif login_outside:
            fail(f"{ph['name']}: logins refused on {','.join(login_outside)}, outside the affected node(s)")
        if recovery == "never":
            fail(f"{ph['name']}: no login succeeded after the last failed probe")
        rows.append((ph["name"], ",".join(sorted(ph["affected"])) or "-", str(len(errors)),
                     ",".join(sorted({e.get("node") or "unknown" for e in errors})) or "-",
                     f"{len(logins)}+{len(known)}", str(len(known_here)), recovery, ph["membership"], ph["revocation"]))
    # Audit reconciliation: every acknowledged statement has exactly one record; no statement has two.
    audited = {}
    for line in open(tags_path):
        if "|" in line:
            tag, n = line.strip().split("|")
            audited[tag] = int(n)
    acked = [e["tag"] for e in events if e["kind"] == "ack"]
    errored = {e["tag"] for e in events if e["kind"] == "error" and e.get("tag")}
    missing = [t for t in acked if audited.get(t, 0) == 0]
    twice = sorted(t for t, n in audited.items() if n > 1)
    unacked_recorded = sum(1 for t in errored if audited.get(t, 0) == 1)
    print(f"audit: {len(acked)} statements acknowledged, {len(missing)} without a record, {len(twice)} with more than "
          f"one; of {len(errored)} statements that ended in an error, {unacked_recorded} have their one record")
    if not acked:
        fail("audit: no statement was acknowledged")
    if missing:
        fail(f"audit: {len(missing)} acknowledged statements have no record, e.g. {missing[:5]}")
    if twice:
        fail(f"audit: {len(twice)} statements have more than one record, e.g. {twice[:5]}")
    head = ("fault", "affected", "session errors", "on nodes", "logins refused (+57P03 known)", "known-issue errors outside", "logins back after ms",
            "membership converged after ms", "revocation: ms from the agent grain taking it to the session's end")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 1 if failed else 0

if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "load" and len(sys.argv) == 9:
        load(*sys.argv[2:])
    elif cmd == "report" and len(sys.argv) == 5:
        sys.exit(report(*sys.argv[2:]))
    elif cmd == "watch" and len(sys.argv) == 6:
        watch(*sys.argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
