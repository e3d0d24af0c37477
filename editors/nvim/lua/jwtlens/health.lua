--- :checkhealth jwtlens: Neovim version, setup, the server binary and its version, the
--- config file for the current buffer, and the running clients.
local M = {}

local CONFIG_FILE = ".jwtlens.toml"

function M.check()
  local health = vim.health
  local jwtlens = require("jwtlens")

  health.start("jwtlens: Neovim")
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("Neovim " .. tostring(vim.version()))
  else
    health.error("Neovim " .. tostring(vim.version()) .. " is too old", { "jwtlens needs Neovim 0.11 or newer (vim.lsp.config)" })
    return
  end
  if vim.lsp.is_enabled(jwtlens.name) then
    health.ok("the jwtlens language server is enabled")
  else
    health.warn("the jwtlens language server is not enabled", { 'call require("jwtlens").setup({}) in your config' })
  end

  health.start("jwtlens: server binary")
  local cmd = vim.tbl_get(vim.lsp.config, jwtlens.name, "cmd") or jwtlens.options.cmd
  local program = type(cmd) == "table" and cmd[1] or nil
  local path = program and vim.fn.exepath(program) or ""
  if path == "" then
    health.error(("`%s` was not found"):format(tostring(program)), {
      "put jwtlens on PATH (cargo install --path . in a jwtlens checkout)",
      'or pass its path: require("jwtlens").setup({ cmd = { "/path/to/jwtlens", "--stdio" } })',
    })
  else
    health.ok("binary: " .. path)
    local result = vim.system({ path, "--version" }, { text = true }):wait(5000)
    local version = vim.trim(result.stdout or "")
    if result.code == 0 and version:match("^jwtlens ") then
      health.ok("version: " .. version)
    else
      health.error(("`%s --version` failed (exit %s): %s"):format(path, tostring(result.code), vim.trim(result.stderr or "")))
    end
  end

  health.start("jwtlens: configuration")
  local markers = jwtlens.options.root_markers or jwtlens.defaults.root_markers
  local bufnr = vim.api.nvim_get_current_buf()
  local from = vim.api.nvim_buf_get_name(bufnr)
  local root = vim.fs.root(from ~= "" and bufnr or vim.fn.getcwd(), markers)
  local where = from ~= "" and from or vim.fn.getcwd()
  if not root then
    health.info(("no workspace root above %s (markers: %s): single-file mode, default settings"):format(where, table.concat(markers, ", ")))
  elseif vim.uv.fs_stat(vim.fs.joinpath(root, CONFIG_FILE)) then
    health.ok("config file: " .. vim.fs.joinpath(root, CONFIG_FILE))
  else
    health.info(("no %s in the workspace root %s: default settings"):format(CONFIG_FILE, root))
  end
  if next(jwtlens.options.settings or {}) then
    health.info("settings from setup(), applied over the config file: " .. vim.inspect(jwtlens.options.settings))
  end

  health.start("jwtlens: clients")
  local clients = vim.lsp.get_clients({ name = jwtlens.name })
  if #clients == 0 then
    health.info("no jwtlens client is running (open a file to start one)")
  end
  for _, client in ipairs(clients) do
    local info = client.server_info or {}
    health.ok(("client %d: %s %s, root %s, %d buffer(s)"):format(
      client.id,
      info.name or "jwtlens",
      info.version or "",
      client.root_dir or "(none)",
      vim.tbl_count(client.attached_buffers)
    ))
    -- What a status line would show: tokens and findings per open file.
    for bufnr in pairs(client.attached_buffers) do
      local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
      local answer = client:request_sync("jwtlens/documentSummary", params, 2000, bufnr)
      local summary = answer and answer.result
      if type(summary) == "table" then
        health.info(("%s: %d token(s), %d finding(s)"):format(
          vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":~:."),
          summary.tokens,
          summary.findings
        ))
      end
    end
  end

  health.start("jwtlens: diagnostics display")
  local config = vim.diagnostic.config() or {}
  if config.signs == false then
    health.warn("diagnostic signs are off: findings show only where vim.diagnostic draws them otherwise", {
      "vim.diagnostic.config({ signs = true })",
    })
  else
    health.ok("diagnostic signs are on (findings are marked in the sign column)")
  end
  health.info("code actions (vim.lsp.buf.code_action): Ignore JWTxxx on this line, Turn off JWTxxx in .jwtlens.toml, Decode, Verify, Mint")
end

return M
