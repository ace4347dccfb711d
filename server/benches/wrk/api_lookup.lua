-- wrk script for scripts/bench-api-split: POST /api/v1/nik/lookup with a bearer token
-- (env SIGAP_SPLIT_TOKEN), cycling through the NIKs in the file named by SIGAP_SPLIT_NIKS.
local bodies = {}
for nik in io.lines(os.getenv("SIGAP_SPLIT_NIKS")) do
  bodies[#bodies + 1] = '{"nik":"' .. nik .. '","purpose":"Benchmark"}'
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SIGAP_SPLIT_TOKEN")
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/api/v1/nik/lookup", nil, bodies[i])
end
