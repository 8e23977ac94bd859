-- wrk script: rotate over the URL paths listed (one per line) in the file given after `--`.
--   wrk -t2 -c32 -d5s -s rotate.lua http://127.0.0.1:PORT -- paths.txt
-- Every thread pre-formats all requests once, then cycles through them from its own offset.

local next_id = 0

function setup(thread)
    thread:set("thread_id", next_id)
    next_id = next_id + 1
end

local requests = {}
local count = 0
local position = 0

function init(args)
    for line in io.lines(args[1]) do
        if line ~= "" then
            count = count + 1
            requests[count] = wrk.format("GET", line)
        end
    end
    position = ((thread_id or 0) * 7919) % count
end

function request()
    position = position % count + 1
    return requests[position]
end
