// Shared by http-read.js and http-write.js: settings, the mixes of http-mix.json, per-VU tokens and thresholds.
// Not a script to run on its own. The mixes live in http-mix.json so the C# driver (loadtest/OrleansGate.LoadTest,
// HttpMix) runs the same weights, methods, paths and bodies; change them there, not here.

import http from "k6/http";
import { check, fail } from "k6";
import { Counter } from "k6/metrics";

// Init context: open() reads the file once per VU, before it runs. The path is relative; k6 resolves it from this module
// or from the script that imports it, which are in the same folder.
export const mixes = JSON.parse(open("./http-mix.json"));

export const settings = {
  gateway: (__ENV.GATEWAY || "https://localhost:8443").replace(/\/+$/, ""),
  target: __ENV.TARGET || "local-kube",
  ns: __ENV.NS || "default",
  pod: __ENV.POD || "web-1",
  configmap: __ENV.CONFIGMAP || "k6-read",
  tokenUrl: __ENV.TOKEN_URL || "http://127.0.0.1:18080/oauth2/default/v1/token",
  clients: (__ENV.CLIENTS || fail("set CLIENTS to id:secret[,id:secret...]")).split(",").map((pair) => {
    const i = pair.indexOf(":");
    return { id: pair.slice(0, i), secret: pair.slice(i + 1) };
  }),
};

// Only the gateway's requests carry this tag: the identity provider's token requests are not what is measured.
const gatewayTag = { endpoint: "gateway" };

export function gatewayOptions(mix) {
  return {
    scenarios: {
      agents: {
        executor: "constant-vus",
        vus: Number(__ENV.VUS || 32),
        duration: __ENV.DURATION || "60s",
      },
    },
    // Starting points, to be tuned to the cluster behind the gateway: the gateway's own share on 2 cores is a few ms.
    thresholds: {
      "http_req_failed{endpoint:gateway}": ["rate<0.001"],
      "http_req_duration{endpoint:gateway}": ["p(95)<50", "p(99)<200"],
      // A 403 is the policy refusing part of the mix: the policy is not the one in the script's header.
      orleansgate_http_forbidden: ["count==0"],
    },
    insecureSkipTLSVerify: __ENV.INSECURE_SKIP_TLS_VERIFY === "true",
    tags: { mix },
  };
}

const forbidden = new Counter("orleansgate_http_forbidden");

// One token per VU, each VU an agent of its own when CLIENTS names several; fetched again 30 s before it expires.
let token = null;
let expiresAt = 0;

function bearer() {
  if (token === null || Date.now() > expiresAt - 30000) {
    const client = settings.clients[(__VU - 1) % settings.clients.length];
    const res = http.post(settings.tokenUrl, { grant_type: "client_credentials", client_id: client.id, client_secret: client.secret },
      { tags: { endpoint: "idp" } });
    if (res.status !== 200) {
      fail(`token request for ${client.id} failed with HTTP ${res.status}`);
    }

    token = res.json("access_token");
    expiresAt = Date.now() + 1000 * Number(res.json("expires_in") || 300);
  }

  return token;
}

// The entry of a mix for a roll in [0, total weight), as HttpMix.Pick does.
export function pick(mix) {
  let roll = Math.floor(Math.random() * mix.reduce((sum, e) => sum + e.weight, 0));
  for (const entry of mix) {
    if (roll < entry.weight) {
      return entry;
    }
    roll -= entry.weight;
  }
  throw new Error("the roll is over the mix's total weight");
}

// {ns}, {pod}, {configmap} from the settings, {name} from the caller, as HttpMix.Fill does.
export function fill(template, name) {
  const values = { ns: settings.ns, pod: settings.pod, configmap: settings.configmap, name };
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key) => {
    if (!(key in values)) {
      throw new Error(`no value for placeholder ${whole}`);
    }
    return values[key];
  });
}

// Sends one entry of the mix to the Kubernetes target through the gateway and checks its status.
export function send(entry, name, expected) {
  const url = `${settings.gateway}/k8s/${settings.target}${fill(entry.path, name)}`;
  const headers = { Authorization: `Bearer ${bearer()}`, Accept: "application/json" };
  let body = null;
  if (entry.body) {
    body = fill(entry.body, name);
    headers["Content-Type"] = entry.contentType || "application/json";
  }

  const res = http.request(entry.method, url, body, { headers, tags: { ...gatewayTag, name: entry.name } });
  if (res.status === 403) {
    forbidden.add(1, { name: entry.name });
  }
  check(res, { [`${entry.name} is ${expected}`]: (r) => r.status === expected });
  return res;
}
