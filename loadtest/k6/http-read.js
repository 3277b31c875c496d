// k6 load script for OrleansGate's Kubernetes path: the read mix, for SREs who load-test with k6.
//
// Plain k6 (no extension). Against a running gateway with its agent HTTP listener on (`OrleansGate:AgentHttp`, off
// by default; up.sh's node reads ORLEANSGATE__-prefixed variables, and takes up.sh's own certificate for it):
//   ./deploy/local/down.sh   # if a node is running: the variables apply only to a node up.sh starts
//   ORLEANSGATE__OrleansGate__AgentHttp__Port=8443 \
//   ORLEANSGATE__OrleansGate__AgentHttp__Tls__CertificatePath="$PWD/.orleansgate/tls/server.pem" \
//   ORLEANSGATE__OrleansGate__AgentHttp__Tls__KeyPath="$PWD/.orleansgate/tls/server.key" ./deploy/local/up.sh
// add a Kubernetes target and the rules below to deploy/local/policy.yaml (reloaded when it changes), create the pod
// and config map the mix reads (POD, CONFIGMAP in NS), then:
//   SSL_CERT_FILE=.orleansgate/tls/server.pem k6 run \
//     -e CLIENTS="demo-agent:$(cat .orleansgate/secrets/demo-agent-client-secret)" -e TARGET=local-kube \
//     -e VUS=32 -e DURATION=60s loadtest/k6/http-read.js
// (k6 has no option for a root certificate: SSL_CERT_FILE makes up.sh's self-signed one trusted, for the name
// localhost in GATEWAY; INSECURE_SKIP_TLS_VERIFY=true instead checks nothing.) Several agents: start up.sh with
// ORLEANSGATE_BENCH_AGENTS=N and pass CLIENTS="bench-agent-1:S,bench-agent-2:S,..." (S in
// .orleansgate/secrets/bench-agent-client-secret); VU n is agent n modulo their number.
//
// Policy (docs/policy.md, "Kubernetes and HTTP targets and rules"): the gateway's own credential needs RBAC for the
// same verbs in the cluster; the agent's token never reaches it.
//   targets:
//     local-kube:
//       kind: kubernetes
//       url: https://127.0.0.1:6443                  # the cluster's API server (kind, minikube, k3s, ...)
//       ca_file: /path/to/cluster-ca.pem
//       token_file: /path/to/service-account-token
//   rules:
//     - name: k6-read
//       effect: allow
//       reason: the k6 read mix
//       match: { groups: [developers], targets: [local-kube],
//                kubernetes: { verbs: [get, list], resources: [pods, configmaps], namespaces: [default] } }
//
// Settings (-e): GATEWAY (https://localhost:8443), TARGET (local-kube), NS (default), POD (web-1), CONFIGMAP (k6-read),
// TOKEN_URL (http://127.0.0.1:18080/oauth2/default/v1/token), CLIENTS (id:secret[,id:secret...], required),
// VUS (32), DURATION (60s), INSECURE_SKIP_TLS_VERIFY (false).
//
// Each iteration is one request of the "read" mix in http-mix.json, by weight: 60 % get the pod, 30 % list the
// namespace's pods (limit=50), 10 % get the config map; every one decided by the policy, audited and its answer masked
// by the gateway like any agent's. Each VU logs in as an agent with its own token (client credentials), fetched again
// before it expires. Thresholds (gateway requests only; starting points, to be tuned): failed requests under 0.1 %,
// p95 under 50 ms, p99 under 200 ms, and no 403 (orleansgate_http_forbidden: a 403 means the policy does not allow
// the mix). Not run by this repository's CI: k6 cannot be installed on its machines, so the script is only checked for
// syntax (OrleansGate.Tests, K6ScriptSyntaxTests); the C# driver runs the same mix from http-mix.json.

import { gatewayOptions, mixes, pick, send } from "./http-common.js";

export const options = gatewayOptions("read");

export default function () {
  send(pick(mixes.read), `k6-${__VU}-${__ITER}`, 200);
}
