-- wrk script: POST the photo in $PHOTO as image/jpeg; at the end, one JSON line with the
-- requests, duration, non-2xx answers, socket errors and latency percentiles (microseconds).
local file = assert(io.open(os.getenv("PHOTO"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("ROUTE") or "/v1/classify"
wrk.body = file:read("*all")
wrk.headers["Content-Type"] = "image/jpeg"
file:close()

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

-- With LIMIT set (requests per wrk thread), each thread stops after that many answers.
local limit = tonumber(os.getenv("LIMIT") or "")
if limit then
  local answered = 0
  response = function(status, headers, body)
    answered = answered + 1
    if answered >= limit then wrk.thread:stop() end
  end
end
