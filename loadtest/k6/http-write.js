// k6 load script for OrleansGate's Kubernetes path: the write mix, with approvals off, for SREs who load-test with k6.
//
// Run as http-read.js (its header: the agent HTTP listener on up.sh's node, SSL_CERT_FILE, CLIENTS, the target),
// with this rule in deploy/local/policy.yaml instead of (or next to) k6-read. Approvals off means effect allow: a rule
// with effect approve would hold every write for a human (docs/kubernetes.md, Approvals), and a held request is not
// what this measures.
//   rules:
//     - name: k6-write
//       effect: allow
//       reason: the k6 write mix
//       match: { groups: [developers], targets: [local-kube],
//                kubernetes: { verbs: [create, patch, delete], resources: [configmaps], namespaces: [default] } }
//   SSL_CERT_FILE=.orleansgate/tls/server.pem k6 run \
//     -e CLIENTS="demo-agent:$(cat .orleansgate/secrets/demo-agent-client-secret)" -e TARGET=local-kube \
//     -e VUS=32 -e DURATION=60s loadtest/k6/http-write.js
//
// Settings (-e): GATEWAY (https://localhost:8443), TARGET (local-kube), NS (default), TOKEN_URL
// (http://127.0.0.1:18080/oauth2/default/v1/token), CLIENTS (id:secret[,id:secret...], required), VUS (32),
// DURATION (60s), INSECURE_SKIP_TLS_VERIFY (false).
//
// Each iteration is one request of the "write" mix in http-mix.json, by weight: 50 % create a config map (POST JSON),
// 30 % patch one (merge patch), 20 % delete one. Names are unique per run, VU and iteration (k6-RUN-VU-ITER, RUN the
// VU's start time in base 36, so a second run does not meet the first's leftovers). A patch goes to
// the VU's newest config map and a delete to its oldest, so both find one; a VU that has none left creates one
// instead. Creates outnumber deletes, so config maps are left behind; delete them afterwards (their names start with
// k6-: `kubectl get configmaps -n NS -o name | grep /k6- | xargs kubectl delete -n NS`).
// Thresholds as in http-read.js (gateway requests only; starting points, to be tuned). Not run by this
// repository's CI (k6 cannot be installed here): checked for syntax only; the C# driver runs the same mix.

import { gatewayOptions, mixes, pick, send } from "./http-common.js";

export const options = gatewayOptions("write");

const create = mixes.write.find((entry) => entry.method === "POST");
const expectedStatus = { POST: 201, PATCH: 200, DELETE: 200 };
const run = Date.now().toString(36);

// This VU's config maps that exist, oldest first.
const created = [];

export default function () {
  let entry = pick(mixes.write);
  if (entry.method !== "POST" && created.length === 0) {
    entry = create;
  }

  if (entry.method === "POST") {
    const name = `k6-${run}-${__VU}-${__ITER}`;
    if (send(entry, name, expectedStatus.POST).status === expectedStatus.POST) {
      created.push(name);
    }
  } else if (entry.method === "PATCH") {
    send(entry, created[created.length - 1], expectedStatus.PATCH);
  } else {
    send(entry, created.shift(), expectedStatus[entry.method]);
  }
}
