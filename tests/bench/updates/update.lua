-- wrk script of tests/bench/updates.sh: durable UpdateJobExecution IN_PROGRESS updates with
-- statusDetails, each thread cycling over its own share of the things (no two requests in flight
-- for one thing). Arguments: number of things, number of wrk threads.
local threads = {}

function setup(thread)
    thread:set("id", #threads)
    table.insert(threads, thread)
end

function init(args)
    nthings = tonumber(args[1]) or 10000
    nthreads = tonumber(args[2]) or 1
    i = id
    errors = 0
end

function request()
    i = i + nthreads
    local thing = (i % nthings) + 1
    return wrk.format("POST", "/things/thing-" .. thing .. "/jobs/bench",
        { ["Content-Type"] = "application/json" },
        '{"status":"IN_PROGRESS","statusDetails":{"progress":"' .. i .. '"}}')
end

function response(status, headers, body)
    if status ~= 200 then
        errors = errors + 1
    end
end

function done(summary, latency, requests)
    local e = 0
    for _, t in ipairs(threads) do
        e = e + t:get("errors")
    end
    io.write(string.format("non-200 responses: %d\n", e))
end
