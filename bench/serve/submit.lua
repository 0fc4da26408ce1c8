-- wrk script for the signed submissions of bench/serve.sh: POSTs one signed entry per request to
-- /v1/entries, taking the lines of a JSON Lines file (as `truce sign` writes them) in turn.
--
--   wrk -t T -c C -d D -s bench/serve/submit.lua URL -- FILE T
--
-- Thread k (0-based) of T sends lines k, k+T, k+2T, ... so no two threads send the same entry;
-- the connections of one thread share its Lua state and so its sequence. When a thread runs out of
-- lines it starts again, and the server acknowledges the repeats as duplicates (counted apart).
-- At the end: the RESULT line, then `STATUS <code>=<count> ...` and `DUPLICATES <n>`.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = {}
local next_id = 0

setup = function(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local bodies = {}
local at = 0
counts = {}
duplicates = 0

init = function(args)
   local file, nthreads = args[1], tonumber(args[2] or "1")
   if not file then
      error("usage: wrk ... -s submit.lua URL -- FILE THREADS")
   end
   local k = 0
   for line in io.lines(file) do
      if k % nthreads == tid and #line > 0 then
         bodies[#bodies + 1] = line
      end
      k = k + 1
   end
   if #bodies == 0 then
      error(file .. " has no entries for thread " .. tid)
   end
   at = 0
end

local headers = { ["Content-Type"] = "application/json" }

request = function()
   at = at % #bodies + 1
   return wrk.format("POST", "/v1/entries", headers, bodies[at])
end

response = function(status, hdrs, body)
   local key = tostring(status)
   counts[key] = (counts[key] or 0) + 1
   if status == 200 and body and body:find('"duplicate":true', 1, true) then
      duplicates = duplicates + 1
   end
end

done = function(summary, latency, requests)
   report_line(summary, latency)
   local total, dups = {}, 0
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("counts") or {}) do
         total[k] = (total[k] or 0) + v
      end
      dups = dups + (t:get("duplicates") or 0)
   end
   local keys = {}
   for k in pairs(total) do keys[#keys + 1] = k end
   table.sort(keys)
   local parts = {}
   for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. total[k] end
   io.write("STATUS " .. table.concat(parts, " ") .. "\n")
   io.write("DUPLICATES " .. dups .. "\n")
end
