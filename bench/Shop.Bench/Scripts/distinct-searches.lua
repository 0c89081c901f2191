-- Every request a catalog search nobody asked for before in this bench: the runner writes a file of request paths
-- (search words from real product names × page × page size, never repeated within the bench) and passes
-- "<file> <threads>"; thread i of n takes lines i, i+n, i+2n, ... so the threads never share a path.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  paths = {}
  local count = tonumber(args[2])
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if (n - id) % count == 0 then
      paths[#paths + 1] = line
    end
  end
  next_path = 0
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end
