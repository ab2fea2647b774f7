-- POST the webhook with a distinct X-MessageId on every request, as Lockme does.
-- BENCH_PATH: the path with ?secret=; BENCH_DELAY_MS: pause per connection (0 = flat out).
local path = os.getenv("BENCH_PATH")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local threads = 0
local next_id = 0

function setup(thread)
  threads = threads + 1
  thread:set("first", threads)
end

function init(args)
  next_id = first * 1000000000 + math.random(1, 100000) * 1000
end

function request()
  next_id = next_id + 1
  return wrk.format("POST", path, {["X-MessageId"] = tostring(next_id)}, "")
end

function delay()
  if pause > 0 then
    local half = math.floor(pause / 2)
    return math.random(pause - half, pause + half)
  end
  return 0
end
