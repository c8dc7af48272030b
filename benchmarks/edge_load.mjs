// Open-loop load at a fixed rate: POST one body to a URL `rate` times a second for `seconds`,
// over keep-alive connections, and print JSON: sent, ok, errors, p50/p99/max latency (ms).
// Latency runs from each request's scheduled time, so a stalled server is not hidden
// (coordinated omission). Used by bench_edge.py; wrk has no fixed-rate mode.
//   node benchmarks/edge_load.mjs URL RATE SECONDS BODY [CONNECTIONS]
import http from "node:http";

const [url, rateText, secondsText, body, connectionsText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connectionsText ?? 64) });
const target = new URL(url);
const payload = Buffer.from(body);
const latencies = [];
let ok = 0;
let errors = 0;
let sent = 0;

function send(scheduled) {
  sent++;
  const request = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: "POST",
      agent,
      headers: { "Content-Type": "application/json", "Content-Length": payload.length },
    },
    (response) => {
      response.resume();
      response.on("end", () => {
        latencies.push(performance.now() - scheduled);
        if (response.statusCode === 200) ok++;
        else errors++;
      });
    },
  );
  request.on("error", () => {
    latencies.push(performance.now() - scheduled);
    errors++;
  });
  request.end(payload);
}

const start = performance.now();
const total = Math.floor(rate * seconds);
const interval = 1000 / rate;
let next = 0;
function tick() {
  const now = performance.now();
  while (next < total && start + next * interval <= now) {
    send(start + next * interval);
    next++;
  }
  if (next < total) setImmediate(tick);
  else setTimeout(finish, 2000);
}
function finish() {
  latencies.sort((a, b) => a - b);
  const at = (q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? null;
  const elapsed = (performance.now() - start - 2000) / 1000;
  console.log(
    JSON.stringify({
      sent,
      ok,
      errors,
      achieved: sent / elapsed,
      p50: at(0.5),
      p99: at(0.99),
      max: at(1),
    }),
  );
  agent.destroy();
}
tick();
