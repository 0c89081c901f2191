-- Storefront product pages spread over the catalog: "/product/<id>" for an id drawn from "<first> <last>" (the
-- runner passes the products' id range).
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  first = tonumber(args[1])
  last = tonumber(args[2])
  -- Each thread has its own Lua state; seeds that differ keep the threads from replaying each other's ids.
  math.randomseed(os.time() * 1000 + id)
end

function request()
  return wrk.format("GET", "/product/" .. math.random(first, last))
end
