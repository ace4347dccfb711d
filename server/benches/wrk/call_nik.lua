-- wrk script for scripts/bench-api-split: the simulator's CALL_NIK (directly or through
-- nginx) with the simulator's published demo credentials, cycling through the NIKs in the
-- file named by SIGAP_SPLIT_NIKS.
local bodies = {}
for nik in io.lines(os.getenv("SIGAP_SPLIT_NIKS")) do
  bodies[#bodies + 1] = '{"nik":"' .. nik .. '","user_id":"BPBD3313",'
    .. '"password":"sim-demo-password","ip_user":"127.0.0.1"}'
end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, "/dukcapil/get_json/BPBD3313/CALL_NIK", nil, bodies[i])
end
