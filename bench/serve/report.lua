-- Shared by the wrk scripts of bench/serve.sh: prints one machine-readable RESULT line at the end of
-- a run (bench/serve.sh parses it). Latencies are wrk's: from writing the request to reading the
-- whole response, per connection (closed loop), in milliseconds.

function report_line(summary, latency)
   local s = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
         .. "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d bytes=%d\n",
      summary.requests, s, summary.requests / s,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
