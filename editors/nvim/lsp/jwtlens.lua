--- jwtlens for Neovim 0.11+ without the plugin's setup(): with this directory on
--- 'runtimepath', `vim.lsp.enable('jwtlens')` starts the server in every buffer that has
--- a filetype. Options go through `vim.lsp.config('jwtlens', { settings = { jwtlens = {…} } })`
--- (the fields of `.jwtlens.toml`). `require('jwtlens').setup()` uses the same
--- configuration and adds the commands (:JwtlensDecode…), inlay hints and buffers with no
--- filetype.
---@type vim.lsp.Config
return {
  cmd = { "jwtlens", "--stdio" },
  root_markers = { ".jwtlens.toml", ".git" },
  -- No `settings`: Neovim would send an empty table as a JSON array.
}
