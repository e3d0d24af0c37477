-- `vim.lsp.enable('jwtlens')` with nothing but editors/nvim on 'runtimepath' (no setup()):
-- the server starts from lsp/jwtlens.lua and publishes diagnostics for a token.
-- Run by run-e2e.sh; JWTLENS_BIN, JWTLENS_WS and JWTLENS_PLUGIN come from it.
local function fail(message)
  io.stdout:write("not ok - lsp/jwtlens.lua: " .. message .. "\n")
  vim.cmd("cquit 1")
end

vim.opt.rtp:append(os.getenv("JWTLENS_PLUGIN"))
vim.lsp.config("jwtlens", { cmd = { os.getenv("JWTLENS_BIN"), "--stdio" } })
vim.lsp.enable("jwtlens")
vim.cmd("edit " .. os.getenv("JWTLENS_WS") .. "/src/session.test.ts")

local attached = vim.wait(20000, function()
  return #vim.lsp.get_clients({ bufnr = 0, name = "jwtlens" }) > 0
end, 50)
if not attached then
  fail("vim.lsp.enable('jwtlens') did not attach to a TypeScript buffer")
end
local client = vim.lsp.get_clients({ bufnr = 0, name = "jwtlens" })[1]
if client.root_dir ~= os.getenv("JWTLENS_WS") then
  fail("root " .. tostring(client.root_dir) .. " is not the workspace (root_markers)")
end
local published = vim.wait(20000, function()
  for _, diagnostic in ipairs(vim.diagnostic.get(0)) do
    if diagnostic.code == "JWT001" then
      return true
    end
  end
  return false
end, 50)
if not published then
  fail("no JWT001 diagnostic for the alg-none token")
end
io.stdout:write("ok - vim.lsp.enable('jwtlens') from lsp/jwtlens.lua\n")
vim.cmd("qall!")
