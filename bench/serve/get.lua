-- wrk script for the public reads of bench/serve.sh: GET the URL given on the command line.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

done = function(summary, latency, requests)
   report_line(summary, latency)
end
