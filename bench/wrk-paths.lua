-- wrk script: each request's path is a printf pattern with a random index below a spread,
-- e.g. `-- /hb_ping?600000&appid=app-%d 1000`.
local pattern, spread
init = function(args)
  pattern = args[1]
  spread = tonumber(args[2])
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end
request = function()
  return wrk.format("GET", string.format(pattern, math.random(0, spread - 1)))
end
