-- POST the webhook with a distinct X-MessageId on every request, as Lockme does.
-- BENCH_PATH: the path with ?secret=; BENCH_DELAY_MS: pause per connection (0 = flat out).
-- BENCH_IDS: a file of message ids, one a line: each is sent once, in order, and the run
-- ends once every one is answered (requests still in flight then are not counted).
local path = os.getenv("BENCH_PATH")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local ids_path = os.getenv("BENCH_IDS")
local threads = 0
local next_id = 0
local ids = nil
local answered = 0
ALL_ANSWERED = "all ids answered"

function setup(thread)
  threads = threads + 1
  thread:set("first", threads)
end

function init(args)
  next_id = first * 1000000000 + math.random(1, 100000) * 1000
  if ids_path then
    ids = {}
    for line in io.lines(ids_path) do ids[#ids + 1] = line end
    next_id = 0
  end
end

function request()
  next_id = next_id + 1
  local id = ids and ids[(next_id - 1) % #ids + 1] or tostring(next_id)
  return wrk.format("POST", path, {["X-MessageId"] = id}, "")
end

function delay()
  if pause > 0 then
    local half = math.floor(pause / 2)
    return math.random(pause - half, pause + half)
  end
  return 0
end

-- Defined only for a list of ids: wrk then hands every answer to Lua, which costs a little.
-- A thread's stop() leaves wrk asleep for the rest of -d, and its rate is taken over that
-- whole time: so the last answer is announced on stdout, and the caller ends the run with
-- SIGINT, which wrk times as the end (bench/receiver.py, wrk()).
if ids_path then
  function response(status, headers, body)
    answered = answered + 1
    if answered == #ids then
      io.write(ALL_ANSWERED, "\n")
      io.flush()
      wrk.thread:stop()
    end
  end
end
