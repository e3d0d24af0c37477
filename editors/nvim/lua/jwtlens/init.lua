--- jwtlens for Neovim 0.11+: the language server on every buffer, and commands on the
--- token under the cursor (:JwtlensDecode, :JwtlensVerify, :JwtlensMint, :JwtlensExplain,
--- :JwtlensCompare).
local M = {}

M.name = "jwtlens"

--- The mint variants the server knows (`:JwtlensMint {variant}`).
M.mint_variants = { "replacement", "anonymised", "expired", "wrong-audience", "unsigned" }

---@class jwtlens.Options
---@field cmd? string[] How to start the server (default: `{ "jwtlens", "--stdio" }`).
---@field settings? table Server settings: the fields of `.jwtlens.toml` (which they override).
---@field filetypes? string[] Restrict to these filetypes (default: every buffer).
---@field root_markers? string[] Files that mark the workspace root.
---@field inlay_hints? boolean Show the server's inlay hints (default: `settings.inlay_hints`).
---@field restricted? boolean Run the server in restricted mode: no key read from the workspace, nothing written to it (for folders you have not reviewed).

---@type jwtlens.Options
M.defaults = {
  cmd = { "jwtlens", "--stdio" },
  settings = {},
  filetypes = nil,
  root_markers = { ".jwtlens.toml", ".git" },
  inlay_hints = nil,
  restricted = false,
}

---@type jwtlens.Options
M.options = vim.deepcopy(M.defaults)

local function notify(message, level)
  vim.notify("jwtlens: " .. message, level or vim.log.levels.INFO)
end

--- The jwtlens client attached to a buffer, if any.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = M.name })[1]
end

--- Starts jwtlens for a buffer that has no filetype: `vim.lsp.enable` attaches on the
--- FileType event, which such buffers never get.
---@param bufnr integer
local function start_without_filetype(bufnr)
  if vim.bo[bufnr].filetype ~= "" or vim.bo[bufnr].buftype ~= "" or M.options.filetypes then
    return
  end
  if not vim.lsp.is_enabled(M.name) or M.client(bufnr) then
    return
  end
  local config = vim.deepcopy(vim.lsp.config[M.name])
  config.root_dir = vim.fs.root(bufnr, config.root_markers)
  vim.lsp.start(config, { bufnr = bufnr })
end

--- Sends `workspace/executeCommand` for the token under the cursor.
---@param command string
---@param extra? table Fields added to the argument (`variant`).
---@param on_result fun(result: any, client: vim.lsp.Client)
---@param more? any[] Arguments after the token's (`jwtlens.compare`'s second token).
local function on_token(command, extra, on_result, more)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify("no jwtlens server is attached to this buffer (see :checkhealth jwtlens)", vim.log.levels.ERROR)
    return
  end
  local commands = vim.tbl_get(client.server_capabilities or {}, "executeCommandProvider", "commands") or {}
  if not vim.list_contains(commands, command) then
    local version = vim.tbl_get(client, "server_info", "version") or "unknown version"
    notify(("this server (jwtlens %s) has no %s command yet; update jwtlens"):format(version, command), vim.log.levels.WARN)
    return
  end
  local argument = vim.tbl_extend("force", vim.lsp.util.make_position_params(0, client.offset_encoding), extra or {})
  local arguments = vim.list_extend({ argument }, more or {})
  client:exec_cmd({ title = command, command = command, arguments = arguments }, { bufnr = bufnr }, function(err, result)
    if err then
      notify(err.message, vim.log.levels.WARN)
    else
      on_result(result, client)
    end
  end)
end

--- Settings as JSON objects: an empty Lua table would be sent as `[]`, which the server
--- rejects where it expects a table, so empty tables are left out (the default applies).
---@param value any
---@return any
local function without_empty_tables(value)
  if type(value) ~= "table" then
    return value
  end
  local copy = {}
  for key, item in pairs(value) do
    if type(item) ~= "table" or next(item) ~= nil then
      copy[key] = without_empty_tables(item)
    end
  end
  return next(copy) ~= nil and copy or vim.empty_dict()
end

--- JSON text with two-space indentation. Top-level fields keep the server's order; object
--- keys below are sorted. (Fields whose value is null are absent: the LSP client drops them.)
---@param value any
---@param indent? string
---@param order? string[]
---@return string
function M.to_json(value, indent, order)
  indent = indent or ""
  if type(value) ~= "table" or next(value) == nil then
    return vim.json.encode(value)
  end
  local inner = indent .. "  "
  local items = {}
  if vim.islist(value) then
    for _, item in ipairs(value) do
      items[#items + 1] = inner .. M.to_json(item, inner)
    end
    return "[\n" .. table.concat(items, ",\n") .. "\n" .. indent .. "]"
  end
  local keys, seen = {}, {}
  for _, key in ipairs(order or {}) do
    if value[key] ~= nil then
      keys[#keys + 1], seen[key] = key, true
    end
  end
  local rest = vim.tbl_filter(function(key)
    return not seen[key]
  end, vim.tbl_keys(value))
  table.sort(rest, function(a, b)
    return tostring(a) < tostring(b)
  end)
  vim.list_extend(keys, rest)
  for _, key in ipairs(keys) do
    items[#items + 1] = inner .. vim.json.encode(tostring(key)) .. ": " .. M.to_json(value[key], inner)
  end
  return "{\n" .. table.concat(items, ",\n") .. "\n" .. indent .. "}"
end

--- Shows the token under the cursor, decoded, in a read-only scratch buffer (filetype json).
--- Shows JSON text in a read-only scratch buffer to the right, named `jwtlens://<kind>/<n>`.
---@param text string
---@param kind string
local function show_json(text, kind)
  vim.cmd("botright vnew")
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].buftype = "nofile"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].swapfile = false
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(text, "\n", { plain = true }))
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = "json"
  pcall(vim.api.nvim_buf_set_name, bufnr, ("jwtlens://%s/%d"):format(kind, bufnr))
