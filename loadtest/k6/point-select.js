// k6 load script for OrleansGate's PostgreSQL path, for SREs who load-test with k6.
//
// k6 speaks SQL only through the xk6-sql extension; build a k6 binary with it and its PostgreSQL driver:
//   xk6 build --with github.com/grafana/xk6-sql@v1 --with github.com/grafana/xk6-sql-driver-postgres@v0
// Then, against a running gateway (`./deploy/local/up.sh`: listener 127.0.0.1:6543 with TLS, identity provider
// on 127.0.0.1:18080) and a target holding pgbench's tables (`pgbench -i -s 10` on the target database, and a
// policy that lets the agents read them):
//   ./k6 run -e CLIENTS="demo-agent:$(cat <demo-agent-client-secret file that up.sh prints>)" \
//            -e TARGET=demo -e SSLROOTCERT=<the certificate up.sh prints> -e WORKLOAD=select -e VUS=64 -e DURATION=60s \
//            loadtest/k6/point-select.js
// Settings (-e): GATEWAY (localhost:6543), TARGET (demo), TOKEN_URL (http://127.0.0.1:18080/oauth2/default/v1/token),
// CLIENTS (id:secret[,id:secret...], required), SSLMODE (verify-full; "disable" only for a listener configured
// Insecure), SSLROOTCERT, WORKLOAD (select | rw), SCALE (10), VUS (64), DURATION (60s).
//
// Every virtual user logs in as an agent with its own short-lived token (client credentials from the
// identity provider; the token is the PostgreSQL password), then runs a closed loop of statements, each
// decided by the policy and audited by the gateway like any agent's. WORKLOAD=select runs pgbench's point
// select; WORKLOAD=rw an 80/20 mix of point selects and single-row updates (the policy must allow the update).
// Not run by this repository's CI: k6 cannot be installed on its machines; `./loadtest/run.sh` (C# driver) is
// what produces docs/benchmarks.md. Results here are comparable in shape, not in absolute numbers.

import http from "k6/http";
import sql from "k6/x/sql";
import driver from "k6/x/sql/driver/postgres";
import { check, fail } from "k6";
import { Counter, Trend } from "k6/metrics";

const gateway = __ENV.GATEWAY || "localhost:6543"; // the name in up.sh's certificate, for verify-full
const target = __ENV.TARGET || "demo";
const tokenUrl = __ENV.TOKEN_URL || "http://127.0.0.1:18080/oauth2/default/v1/token";
const sslMode = __ENV.SSLMODE || "verify-full";
const sslRootCert = __ENV.SSLROOTCERT || "";
const clients = (__ENV.CLIENTS || fail("set CLIENTS to id:secret[,id:secret...]")).split(",").map((pair) => {
  const i = pair.indexOf(":");
  return { id: pair.slice(0, i), secret: pair.slice(i + 1) };
});
const workload = __ENV.WORKLOAD || "select";
const accounts = 100000 * Number(__ENV.SCALE || 10);

export const options = {
  scenarios: {
    agents: {
      executor: "constant-vus",
      vus: Number(__ENV.VUS || 64),
      duration: __ENV.DURATION || "60s",
    },
  },
  thresholds: {
    orleansgate_statement_errors: ["count==0"],
    orleansgate_statement_duration: ["p(95)<50", "p(99)<200"],
  },
  // Tokens are secrets: never print them in the summary.
  setupTimeout: "60s",
};

const statementDuration = new Trend("orleansgate_statement_duration", true);
const statementErrors = new Counter("orleansgate_statement_errors");

// One token per configured client, fetched once (the identity provider is not what is measured).
export function setup() {
  return clients.map((c) => {
    const res = http.post(tokenUrl, { grant_type: "client_credentials", client_id: c.id, client_secret: c.secret });
    if (res.status !== 200) {
      fail(`token request for ${c.id} failed with HTTP ${res.status}`);
    }
    return { id: c.id, token: res.json("access_token") };
  });
}

let db = null;

function connect(agents) {
  const agent = agents[(__VU - 1) % agents.length];
  const tls = `sslmode=${encodeURIComponent(sslMode)}` + (sslRootCert ? `&sslrootcert=${encodeURIComponent(sslRootCert)}` : "");
  const dsn = `postgres://${encodeURIComponent(agent.id)}:${encodeURIComponent(agent.token)}@${gateway}/${encodeURIComponent(target)}?${tls}`;
  return sql.open(driver, dsn);
}

function timed(fn) {
  const started = Date.now();
  try {
    fn();
  } catch (e) {
    // The gateway's refusals carry their SQLSTATE (42501 denied by policy, 58000 audit store unavailable).
    statementErrors.add(1);
    return false;
  } finally {
    statementDuration.add(Date.now() - started);
  }
  return true;
}

export default function (agents) {
  if (db === null) {
    db = connect(agents);
  }

  const aid = 1 + Math.floor(Math.random() * accounts);
  if (workload === "rw" && Math.random() < 0.2) {
    check(timed(() => db.exec("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = $1", aid)), { "update ran": (ok) => ok });
  } else {
    check(timed(() => db.query("SELECT abalance FROM pgbench_accounts WHERE aid = $1", aid)), { "select ran": (ok) => ok });
  }
}

export function teardown() {
  // Each VU's connection closes with the VU; the gateway writes the session's logout record then.
}
