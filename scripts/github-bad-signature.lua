-- wrk script: GitHub-style deliveries with a unique X-GitHub-Delivery and a wrong X-Hub-Signature-256,
-- the shared benchmark's 1 KiB JSON body (run from ../shared/bench, as scripts/ingest-cpu.py does).
local f = assert(io.open("body-1k.json", "rb"))
local body = f:read("*a")
f:close()
counter = 0
request = function()
  counter = counter + 1
  local h = {}
  h["Content-Type"] = "application/json"
  h["X-GitHub-Delivery"] = string.format("%08x-%d", math.random(0, 0x7fffffff), counter)
  h["X-GitHub-Event"] = "push"
  h["X-Hub-Signature-256"] = "sha256=0000000000000000000000000000000000000000000000000000000000000000"
  return wrk.format("POST", "/bench/ingest", h, body)
end