end

function M.decode()
  on_token("jwtlens.decode", nil, function(result)
    show_json(M.to_json(result, "", { "header", "payload", "facts", "fixture", "findings", "range" }), "decoded")
  end)
end

--- Verifies the token's signature with its issuer's keys; the server reports the outcome.
function M.verify()
  on_token("jwtlens.verify", nil, function() end)
end

--- Each named policy's decision on the token under the cursor (the code lens's command);
--- the server shows the trace as a message.
function M.explain()
  on_token("jwtlens.explain", nil, function() end)
end

--- "Compare with token…": the token under the cursor against `other` (asked for when
--- empty); the diff opens in a scratch buffer.
---@param other? string
function M.compare(other)
  local function run(token)
    if not token or token == "" then
      return
    end
    on_token("jwtlens.compare", nil, function(result)
      show_json(M.to_json(result, "", { "added", "removed", "changed", "summary" }), "diff")
    end, { vim.trim(token) })
  end
  if other and other ~= "" then
    run(other)
  else
    vim.ui.input({ prompt = "jwtlens: compare with token: " }, run)
  end
end

--- Replaces the token under the cursor with a freshly minted test token.
---@param variant? string One of `M.mint_variants` (default "replacement").
function M.mint(variant)
  variant = variant ~= "" and variant or "replacement"
  if not vim.list_contains(M.mint_variants, variant) then
    notify(("unknown variant %q (one of: %s)"):format(variant, table.concat(M.mint_variants, ", ")), vim.log.levels.ERROR)
    return
  end
  on_token("jwtlens.mint", { variant = variant }, function()
    notify(("minted a test token (%s)"):format(variant))
  end)
end

---@param opts? jwtlens.Options
function M.setup(opts)
  M.options = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  local options = M.options
  local settings = without_empty_tables(options.settings)
  if options.restricted then
    settings.trusted_workspace = false
  end
  vim.lsp.config(M.name, {
    cmd = options.cmd,
    filetypes = options.filetypes,
    root_markers = options.root_markers,
    init_options = settings,
    settings = { jwtlens = settings },
  })
  vim.lsp.enable(M.name)

  local inlay_hints = options.inlay_hints
  if inlay_hints == nil then
    inlay_hints = options.settings.inlay_hints or options.settings.inlayHints or false
  end
  local group = vim.api.nvim_create_augroup("jwtlens", { clear = true })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = group,
    callback = function(args)
      -- After filetype detection (which runs on the same events).
      vim.schedule(function()
        if vim.api.nvim_buf_is_valid(args.buf) then
          start_without_filetype(args.buf)
        end
      end)
    end,
  })
  vim.api.nvim_create_autocmd("LspAttach", {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == M.name and inlay_hints then
        vim.lsp.inlay_hint.enable(true, { bufnr = args.buf })
      end
      -- Named policies' code lenses: shown on attach and kept fresh as the text changes.
      if client and client.name == M.name and client:supports_method("textDocument/codeLens") then
        vim.lsp.codelens.refresh({ bufnr = args.buf })
        vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged" }, {
          group = group,
          buffer = args.buf,
          callback = function()
            vim.lsp.codelens.refresh({ bufnr = args.buf })
          end,
        })
      end
    end,
  })

  vim.api.nvim_create_user_command("JwtlensDecode", M.decode, { desc = "jwtlens: decode the token under the cursor" })
  vim.api.nvim_create_user_command("JwtlensVerify", M.verify, { desc = "jwtlens: verify the token's signature" })
  vim.api.nvim_create_user_command("JwtlensExplain", M.explain, { desc = "jwtlens: explain the policies' decision on the token" })
  vim.api.nvim_create_user_command("JwtlensCompare", function(command)
    M.compare(command.args)
  end, { nargs = "?", desc = "jwtlens: compare the token under the cursor with another token" })
  vim.api.nvim_create_user_command("JwtlensMint", function(command)
    M.mint(command.args)
  end, {
    nargs = "?",
    complete = function()
      return M.mint_variants
    end,
    desc = "jwtlens: replace the token under the cursor with a minted test token",
  })
end

return M
