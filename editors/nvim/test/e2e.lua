-- End-to-end test of the jwtlens Neovim plugin in a real `nvim --headless`, against a copy
-- of the repository's examples/. Run by test/run-e2e.sh, which sets:
--   JWTLENS_BIN   the jwtlens binary
--   JWTLENS_WS    the workspace (a scratch copy of examples/)
--   JWTLENS_PLUGIN the plugin folder (editors/nvim)
--   JWTLENS_JWKS_URL the workspace's .jwtlens/test-keys.jwks.json, served on loopback
-- Prints one line per check and a closing "N passed, N failed"; exits non-zero on failure.

local BIN = assert(os.getenv("JWTLENS_BIN"), "JWTLENS_BIN is not set")
local WS = assert(os.getenv("JWTLENS_WS"), "JWTLENS_WS is not set")
local PLUGIN = assert(os.getenv("JWTLENS_PLUGIN"), "JWTLENS_PLUGIN is not set")
local JWKS_URL = assert(os.getenv("JWTLENS_JWKS_URL"), "JWTLENS_JWKS_URL is not set")
-- The issuer of examples/src/session.test.ts's Clerk tokens.
local CLERK_ISSUER = "https://adapted-mole-42.clerk.accounts.dev"
local TIMEOUT = 20000

local passed, failed = 0, 0
local started = vim.uv.hrtime()

