-- Every request a new catalog search, so each one misses the API's list cache: a random 2-4 letter prefix
-- (about 475,000 of them) times a random page 1..50, appended to the figure's path.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  -- Each thread has its own Lua state; seeds that differ keep the threads from replaying each other's keys.
  math.randomseed(os.time() * 1000 + id)
end

local function prefix()
  local letters = {}
  for i = 1, math.random(2, 4) do
    letters[i] = string.char(math.random(97, 122))
  end
  return table.concat(letters)
end

function request()
  return wrk.format("GET", wrk.path .. "&q=" .. prefix() .. "&page=" .. math.random(1, 50))
end
