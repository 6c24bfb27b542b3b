-- Counts the responses per worker generation ("generation":N in the JSON body) and bodies without one.
-- Each wrk thread keeps its own table; done() adds them up and prints one line the test parses.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  generations = {}
  unparsed = 0
end

function response(status, headers, body)
  local generation = body and body:match('"generation":(%d+)')
  if generation then
    generations[generation] = (generations[generation] or 0) + 1
  else
    unparsed = unparsed + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  local bad = 0
  for _, thread in ipairs(threads) do
    for generation, count in pairs(thread:get("generations")) do
      total[generation] = (total[generation] or 0) + count
    end
    bad = bad + thread:get("unparsed")
  end
  local parts = {}
  for generation, count in pairs(total) do
    table.insert(parts, generation .. "=" .. count)
  end
  io.write("HERD-GENERATIONS " .. table.concat(parts, ",") .. " unparsed=" .. bad .. "\n")
end