local function say(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local function elapsed()
  return ("%.1fs"):format((vim.uv.hrtime() - started) / 1e9)
end

--- Runs one named check; a failed assertion or error inside fails it, and the run goes on.
local function check(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    say(("ok - %s [%s]"):format(name, elapsed()))
  else
    failed = failed + 1
    say(("not ok - %s [%s]\n    %s"):format(name, elapsed(), tostring(err):gsub("\n", "\n    ")))
  end
end

local function wait_for(what, condition)
  if not vim.wait(TIMEOUT, condition, 50) then
    error(("timed out after %d ms waiting for %s"):format(TIMEOUT, what), 2)
  end
end

local function codes(bufnr)
  local set = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.source == "jwtlens" then
      set[diagnostic.code] = true
    end
  end
  return set
end

local function expect_codes(bufnr, expected, absent)
  local got = codes(bufnr)
  local missing = vim.tbl_filter(function(code)
    return not got[code]
  end, expected)
  local unexpected = vim.tbl_filter(function(code)
    return got[code]
  end, absent or {})
  local listed = vim.tbl_keys(got)
  table.sort(listed)
  assert(#missing == 0, ("missing diagnostics %s; got %s"):format(table.concat(missing, ", "), table.concat(listed, ", ")))
  assert(#unexpected == 0, ("diagnostics that settings turned off are there: %s"):format(table.concat(unexpected, ", ")))
end

--- Opens a workspace file and waits for jwtlens to attach and publish diagnostics.
local function open(relative)
  vim.cmd.edit(vim.fn.fnameescape(WS .. "/" .. relative))
  local bufnr = vim.api.nvim_get_current_buf()
  wait_for("the jwtlens client to attach to " .. relative, function()
    return require("jwtlens").client(bufnr) ~= nil
  end)
  wait_for("jwtlens diagnostics on " .. relative, function()
    return next(codes(bufnr)) ~= nil
  end)
  return bufnr
end

--- Puts the cursor inside the first token on the line that contains `marker`.
local function cursor_on_token(bufnr, marker)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(marker, 1, true) then
      local col = assert(line:find("eyJ", 1, true), "no token on the line with " .. marker)
      vim.api.nvim_win_set_cursor(0, { lnum, col + 10 })
      return lnum, line
    end
  end
  error("no line contains " .. marker)
end

local function token_on_line(bufnr, lnum)
  local line = vim.api.nvim_buf_get_lines(bufnr, lnum - 1, lnum, false)[1] or ""
  return line:match("eyJ[%w_%-]+%.[%w_%-]+%.[%w_%-]*")
end

--- `jwtlens verify --key <workspace test keys> TOKEN`: 0 verified, 1 bad signature, 3 expired.
local function verify(token)
  local key = WS .. "/.jwtlens/test-keys.jwks.json"
  assert(vim.uv.fs_stat(key), "the test keys " .. key .. " do not exist")
  local result = vim.system({ BIN, "verify", "--key", key, token }, { cwd = WS, text = true }):wait(TIMEOUT)
  say(("    jwtlens verify exited %d: %s"):format(result.code, vim.trim((result.stdout or "") .. (result.stderr or "")):gsub("\n", " "):sub(1, 150)))
  return result.code
end

local function floating_lines()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
    end
  end
end

local function close_floats()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      vim.api.nvim_win_close(win, true)
    end
  end
end

local function contains_all(text, needles, what)
  for _, needle in ipairs(needles) do
    assert(text:find(needle, 1, true), ("%s lacks %q:\n%s"):format(what, needle, text))
  end
end

-- Messages shown to the user: the plugin's (vim.notify) and the server's window/showMessage
-- (which Neovim echoes, or notifies for errors).
local notifications = {}
local notify = vim.notify
vim.notify = function(message, level, opts)
  table.insert(notifications, { message = tostring(message), level = level })
  return notify(message, level, opts)
end
local show_message = vim.lsp.handlers["window/showMessage"]
vim.lsp.handlers["window/showMessage"] = function(err, params, ctx)
  table.insert(notifications, { message = params.message, level = params.type })
  return show_message(err, params, ctx)
end

local function run()
  vim.opt.rtp:prepend(PLUGIN)
  vim.o.shortmess = vim.o.shortmess .. "F"
  require("jwtlens").setup({
    cmd = { BIN, "--stdio" },
    -- Settings reach the server: JWT013 off, inlay hints on; .jwtlens.toml still applies.
    settings = {
      rules = { JWT013 = "off" },
      inlay_hints = true,
      keys = { jwks_urls = { [CLERK_ISSUER] = JWKS_URL } },
    },
  })
  say(("# nvim %s, %s, workspace %s"):format(tostring(vim.version()), vim.trim(vim.fn.system({ BIN, "--version" })), WS))

  local session
  check("session.test.ts (typescript): diagnostics by code; JWT013 turned off by setup() settings", function()
    session = open("src/session.test.ts")
    assert(vim.bo[session].filetype == "typescript", "filetype is " .. vim.bo[session].filetype)
    expect_codes(session, { "JWT001", "JWT003", "JWT007", "JWT009", "JWT011", "JWT110" }, { "JWT013" })
    local client = assert(require("jwtlens").client(session))
    assert(client.root_dir == WS, ("root_dir is %s, expected %s (.jwtlens.toml)"):format(tostring(client.root_dir), WS))
  end)

  check("hover over the Clerk token shows provider, tenant and role", function()
    vim.api.nvim_set_current_buf(session)
    cursor_on_token(session, "const clerkSession =")
    vim.lsp.buf.hover()
    local lines
    wait_for("the hover window", function()
      lines = floating_lines()
      return lines ~= nil and #lines > 1
    end)
    local text = table.concat(lines, "\n")
    contains_all(text, { "Clerk (v2)", "Tenant", "org_2vC1Globex", "Role", "org:member", "user_2vC1Test" }, "the hover")
    close_floats()
  end)

  check("inlay hints (settings.inlay_hints) summarise each token", function()
    local labels
    wait_for("inlay hints", function()
      labels = vim.tbl_map(function(item)
        local label = item.inlay_hint.label
        return type(label) == "string" and label or table.concat(vim.tbl_map(function(part)
          return part.value
        end, label))
      end, vim.lsp.inlay_hint.get({ bufnr = session }))
      return #labels > 0
    end)
    local text = table.concat(labels, "\n")
    contains_all(text, { "Clerk · org:member · expired", "Stack Auth · authenticated" }, "the inlay hints")
  end)

  check(":JwtlensDecode opens a read-only JSON scratch buffer", function()
    vim.api.nvim_set_current_buf(session)
    cursor_on_token(session, "const clerkSession =")
    vim.cmd("JwtlensDecode")
    local decoded
    wait_for("the decoded buffer", function()
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_get_name(bufnr):find("jwtlens://decoded/", 1, true) then
          decoded = bufnr
          return true
        end
      end
    end)
    assert(vim.bo[decoded].filetype == "json", "filetype is " .. vim.bo[decoded].filetype)
    assert(vim.bo[decoded].buftype == "nofile", "buftype is " .. vim.bo[decoded].buftype)
    assert(not vim.bo[decoded].modifiable, "the decoded buffer is modifiable")
    local text = table.concat(vim.api.nvim_buf_get_lines(decoded, 0, -1, false), "\n")
    assert(text:match("^{\n  \"header\": {"), "header does not come first:\n" .. text:sub(1, 200))
    local value = vim.json.decode(text)
    assert(value.payload.sub == "user_2vC1Test", "payload.sub is " .. tostring(value.payload.sub))
    assert(value.header.alg == "RS256", "header.alg is " .. tostring(value.header.alg))
    assert(value.facts.provider.name == "Clerk", "facts.provider.name is " .. tostring(vim.tbl_get(value, "facts", "provider", "name")))
    assert(vim.list_contains(value.facts.tenants, "org_2vC1Globex"), "facts.tenants lacks org_2vC1Globex")
    vim.api.nvim_win_close(vim.fn.bufwinid(decoded), true)
  end)

  check(".env (filetype sh): diagnostics by code, .jwtlens.toml policy applied (JWT106)", function()
    local env = open(".env")
    assert(vim.tbl_contains({ "sh", "conf" }, vim.bo[env].filetype), "filetype is " .. vim.bo[env].filetype)
    expect_codes(env, { "JWT002", "JWT101", "JWT103", "JWT104", "JWT106" }, { "JWT013" })
  end)

  check("fixtures/tokens.json: diagnostics by code", function()
    local fixtures = open("fixtures/tokens.json")
    expect_codes(fixtures, { "JWT003", "JWT007", "JWT010", "JWT103" }, { "JWT013" })
  end)

  check("issue 17: a code lens per token for the orders-api policy; running it shows the trace", function()
    local fixtures = open("fixtures/tokens.json")
    local lnum = cursor_on_token(fixtures, '"auth0_user_with_org"')
    local lenses
    wait_for("code lenses on fixtures/tokens.json", function()
      lenses = vim.lsp.codelens.get(fixtures)
      return #lenses > 0
    end)
    local titles = vim.tbl_map(function(lens)
      return lens.command and lens.command.title or ""
    end, lenses)
    for _, title in ipairs(titles) do
      assert(title:find("^orders%-api: "), "a lens is not orders-api's: " .. title)
    end
    local on_line = vim.tbl_filter(function(lens)
      return lens.range.start.line == lnum - 1
    end, lenses)
    assert(#on_line == 1, ("%d lenses on the Auth0 token's line"):format(#on_line))
    -- No key for the examples' kid: the signature is the first check that fails.
    assert(on_line[1].command.title == "orders-api: 401 Invalid signature.", "the lens reads " .. on_line[1].command.title)
    local before = #notifications
    vim.lsp.codelens.run()
    local message
    wait_for("the explain trace", function()
      for i = before + 1, #notifications do
        if notifications[i].message:find("orders-api: 401", 1, true) then
          message = notifications[i].message
          return true
        end
      end
    end)
    contains_all(message, { "✗ signature: Invalid signature.", "✓ issuer: https://acme-saas.eu.auth0.com/ is expected" }, "the trace")
  end)

  check("issue 17: :JwtlensCompare diffs the token under the cursor with another one", function()
    local fixtures = open("fixtures/tokens.json")
    local other = token_on_line(fixtures, (cursor_on_token(fixtures, '"auth0_machine_to_machine"')))
    cursor_on_token(fixtures, '"auth0_user_with_org"')
    vim.cmd("JwtlensCompare " .. other)
    local diff
    wait_for("the diff buffer", function()
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_get_name(bufnr):find("jwtlens://diff/", 1, true) then
          diff = bufnr
          return true
        end
      end
    end)
    local value = vim.json.decode(table.concat(vim.api.nvim_buf_get_lines(diff, 0, -1, false), "\n"))
    assert(vim.list_contains(value.summary, "subject auth0|65f0c1examples → Xq7aExamplesClientId@clients"), "summary: " .. vim.inspect(value.summary))
    vim.api.nvim_win_close(vim.fn.bufwinid(diff), true)
  end)

  check("a file with no filetype gets jwtlens too", function()
    local path = WS .. "/captured-request.dump"
    local env_lines = vim.fn.readfile(WS .. "/.env")
    local service_role = assert(vim.iter(env_lines):find(function(line)
      return line:find("SUPABASE_SERVICE_ROLE_KEY", 1, true)
    end))
    vim.fn.writefile({ "Authorization: Bearer " .. service_role:match("eyJ[%w_%-%.]+") }, path)
    local dump = open("captured-request.dump")
    assert(vim.bo[dump].filetype == "", "filetype is " .. vim.bo[dump].filetype)
    expect_codes(dump, { "JWT103" })
  end)

  check(":checkhealth jwtlens reports the binary, its version and the config file", function()
    vim.cmd.edit(vim.fn.fnameescape(WS .. "/src/session.test.ts"))
    vim.cmd("checkhealth jwtlens")
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    contains_all(text, {
      "OK binary: " .. BIN,
      "OK version: jwtlens ",
      "OK config file: " .. WS .. "/.jwtlens.toml",
      "OK the jwtlens language server is enabled",
      "OK diagnostic signs are on",
    }, ":checkhealth jwtlens")
    assert(text:find("session.test.ts: %d+ token%(s%), %d+ finding%(s%)"), ":checkhealth jwtlens lacks the file's counts:\n" .. text)
    assert(not text:find("ERROR", 1, true), ":checkhealth jwtlens reports an error:\n" .. text)
    vim.cmd("bwipeout")
  end)

  check("the server offers the mint and verify commands", function()
    local client = assert(require("jwtlens").client(session), "no jwtlens client on the session file")
    local commands = vim.tbl_get(client.server_capabilities, "executeCommandProvider", "commands") or {}
    for _, command in ipairs({ "jwtlens.decode", "jwtlens.mint", "jwtlens.verify" }) do
      assert(vim.list_contains(commands, command), ("the server does not advertise %s (it has: %s)"):format(command, table.concat(commands, ", ")))
    end
  end)

  check("mint-replacement: the code action puts a token in the buffer that `jwtlens verify` accepts with the test key", function()
    vim.api.nvim_set_current_buf(session)
    local lnum = cursor_on_token(session, "const clerkSession =")
    local old = assert(token_on_line(session, lnum))
    local tick = vim.api.nvim_buf_get_changedtick(session)
    local titles = {}
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(action)
        table.insert(titles, action.title)
        return action.title:find("^Mint replacement test token %(") ~= nil
      end,
    })
    wait_for("the minted token in the buffer (code actions offered: " .. table.concat(titles, " | ") .. ")", function()
      return vim.api.nvim_buf_get_changedtick(session) ~= tick and token_on_line(session, lnum) ~= old
    end)
    local minted = assert(token_on_line(session, lnum), "no token left on line " .. lnum)
    assert(verify(minted) == 0, "`jwtlens verify --key .jwtlens/test-keys.jwks.json` rejects the minted token")
    -- The check tells tokens apart: the original is not signed by the test key.
    assert(verify(old) == 1, "`jwtlens verify` with the test key does not reject the original token")
  end)

  check(":JwtlensMint expired adds an expired copy of the line, signed by the test key", function()
    vim.api.nvim_set_current_buf(session)
    local lnum = cursor_on_token(session, "const clerkSession =")
    local lines = vim.api.nvim_buf_line_count(session)
    vim.cmd("JwtlensMint expired")
    wait_for("a new line below the token", function()
      return vim.api.nvim_buf_line_count(session) == lines + 1
    end)
    local copy = vim.api.nvim_buf_get_lines(session, lnum, lnum + 1, false)[1]
    assert(copy:find("const clerkSession =", 1, true), "the new line is not a copy of the token's line: " .. copy)
    local expired = assert(token_on_line(session, lnum + 1), "no token on the copied line")
    assert(verify(expired) == 3, "`jwtlens verify` does not say the copy is signed but expired (exit 3)")
  end)

  -- The Clerk tokens' issuer has its JWKS URL set (keys.jwks_urls) to the test keys served
  -- on loopback by run-e2e.sh: verification fetches nothing from outside this machine.
  local function verify_message(marker)
    vim.api.nvim_set_current_buf(session)
    cursor_on_token(session, marker)
    local before = #notifications
    vim.cmd("JwtlensVerify")
    local message
    wait_for("the server's verification message", function()
      for i = before + 1, #notifications do
        if notifications[i].message:find("signature", 1, true) then
          message = notifications[i].message
          return true
        end
      end
    end)
    say("    " .. message:gsub("\n", " "):sub(1, 200))
    return message
  end

  check(":JwtlensVerify verifies the minted token with the issuer's JWKS (served on loopback)", function()
    local message = verify_message("const clerkSession =")
    assert(message:find("signature verified with key jwtlens-test-", 1, true), "unexpected message: " .. message)
    assert(message:find(JWKS_URL, 1, true), "the message does not name " .. JWKS_URL .. ": " .. message)
  end)

  check("issue 17: document symbols (textDocument/documentSymbol) list one `provider · tenant · role · status` symbol per token", function()
    vim.api.nvim_set_current_buf(session)
    local params = { textDocument = vim.lsp.util.make_text_document_params(session) }
    local responses = assert(vim.lsp.buf_request_sync(session, "textDocument/documentSymbol", params, TIMEOUT))
    local symbols
    for _, response in pairs(responses) do
      symbols = symbols or response.result
    end
    assert(symbols and #symbols > 0, "no document symbols: " .. vim.inspect(responses))
    -- Each symbol spans a token: its range starts where the token's text does.
    for _, symbol in ipairs(symbols) do
      local start = symbol.range.start
      local line = vim.api.nvim_buf_get_lines(session, start.line, start.line + 1, false)[1] or ""
      assert(line:sub(start.character + 1, start.character + 3) == "eyJ", ("symbol %q does not start at a token: %s"):format(symbol.name, line))
    end
    local names = vim.tbl_map(function(symbol)
      return symbol.name
    end, symbols)
    contains_all(table.concat(names, "\n"), { "Clerk", "org_2vC1Globex", " · " }, "the symbol names")
    assert(symbols[1].kind == vim.lsp.protocol.SymbolKind.Key, "kind " .. tostring(symbols[1].kind))
    say("    " .. names[1])
  end)

  check(":JwtlensVerify rejects a token the issuer's keys did not sign", function()
    local message = verify_message("const clerkLegacySession =")
    assert(message:find("signature not verified", 1, true), "unexpected message: " .. message)
  end)

  check("issue 18: the Ignore quick fix (vim.lsp.buf.code_action) writes `// jwtlens: ignore[JWTxxx]` above the token and the finding goes", function()
    vim.api.nvim_set_current_buf(session)
    local lnum = cursor_on_token(session, "const clerkLegacySession =")
    local titles, code = {}, nil
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(action)
        table.insert(titles, action.title)
        local rule = action.title:match("^Ignore (JWT%d+) %(")
        if rule and not code and action.kind == "quickfix" then
          code = rule
          return true
        end
        return false
      end,
    })
    wait_for("the ignore comment above the token (code actions offered: " .. table.concat(titles, " | ") .. ")", function()
      local above = vim.api.nvim_buf_get_lines(session, lnum - 1, lnum, false)[1] or ""
      return code ~= nil and above:find("// jwtlens: ignore[" .. code .. "]", 1, true) ~= nil
    end)
    local decode = vim.tbl_filter(function(title)
      return title:find("^Decode token") ~= nil
    end, titles)
    assert(#decode == 1, "no Decode action among: " .. table.concat(titles, " | "))
    say("    " .. vim.api.nvim_buf_get_lines(session, lnum - 1, lnum, false)[1])
    -- The token moved one line down (0-based: lnum); its finding is gone, the others stay.
    wait_for(code .. " to leave the token's diagnostics", function()
      local here = {}
      for _, diagnostic in ipairs(vim.diagnostic.get(session, { lnum = lnum })) do
        if diagnostic.source == "jwtlens" then
          here[diagnostic.code] = true
        end
      end
      return not here[code] and next(here) ~= nil
    end)
  end)
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  failed = failed + 1
  say("not ok - the test itself failed: " .. tostring(err))
end
say(("%d passed, %d failed"):format(passed, failed))
vim.cmd((failed == 0 and passed > 0) and "qall!" or "cquit! 1")
