-- The Neovim session recorded in tests/replays/neovim.json (see record.py): the plugin's
-- setup() on a copy of examples/, the TypeScript file opened, its diagnostics, a hover on
-- the first token, then :qall (Neovim sends shutdown and exit).
--   cd COPY && nvim --headless --clean -c "luafile nvim-session.lua"
-- with JWTLENS_PLUGIN (editors/nvim) and JWTLENS_CMD (the recording command, space-separated):
--   python3 tests/replays/record.py neovim.json COPY "Neovim 0.11.4" examples -- jwtlens --stdio
vim.opt.rtp:append(os.getenv("JWTLENS_PLUGIN"))
require("jwtlens").setup({ cmd = vim.split(os.getenv("JWTLENS_CMD"), " "), settings = { clockSkew = 30 } })
vim.cmd("edit src/session.test.ts")
vim.wait(20000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
local line = vim.fn.search("eyJ", "w")
vim.api.nvim_win_set_cursor(0, { line, vim.fn.col(".") + 5 })
local client = vim.lsp.get_clients({ bufnr = 0, name = "jwtlens" })[1]
local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
local response = client:request_sync("textDocument/hover", params, 10000, 0)
io.stdout:write((response and response.result) and "hover ok\n" or "no hover\n")
vim.cmd("qall!")
